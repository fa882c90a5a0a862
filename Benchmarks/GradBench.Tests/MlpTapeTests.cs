using Differentiable.GradBench.Tape;
using Sample.Mlp;

namespace Differentiable.GradBench.Tests;

/// <summary>
/// The block tape (<see cref="BlockTape"/>, whole Ops as nodes) on Sample.Mlp's loss: its gradient against the
/// generated <c>Mlp.LossGradient</c> at the benchmarked shapes, and no allocation once warm.
/// </summary>
public class MlpTapeTests
{
    private static readonly int[] Sizes = [784, 128, 10];

    private static (float[] Parameters, float[] X, int[] Labels) Problem(int[] sizes, int batch, int seed)
    {
        var parameters = new float[Mlp.ParameterCount(sizes)];
        Mlp.Initialize(parameters, sizes, (ulong)seed);
        var random = new Random(seed);
        // Non-zero biases, so the bias adjoints and the ReLU masks are exercised away from the initialization's zeros.
        int p = 0;
        for (int l = 1; l < sizes.Length; l++)
        {
            p += sizes[l] * sizes[l - 1];
            for (int j = 0; j < sizes[l]; j++) parameters[p + j] = (float)(0.2 * random.NextDouble() - 0.1);
            p += sizes[l];
        }
        var x = new float[batch * sizes[0]];
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextDouble();
        var labels = new int[batch];
        for (int r = 0; r < batch; r++) labels[r] = random.Next(sizes[^1]);
        return (parameters, x, labels);
    }

    [Theory]
    [InlineData(64, new[] { 784, 128, 10 })]
    [InlineData(1, new[] { 784, 128, 10 })]
    [InlineData(5, new[] { 20, 16, 12, 4 })] // two hidden layers: the product node with both adjoints
    public void Gradient_matches_generated(int batch, int[] sizes)
    {
        var (parameters, x, labels) = Problem(sizes, batch, seed: 7 + batch);
        var generated = new float[parameters.Length];
        var tape = new float[parameters.Length];
        tape.AsSpan().Fill(123); // overwritten, not accumulated into
        float generatedLoss = Mlp.LossGradient(parameters, x, labels, sizes, batch, generated);
        float tapeLoss = MlpTapeWorkload.LossGradient(parameters, x, labels, sizes, batch, tape);

        Assert.Equal(generatedLoss, tapeLoss, 1e-5f * Math.Abs(generatedLoss));
        float max = 0;
        foreach (float g in generated) max = Math.Max(max, Math.Abs(g));
        Assert.True(max > 0);
        for (int i = 0; i < generated.Length; i++)
            Assert.True(Math.Abs(generated[i] - tape[i]) <= 1e-4f * max, $"gradient[{i}]: generated {generated[i]}, tape {tape[i]}");
    }

    [Theory]
    [InlineData(64)]
    [InlineData(1)]
    public void A_warm_tape_allocates_nothing(int batch)
    {
        var (parameters, x, labels) = Problem(Sizes, batch, seed: 3);
        var gradient = new float[parameters.Length];
        float first = MlpTapeWorkload.LossGradient(parameters, x, labels, Sizes, batch, gradient);
        float[] firstGradient = (float[])gradient.Clone();
        for (int i = 0; i < 3; i++) MlpTapeWorkload.LossGradient(parameters, x, labels, Sizes, batch, gradient);
        // Twice, and only the second run counts (the first may take the JIT's tiering of this method, as in AllocationTests).
        long allocated = 0;
        float again = 0;
        for (int run = 0; run < 2; run++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            again = MlpTapeWorkload.LossGradient(parameters, x, labels, Sizes, batch, gradient);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
        Assert.Equal(first, again);
        Assert.Equal(firstGradient, gradient);
        // One node per Op: (product, bias, ReLU) per layer, then the loss.
        Assert.Equal(3 * (Sizes.Length - 1) + 1, BlockTape.Current.NodeCount);
    }
}
