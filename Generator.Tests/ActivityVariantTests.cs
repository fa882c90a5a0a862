using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests;

/// <summary>
/// A constant buffer passed to a parameter the callee differentiates: the callee (in the same compilation) gets
/// an activity variant with no adjoint for it, so the caller needs no scratch adjoint at all.
/// </summary>
public class ActivityVariantTests
{
    private const string Source = """
        using System;
        using Differentiable;
        public static partial class Model
        {
            [Differentiable]
            public static double WeightedDot(ReadOnlySpan<double> w, ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += w[i] * x[i] * x[i];
                return s;
            }

            [Differentiable]
            public static double Loss(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> data)
            {
                double d = WeightedDot(w, data);
                return d * d;
            }

            public static double Drive(double[] w, double[] data, double[] dW) => LossGradient(w, data, dW);
        }
        """;

    [Fact]
    public void The_caller_calls_a_variant_without_the_constant_adjoint()
    {
        var result = TestCompiler.Run(Source);
        string text = result.GeneratedText;
        Assert.Contains("internal static void WeightedDotBackwardConstantX(global::System.ReadOnlySpan<double> w, global::System.ReadOnlySpan<double> x, double dResult, global::System.Span<double> dW)", text);
        Assert.Contains("global::Model.WeightedDotBackwardConstantX(w, data, ", text);
        Assert.DoesNotContain("ArrayPool", text);
    }

    [Fact]
    public void The_variant_gives_the_hand_derived_gradient()
    {
        // L = d^2 with d = sum w_i x_i^2, so dL/dw_i = 2 d x_i^2.
        var assembly = TestCompiler.CompileAndLoad(Source);
        var w = new[] { 0.5, -1.25, 2.0 };
        var data = new[] { 0.3, 1.1, -0.7 };
        var dW = new double[3];
        var drive = assembly.GetType("Model")!.GetMethod("Drive")!;
        double value = (double)drive.Invoke(null, new object[] { w, data, dW })!;
        double d = 0;
        for (int i = 0; i < 3; i++) d += w[i] * data[i] * data[i];
        Assert.Equal(d * d, value, 14);
        for (int i = 0; i < 3; i++) Assert.Equal(2 * d * data[i] * data[i], dW[i], 13);
    }

    [Fact]
    public void Without_a_caller_that_needs_it_no_variant_is_written()
    {
        string text = TestCompiler.Run(Source.Replace("[NoDiff] ReadOnlySpan<double> data", "ReadOnlySpan<double> data").Replace("double[] data, double[] dW) => LossGradient(w, data, dW)", "double[] data, double[] dW) => LossGradient(w, data, dW, new double[3])")).GeneratedText;
        Assert.DoesNotContain("BackwardConstant", text);
    }
}
