using System;
using System.Collections.Generic;
using System.IO;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// Runs the consistency checks (generated vs hand-written gradients, finite differences, zero allocation), then
    /// BenchmarkDotNet. <c>--check</c> runs the checks only. Without a <c>--job</c> argument the job is one launch,
    /// 5 warm-up and 15 measured iterations: enough on a 2-core machine, a few minutes for the whole suite.
    /// The loop kernels' checks run too. <c>--recorded</c> only prints the bytes the generated gmm and lstm gradients
    /// record per call (<see cref="RecordedBytes"/>).
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (Array.IndexOf(args, "--recorded") >= 0)
            {
                RecordedBytes.Run(Console.Out);
                return 0;
            }
            if (!Consistency.Run(Console.Out)) return 1;
            if (!LoopConsistency.Run(Console.Out)) return 1;

            var rest = new List<string>(args.Length);
            bool checkOnly = false;
            foreach (string a in args)
            {
                if (a == "--check") checkOnly = true;
                else rest.Add(a);
            }
            if (checkOnly) return 0;

            // Results go to Benchmarks/BenchmarkDotNet.Artifacts (next to the project, wherever it is run from).
            string projectDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", ".."));
            IConfig config = DefaultConfig.Instance
                .AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(5).WithIterationCount(15).AsDefault())
                // On a shared 2-core machine the minimum is the statistic least disturbed by other processes.
                .AddColumn(StatisticColumn.Median, StatisticColumn.Min)
                .WithArtifactsPath(Path.Combine(projectDirectory, "BenchmarkDotNet.Artifacts"));
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.ToArray(), config);
            return 0;
        }
    }
}
