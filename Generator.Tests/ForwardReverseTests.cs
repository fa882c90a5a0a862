using System.Reflection;
using System.Text.RegularExpressions;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Loops whose reverse runs in the forward's order (<c>LoopPlan.RunsForward</c>): when a counted loop's reverse
/// iterations only declare their own adjoints and add into others they do not read, the reverse can take them in any
/// order, and a carried value it needs (<c>power *= t</c>) is computed again, as the forward did, instead of recorded
/// (GradBench's llsq recorded n·m powers per call). Checked: gradients against hand-derived formulas and finite
/// differences at several sizes, empty ones included, with the analyses on and off, and <c>Backward</c> on pre-filled
/// adjoints; the generated code records nothing for the powers; loops whose reverse depends on its order (a carried
/// adjoint, a buffer adjoint read back) still run backwards and record.
/// </summary>
public class ForwardReverseTests
{
    private const string Source = LeanAdjointTests.Header + """
            // GradBench's llsq: r_i = sign(t_i) − Σ_j x_j t_i^j at n points t_i in [-1, 1], value ½ Σ r_i².
            [Differentiable] public static double Series(ReadOnlySpan<double> x, int n)
            {
                double sum = 0;
                for (int i = 0; i < n; i++)
                {
                    double t = -1 + i * 2.0 / (n - 1);
                    double r = Math.Sign(t);
                    double power = 1;
                    for (int j = 0; j < x.Length; j++)
                    {
                        r -= x[j] * power;
                        power *= t;
                    }
                    sum += r * r;
                }
                return sum / 2;
            }

            // A downward counter, two recurrences (one reads the counter, one only itself), a ?: in the accumulation.
            [Differentiable] public static double Alternating(ReadOnlySpan<double> x, [NoDiff] double t)
            {
                double sum = 0, power = 1, sign = 1;
                for (int j = x.Length - 1; j >= 0; j--)
                {
                    double term = x[j] * power * sign;
                    sum += term > 0 ? term * term : -term;
                    power = power * t + 0.5 * j;
                    sign = -sign;
                }
                return sum;
            }

            // In float, with a `<=` bound.
            [Differentiable] public static float SeriesF(ReadOnlySpan<float> x, [NoDiff] float t)
            {
                float r = 1, power = 1;
                for (int j = 0; j <= x.Length - 1; j++)
                {
                    r -= x[j] * power;
                    power *= t;
                }
                return r * r;
            }

            // Horner: the carried value is active, its adjoint moves from one reverse iteration to the next: backwards.
            [Differentiable] public static double Horner(ReadOnlySpan<double> c, double x)
            {
                double p = 0;
                for (int i = c.Length - 1; i >= 0; i--) p = p * x + c[i];
                return p;
            }

            public static double[] Probe(string method, double[] x, double t, int n)
            {
                var g = new double[x.Length];
                double v = method switch
                {
                    "Series" => SeriesGradient(x, n, g),
                    _ => AlternatingGradient(x, t, g),
                };
                var b = new double[x.Length];
                Array.Fill(b, 1.0);
                if (method == "Series") SeriesBackward(x, n, 2, b); else AlternatingBackward(x, t, 2, b);
                Func<double> f = method == "Series" ? () => Series(x, n) : () => Alternating(x, t);
                var r = new System.Collections.Generic.List<double> { v, f() };
                r.AddRange(g);
                r.AddRange(b);
                for (int i = 0; i < x.Length; i++) r.Add(Fd(f, x, i));
                return r.ToArray();
            }

            public static double[] ProbeF(float[] x, float t)
            {
                var g = new float[x.Length];
                float v = SeriesFGradient(x, t, g);
                var r = new System.Collections.Generic.List<double> { v, SeriesF(x, t) };
                foreach (float e in g) r.Add(e);
                return r.ToArray();
            }
        }
        """;

