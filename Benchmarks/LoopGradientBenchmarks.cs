// To run: dotnet run -c Release --project Benchmarks -- --filter '*Loop*'
// With Program's default job the 36 benchmarks take about 11 minutes on the 2-core VM (about 17 s each, plus the build).
using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Differentiable.GradBench.Tape;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// For each loop kernel of <see cref="LoopFunctions"/> and each size <see cref="N"/> (vector length; the step count
    /// for <see cref="LoopFunctions.Recurrence"/>): the primal alone (the baseline of its category, so the Ratio column
    /// reads "cost of value and gradient in primal evaluations"), the generated <c>{Name}Gradient</c> and the
    /// hand-written gradient of <see cref="LoopHandGradients"/> and the C# tape's (<see cref="TapeWorkloads"/>). Generated ÷ hand-written is the ratio of the two rows.
    /// <para>
    /// Inputs come from <see cref="LoopInputs"/> with a fixed seed and are allocated in <see cref="Setup"/>, with the
    /// adjoint spans: the timed methods allocate nothing themselves. Each returns the value plus the scalar adjoints
    /// (span adjoints are stores to arrays the JIT cannot drop). One call per invocation: at N = 100 a call takes
    /// 0.1–1 µs, far above BenchmarkDotNet's per-invocation overhead, and a call on spans is never hoisted.
    /// </para>
    /// <para>
    /// <see cref="LoopConsistency"/> runs before any timing (Program) and stops the run if the generated and hand-written
    /// gradients differ, so no row measures a wrong gradient.
    /// </para>
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
    [CategoriesColumn]
    public class LoopGradientBenchmarks
    {
        /// <summary>The vector length (for Recurrence: the number of steps).</summary>
        [Params(100, 10_000, 1_000_000)]
        public int N { get; set; }

        private double[] _dotW = Array.Empty<double>();
        private double[] _dotX = Array.Empty<double>();
        private double _dotTarget;
        private double[] _dotDW = Array.Empty<double>();

        private double[] _lseX = Array.Empty<double>();
        private double[] _lseDX = Array.Empty<double>();

        private double[] _hornerC = Array.Empty<double>();
        private double _hornerX;
        private double[] _hornerDC = Array.Empty<double>();

        private double _recX0;
        private double _recA;

        /// <summary>Draws the inputs for this <see cref="N"/> and allocates the adjoint spans.</summary>
        [GlobalSetup]
        public void Setup()
        {
            int seed = LoopInputs.BenchmarkSeed;
            LoopInputs.DotLoss(N, seed, out _dotW, out _dotX, out _dotTarget);
            _dotDW = new double[N];
            _lseX = LoopInputs.LogSumExp(N, seed);
            _lseDX = new double[N];
            LoopInputs.Horner(N, seed, out _hornerC, out _hornerX);
            _hornerDC = new double[N];
            LoopInputs.Recurrence(seed, out _recX0, out _recA);
        }

        // ---- DotLoss: the reverse loop stores nothing ----

        [Benchmark(Baseline = true), BenchmarkCategory("DotLoss")]
        public double DotLoss_Primal() => LoopFunctions.DotLoss(_dotW, _dotX, _dotTarget);

        [Benchmark, BenchmarkCategory("DotLoss")]
        public double DotLoss_Generated() => LoopFunctions.DotLossGradient(_dotW, _dotX, _dotTarget, _dotDW);

        [Benchmark, BenchmarkCategory("DotLoss")]
        public double DotLoss_HandWritten() => LoopHandGradients.DotLoss(_dotW, _dotX, _dotTarget, _dotDW);

        [Benchmark, BenchmarkCategory("DotLoss")]
        public double DotLoss_Tape() => TapeWorkloads.DotLoss(_dotW, _dotX, _dotTarget, _dotDW);

        // ---- LogSumExp: a constant (stopped) max loop, then a sum of exponentials ----

        [Benchmark(Baseline = true), BenchmarkCategory("LogSumExp")]
        public double LogSumExp_Primal() => LoopFunctions.LogSumExp(_lseX);

        [Benchmark, BenchmarkCategory("LogSumExp")]
        public double LogSumExp_Generated() => LoopFunctions.LogSumExpGradient(_lseX, _lseDX);

        [Benchmark, BenchmarkCategory("LogSumExp")]
        public double LogSumExp_HandWritten() => LoopHandGradients.LogSumExp(_lseX, _lseDX);

        [Benchmark, BenchmarkCategory("LogSumExp")]
        public double LogSumExp_Tape() => TapeWorkloads.LogSumExp(_lseX, _lseDX);

        // ---- Horner: an overwritten accumulator, one value per iteration for the reverse ----

        [Benchmark(Baseline = true), BenchmarkCategory("Horner")]
        public double Horner_Primal() => LoopFunctions.Horner(_hornerC, _hornerX);

        [Benchmark, BenchmarkCategory("Horner")]
        public double Horner_Generated()
        {
            double v = LoopFunctions.HornerGradient(_hornerC, _hornerX, _hornerDC, out double dX);
            return v + dX;
        }

        [Benchmark, BenchmarkCategory("Horner")]
        public double Horner_HandWritten()
        {
            double v = LoopHandGradients.Horner(_hornerC, _hornerX, _hornerDC, out double dX);
            return v + dX;
        }

        [Benchmark, BenchmarkCategory("Horner")]
        public double Horner_Tape()
        {
            double v = TapeWorkloads.Horner(_hornerC, _hornerX, _hornerDC, out double dX);
            return v + dX;
        }

        // ---- Recurrence: N scalar steps, one overwritten value per step ----

        [Benchmark(Baseline = true), BenchmarkCategory("Recurrence")]
        public double Recurrence_Primal() => LoopFunctions.Recurrence(_recX0, _recA, N);

        [Benchmark, BenchmarkCategory("Recurrence")]
        public double Recurrence_Generated()
        {
            double v = LoopFunctions.RecurrenceGradient(_recX0, _recA, N, out double dX0, out double dA);
            return v + dX0 + dA;
        }

        [Benchmark, BenchmarkCategory("Recurrence")]
        public double Recurrence_HandWritten()
        {
            double v = LoopHandGradients.Recurrence(_recX0, _recA, N, out double dX0, out double dA);
            return v + dX0 + dA;
        }

        [Benchmark, BenchmarkCategory("Recurrence")]
        public double Recurrence_Tape()
        {
            double v = TapeWorkloads.Recurrence(_recX0, _recA, N, out double dX0, out double dA);
            return v + dX0 + dA;
        }
    }
}
