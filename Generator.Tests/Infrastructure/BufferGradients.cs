namespace Differentiable.Generator.Tests.Infrastructure;

/// <summary>Element-by-element finite-difference checks of buffer gradients, for the network tests.</summary>
internal static class BufferGradients
{
    /// <summary>Every element of every parameter against central differences of <paramref name="loss"/> (relative 1e-6).</summary>
    public static void AssertFiniteDifferences(Func<double> loss, params (double[] Parameter, double[] Adjoint)[] pairs)
    {
        const double h = 1e-6;
        foreach (var (parameter, adjoint) in pairs)
        {
            for (int i = 0; i < parameter.Length; i++)
            {
                double saved = parameter[i];
                parameter[i] = saved + h; double plus = loss();
                parameter[i] = saved - h; double minus = loss();
                parameter[i] = saved;
                double fd = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(fd - adjoint[i]) <= 1e-6 * Math.Max(1, Math.Abs(fd)), $"element {i}: fd {fd:R}, adjoint {adjoint[i]:R}");
            }
        }
    }

    /// <summary><paramref name="n"/> values uniform in [-scale, scale).</summary>
    public static double[] Random(Random random, int n, double scale = 1) => Enumerable.Range(0, n).Select(_ => scale * (2 * random.NextDouble() - 1)).ToArray();
}