    private static void AssertRight(Assembly assembly, string method, double[] x, double t, int n, double[] byHand)
    {
        var r = (double[])assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { method, x, t, n })!;
        int m = x.Length;
        string what = $"{method} m={m} t={t} n={n}";
        Assert.True(r[0].Equals(r[1]), $"{what}: Gradient returned {r[0]:R}, the method {r[1]:R}");
        for (int i = 0; i < m; i++)
        {
            double g = r[2 + i], b = r[2 + m + i], fd = r[2 + 2 * m + i];
            Assert.True(Math.Abs(g - byHand[i]) <= 1e-12 * Math.Max(1, Math.Abs(byHand[i])), $"{what}: d[{i}] = {g:R}, by hand {byHand[i]:R}");
            Assert.True(Math.Abs(g - fd) <= 1e-6 * Math.Max(1, Math.Abs(fd)), $"{what}: d[{i}] = {g:R}, finite differences {fd:R}");
            Assert.True(Math.Abs(b - (1 + 2 * g)) <= 1e-12 * Math.Max(1, Math.Abs(g)), $"{what}: Backward d[{i}] = {b:R}, expected 1 + 2·{g:R}");
        }
    }

    private static double[] Random(Random random, int n, double scale) => Enumerable.Range(0, n).Select(_ => scale * (2 * random.NextDouble() - 1)).ToArray();

    [Theory, InlineData(false), InlineData(true)]
    public void Series_matches_the_hand_derived_gradient(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(29);
        foreach (var (m, n) in new[] { (0, 4), (1, 2), (3, 5), (8, 17), (5, 0), (12, 64) })
        {
            var x = Random(random, m, 1.0);
            // d/dx_j ½ Σ r_i² = −Σ_i r_i t_i^j
            var g = new double[m];
            for (int i = 0; i < n; i++)
            {
                double t = -1 + i * 2.0 / (n - 1), r = Math.Sign(t), power = 1;
                for (int j = 0; j < m; j++) { r -= x[j] * power; power *= t; }
                power = 1;
                for (int j = 0; j < m; j++) { g[j] -= r * power; power *= t; }
            }
            AssertRight(compiled.Assembly, "Series", x, 0, n, g);
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Two_recurrences_a_downward_counter_and_a_conditional(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(31);
        foreach (var (m, t) in new[] { (0, 0.5), (1, 0.5), (4, -0.8), (9, 0.3), (6, 1.1) })
        {
            var x = Random(random, m, 1.5);
            // term_j = x_j p_j s_j; d/dx_j = (term_j > 0 ? 2 term_j : −1) p_j s_j, with p and s run from j = m − 1 down
            var g = new double[m];
            double power = 1, sign = 1;
            for (int j = m - 1; j >= 0; j--)
            {
                double term = x[j] * power * sign;
                g[j] = (term > 0 ? 2 * term : -1) * power * sign;
                power = power * t + 0.5 * j;
                sign = -sign;
            }
            AssertRight(compiled.Assembly, "Alternating", x, t, 0, g);
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Float_runs_forward_too(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var probe = compiled.Assembly.GetType("T.C")!.GetMethod("ProbeF")!;
        foreach (int m in new[] { 0, 1, 6 })
        {
            float[] x = Enumerable.Range(0, m).Select(i => 0.3f * i - 0.7f).ToArray();
            const float t = 0.6f;
            float r = 1, power = 1;
            for (int j = 0; j < m; j++) { r -= x[j] * power; power *= t; }
            var result = (double[])probe.Invoke(null, new object[] { x, t })!;
            Assert.Equal((double)(r * r), result[1]);
            power = 1;
            for (int j = 0; j < m; j++)
            {
                double expected = -2.0 * r * power;
                Assert.True(Math.Abs(result[2 + j] - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"m={m}: d[{j}] = {result[2 + j]:R}, by hand {expected:R}");
                power *= t;
            }
        }
    }

    [Fact]
    public void The_powers_are_computed_again_not_recorded()
    {
        var compiled = GradientAssert.Compile(Source);
        string series = Member(compiled.GeneratedText, "static double SeriesCore(");
        // The outer loop records r (one double per point), nothing per power: its block is n doubles.
        Assert.Matches(@"savedDoubles\.PushSpan\(iterations\)", series);
        Assert.Matches(@"// in the forward's order, computing powerOld again\s*\n\s*double powerOld = 1d;\s*\n\s*for \(int j = 0; j < \w+; j\+\+\)", series);
        Assert.Matches(@"powerOld = power\w*;", series);
        string alternating = Member(compiled.GeneratedText, "public static double AlternatingGradient(");
        Assert.DoesNotContain("savedDoubles", alternating);
        Assert.Matches(@"for \(int j = \w+; j >= 0; j--\)", alternating);
        string horner = Member(compiled.GeneratedText, "public static double HornerGradient(");
        Assert.Matches(@"PushSpan|Push\(", horner);
    }

    [Fact]
    public void The_plan_prints_the_forward_reverse()
    {
        var function = ModelHelper.ParseValid(Source, "Series").Function;
        var program = Differentiable.Generator.Differentiation.ReverseModeBuilder.Build(function, ActivityAnalysis.Run(function, enabled: true));
        string printed = IrPrinter.Print(function, program.Annotate, program.AnnotateLoop);
        var loops = printed.Split('\n').Where(l => l.Contains("= loop")).ToList();
        Assert.Equal(2, loops.Count);
        Assert.DoesNotContain("reverse runs forward", loops[0]);
        Assert.Contains("[reverse runs forward]", loops[1]);
        Assert.Contains("recomputed forward", printed);
    }

    /// <summary>The text of one generated member, from its signature to its closing brace.</summary>
    private static string Member(string generated, string signature)
    {
        int start = generated.IndexOf(signature, StringComparison.Ordinal);
        Assert.True(start >= 0, signature + " is not in the generated code");
        int end = generated.IndexOf("\n        }\n", start, StringComparison.Ordinal);
        return generated.Substring(start, end - start);
    }
}
