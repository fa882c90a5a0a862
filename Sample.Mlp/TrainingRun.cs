using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using Spectre.Console;

namespace Sample.Mlp
{
    /// <summary>One run of the sample: data, model, gradient check, training with a progress bar or plain lines, then the summary, the model file and the plot.</summary>
    public static class TrainingRun
    {
        /// <summary>Per-epoch figures of a run.</summary>
        public sealed record Epoch(int Number, double TrainLoss, double TestAccuracy, double Seconds, double SamplesPerSecond, long AllocatedBytes);

        public static int Execute(TrainingOptions options, TextWriter output, TextWriter error)
        {
            var clock = Stopwatch.StartNew();
            var source = FashionMnist.Load(options.Data);
            output.WriteLine($"Data: {source.Description}.");

            int features = source.Train.FeatureCount;
            int[] sizes;
            float[] parameters;
            if (options.Load is { } loadPath)
            {
                int[]? expected = options.Hidden is null ? null : Architecture(features, options.Hidden);
                (sizes, parameters) = ModelFile.Load(loadPath, expected);
                if (sizes[0] != features || sizes[^1] != FashionMnist.Classes)
                    throw new InvalidDataException($"{loadPath}: architecture {ModelFile.Architecture(sizes)} does not take {features} inputs to {FashionMnist.Classes} classes; the model was not loaded.");
                output.WriteLine($"Model: {ModelFile.Architecture(sizes)} loaded from {loadPath}.");
            }
            else
            {
                sizes = Architecture(features, options.Hidden ?? new[] { 128 });
                parameters = new float[Mlp.ParameterCount(sizes)];
                Mlp.Initialize(parameters, sizes, options.Seed);
                output.WriteLine($"Model: {ModelFile.Architecture(sizes)}, {parameters.Length:N0} parameters, He initialization (seed {options.Seed}).");
            }

            var check = GradientChecker.Check(sizes, parameters, source.Train, rounds: 3, options.Seed);
            output.WriteLine($"Gradient check: worst relative error {check.WorstRelativeError:0.0e+00} over {check.Directions} directions " +
                $"(finite differences on {check.Examples} single examples; tolerance {GradientChecker.Tolerance:0e+00}).");
            if (!check.Passes)
            {
                error.WriteLine("error: the generated gradient does not match finite differences; not training.");
                return 1;
            }

            var optimizer = Optimizer.Create(options.Optimizer, options.LearningRate, parameters.Length);
            using var trainer = new Trainer(sizes, parameters, optimizer, options.Batch, options.Threads, options.Seed);
            if (options.Epochs > 0)
                output.WriteLine($"Training: {options.Epochs} epochs, batch {options.Batch}, {optimizer.Name} (lr {options.LearningRate}), {trainer.Threads} thread{(trainer.Threads == 1 ? "" : "s")}.");
            var epochs = new List<Epoch>();
            var order = new int[source.Train.Count];
            for (int i = 0; i < order.Length; i++) order[i] = i;
            for (int e = 1; e <= options.Epochs; e++)
            {
                var epoch = options.Progress ? RunEpochWithProgress(trainer, source.Train, source.Test, order, e, options.Epochs) : RunEpoch(trainer, source.Train, source.Test, order, e, null);
                epochs.Add(epoch);
                // Without a progress bar nothing else runs during the steps, so the process-wide count is the steps' own
                // (the first epoch includes the warm-up: buffers, JIT).
                output.WriteLine($"epoch {epoch.Number,3}  train loss {epoch.TrainLoss:F4}  test accuracy {epoch.TestAccuracy:F4}  " +
                    $"{epoch.Seconds:F2} s  ({epoch.SamplesPerSecond:N0} samples/s)" + (options.Progress ? "" : $"  allocated {epoch.AllocatedBytes:N0} B"));
            }
            double accuracy = epochs.Count > 0 ? epochs[^1].TestAccuracy : trainer.Accuracy(source.Test);
            output.WriteLine($"Test accuracy: {accuracy:F4} on {source.Test.Count:N0} images.");

            if (options.Save is { } savePath)
            {
                ModelFile.Save(savePath, sizes, parameters);
                output.WriteLine($"Model saved to {savePath}.");
            }
            if (options.Summary is { } summaryPath)
            {
                WriteSummary(summaryPath, options, source, sizes, trainer, accuracy, epochs);
                output.WriteLine($"Summary written to {summaryPath}.");
            }
            if (options.Plot is { } plotPath && epochs.Count > 0)
            {
                string? problem = TrainingPlot.TryWrite(plotPath, epochs);
                output.WriteLine(problem is null ? $"Plot: {plotPath}" : $"Plot not drawn: {problem}");
            }
            output.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");
            return 0;
        }

