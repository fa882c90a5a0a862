using System;
using System.Collections.Generic;

namespace Sample.Mlp
{
    /// <summary>The PNG plot of a run: train loss (left axis) and test accuracy (right axis) per epoch, drawn with ScottPlot.</summary>
    public static class TrainingPlot
    {
        /// <summary>Writes the plot; returns null, or why it could not be drawn (a run never fails because of its plot).</summary>
        public static string? TryWrite(string path, IReadOnlyList<TrainingRun.Epoch> epochs)
        {
            try
            {
                Draw(path, epochs);
                return null;
            }
            catch (Exception e)
            {
                // A missing native Skia library surfaces as DllNotFoundException inside a TypeInitializationException.
                Exception root = e;
                while (root.InnerException is not null) root = root.InnerException;
                return root.GetType().Name + ": " + root.Message;
            }
        }

        private static void Draw(string path, IReadOnlyList<TrainingRun.Epoch> epochs)
        {
            var x = new double[epochs.Count];
            var loss = new double[epochs.Count];
            var accuracy = new double[epochs.Count];
            for (int i = 0; i < epochs.Count; i++)
            {
                x[i] = epochs[i].Number;
                loss[i] = epochs[i].TrainLoss;
                accuracy[i] = epochs[i].TestAccuracy;
            }
            var plot = new ScottPlot.Plot();
            var lossLine = plot.Add.Scatter(x, loss);
            lossLine.LegendText = "train loss";
            var accuracyLine = plot.Add.Scatter(x, accuracy);
            accuracyLine.LegendText = "test accuracy";
            accuracyLine.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Bottom.Label.Text = "epoch";
            plot.Axes.Left.Label.Text = "train loss";
            plot.Axes.Right.Label.Text = "test accuracy";
            plot.Title("Sample.Mlp on Fashion-MNIST");
            plot.ShowLegend();
            plot.SavePng(path, 800, 500);
        }
    }
}
