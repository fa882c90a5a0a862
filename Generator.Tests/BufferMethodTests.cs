using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests;

/// <summary>
/// <c>CopyTo</c>, <c>Clear</c> and <c>Fill</c> on spans and arrays in <c>[Differentiable]</c> code: lowered to
/// <c>Ops.Copy</c>/<c>Clear</c>/<c>Fill</c> and differentiated through their rules; and those rules themselves.
/// </summary>
public class BufferMethodTests
{
    private const string Source = """
        using System;
        using Differentiable;
        public static partial class M
        {
            // F = 2v (Σw + v) · w0, through a copy, a fill and a clear.
            [Differentiable]
            public static double F(ReadOnlySpan<double> w, double v)
            {
                Span<double> h = stackalloc double[w.Length + 1];
                w.CopyTo(h);
                h[w.Length] = v;
                Span<double> g = stackalloc double[h.Length];
                g.Fill(v * 2);
                double s = Ops.Dot(h, g);
                h.Clear();
                h[0] = s;
                return h[0] * w[0];
            }

            // An array copied into a span (MemoryExtensions.CopyTo), float.
            [Differentiable]
            public static float G(float[] w)
            {
                Span<float> h = stackalloc float[w.Length];
                w.CopyTo(h);
                float s = 0;
                for (int i = 0; i < h.Length; i++) s += h[i] * h[i] * (i + 1);
                return s;
            }
        }
        public static class Driver
        {
            public static double F(double[] w, double v) => M.F(w, v);
            public static double FGradient(double[] w, double v, double[] dW, out double dV) => M.FGradient(w, v, dW, out dV);
            public static float GGradient(float[] w, float[] dW) => M.GGradient(w, dW);
        }
        """;

    [Theory]
    [InlineData(new[] { 1.0, 2, 3 }, 0.5)]
    [InlineData(new[] { -0.5, 0.25 }, -1.5)]
    [InlineData(new[] { 2.0 }, 3)]
    public void Copy_fill_and_clear_are_differentiated(double[] w, double v)
    {
        var compiled = GradientAssert.Compile(Source);
        Assert.Contains("global::Differentiable.Ops.CopyBackward", compiled.GeneratedText);
        Assert.Contains("global::Differentiable.Ops.FillBackward", compiled.GeneratedText);
        Assert.Contains("global::Differentiable.Ops.ClearBackward", compiled.GeneratedText);
        var driver = compiled.Assembly.GetType("Driver")!;
        double sum = w.Sum();
        var dW = new double[w.Length];
        var args = new object?[] { w, v, dW, null };
        double value = (double)driver.GetMethod("FGradient")!.Invoke(null, args)!;
        Assert.Equal(2 * v * (sum + v) * w[0], value, 12);
        // Hand-derived: dF/dw_i = 2v w0 (+ 2v (Σw + v) for i = 0); dF/dv = 2 (Σw + v) w0 + 2v w0.
        for (int i = 0; i < w.Length; i++)
            Assert.Equal(2 * v * w[0] + (i == 0 ? 2 * v * (sum + v) : 0), dW[i], 10);
        Assert.Equal(2 * (sum + v) * w[0] + 2 * v * w[0], (double)args[3]!, 10);
        // And finite differences on v.
        const double h = 1e-6;
        double fd = ((double)driver.GetMethod("F")!.Invoke(null, new object[] { w, v + h })! - (double)driver.GetMethod("F")!.Invoke(null, new object[] { w, v - h })!) / (2 * h);
        Assert.Equal(fd, (double)args[3]!, 6);
    }

    [Fact]
    public void An_array_copied_into_a_span_is_differentiated()
    {
        var driver = GradientAssert.Load(Source).GetType("Driver")!;
        float[] w = { 0.5f, -1, 2 }, dW = new float[3];
        float value = (float)driver.GetMethod("GGradient")!.Invoke(null, new object[] { w, dW })!;
        Assert.Equal(0.25f + 2 + 12, value);
        Assert.Equal(new[] { 1f, -4, 12 }, dW);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(100)]
    [InlineData(257)]
    public void Copy_and_Fill_adjoints_match_finite_differences(int n)
    {
        // L = Σ s_i · y_i with y = Copy(x) into a longer buffer, and with y = Fill(v): dL/dx = s[..n], dL/dv = Σ s.
        var random = new Random(n);
        double[] x = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] seed = Enumerable.Range(0, n + 3).Select(_ => random.NextDouble() - 0.5).ToArray();
        double Loss(double[] source, double fill)
        {
            var y = new double[n + 3];
            Ops.Fill(y, fill);
            Ops.Copy(source, y);
            double l = 0;
            for (int i = 0; i < y.Length; i++) l += seed[i] * y[i];
            return l;
        }
        const double v = 0.75, h = 1e-6;
        // Reverse order: Copy's Backward, then Fill's, on the same shadow.
        double[] dY = (double[])seed.Clone(), dX = new double[n], y2 = new double[n + 3];
        Ops.Fill(y2, v);
        double dV = 0;
        Ops.CopyBackward(x, y2, dX, dY);
        Ops.FillBackward(y2, v, dY, ref dV);
        for (int i = 0; i < n; i++)
        {
            double[] plus = (double[])x.Clone(), minus = (double[])x.Clone();
            plus[i] += h; minus[i] -= h;
            double fd = (Loss(plus, v) - Loss(minus, v)) / (2 * h);
            Assert.True(Math.Abs(fd - dX[i]) <= 1e-6 * Math.Max(1, Math.Abs(fd)), $"x[{i}]: fd {fd:R}, adjoint {dX[i]:R}");
        }
        double fdV = (Loss(x, v + h) - Loss(x, v - h)) / (2 * h);
        Assert.True(Math.Abs(fdV - dV) <= 1e-6 * Math.Max(1, Math.Abs(fdV)), $"v: fd {fdV:R}, adjoint {dV:R}");
        Assert.Equal(seed.Skip(n).Sum(), dV, 12);   // hand-derived: only the elements the copy did not overwrite
        Assert.All(dY, d => Assert.Equal(0.0, d));
    }

    [Fact]
    public void The_buffer_rules_follow_the_Backward_convention()
    {
        double[] source = { 1, 2 }, destination = { 9, 9, 9 }, dSource = { 0.5, 0.5 }, dDestination = { 1, 2, 3 };
        Ops.CopyBackward(source, destination, dSource, dDestination);
        Assert.Equal(new[] { 1.5, 2.5 }, dSource);       // accumulated
        Assert.Equal(new[] { 0, 0, 3.0 }, dDestination);  // overwritten part consumed, the rest untouched
        Assert.Equal(new[] { 1, 2, 9.0 }, destination);   // the primal ran

        float[] x = { 1, 2 }, dX = { 3, 4 };
        float dValue = 1;
        Ops.FillBackward(x, 5f, dX, ref dValue);
        Assert.Equal(8f, dValue);
        Assert.Equal(new[] { 0f, 0 }, dX);
        Assert.Equal(new[] { 5f, 5 }, x);

        Ops.ClearBackward(x, dX = new float[] { 1, 1 });
        Assert.Equal(new[] { 0f, 0 }, dX);
        Assert.Equal(new[] { 0f, 0 }, x);

        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => Ops.Copy(new double[3], new double[2])).ParamName);
        Assert.Equal("dSource", Assert.Throws<ArgumentException>(() => Ops.CopyBackward(new double[3], new double[3], new double[2], new double[3])).ParamName);
    }
}
