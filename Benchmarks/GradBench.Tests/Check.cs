namespace Differentiable.GradBench.Tests;

/// <summary>Assertions on gradients: against central finite differences, and against another gradient.</summary>
internal static class Check
{
    /// <summary>Relative agreement with the finite-difference gradient (GradientCheck: Richardson-extrapolated central differences).</summary>
    public const double FiniteDifferenceTolerance = 1e-6;

    /// <summary>Two exact gradients of the same function, summed in the same or a different order.</summary>
    public const double ExactTolerance = 1e-10;

    public static void AgainstFiniteDifferences(ScalarFunction f, double[] x, ReadOnlySpan<double> gradient)
    {
        GradientCheckReport report = GradientCheck.Check(f, x, gradient);
        Assert.True(report.Passes(FiniteDifferenceTolerance), report.ToString());
    }

    public static void Same(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = GradientCheck.RelativeError(expected[i], actual[i], 1);
            Assert.True(error <= ExactTolerance, $"[{i}]: expected {expected[i]:R}, got {actual[i]:R} (relative error {error:E2})");
        }
    }

    /// <summary>A function of the concatenation of several parameter vectors, split back for <paramref name="f"/>.</summary>
    public static double[] Concatenate(params double[][] parts)
    {
        var result = new double[parts.Sum(p => p.Length)];
        int offset = 0;
        foreach (double[] p in parts)
        {
            p.CopyTo(result, offset);
            offset += p.Length;
        }
        return result;
    }
}