        public static int[] Architecture(int features, int[] hidden)
        {
            var sizes = new int[hidden.Length + 2];
            sizes[0] = features;
            hidden.CopyTo(sizes, 1);
            sizes[^1] = FashionMnist.Classes;
            return sizes;
        }

        /// <summary>One pass over <paramref name="train"/> in a new random order; <paramref name="report"/> sees (steps done, mean loss so far).</summary>
        public static Epoch RunEpoch(Trainer trainer, DataSet train, DataSet test, int[] order, int number, Action<int, double>? report)
        {
            trainer.Shuffle(order);
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            long started = Stopwatch.GetTimestamp();
            double lossSum = 0;
            int steps = 0;
            for (int start = 0; start < order.Length; start += trainer.Batch)
            {
                int rows = Math.Min(trainer.Batch, order.Length - start);
                lossSum += (double)trainer.Step(train, order.AsSpan(start, rows)) * rows;
                steps++;
                if (report is not null && (steps & 15) == 0) report(steps, lossSum / (start + rows));
            }
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            return new Epoch(number, lossSum / order.Length, trainer.Accuracy(test), seconds, order.Length / seconds, allocated);
        }

        private static Epoch RunEpochWithProgress(Trainer trainer, DataSet train, DataSet test, int[] order, int number, int total)
        {
            Epoch? result = null;
            int steps = (order.Length + trainer.Batch - 1) / trainer.Batch;
            AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask($"epoch {number}/{total}", maxValue: steps);
                    var clock = Stopwatch.StartNew();
                    result = RunEpoch(trainer, train, test, order, number, (done, loss) =>
                    {
                        task.Value = done;
                        task.Description = $"epoch {number}/{total}  loss {loss:F4}  {done * trainer.Batch / clock.Elapsed.TotalSeconds:N0} samples/s";
                    });
                    task.Value = steps;
                });
            return result!;
        }

        private static void WriteSummary(string path, TrainingOptions options, FashionMnist.Source source, int[] sizes, Trainer trainer, double accuracy, List<Epoch> epochs)
        {
            using var stream = File.Create(path);
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteNumber("test_accuracy", accuracy);
            json.WriteNumber("epochs", epochs.Count);
            json.WriteStartArray("epoch_seconds");
            foreach (var e in epochs) json.WriteNumberValue(e.Seconds);
            json.WriteEndArray();
            json.WriteStartArray("train_loss");
            foreach (var e in epochs) json.WriteNumberValue(e.TrainLoss);
            json.WriteEndArray();
            json.WriteStartArray("test_accuracy_per_epoch");
            foreach (var e in epochs) json.WriteNumberValue(e.TestAccuracy);
            json.WriteEndArray();
            json.WriteNumber("batch", options.Batch);
            json.WriteNumber("threads", trainer.Threads);
            json.WriteString("optimizer", options.Optimizer);
            json.WriteNumber("learning_rate", options.LearningRate);
            json.WriteString("architecture", ModelFile.Architecture(sizes));
            json.WriteNumber("seed", options.Seed);
            json.WriteString("data", source.Name);
            json.WriteNumber("train_examples", source.Train.Count);
            json.WriteNumber("test_examples", source.Test.Count);
            json.WriteEndObject();
        }
    }
}
