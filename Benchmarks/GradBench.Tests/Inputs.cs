namespace Differentiable.GradBench.Tests;

/// <summary>Small deterministic inputs for the tests (<see cref="SampleInputs"/>, with ranges of their own).</summary>
internal static class Inputs
{
    public static double[] Uniform(int n, int seed, double low = 0, double high = 1)
    {
        double[] result = SampleInputs.Uniform(n, seed);
        for (int i = 0; i < n; i++) result[i] = low + (high - low) * result[i];
        return result;
    }

    public static Gmm.Input Gmm(int d, int k, int n, int seed) => SampleInputs.Gmm(d, k, n, seed);

    public static Lstm.Input Lstm(int layers, int length, int b, int seed) => SampleInputs.Lstm(layers, length, b, seed);
}
