using System.Numerics;

namespace Differentiable.Generator.Tests.Runtime;

/// <summary>The three element-wise activations of <see cref="Ops"/>, so one test covers all of them.</summary>
public enum Activation
{
    Relu,
    Sigmoid,
    Tanh,
}

/// <summary>
/// Plain scalar references for <see cref="Ops"/>, in double precision with double accumulation, written the obvious
/// way (one loop, no SIMD, no library kernels), plus dispatch of <see cref="Activation"/> to an <see cref="IOpSet{T}"/>.
/// </summary>
internal static class OpsReference
{
    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static double Sum(double[] x)
    {
        double s = 0;
        foreach (double v in x) s += v;
        return s;
    }

    public static double[] AddRowBias(double[] x, double[] bias)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] + bias[i % bias.Length];
        return y;
    }

    public static double Apply(Activation activation, double x) => activation switch
    {
        Activation.Relu => x > 0 ? x : 0,
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>f'(x) from the textbook formulas (ReLU'(0) = 0).</summary>
    public static double Derivative(Activation activation, double x) => activation switch
    {
        Activation.Relu => x > 0 ? 1 : 0,
        Activation.Sigmoid => Math.Exp(-x) / ((1 + Math.Exp(-x)) * (1 + Math.Exp(-x))),
        Activation.Tanh => 1 / (Math.Cosh(x) * Math.Cosh(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    public static double[] Softmax(double[] x, int cols)
    {
        var y = new double[x.Length];
        for (int start = 0; start < x.Length; start += cols)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < cols; j++) max = Math.Max(max, x[start + j]);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.Exp(x[start + j] - max);
            for (int j = 0; j < cols; j++) y[start + j] = Math.Exp(x[start + j] - max) / sum;
        }
        return y;
    }

    public static double LogSumExp(double[] x, int start, int count)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < count; j++) max = Math.Max(max, x[start + j]);
        double sum = 0;
        for (int j = 0; j < count; j++) sum += Math.Exp(x[start + j] - max);
        return max + Math.Log(sum);
    }

    public static double SoftmaxCrossEntropy(double[] logits, int[] labels, int classes)
    {
        double total = 0;
        for (int r = 0; r < labels.Length; r++)
            total += LogSumExp(logits, r * classes, classes) - logits[r * classes + labels[r]];
        return total / labels.Length;
    }

    public static double MeanSquaredError(double[] p, double[] t)
    {
        double s = 0;
        for (int i = 0; i < p.Length; i++) s += (p[i] - t[i]) * (p[i] - t[i]);
        return s / p.Length;
    }

    public static void Forward<T, TOps>(Activation activation, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : IOpSet<T>
    {
        switch (activation)
        {
            case Activation.Relu: TOps.Relu(x, y); break;
            case Activation.Sigmoid: TOps.Sigmoid(x, y); break;
            default: TOps.Tanh(x, y); break;
        }
    }

    public static void Backward<T, TOps>(Activation activation, ReadOnlySpan<T> x, Span<T> y, Span<T> dX, Span<T> dY)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : IOpSet<T>
    {
        switch (activation)
        {
            case Activation.Relu: TOps.ReluBackward(x, y, dX, dY); break;
            case Activation.Sigmoid: TOps.SigmoidBackward(x, y, dX, dY); break;
            default: TOps.TanhBackward(x, y, dX, dY); break;
        }
    }
}

/// <summary>Test inputs, conversions and the finite-difference gradient check for <see cref="OpsTests"/>.</summary>
internal static class OpsCheck
{
    /// <summary>Inputs lie on this grid, so that x ± step and x ± step/2 are exact in float and double.</summary>
    private const double Grid = 1.0 / 4096;

