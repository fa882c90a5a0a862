using System.Text.RegularExpressions;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// A rule's partial that calls a math function the same block already computes on the same arguments reads that value
/// instead of calling again: sin' = cos and cos' = −sin, with cos θ and sin θ computed side by side (a rotation, as in
/// GradBench's bundle adjustment), cost no transcendental in the reverse. Checked: gradients against hand-derived
/// formulas and finite differences (analyses on and off, double and float, in a loop where the value is recorded);
/// a reused value that is infinite still gives a zero contribution for a zero adjoint; and the generated code, for the
/// calls saved and for the ones that must stay (other arguments, another block).
/// </summary>
public class SiblingFunctionTests
{
    private const string Source = LeanAdjointTests.Header + """
            // A rotation of (x, y) by a, squared-ish: cos a and sin a computed once each.
            [Differentiable] public static double Rotate(double a, double x, double y)
            {
                double c = Math.Cos(a), s = Math.Sin(a);
                return (c * x - s * y) * (s * x + c * y);
            }

            // The same in float, through MathF.
            [Differentiable] public static float RotateF(float a, float x, float y)
            {
                float c = MathF.Cos(a), s = MathF.Sin(a);
                return (c * x - s * y) * (s * x + c * y);
            }

            // In a loop: the reverse reads each iteration's cos and sin from the loop's records.
            [Differentiable] public static double Waves(double x, int n)
            {
                double sum = 0;
                for (int i = 1; i <= n; i++)
                {
                    double t = x * i;
                    sum += Math.Sin(t) * Math.Cos(t) / i;
                }
                return sum;
            }

            // Sinh and cosh of the same x, with the adjoint of both routed away when x is large: the reused cosh is +∞
            // there, and the contribution must stay 0 (a checked product), not NaN.
            [Differentiable] public static double Hyperbolic(double x, double y)
            {
                double a = Math.Sinh(x), b = Math.Cosh(x);
                return x > 100 ? y * y : a * b + y;
            }

            // Different arguments (sin of a, cos of b), and a cos in another block than its sin: nothing to reuse.
            [Differentiable] public static double Apart(double a, double b)
            {
                double s = Math.Sin(a) * Math.Cos(b);
                if (a > 0) s += Math.Cos(a) * 0.5;
                return s;
            }
        }
        """;

    /// <summary>Calls of a function in generated code (its comments quote the source: <c>Math.Cos(a)</c> without <c>global::System.</c>).</summary>
    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape("global::System." + what)).Count;

    /// <summary>The text of one generated member, from its signature to its closing brace.</summary>
    private static string Member(string generated, string signature)
    {
        int start = generated.IndexOf(signature, StringComparison.Ordinal);
        Assert.True(start >= 0, signature + " is not in the generated code");
        int end = generated.IndexOf("\n        }\n", start, StringComparison.Ordinal);
        return generated.Substring(start, end - start);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_rotation_reads_its_cos_and_sin_in_the_reverse(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        foreach (var (a, x, y) in new[] { (0.3, 1.5, -0.7), (-2.1, 0.2, 0.9), (0.0, 1.0, 1.0), (3.0, -4.0, 2.5) })
        {
            // f = (c x − s y)(s x + c y): ∂a = (−s x − c y)(s x + c y) + (c x − s y)(c x − s y), ∂x = c·v + s·u, ∂y = −s·v + c·u
            double c = Math.Cos(a), s = Math.Sin(a), u = c * x - s * y, v = s * x + c * y;
            var result = GradientAssert.Check(compiled.Assembly, "T.C", "Rotate", a, x, y);
            GradientAssert.AssertGradient(result, new[] { -v * v + u * u, c * v + s * u, -s * v + c * u }, 1e-12, compiled.Assembly);
            GradientAssert.Check(compiled.Assembly, "T.C", "RotateF", (float)a, (float)x, (float)y);
        }
        // One cos and one sin per member, in its forward sweep; the reverse reads them (before: two more each).
        foreach (var (signature, spelling) in new[]
        {
            ("public static void RotateBackward(", "Math."), ("public static double RotateGradient(", "Math."),
            ("public static void RotateFBackward(", "MathF."), ("public static float RotateFGradient(", "MathF."),
        })
        {
            string member = Member(compiled.GeneratedText, signature);
            Assert.Equal(1, Count(member, spelling + "Cos("));
            Assert.Equal(1, Count(member, spelling + "Sin("));
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_loop_records_the_values_it_reuses(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        foreach (var (x, n) in new[] { (0.4, 0), (0.4, 1), (-1.3, 7), (2.2, 25) })
        {
            // f = Σ sin(ix) cos(ix) / i = Σ sin(2ix) / (2i): f' = Σ cos(2ix)
            double expected = 0;
            for (int i = 1; i <= n; i++) expected += Math.Cos(2 * i * x);
            var result = GradientAssert.Check(compiled.Assembly, "T.C", "Waves", x, n);
            GradientAssert.AssertGradient(result, new[] { expected }, 1e-12, compiled.Assembly);
        }
        // Gradient and Backward share one body (the method has a loop): WavesCore.
        string core = Member(compiled.GeneratedText, "static double WavesCore(");
        Assert.Equal(1, Count(core, "Math.Cos("));
        Assert.Equal(1, Count(core, "Math.Sin("));
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_reused_infinite_value_times_a_zero_adjoint_is_zero(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        // x = 1000: sinh and cosh overflow to +∞, the result is y², and ∂x is exactly 0 (not 0 · ∞ = NaN).
        GradientAssert.CheckExact(compiled.Assembly, "T.C", "Hyperbolic", new object[] { 1000.0, 3.0 }, 0, 6);
        foreach (double x in new[] { -1.5, 0.0, 0.7, 4.0 })
        {
            // f = sinh x cosh x + y: ∂x = cosh² x + sinh² x
            var result = GradientAssert.Check(compiled.Assembly, "T.C", "Hyperbolic", x, 0.25);
            double ch = Math.Cosh(x), sh = Math.Sinh(x);
            GradientAssert.AssertGradient(result, new[] { ch * ch + sh * sh, 1 }, 1e-12, compiled.Assembly);
        }
        string backward = Member(compiled.GeneratedText, "HyperbolicBackward(");
        Assert.Equal(1, Count(backward, "Math.Cosh("));
        Assert.Equal(1, Count(backward, "Math.Sinh("));
        Assert.Contains("Grad.Mul(", backward);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Other_arguments_and_other_blocks_keep_their_calls(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        foreach (var (a, b) in new[] { (0.8, -0.3), (-0.6, 1.9), (2.5, 2.5) })
        {
            // f = sin a cos b + [a > 0] cos(a)/2
            double da = Math.Cos(a) * Math.Cos(b) - (a > 0 ? Math.Sin(a) * 0.5 : 0), db = -Math.Sin(a) * Math.Sin(b);
            var result = GradientAssert.Check(compiled.Assembly, "T.C", "Apart", a, b);
            GradientAssert.AssertGradient(result, new[] { da, db }, 1e-12, compiled.Assembly);
        }
        // Backward's forward: sin a, cos b (the branch's cos a only feeds the value, which Backward does not return);
        // reverse: cos a (sin' at a: the cos a of the branch is in another block), sin b (cos' at b), sin a (cos' at a,
        // in the branch: the sin a is outside it).
        string backward = Member(compiled.GeneratedText, "ApartBackward(");
        Assert.Equal(3, Count(backward, "Math.Sin("));
        Assert.Equal(2, Count(backward, "Math.Cos("));
        Assert.Contains("Math.Sin(b)", backward);
    }
}
