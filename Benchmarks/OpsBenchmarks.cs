// To run: dotnet run -c Release --project Benchmarks -- --filter '*OpsBenchmarks*'
// With Program's default job the 28 benchmarks take about 9 minutes on the 2-core VM.
using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// <see cref="Ops.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> and its Backward against the plain loops of
    /// <see cref="ScalarOps"/> (the baseline of each category, so Ratio reads Ops ÷ scalar), for vectors of
    /// <see cref="N"/> floats. Inputs and adjoints are allocated in <see cref="Setup"/>, which also checks that both
    /// versions agree before anything is timed.
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
    [CategoriesColumn]
    public class DotOpsBenchmarks
    {
        /// <summary>The vector length.</summary>
        [Params(100, 10_000, 1_000_000)]
        public int N { get; set; }

        private float[] _a = Array.Empty<float>();
        private float[] _b = Array.Empty<float>();
        private float[] _dA = Array.Empty<float>();
        private float[] _dB = Array.Empty<float>();

        /// <summary>Draws the inputs, allocates the adjoints and checks Ops against the scalar loops.</summary>
        [GlobalSetup]
        public void Setup()
        {
            var rng = new Random(OpsBenchmarkInputs.Seed);
            _a = OpsBenchmarkInputs.Uniform(rng, N, 1);
            _b = OpsBenchmarkInputs.Uniform(rng, N, 1);
            _dA = new float[N];
            _dB = new float[N];
            OpsBenchmarkInputs.AgreeScalar("Dot", ScalarOps.Dot(_a, _b), Ops.Dot(_a, _b), N);
            var dA = new float[N];
            var dB = new float[N];
            ScalarOps.DotBackward(_a, _b, 0.5f, dA, dB);
            Ops.DotBackward(_a, _b, 0.5f, _dA, _dB);
            OpsBenchmarkInputs.Agree("DotBackward dA", dA, _dA);
            OpsBenchmarkInputs.Agree("DotBackward dB", dB, _dB);
        }

        [Benchmark(Baseline = true), BenchmarkCategory("Forward")]
        public float Dot_Scalar() => ScalarOps.Dot(_a, _b);

        [Benchmark, BenchmarkCategory("Forward")]
        public float Dot_Ops() => Ops.Dot(_a, _b);

        [Benchmark(Baseline = true), BenchmarkCategory("Backward")]
        public void DotBackward_Scalar() => ScalarOps.DotBackward(_a, _b, 1e-3f, _dA, _dB);

        [Benchmark, BenchmarkCategory("Backward")]
        public void DotBackward_Ops() => Ops.DotBackward(_a, _b, 1e-3f, _dA, _dB);
    }

    /// <summary>
    /// Row-wise <see cref="Ops.Softmax(ReadOnlySpan{float}, Span{float}, int)"/> and its Backward (which also recomputes
    /// the primal, as the convention requires) against <see cref="ScalarOps"/>, for a batch of logits.
    /// The Backward's output seed is consumed by the first call; later calls do the same work on a zero seed.
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
    [CategoriesColumn]
    public class SoftmaxOpsBenchmarks
    {
        /// <summary>Rows × classes.</summary>
        [ParamsSource(nameof(Shapes))]
        public OpsShape Shape { get; set; }

        /// <summary>A small batch over few classes, and a larger one over many.</summary>
        public static IEnumerable<OpsShape> Shapes => new[] { new OpsShape(64, 10), new OpsShape(128, 1000) };

        private float[] _x = Array.Empty<float>();
        private float[] _y = Array.Empty<float>();
        private float[] _dX = Array.Empty<float>();
        private float[] _dY = Array.Empty<float>();

        /// <summary>Draws the logits, allocates the outputs and adjoints and checks Ops against the scalar loops.</summary>
        [GlobalSetup]
        public void Setup()
        {
            var rng = new Random(OpsBenchmarkInputs.Seed);
            int n = Shape.Rows * Shape.Cols;
            _x = OpsBenchmarkInputs.Uniform(rng, n, 4);
            _y = new float[n];
            _dX = new float[n];
            _dY = OpsBenchmarkInputs.Uniform(rng, n, 1);
            var y = new float[n];
            ScalarOps.Softmax(_x, y, Shape.Cols);
            Ops.Softmax(_x, _y, Shape.Cols);
            OpsBenchmarkInputs.Agree("Softmax", y, _y);
            var dX = new float[n];
            float[] dY = (float[])_dY.Clone();
            ScalarOps.SoftmaxBackward(_x, y, Shape.Cols, dX, dY);
            Ops.SoftmaxBackward(_x, _y, Shape.Cols, _dX, _dY);
            OpsBenchmarkInputs.Agree("SoftmaxBackward dX", dX, _dX);
        }

        [Benchmark(Baseline = true), BenchmarkCategory("Forward")]
        public void Softmax_Scalar() => ScalarOps.Softmax(_x, _y, Shape.Cols);

        [Benchmark, BenchmarkCategory("Forward")]
        public void Softmax_Ops() => Ops.Softmax(_x, _y, Shape.Cols);

        [Benchmark(Baseline = true), BenchmarkCategory("Backward")]
        public void SoftmaxBackward_Scalar() => ScalarOps.SoftmaxBackward(_x, _y, Shape.Cols, _dX, _dY);

        [Benchmark, BenchmarkCategory("Backward")]
        public void SoftmaxBackward_Ops() => Ops.SoftmaxBackward(_x, _y, Shape.Cols, _dX, _dY);
    }

    /// <summary>
    /// <see cref="Ops.SoftmaxCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/> and its Backward against
    /// <see cref="ScalarOps"/>, for a batch of logits with random labels.
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
    [CategoriesColumn]
    public class CrossEntropyOpsBenchmarks
    {
        /// <summary>Rows × classes.</summary>
        [ParamsSource(nameof(Shapes))]
        public OpsShape Shape { get; set; }

        /// <summary>An MNIST-sized batch over 10 classes, and a larger one over 1000.</summary>
        public static IEnumerable<OpsShape> Shapes => new[] { new OpsShape(64, 10), new OpsShape(256, 1000) };

        private float[] _logits = Array.Empty<float>();
        private int[] _labels = Array.Empty<int>();
        private float[] _dLogits = Array.Empty<float>();
        private float[] _scratch = Array.Empty<float>();

        /// <summary>Draws logits and labels, allocates the adjoint and checks Ops against the scalar loops.</summary>
        [GlobalSetup]
        public void Setup()
        {
            var rng = new Random(OpsBenchmarkInputs.Seed);
            int n = Shape.Rows * Shape.Cols;
            _logits = OpsBenchmarkInputs.Uniform(rng, n, 4);
            _labels = new int[Shape.Rows];
            for (int r = 0; r < _labels.Length; r++) _labels[r] = rng.Next(Shape.Cols);
            _dLogits = new float[n];
            _scratch = new float[Shape.Cols];
            OpsBenchmarkInputs.AgreeScalar("SoftmaxCrossEntropy",
                ScalarOps.SoftmaxCrossEntropy(_logits, _labels, Shape.Cols),
                Ops.SoftmaxCrossEntropy(_logits, _labels, Shape.Cols), 1);
            var dLogits = new float[n];
            ScalarOps.SoftmaxCrossEntropyBackward(_logits, _labels, Shape.Cols, 1f, dLogits, _scratch);
            Ops.SoftmaxCrossEntropyBackward(_logits, _labels, Shape.Cols, 1f, _dLogits);
            OpsBenchmarkInputs.Agree("SoftmaxCrossEntropyBackward dLogits", dLogits, _dLogits);
        }

        [Benchmark(Baseline = true), BenchmarkCategory("Forward")]
        public float CrossEntropy_Scalar() => ScalarOps.SoftmaxCrossEntropy(_logits, _labels, Shape.Cols);

        [Benchmark, BenchmarkCategory("Forward")]
        public float CrossEntropy_Ops() => Ops.SoftmaxCrossEntropy(_logits, _labels, Shape.Cols);

        [Benchmark(Baseline = true), BenchmarkCategory("Backward")]
        public void CrossEntropyBackward_Scalar() =>
            ScalarOps.SoftmaxCrossEntropyBackward(_logits, _labels, Shape.Cols, 1e-3f, _dLogits, _scratch);

        [Benchmark, BenchmarkCategory("Backward")]
        public void CrossEntropyBackward_Ops() => Ops.SoftmaxCrossEntropyBackward(_logits, _labels, Shape.Cols, 1e-3f, _dLogits);
    }

    /// <summary>A batch shape, shown as <c>rows×cols</c> in the results.</summary>
    public readonly record struct OpsShape(int Rows, int Cols)
    {
        /// <inheritdoc />
        public override string ToString() => $"{Rows}x{Cols}";
    }

    /// <summary>Inputs for the Ops benchmarks and the agreement checks run before timing.</summary>
    internal static class OpsBenchmarkInputs
    {
        public const int Seed = 20260101;

        public static float[] Uniform(Random rng, int n, float scale)
        {
            var values = new float[n];
            for (int i = 0; i < n; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
            return values;
        }

        /// <summary>Throws unless two results agree to float accuracy relative to <paramref name="scale"/>.</summary>
        public static void AgreeScalar(string what, float expected, float actual, float scale)
        {
            if (Math.Abs(expected - actual) > 1e-4f * Math.Max(scale, Math.Abs(expected)))
                throw new InvalidOperationException($"{what}: scalar loop {expected} but Ops {actual}.");
        }

        public static void Agree(string what, float[] expected, float[] actual)
        {
            for (int i = 0; i < expected.Length; i++) AgreeScalar($"{what}[{i}]", expected[i], actual[i], 1);
        }
    }

    /// <summary>
    /// The baselines: the ops written plainly, one scalar loop per pass, as a careful person would without SIMD
    /// (stable max-shifted exponentials, each exponential computed once).
    /// </summary>
    public static class ScalarOps
    {
        public static float Dot(float[] a, float[] b)
        {
            float s = 0;
            for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
            return s;
        }

        public static void DotBackward(float[] a, float[] b, float dResult, float[] dA, float[] dB)
        {
            for (int i = 0; i < a.Length; i++)
            {
                dA[i] += dResult * b[i];
                dB[i] += dResult * a[i];
            }
        }

        public static void Softmax(float[] x, float[] y, int cols)
        {
            for (int start = 0; start < x.Length; start += cols)
            {
                float max = float.NegativeInfinity;
                for (int j = start; j < start + cols; j++) max = Math.Max(max, x[j]);
                float sum = 0;
                for (int j = start; j < start + cols; j++)
                {
                    y[j] = MathF.Exp(x[j] - max);
                    sum += y[j];
                }
                float inverse = 1 / sum;
                for (int j = start; j < start + cols; j++) y[j] *= inverse;
            }
        }

        /// <summary>Recomputes y = softmax(x), then dx += y ⊙ (dy − ⟨dy, y⟩) and dy = 0, row by row.</summary>
        public static void SoftmaxBackward(float[] x, float[] y, int cols, float[] dX, float[] dY)
        {
            Softmax(x, y, cols);
            for (int start = 0; start < x.Length; start += cols)
            {
                float inner = 0;
                for (int j = start; j < start + cols; j++) inner += dY[j] * y[j];
                for (int j = start; j < start + cols; j++)
                {
                    dX[j] += y[j] * (dY[j] - inner);
                    dY[j] = 0;
                }
            }
        }

        public static float SoftmaxCrossEntropy(float[] logits, int[] labels, int classes)
        {
            float total = 0;
            for (int r = 0; r < labels.Length; r++)
            {
                int start = r * classes;
                float max = float.NegativeInfinity;
                for (int j = start; j < start + classes; j++) max = Math.Max(max, logits[j]);
                float sum = 0;
                for (int j = start; j < start + classes; j++) sum += MathF.Exp(logits[j] - max);
                total += max - logits[start + labels[r]] + MathF.Log(sum);
            }
            return total / labels.Length;
        }

        /// <summary>dz_r += (dr / rows)(softmax(z_r) − onehot); the row's exponentials are kept in <paramref name="scratch"/>.</summary>
        public static void SoftmaxCrossEntropyBackward(float[] logits, int[] labels, int classes, float dResult, float[] dLogits, float[] scratch)
        {
            float scale = dResult / labels.Length;
            for (int r = 0; r < labels.Length; r++)
            {
                int start = r * classes;
                float max = float.NegativeInfinity;
                for (int j = 0; j < classes; j++) max = Math.Max(max, logits[start + j]);
                float sum = 0;
                for (int j = 0; j < classes; j++)
                {
                    scratch[j] = MathF.Exp(logits[start + j] - max);
                    sum += scratch[j];
                }
                float factor = scale / sum;
                for (int j = 0; j < classes; j++) dLogits[start + j] += factor * scratch[j];
                dLogits[start + labels[r]] -= scale;
            }
        }
    }
}
