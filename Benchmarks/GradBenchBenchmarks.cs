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

    /// <summary>
    /// GradBench's ba at ba1's size (49 cameras, 7,776 points, 31,843 observations; inputs uniform, the camera 5 units
    /// in front of the points): the objective (baseline), the jacobian as the GradBench tool computes it (the generated
    /// <c>ReprojectionJacobian</c>: one forward and two reverse sweeps per observation), and the same jacobian from two
    /// <c>ReprojectionBackward</c> calls per observation (what the tool did before there was a Jacobian member).
    /// </summary>
    [MemoryDiagnoser]
    public class BaGradBenchBenchmarks
    {
        private BundleAdjustment.Input _input = new();
        private double[] _reprojection = [], _weightErrors = [], _vals = [];
        private int[] _rows = [], _cols = [];

        [GlobalSetup]
        public void Setup()
        {
            const int n = 49, m = 7776, p = 31843;
            var input = new BundleAdjustment.Input { N = n, M = m, P = p };
            input.Cams = SampleInputs.Uniform(BundleAdjustment.CameraParameters * n, 31337);
            for (int c = 0; c < n; c++) input.Cams[BundleAdjustment.CameraParameters * c + 5] = -5;
            input.Points = SampleInputs.Uniform(3 * m, 31338);
            input.Weights = SampleInputs.Uniform(p, 31339);
            input.Features = SampleInputs.Uniform(2 * p, 31340);
            input.Observations = new int[2 * p];
            for (int i = 0; i < p; i++)
            {
                input.Observations[2 * i] = i % n;
                input.Observations[2 * i + 1] = i % m;
            }
            _input = input;
            _reprojection = new double[2 * p];
            _weightErrors = new double[p];
            _rows = new int[3 * p + 1];
            _cols = new int[31 * p];
            _vals = new double[31 * p];
        }

        [Benchmark(Baseline = true)]
        public double Objective()
        {
            _input.Objective(_reprojection, _weightErrors);
            return _reprojection[0];
        }

        [Benchmark]
        public double Jacobian()
        {
            _input.Jacobian(_rows, _cols, _vals);
            return _vals[0];
        }

        [Benchmark]
        public double TwoBackwards()
        {
            var input = _input;
            Span<double> err = stackalloc double[2], dErr = stackalloc double[2];
            Span<double> dCam = stackalloc double[BundleAdjustment.CameraParameters], dPoint = stackalloc double[3];
            int pointOffset = BundleAdjustment.CameraParameters * input.N, weightOffset = pointOffset + 3 * input.M;
            int entry = 0;
            _rows[0] = 0;
            for (int i = 0; i < input.P; i++)
            {
                int camera = input.Observations[2 * i], point = input.Observations[2 * i + 1];
                var cam = input.Cams.AsSpan(camera * BundleAdjustment.CameraParameters, BundleAdjustment.CameraParameters);
                var x = input.Points.AsSpan(point * 3, 3);
                for (int output = 0; output < 2; output++)
                {
                    dCam.Clear();
                    dPoint.Clear();
                    dErr.Clear();
                    dErr[output] = 1;
                    double dW = 0;
                    BundleAdjustment.ReprojectionBackward(cam, x, input.Weights[i], input.Features.AsSpan(2 * i, 2), err, dCam, dPoint, ref dW, dErr);
                    for (int c = 0; c < BundleAdjustment.CameraParameters; c++)
                    {
                        _cols[entry] = BundleAdjustment.CameraParameters * camera + c;
                        _vals[entry++] = dCam[c];
                    }
                    for (int c = 0; c < 3; c++)
                    {
                        _cols[entry] = pointOffset + 3 * point + c;
                        _vals[entry++] = dPoint[c];
                    }
                    _cols[entry] = weightOffset + i;
                    _vals[entry++] = dW;
                    _rows[2 * i + output + 1] = entry;
                }
            }
            for (int i = 0; i < input.P; i++)
            {
                BundleAdjustment.WeightErrorGradient(input.Weights[i], out double dW);
                _cols[entry] = weightOffset + i;
                _vals[entry++] = dW;
                _rows[2 * input.P + i + 1] = entry;
            }
            return _vals[0];
        }
    }
}
