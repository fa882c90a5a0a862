using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;

namespace Differentiable.Benchmarks.Chart
{
    /// <summary>
    /// One grouped bar chart: gradient ÷ primal per workload (x) and tool (bars), on a logarithmic axis, from a CSV
    /// of <c>workload,tool,ratio</c> lines (a header line first). Each ratio was formed within one harness.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            string root = FindRepositoryRoot();
            string csv = args.Length > 0 ? args[0] : Path.Combine(root, "docs", "gradbench-gradient-over-primal.csv");
            string png = args.Length > 1 ? args[1] : Path.ChangeExtension(csv, ".png");

            var rows = File.ReadAllLines(csv).Skip(1).Where(l => l.Trim().Length > 0)
                .Select(l => l.Split(','))
                .Select(f => (Workload: f[0].Trim(), Tool: f[1].Trim(), Ratio: double.Parse(f[2], CultureInfo.InvariantCulture)))
                .ToList();
            var workloads = rows.Select(r => r.Workload).Distinct().ToList();
            var tools = rows.Select(r => r.Tool).Distinct().ToList();

            var plot = new Plot();
            var bars = new List<Bar>();
            int slot = tools.Count + 1;
            for (int w = 0; w < workloads.Count; w++)
            {
                for (int t = 0; t < tools.Count; t++)
                {
                    var match = rows.Where(r => r.Workload == workloads[w] && r.Tool == tools[t]).ToList();
                    if (match.Count == 0) continue;
                    bars.Add(new Bar
                    {
                        Position = w * slot + t,
                        Value = Math.Log10(match[0].Ratio),
                        FillColor = plot.Add.Palette.GetColor(t),
                    });
                }
            }
            plot.Add.Bars(bars);

            for (int t = 0; t < tools.Count; t++)
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = tools[t], FillColor = plot.Add.Palette.GetColor(t) });
            plot.Legend.Alignment = Alignment.UpperLeft;
            plot.ShowLegend();

            double[] groupCentres = workloads.Select((_, w) => w * slot + (tools.Count - 1) / 2.0).ToArray();
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(groupCentres, workloads.ToArray());
            double low = Math.Min(0.5, rows.Min(r => r.Ratio) * 0.7), high = Math.Max(10, rows.Max(r => r.Ratio) * 1.5);
            double[] ticks = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
            ticks = ticks.Where(v => v >= low && v <= high).ToArray();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                ticks.Select(Math.Log10).ToArray(), ticks.Select(v => v.ToString(CultureInfo.InvariantCulture) + "×").ToArray());
            plot.Axes.SetLimitsY(Math.Log10(low), Math.Log10(high));
            plot.Axes.SetLimitsX(-1, workloads.Count * slot - 1);
            plot.Title("Gradient ÷ primal (lower is better), one thread; bars start at 1×");
            plot.YLabel("gradient time ÷ primal time (log scale)");
            plot.SavePng(png, 1400, 650);
            Console.WriteLine($"wrote {png}");
            return 0;
        }

        private static string FindRepositoryRoot()
        {
            string? d = AppContext.BaseDirectory;
            while (d is not null && !File.Exists(Path.Combine(d, "Differentiable.sln"))) d = Path.GetDirectoryName(d);
            return d ?? Directory.GetCurrentDirectory();
        }
    }
}
