using System.Reflection;
using Differentiable.Generator.Tests.Infrastructure;
using static Differentiable.Generator.Tests.Infrastructure.BufferGradients;

namespace Differentiable.Generator.Tests;

/// <summary>
/// A two-layer network written with <see cref="Ops"/> in a <c>[Differentiable]</c> method: the generator only
/// chains the Ops rules. Checked end to end against finite differences (double and float), against the
/// adjoint computed by hand from the same Ops, for Backward's seed and accumulation, and for zero allocation.
/// </summary>
public class OpsNetworkTests
{
    private const string Source = """
        using System;
        using Differentiable;

        public static partial class Network
        {
            // logits = tanh(x·W1ᵀ + b1)·W2 + b2; loss = mean softmax cross-entropy.
            [Differentiable]
            public static double Loss(ReadOnlySpan<double> w1, ReadOnlySpan<double> b1, ReadOnlySpan<double> w2, ReadOnlySpan<double> b2,
                [NoDiff] ReadOnlySpan<double> x, [NoDiff] ReadOnlySpan<int> labels, int batch, int inputs, int hidden, int classes)
            {
                Span<double> h = stackalloc double[batch * hidden];
                Ops.MatMulTransposeB(x, w1, h, batch, inputs, hidden);
                Ops.AddRowBias(h, b1);
                Span<double> a = stackalloc double[batch * hidden];
                Ops.Tanh(h, a);
                Span<double> logits = stackalloc double[batch * classes];
                Ops.MatMul(a, w2, logits, batch, hidden, classes);
                Ops.AddRowBias(logits, b2);
                return Ops.SoftmaxCrossEntropy(logits, labels, classes);
            }

            // The float twin with ReLU, sigmoid-free: relu(x·W1 + b1)·W2ᵀ + b2, plus an L2 penalty through Dot.
            [Differentiable]
            public static float LossF(ReadOnlySpan<float> w1, ReadOnlySpan<float> b1, ReadOnlySpan<float> w2, ReadOnlySpan<float> b2,
                [NoDiff] ReadOnlySpan<float> x, [NoDiff] ReadOnlySpan<int> labels, int batch, int inputs, int hidden, int classes)
            {
                Span<float> h = stackalloc float[batch * hidden];
                Ops.MatMul(x, w1, h, batch, inputs, hidden);
                Ops.AddRowBias(h, b1);
                Span<float> a = stackalloc float[batch * hidden];
                Ops.Relu(h, a);
                Span<float> logits = stackalloc float[batch * classes];
                Ops.MatMulTransposeB(a, w2, logits, batch, hidden, classes);
                Ops.AddRowBias(logits, b2);
                return Ops.SoftmaxCrossEntropy(logits, labels, classes) + 0.01f * Ops.Dot(w2, w2);
            }
        }

        public static partial class Layers
        {
            // A layer writing its output parameter twice (a product, then the bias), composed by a loss.
            [Differentiable]
            public static void Dense(ReadOnlySpan<double> w, ReadOnlySpan<double> b, ReadOnlySpan<double> x, Span<double> y, int batch, int inputs, int outputs)
            {
                Ops.MatMulTransposeB(x, w, y, batch, inputs, outputs);
                Ops.AddRowBias(y, b);
            }

            [Differentiable]
            public static double Loss(ReadOnlySpan<double> w1, ReadOnlySpan<double> b1, ReadOnlySpan<double> w2, ReadOnlySpan<double> b2,
                [NoDiff] ReadOnlySpan<double> x, [NoDiff] ReadOnlySpan<double> target, int batch, int inputs, int hidden, int outputs)
            {
                Span<double> h = stackalloc double[batch * hidden];
                Dense(w1, b1, x, h, batch, inputs, hidden);
                Span<double> a = stackalloc double[batch * hidden];
                Ops.Sigmoid(h, a);
                Span<double> y = stackalloc double[batch * outputs];
                Dense(w2, b2, a, y, batch, hidden, outputs);
                return Ops.MeanSquaredError(y, target);
            }
        }

        public static class Driver
        {
            public static double Layered(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, double[] t, int batch, int inputs, int hidden, int outputs) =>
                Layers.Loss(w1, b1, w2, b2, x, t, batch, inputs, hidden, outputs);

            public static double LayeredGradient(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, double[] t, int batch, int inputs, int hidden, int outputs,
                double[] dW1, double[] dB1, double[] dW2, double[] dB2) =>
                Layers.LossGradient(w1, b1, w2, b2, x, t, batch, inputs, hidden, outputs, dW1, dB1, dW2, dB2);

            public static void DenseBackward(double[] w, double[] b, double[] x, double[] y, int batch, int inputs, int outputs,
                double[] dW, double[] dB, double[] dX, double[] dY) =>
                Layers.DenseBackward(w, b, x, y, batch, inputs, outputs, dW, dB, dX, dY);

            public static double Loss(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, int[] labels, int batch, int inputs, int hidden, int classes) =>
                Network.Loss(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes);

            public static double Gradient(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, int[] labels, int batch, int inputs, int hidden, int classes,
                double[] dW1, double[] dB1, double[] dW2, double[] dB2) =>
                Network.LossGradient(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2);

            public static void Backward(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, int[] labels, int batch, int inputs, int hidden, int classes,
                double seed, double[] dW1, double[] dB1, double[] dW2, double[] dB2) =>
                Network.LossBackward(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, seed, dW1, dB1, dW2, dB2);

            public static float LossF(float[] w1, float[] b1, float[] w2, float[] b2, float[] x, int[] labels, int batch, int inputs, int hidden, int classes) =>
                Network.LossF(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes);

            public static float GradientF(float[] w1, float[] b1, float[] w2, float[] b2, float[] x, int[] labels, int batch, int inputs, int hidden, int classes,
                float[] dW1, float[] dB1, float[] dW2, float[] dB2) =>
                Network.LossFGradient(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2);

            /// <summary>Bytes allocated by <paramref name="rounds"/> Gradient calls after one warm-up call.</summary>
            public static long Allocated(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, int[] labels, int batch, int inputs, int hidden, int classes,
                double[] dW1, double[] dB1, double[] dW2, double[] dB2, int rounds)
            {
                Network.LossGradient(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int r = 0; r < rounds; r++)
                    Network.LossGradient(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
        """;