    /// <summary>n values uniform in [−scale, scale] on the 2⁻¹² grid.</summary>
    public static T[] Values<T>(Random rng, int n, double scale = 3) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[n];
        for (int i = 0; i < n; i++)
            values[i] = T.CreateTruncating(Math.Round((rng.NextDouble() * 2 - 1) * scale / Grid) * Grid);
        return values;
    }

    /// <summary>Like <see cref="Values{T}"/> but at least <paramref name="gap"/> away from 0 (no ReLU kink inside a step).</summary>
    public static T[] AwayFromZero<T>(Random rng, int n, double gap) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] values = Values<T>(rng, n);
        for (int i = 0; i < n; i++)
        {
            double v = D(values[i]);
            values[i] = T.CreateTruncating(v < 0 ? v - gap : v + gap);
        }
        return values;
    }

    public static int[] Labels(Random rng, int rows, int classes)
    {
        var labels = new int[rows];
        for (int r = 0; r < rows; r++) labels[r] = rng.Next(classes);
        return labels;
    }

    /// <summary>A nonzero seed in ±[0.5, 2].</summary>
    public static T Seed<T>(Random rng) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating((rng.Next(2) == 0 ? -1 : 1) * (0.5 + 1.5 * rng.NextDouble()));

    public static double D<T>(T v) where T : unmanaged, IFloatingPointIeee754<T> => double.CreateTruncating(v);

    public static double[] D<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = D(values[i]);
        return result;
    }

    public static T[] Of<T>(double[] values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = T.CreateTruncating(values[i]);
        return result;
    }

    /// <summary>Σ seed_i · y_i in double: the scalar test function of an op with an output buffer.</summary>
    public static double Weighted<T>(ReadOnlySpan<T> seed, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += D(seed[i]) * D(y[i]);
        return s;
    }

    /// <summary>Asserts |actual − expected| ≤ tolerance · max(|expected|, scale).</summary>
    public static void Close(double expected, double actual, double tolerance, double scale, string what)
    {
        double error = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), scale);
        Assert.True(error <= tolerance,
            $"{what}: expected {expected:R}, got {actual:R} (relative error {error:G3} > {tolerance:G3})");
    }

    public static void Close(double[] expected, ReadOnlySpan<double> actual, double tolerance, double scale, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Close(expected[i], actual[i], tolerance, scale, $"{what}[{i}]");
    }

    /// <summary>
    /// Checks <paramref name="analytic"/> against the finite-difference gradient of <paramref name="loss"/> with respect to
    /// <paramref name="point"/> (which <paramref name="loss"/> reads). As in <see cref="GradientCheck"/>: central differences
    /// at h and h/2, combined by Richardson extrapolation (error O(h⁴)), each divided by the step actually taken.
    /// The error of a component is |analytic − numeric| / max(|analytic|, |numeric|, floor), with floor
    /// <see cref="GradientCheck.DefaultFloor"/>, or for float (<see cref="IOpSet{T}.NormwiseGradientError"/>) the
    /// gradient's largest component.
    /// </summary>
    public static void Gradient<T, TOps>(T[] point, Func<double> loss, ReadOnlySpan<T> analytic, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOps : IOpSet<T>
    {
        var numeric = new double[point.Length];
        for (int i = 0; i < point.Length; i++)
        {
            double d1 = Central(point, i, loss, TOps.Step);
            double d2 = Central(point, i, loss, TOps.Step / 2);
            numeric[i] = (4 * d2 - d1) / 3;
        }
        double floor = GradientCheck.DefaultFloor;
        if (TOps.NormwiseGradientError)
            foreach (double g in numeric) floor = Math.Max(floor, Math.Abs(g));
        GradientCheckReport report = GradientCheck.Compare(D(analytic), numeric, floor);
        Assert.True(report.Passes(TOps.GradientTolerance), $"{typeof(T).Name} {what}: {report}");
    }

    private static double Central<T>(T[] point, int i, Func<double> loss, double h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T original = point[i];
        T up = T.CreateTruncating(D(original) + h), down = T.CreateTruncating(D(original) - h);
        point[i] = up;
        double plus = loss();
        point[i] = down;
        double minus = loss();
        point[i] = original;
        return (plus - minus) / (D(up) - D(down));
    }
}
