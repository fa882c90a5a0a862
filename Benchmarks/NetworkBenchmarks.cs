// To run: dotnet run -c Release --project Benchmarks -- --filter '*NetworkBenchmarks*'
using System;
using BenchmarkDotNet.Attributes;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// A two-layer network written with <see cref="Ops"/> in a <c>[Differentiable]</c> method: logits =
    /// relu(x·W1ᵀ + b1)·W2ᵀ + b2, mean softmax cross-entropy. The generated Gradient against the same chain of
    /// Ops written by hand (forward into preallocated buffers, then each adjoint in reverse order, the input
    /// batch's product skipped), and against the forward pass alone. Fashion-MNIST shapes: 784 inputs, 10 classes.
    /// </summary>
    [MemoryDiagnoser]
    public class NetworkBenchmarks
    {
        /// <summary>Rows per batch.</summary>
        [Params(64)]
        public int Batch { get; set; }

        /// <summary>Hidden units.</summary>
        [Params(128)]
        public int Hidden { get; set; }

        private const int Inputs = 784, Classes = 10;
        private float[] _w1 = Array.Empty<float>(), _b1 = Array.Empty<float>(), _w2 = Array.Empty<float>(), _b2 = Array.Empty<float>();
        private float[] _x = Array.Empty<float>();
        private int[] _labels = Array.Empty<int>();
        private float[] _dW1 = Array.Empty<float>(), _dB1 = Array.Empty<float>(), _dW2 = Array.Empty<float>(), _dB2 = Array.Empty<float>();
        private float[] _h = Array.Empty<float>(), _a = Array.Empty<float>(), _logits = Array.Empty<float>();
        private float[] _dH = Array.Empty<float>(), _dA = Array.Empty<float>(), _dLogits = Array.Empty<float>();

        /// <summary>Draws the weights and a batch, and checks that both gradients agree.</summary>
        [GlobalSetup]
        public void Setup()
        {
            var random = new Random(20261123);
            float[] Uniform(int n, double scale)
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) v[i] = (float)(scale * (2 * random.NextDouble() - 1));
                return v;
            }
            _w1 = Uniform(Hidden * Inputs, 0.05); _b1 = Uniform(Hidden, 0.1);
            _w2 = Uniform(Classes * Hidden, 0.1); _b2 = Uniform(Classes, 0.1);
            _x = Uniform(Batch * Inputs, 1);
            _labels = new int[Batch];
            for (int r = 0; r < Batch; r++) _labels[r] = random.Next(Classes);
            _dW1 = new float[_w1.Length]; _dB1 = new float[_b1.Length]; _dW2 = new float[_w2.Length]; _dB2 = new float[_b2.Length];
            _h = new float[Batch * Hidden]; _a = new float[Batch * Hidden]; _logits = new float[Batch * Classes];
            _dH = new float[_h.Length]; _dA = new float[_a.Length]; _dLogits = new float[_logits.Length];

            float generated = Generated();
            float[] gW1 = (float[])_dW1.Clone(), gB1 = (float[])_dB1.Clone(), gW2 = (float[])_dW2.Clone(), gB2 = (float[])_dB2.Clone();
            float hand = HandWritten();
            if (Math.Abs(generated - hand) > 1e-5f * Math.Abs(hand)) throw new InvalidOperationException($"loss: generated {generated}, hand-written {hand}");
            foreach (var (g, h, name) in new[] { (gW1, _dW1, "dW1"), (gB1, _dB1, "dB1"), (gW2, _dW2, "dW2"), (gB2, _dB2, "dB2") })
            {
                for (int i = 0; i < g.Length; i++)
                {
                    if (Math.Abs(g[i] - h[i]) > 1e-4f * Math.Max(1e-3f, Math.Abs(h[i])))
                        throw new InvalidOperationException($"{name}[{i}]: generated {g[i]}, hand-written {h[i]}");
                }
            }
        }

        /// <summary>The forward pass alone (the loss), through the [Differentiable] method itself.</summary>
        [Benchmark]
        public float Forward() => NetworkFunctions.Loss(_w1, _b1, _w2, _b2, _x, _labels, Batch, Inputs, Hidden, Classes);

        /// <summary>The generated Gradient.</summary>
        [Benchmark]
        public float Generated() =>
            NetworkFunctions.LossGradient(_w1, _b1, _w2, _b2, _x, _labels, Batch, Inputs, Hidden, Classes, _dW1, _dB1, _dW2, _dB2);

        /// <summary>The same Ops chained by hand: the baseline.</summary>
        [Benchmark(Baseline = true)]
        public float HandWritten()
        {
            int batch = Batch, hidden = Hidden;
            Ops.MatMulTransposeB(_x, _w1, _h, batch, Inputs, hidden);
            Ops.AddRowBias(_h, _b1);
            Ops.Relu(_h, _a);
            Ops.MatMulTransposeB(_a, _w2, _logits, batch, hidden, Classes);
            Ops.AddRowBias(_logits, _b2);
            float loss = Ops.SoftmaxCrossEntropy(_logits, _labels, Classes);

            // The adjoint: only the products it needs (no primal again, no product for the input batch); the
            // products overwrite their outputs, so only what is accumulated into is cleared.
            Array.Clear(_dLogits); Array.Clear(_dB1); Array.Clear(_dB2);
            Ops.SoftmaxCrossEntropyBackward(_logits, _labels, Classes, 1f, _dLogits);
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < Classes; j++) _dB2[j] += _dLogits[r * Classes + j];
            Ops.MatMul(_dLogits, _w2, _dA, batch, Classes, hidden);                 // dA = dLogits · W2
            Ops.MatMulTransposeA(_dLogits, _a, _dW2, Classes, batch, hidden);       // dW2 = dLogitsᵀ · A
            for (int i = 0; i < _dH.Length; i++) _dH[i] = _h[i] > 0 ? _dA[i] : 0;  // relu'
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < hidden; j++) _dB1[j] += _dH[r * hidden + j];
            Ops.MatMulTransposeA(_dH, _x, _dW1, hidden, batch, Inputs);             // dW1 = dHᵀ · X
            return loss;
        }
    }

    /// <summary>The network the generator differentiates for <see cref="NetworkBenchmarks"/>.</summary>
    public static partial class NetworkFunctions
    {
        /// <summary>Mean softmax cross-entropy of relu(x·W1ᵀ + b1)·W2ᵀ + b2.</summary>
        [Differentiable]
        public static float Loss(ReadOnlySpan<float> w1, ReadOnlySpan<float> b1, ReadOnlySpan<float> w2, ReadOnlySpan<float> b2,
            [NoDiff] ReadOnlySpan<float> x, [NoDiff] ReadOnlySpan<int> labels, int batch, int inputs, int hidden, int classes)
        {
            Span<float> h = stackalloc float[batch * hidden];
            Ops.MatMulTransposeB(x, w1, h, batch, inputs, hidden);
            Ops.AddRowBias(h, b1);
            Span<float> a = stackalloc float[batch * hidden];
            Ops.Relu(h, a);
            Span<float> logits = stackalloc float[batch * classes];
            Ops.MatMulTransposeB(a, w2, logits, batch, hidden, classes);
            Ops.AddRowBias(logits, b2);
            return Ops.SoftmaxCrossEntropy(logits, labels, classes);
        }
    }
}