    private static MethodInfo Driver(string name) => GradientAssert.Load(Source).GetType("Driver")!.GetMethod(name)!;



    [Theory]
    [InlineData(1, 1, 1, 2, 1)]
    [InlineData(3, 4, 5, 3, 2)]
    [InlineData(7, 9, 6, 4, 3)]
    [InlineData(5, 33, 17, 10, 4)]
    public void Double_network_matches_finite_differences(int batch, int inputs, int hidden, int classes, int seed)
    {
        var random = new Random(seed);
        double[] w1 = Random(random, hidden * inputs), b1 = Random(random, hidden), w2 = Random(random, hidden * classes), b2 = Random(random, classes);
        double[] x = Random(random, batch * inputs, 2);
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();
        double[] dW1 = new double[w1.Length], dB1 = new double[b1.Length], dW2 = new double[w2.Length], dB2 = new double[b2.Length];

        double value = (double)Driver("Gradient").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2 })!;
        double Loss() => (double)Driver("Loss").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes })!;
        Assert.Equal(Loss(), value, 14);

        AssertFiniteDifferences(Loss, (w1, dW1), (b1, dB1), (w2, dW2), (b2, dB2));
    }

    [Fact]
    public void Double_network_matches_the_adjoint_written_by_hand_with_Ops()
    {
        const int batch = 6, inputs = 11, hidden = 7, classes = 5;
        var random = new Random(11);
        double[] w1 = Random(random, hidden * inputs), b1 = Random(random, hidden), w2 = Random(random, hidden * classes), b2 = Random(random, classes);
        double[] x = Random(random, batch * inputs);
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();
        double[] dW1 = new double[w1.Length], dB1 = new double[b1.Length], dW2 = new double[w2.Length], dB2 = new double[b2.Length];
        Driver("Gradient").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2 });

        // By hand: the forward pass, then each Backward in reverse order.
        double[] hv = new double[batch * hidden], a = new double[batch * hidden], logits = new double[batch * classes];
        Ops.MatMulTransposeB(x, w1, hv, batch, inputs, hidden);
        Ops.AddRowBias(hv, b1);
        Ops.Tanh(hv, a);
        Ops.MatMul(a, w2, logits, batch, hidden, classes);
        Ops.AddRowBias(logits, b2);
        double[] dLogits = new double[logits.Length], dA = new double[a.Length], dH = new double[hv.Length];
        double[] eW1 = new double[w1.Length], eB1 = new double[b1.Length], eW2 = new double[w2.Length], eB2 = new double[b2.Length];
        Ops.SoftmaxCrossEntropyBackward(logits, labels, classes, 1.0, dLogits);
        for (int r = 0; r < batch; r++) for (int c = 0; c < classes; c++) eB2[c] += dLogits[r * classes + c];
        // dA = dLogits·W2ᵀ, dW2 = Aᵀ·dLogits
        Ops.MatMulTransposeB(dLogits, w2, dA, batch, classes, hidden);
        Ops.MatMulTransposeA(a, dLogits, eW2, hidden, batch, classes);
        for (int i = 0; i < dH.Length; i++) dH[i] = dA[i] * (1 - a[i] * a[i]);
        for (int r = 0; r < batch; r++) for (int j = 0; j < hidden; j++) eB1[j] += dH[r * hidden + j];
        // dW1 = dHᵀ·X (hidden×inputs)
        Ops.MatMulTransposeA(dH, x, eW1, hidden, batch, inputs);

        foreach (var (expected, actual) in new[] { (eW1, dW1), (eB1, dB1), (eW2, dW2), (eB2, dB2) })
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void Double_network_Backward_scales_by_the_seed_and_accumulates()
    {
        const int batch = 4, inputs = 5, hidden = 3, classes = 3;
        var random = new Random(5);
        double[] w1 = Random(random, hidden * inputs), b1 = Random(random, hidden), w2 = Random(random, hidden * classes), b2 = Random(random, classes);
        double[] x = Random(random, batch * inputs);
        int[] labels = { 2, 0, 1, 2 };
        double[] gW1 = new double[w1.Length], gB1 = new double[b1.Length], gW2 = new double[w2.Length], gB2 = new double[b2.Length];
        Driver("Gradient").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, gW1, gB1, gW2, gB2 });

        double[] dW1 = Enumerable.Repeat(0.5, w1.Length).ToArray(), dB1 = Enumerable.Repeat(0.5, b1.Length).ToArray();
        double[] dW2 = Enumerable.Repeat(0.5, w2.Length).ToArray(), dB2 = Enumerable.Repeat(0.5, b2.Length).ToArray();
        var args = new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, 0.75, dW1, dB1, dW2, dB2 };
        Driver("Backward").Invoke(null, args);
        Driver("Backward").Invoke(null, args);
        foreach (var (g, d) in new[] { (gW1, dW1), (gB1, dB1), (gW2, dW2), (gB2, dB2) })
            for (int i = 0; i < g.Length; i++) Assert.Equal(0.5 + 2 * 0.75 * g[i], d[i], 12);
    }

    [Theory]
    [InlineData(3, 4, 5, 3, 1)]
    [InlineData(8, 33, 16, 10, 2)]
    public void Float_network_matches_finite_differences(int batch, int inputs, int hidden, int classes, int seed)
    {
        var random = new Random(seed);
        float[] F(int n) => Random(random, n).Select(v => (float)v).ToArray();
        float[] w1 = F(inputs * hidden), b1 = F(hidden), w2 = F(classes * hidden), b2 = F(classes), x = F(batch * inputs);
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();
        float[] dW1 = new float[w1.Length], dB1 = new float[b1.Length], dW2 = new float[w2.Length], dB2 = new float[b2.Length];
        Driver("GradientF").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2 });
        float Loss() => (float)Driver("LossF").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes })!;

        const float h = 1e-2f;
        int checkedCount = 0, total = 0;
        foreach (var (parameter, adjoint) in new[] { (w1, dW1), (b1, dB1), (w2, dW2), (b2, dB2) })
        {
            for (int i = 0; i < parameter.Length; i++)
            {
                float saved = parameter[i];
                // ReLU kinks: skip an element whose step would move a hidden unit across zero (finite differences are wrong there).
                parameter[i] = saved + h; float plus = Loss();
                parameter[i] = saved - h; float minus = Loss();
                parameter[i] = saved + h / 2; float plusHalf = Loss();
                parameter[i] = saved - h / 2; float minusHalf = Loss();
                parameter[i] = saved;
                double fd = (plus - minus) / (2.0 * h), fdHalf = (plusHalf - minusHalf) / (1.0 * h);
                total++;
                if (Math.Abs(fd - fdHalf) > 1e-3 * Math.Max(1, Math.Abs(fd))) continue;
                checkedCount++;
                Assert.True(Math.Abs(fd - adjoint[i]) <= 1e-3 * Math.Max(1, Math.Abs(fd)), $"element {i}: fd {fd:R}, adjoint {adjoint[i]:R}");
            }
        }
        Assert.True(checkedCount >= 0.8 * total, $"only {checkedCount} of {total} elements were away from a ReLU kink");
    }

    [Theory]
    [InlineData(2, 3, 4, 2, 1)]
    [InlineData(5, 7, 6, 3, 2)]
    public void Layers_that_write_their_output_twice_compose(int batch, int inputs, int hidden, int outputs, int seed)
    {
        var random = new Random(seed);
        double[] w1 = Random(random, hidden * inputs), b1 = Random(random, hidden), w2 = Random(random, outputs * hidden), b2 = Random(random, outputs);
        double[] x = Random(random, batch * inputs), t = Random(random, batch * outputs);
        double[] dW1 = new double[w1.Length], dB1 = new double[b1.Length], dW2 = new double[w2.Length], dB2 = new double[b2.Length];
        object[] Args(params object[] extra) => new object[] { w1, b1, w2, b2, x, t, batch, inputs, hidden, outputs }.Concat(extra).ToArray();
        double value = (double)Driver("LayeredGradient").Invoke(null, Args(dW1, dB1, dW2, dB2))!;
        double Loss() => (double)Driver("Layered").Invoke(null, Args())!;
        Assert.Equal(Loss(), value, 14);
        AssertFiniteDifferences(Loss, (w1, dW1), (b1, dB1), (w2, dW2), (b2, dB2));

        // Dense's own Backward leaves y = x·wᵀ + b (its output, written twice), consumes dY and gives dB = column sums of dY.
        double[] y = new double[batch * hidden], dY = Random(random, batch * hidden), dX = new double[x.Length];
        double[] dW = new double[w1.Length], dB = new double[b1.Length];
        double[] seedY = (double[])dY.Clone();
        Driver("DenseBackward").Invoke(null, new object[] { w1, b1, x, y, batch, inputs, hidden, dW, dB, dX, dY });
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < hidden; j++)
            {
                double expected = b1[j];
                for (int q = 0; q < inputs; q++) expected += x[r * inputs + q] * w1[j * inputs + q];
                Assert.Equal(expected, y[r * hidden + j], 12);
            }
        Assert.All(dY, v => Assert.Equal(0.0, v));
        for (int j = 0; j < hidden; j++) Assert.Equal(Enumerable.Range(0, batch).Sum(r => seedY[r * hidden + j]), dB[j], 12);
    }

    [Fact]
    public void A_constant_input_batch_uses_the_product_variants_that_skip_its_adjoint_and_the_primal()
    {
        string text = GradientAssert.Compile(Source).GeneratedText;
        // ... and, since the generated code puts written buffers back itself, the variant that skips the primal product.
        Assert.Contains("global::Differentiable.Ops.MatMulTransposeBBackwardConstantAWithoutPrimal(x, w1, h, batch, inputs, hidden, dW1, dH);", text);
        Assert.Contains("global::Differentiable.Ops.MatMulBackwardConstantAWithoutPrimal(x, w1, h, batch, inputs, hidden, dW1, dH);", text);
        Assert.Contains("global::Differentiable.Ops.MatMulBackwardWithoutPrimal(a, w2, logits, batch, hidden, classes, dA, dW2, dLogits);", text);
        Assert.DoesNotContain("ArrayPool<double>.Shared.Rent(x.Length)", text);
    }

    [Fact]
    public void Network_gradient_allocates_nothing_once_warm()
    {
        const int batch = 16, inputs = 40, hidden = 24, classes = 10;
        var random = new Random(3);
        double[] w1 = Random(random, hidden * inputs), b1 = Random(random, hidden), w2 = Random(random, hidden * classes), b2 = Random(random, classes);
        double[] x = Random(random, batch * inputs);
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();
        double[] dW1 = new double[w1.Length], dB1 = new double[b1.Length], dW2 = new double[w2.Length], dB2 = new double[b2.Length];
        long allocated = (long)Driver("Allocated").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2, 200 })!;
        Assert.Equal(0, allocated);
    }
}
