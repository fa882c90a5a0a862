// To run: dotnet run -c Release --project Benchmarks -- --filter '*GradBench*'
using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Differentiable.GradBench;
using Differentiable.GradBench.Tape;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// GradBench's evals (Benchmarks/GradBench) at the eval's sizes, one thread: the primal (baseline, so Ratio reads
    /// "gradient cost in primal evaluations"), the generated gradient, for gmm and lstm a hand-written reverse-mode
    /// gradient (<see cref="GmmHand"/>, <see cref="LstmHand"/>), and the C# tape's gradient
    /// (<see cref="TapeWorkloads"/>). Inputs are drawn as the evals draw them (normal and uniform numbers, a fixed
    /// seed); tests in GradBench.Tests check that the tape, the hand-written and the generated gradients agree.
    /// <c>--recorded</c> prints what the generated gradients record per call (<see cref="RecordedBytes"/>).
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
    public class GmmGradBenchBenchmarks
    {
        [Params(2, 10, 20)]
        public int D { get; set; }

        [Params(5, 25)]
        public int K { get; set; }

        public const int N = 1000;

        private Gmm.Input _input = new();
        private double[] _alpha = [], _mu = [], _q = [], _l = [];

        [GlobalSetup]
        public void Setup()
        {
            _input = SampleInputs.Gmm(D, K, N, seed: 31337);
            _alpha = new double[K];
            _mu = new double[D * K];
            _q = new double[D * K];
            _l = new double[D * (D - 1) / 2 * K];
        }

        [Benchmark(Baseline = true)]
        public double Primal() => _input.Objective();

        [Benchmark]
        public double Generated() => _input.Gradient(_alpha, _mu, _q, _l);

        [Benchmark]
        public double HandWritten() => GmmHand.ObjectiveGradient(_input.Alpha, _input.Mu, _input.Q, _input.L, _input.X, D, K, N,
            _input.Gamma, _input.M, _alpha, _mu, _q, _l);

        [Benchmark]
        public double Tape() => TapeWorkloads.Gmm(_input.Alpha, _input.Mu, _input.Q, _input.L, _input.X, D, K, N,
            _input.Gamma, _input.M, _alpha, _mu, _q, _l);
    }

    /// <summary>GradBench's lstm: b = 7 (the bits of an ASCII character, as the eval's text gives), random 0/1 characters.</summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
    public class LstmGradBenchBenchmarks
    {
        [Params(2, 4)]
        public int Layers { get; set; }

        [Params(1024, 4096)]
        public int Length { get; set; }

        public const int B = 7;

        private Lstm.Input _input = new();
        private double[] _gradient = [];

        [GlobalSetup]
        public void Setup()
        {
            _input = SampleInputs.Lstm(Layers, Length, B, seed: 31337);
            _gradient = new double[_input.MainParams.Length + _input.ExtraParams.Length];
        }

        [Benchmark(Baseline = true)]
        public double Primal() => _input.Objective();

        [Benchmark]
        public double Generated()
        {
            _input.Jacobian(_gradient);
            return _gradient[0];
        }

        [Benchmark]
        public double HandWritten()
        {
            int main = _input.MainParams.Length;
            return LstmHand.ObjectiveGradient(_input.MainParams, _input.ExtraParams, _input.State, _input.Sequence, Layers, Length, B,
                _gradient.AsSpan(0, main), _gradient.AsSpan(main));
        }

        [Benchmark]
        public double Tape()
        {
            int main = _input.MainParams.Length;
            return TapeWorkloads.Lstm(_input.MainParams, _input.ExtraParams, _input.State, _input.Sequence, Layers, Length, B,
                _gradient.AsSpan(0, main), _gradient.AsSpan(main));
        }
    }

    /// <summary>GradBench's lse at n = 100,000 and llsq at n = 4,096 (m = 128), inputs uniform in [0, 1) as the evals draw them.</summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
    [CategoriesColumn]
    public class LseLlsqGradBenchBenchmarks
    {
        private double[] _x = [], _dX = [];
        private double[] _c = [], _dC = [];
        private const int LlsqN = 4096;

        [GlobalSetup]
        public void Setup()
        {
            _x = SampleInputs.Uniform(100_000, 31337);
            _dX = new double[_x.Length];
            _c = SampleInputs.Uniform(128, 31338);
            _dC = new double[_c.Length];
        }

        [Benchmark(Baseline = true), BenchmarkCategory("lse")]
        public double Lse_Primal() => Lse.LogSumExp(_x);

        [Benchmark, BenchmarkCategory("lse")]
        public double Lse_Generated() => Lse.LogSumExpGradient(_x, _dX);

        [Benchmark, BenchmarkCategory("lse")]
        public double Lse_Tape() => TapeWorkloads.LogSumExp(_x, _dX);

        [Benchmark(Baseline = true), BenchmarkCategory("llsq")]
        public double Llsq_Primal() => Llsq.Objective(_c, LlsqN);

        [Benchmark, BenchmarkCategory("llsq")]
        public double Llsq_Generated() => Llsq.ObjectiveGradient(_c, LlsqN, _dC);

        [Benchmark, BenchmarkCategory("llsq")]
        public double Llsq_Tape() => TapeWorkloads.Llsq(_c, LlsqN, _dC);
    }
}
