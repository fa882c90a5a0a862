using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests.Rules;

/// <summary>
/// Pow with a literal exponent differentiates without calling Pow where a product will do (2 → 2x,
/// 0.5 → 0.5/√x, -1 → -1/x²); every specialization against finite differences and the formula c·x^(c-1).
/// </summary>
public class PowerLiteralTests
{
    private const string Source = """
        using System;
        using Differentiable;
        public static partial class P
        {
            [Differentiable] public static double E0(double x) => Math.Pow(x, 0) + x;
            [Differentiable] public static double E1(double x) => Math.Pow(x, 1);
            [Differentiable] public static double E2(double x) => Math.Pow(x, 2);
            [Differentiable] public static double E3(double x) => Math.Pow(x, 3);
            [Differentiable] public static double EHalf(double x) => Math.Pow(x, 0.5);
            [Differentiable] public static double EMinus1(double x) => Math.Pow(x, -1);
            [Differentiable] public static double EOther(double x) => Math.Pow(x, 1.7);
            [Differentiable] public static double EThreeHalves(double x) => Math.Pow(x, 1.5);
            [Differentiable] public static float F2(float x) => MathF.Pow(x, 2f);
            [Differentiable] public static float FHalf(float x) => MathF.Pow(x, 0.5f);
        }
        """;

    [Theory]
    [InlineData("E0", 0.0)]
    [InlineData("E1", 1.0)]
    [InlineData("E2", 2.0)]
    [InlineData("E3", 3.0)]
    [InlineData("EHalf", 0.5)]
    [InlineData("EMinus1", -1.0)]
    [InlineData("EOther", 1.7)]
    [InlineData("EThreeHalves", 1.5)]
    public void Literal_exponents_match_the_formula(string name, double c)
    {
        foreach (bool off in new[] { false, true })
        {
            var assembly = GradientAssert.Load(Source, off);
            foreach (double x in new[] { 0.3, 1.7, 4.2 })
            {
                var result = GradientAssert.Check(assembly, "P", name, x);
                double expected = c * Math.Pow(x, c - 1) + (name == "E0" ? 1 : 0);
                GradientAssert.AssertGradient(result, new[] { expected }, 1e-12);
            }
        }
    }

    [Theory]
    [InlineData("F2", 2.0)]
    [InlineData("FHalf", 0.5)]
    public void Float_literal_exponents_match_the_formula(string name, double c)
    {
        var assembly = GradientAssert.Load(Source);
        foreach (float x in new[] { 0.3f, 1.7f, 4.2f })
        {
            var result = GradientAssert.Check(assembly, "P", name, x);
            GradientAssert.AssertGradient(result, new[] { c * Math.Pow(x, c - 1) }, 1e-5);
        }
    }

    [Fact]
    public void Square_and_square_root_exponents_do_not_call_pow_in_the_reverse_sweep()
    {
        string text = TestCompiler.Run(Source).GeneratedText;
        string e2 = text.Substring(text.IndexOf("E2Gradient", StringComparison.Ordinal));
        e2 = e2.Substring(0, e2.IndexOf("E2Backward", StringComparison.Ordinal));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(e2, @"global::System\.Math\.Pow\("));   // the primal's own call only
        Assert.Contains("2d * x", e2);
    }
}
