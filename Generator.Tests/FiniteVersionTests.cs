using System.Reflection;
using System.Text.RegularExpressions;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Loops whose reverse runs in two versions (<c>FiniteVersions</c>): plain multiplies while the partials of its checked
/// products are known finite (a partial the same in every iteration, tested at the loop's entry; an element of a
/// read-only parameter buffer, tested once per call with <c>Grad.AllFinite</c>), the checked ones otherwise. Checked:
/// gradients against a hand-derived formula and finite differences in double and float, analyses on and off, with
/// <c>Backward</c> on pre-filled adjoints; infinite and NaN inputs whose adjoint is zero still give exact zeros (the
/// checked version runs), equal to the gradient at a finite input; the generated code has both versions where they
/// apply and none where they do not (a loop at the top level, a buffer the method writes).
/// </summary>
public class FiniteVersionTests
{
    private const string Source = LeanAdjointTests.Header + """
            // As in GMM: per round, p = (r+1)·w + L·w with L strictly lower triangular, stored column after column in l;
            // only the rows with keep[j] > 0 count. The row loop's reverse multiplies p's adjoint (zero for the rows
            // not kept) by l[li] (a read-only parameter) and by w[c] (the same in every row).
            [Differentiable] public static double Triangle(ReadOnlySpan<double> w, ReadOnlySpan<double> l, [NoDiff] ReadOnlySpan<double> keep, int rounds)
            {
                int d = w.Length;
                Span<double> p = new double[d];
                double s = 0;
                for (int r = 0; r < rounds; r++)
                {
                    for (int j = 0; j < d; j++) p[j] = w[j] * (r + 1);
                    int li = 0;
                    for (int c = 0; c < d; c++)
                    {
                        double wc = w[c];
                        for (int row = c + 1; row < d; row++)
                        {
                            p[row] += l[li] * wc;
                            li++;
                        }
                    }
                    for (int j = 0; j < d; j++)
                    {
                        if (keep[j] > 0) s += p[j] * p[j];
                    }
                }
                return s;
            }

            [Differentiable] public static float TriangleF(ReadOnlySpan<float> w, ReadOnlySpan<float> l, [NoDiff] ReadOnlySpan<float> keep, int rounds)
            {
                int d = w.Length;
                Span<float> p = new float[d];
                float s = 0;
                for (int r = 0; r < rounds; r++)
                {
                    for (int j = 0; j < d; j++) p[j] = w[j] * (r + 1);
                    int li = 0;
                    for (int c = 0; c < d; c++)
                    {
                        float wc = w[c];
                        for (int row = c + 1; row < d; row++)
                        {
                            p[row] += l[li] * wc;
                            li++;
                        }
                    }
                    for (int j = 0; j < d; j++)
                    {
                        if (keep[j] > 0) s += p[j] * p[j];
                    }
                }
                return s;
            }

            // A loop at the top level: its checked products by x[i] stay checked (no test of all of x).
            [Differentiable] public static double Gate(ReadOnlySpan<double> w, ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    double t = w[i] * x[i];
                    if (t > 0) s += t * x[i];
                }
                return s;
            }

            // The method writes the buffer whose elements are partials: no test of it (its elements change).
            [Differentiable] public static double Written(ReadOnlySpan<double> w, Span<double> z, int rounds)
            {
                double s = 0;
                for (int r = 0; r < rounds; r++)
                {
                    for (int i = 0; i < w.Length; i++)
                    {
                        double t = w[i] * z[i];
                        if (t > 0) s += t * z[i];
                    }
                    z[r % z.Length] = z[r % z.Length] * 0.5 + 1;
                }
                return s;
            }

            public static double[] Probe(double[] w, double[] l, double[] keep, int rounds)
            {
                var dw = new double[w.Length];
                var dl = new double[l.Length];
                double v = TriangleGradient(w, l, keep, rounds, dw, dl);
                // Backward with seed 2 on adjoints holding 1: 1 + 2·gradient.
                var bw = new double[w.Length];
                var bl = new double[l.Length];
                Array.Fill(bw, 1.0);
                Array.Fill(bl, 1.0);
                TriangleBackward(w, l, keep, rounds, 2, bw, bl);
                var r = new System.Collections.Generic.List<double> { v, Triangle(w, l, keep, rounds) };
                r.AddRange(dw);
                r.AddRange(dl);
                r.AddRange(bw);
                r.AddRange(bl);
                return r.ToArray();
            }

            public static double[] ProbeF(float[] w, float[] l, float[] keep, int rounds)
            {
                var dw = new float[w.Length];
                var dl = new float[l.Length];
                float v = TriangleFGradient(w, l, keep, rounds, dw, dl);
                var r = new System.Collections.Generic.List<double> { v, TriangleF(w, l, keep, rounds) };
                foreach (float g in dw) r.Add(g);
                foreach (float g in dl) r.Add(g);
                return r.ToArray();
            }

            public static double[] FdTriangle(double[] w, double[] l, double[] keep, int rounds)
            {
                var r = new System.Collections.Generic.List<double>();
                for (int i = 0; i < w.Length; i++) r.Add(Fd(() => Triangle(w, l, keep, rounds), w, i));
                for (int i = 0; i < l.Length; i++) r.Add(Fd(() => Triangle(w, l, keep, rounds), l, i));
                return r.ToArray();
            }
        }
        """;

    /// <summary>Value, primal, then the gradient of w and l, then Backward's (seed 2 on ones).</summary>
    private static (double Value, double Primal, double[] Gradient, double[] Backward) Run(Assembly assembly, double[] w, double[] l, double[] keep, int rounds)
    {
        var r = (double[])assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { w, l, keep, rounds })!;
        int n = w.Length + l.Length;
        return (r[0], r[1], r[2..(2 + n)], r[(2 + n)..]);
    }

    /// <summary>The gradient of Triangle by hand: g_r[j] = 2·p_r[j] for the kept rows, 0 for the others.</summary>
    private static double[] ByHand(double[] w, double[] l, double[] keep, int rounds)
    {
        int d = w.Length;
        var dw = new double[d];
        var dl = new double[l.Length];
        for (int r = 0; r < rounds; r++)
        {
            var p = new double[d];
            for (int j = 0; j < d; j++) p[j] = w[j] * (r + 1);
            int li = 0;
            for (int c = 0; c < d; c++)
                for (int row = c + 1; row < d; row++) p[row] += l[li++] * w[c];
            var g = new double[d];
            for (int j = 0; j < d; j++) g[j] = keep[j] > 0 ? 2 * p[j] : 0;
            for (int j = 0; j < d; j++) dw[j] += g[j] * (r + 1);
            li = 0;
            for (int c = 0; c < d; c++)
            {
                for (int row = c + 1; row < d; row++)
                {
                    dw[c] += g[row] * l[li];
                    dl[li] += g[row] * w[c];
                    li++;
                }
            }
        }
        return dw.Concat(dl).ToArray();
    }

    private static double[] Random(Random random, int n, double scale) => Enumerable.Range(0, n).Select(_ => scale * (2 * random.NextDouble() - 1)).ToArray();

    private static double[] Keep(int d, params int[] dropped) => Enumerable.Range(0, d).Select(j => dropped.Contains(j) ? 0.0 : 1.0).ToArray();

    [Theory, InlineData(false), InlineData(true)]
    public void Finite_inputs_match_the_hand_derived_gradient_and_finite_differences(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(11);
        foreach (var (d, rounds, dropped) in new[] { (1, 2, new int[0]), (2, 1, new int[0]), (4, 3, new[] { 3 }), (6, 2, new[] { 0, 4 }), (5, 0, new int[0]), (0, 2, new int[0]) })
        {
            double[] w = Random(random, d, 1.2), l = Random(random, d * (d - 1) / 2, 0.9), keep = Keep(d, dropped);
            var r = Run(compiled.Assembly, w, l, keep, rounds);
            var hand = ByHand(w, l, keep, rounds);
            var fd = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("FdTriangle")!.Invoke(null, new object[] { w, l, keep, rounds })!;
            string what = $"d={d} rounds={rounds}";
            Assert.True(r.Value.Equals(r.Primal), $"{what}: Gradient returned {r.Value:R}, the method {r.Primal:R}");
            for (int i = 0; i < hand.Length; i++)
            {
                Assert.True(Math.Abs(r.Gradient[i] - hand[i]) <= 1e-12 * Math.Max(1, Math.Abs(hand[i])), $"{what}: [{i}] = {r.Gradient[i]:R}, by hand {hand[i]:R}");
                Assert.True(Math.Abs(r.Gradient[i] - fd[i]) <= 1e-6 * Math.Max(1, Math.Abs(fd[i])), $"{what}: [{i}] = {r.Gradient[i]:R}, finite differences {fd[i]:R}");
                Assert.True(Math.Abs(r.Backward[i] - (1 + 2 * hand[i])) <= 1e-12 * Math.Max(1, Math.Abs(hand[i])), $"{what}: Backward [{i}] = {r.Backward[i]:R}");
            }
        }
    }

    [Theory, InlineData(false, double.PositiveInfinity), InlineData(true, double.PositiveInfinity), InlineData(false, double.NaN),
     InlineData(true, double.NegativeInfinity)]
    public void A_non_finite_element_of_the_read_only_buffer_times_a_zero_adjoint_is_zero(bool analysesOff, double bad)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(17);
        const int d = 5;
        double[] w = Random(random, d, 1.0), l = Random(random, d * (d - 1) / 2, 0.7), keep = Keep(d, d - 1);
        // The last element of l multiplies w[d-2] into row d-1, which does not count: the value does not depend on it.
        var finite = Run(compiled.Assembly, w, l, keep, 3);
        l[^1] = bad;
        var r = Run(compiled.Assembly, w, l, keep, 3);
        Assert.Equal(finite.Value, r.Value);
        for (int i = 0; i < finite.Gradient.Length; i++)
        {
            Assert.True(r.Gradient[i].Equals(finite.Gradient[i]), $"[{i}] = {r.Gradient[i]:R} with l[^1] = {bad}, {finite.Gradient[i]:R} with it finite");
            Assert.True(r.Backward[i].Equals(finite.Backward[i]), $"Backward [{i}] = {r.Backward[i]:R} with l[^1] = {bad}, {finite.Backward[i]:R} with it finite");
        }
        Assert.Equal(0, r.Gradient[^1]);
        var hand = ByHand(w, l.Select(x => double.IsFinite(x) ? x : 0).ToArray(), keep, 3);
        for (int i = 0; i < hand.Length; i++)
            Assert.True(Math.Abs(r.Gradient[i] - hand[i]) <= 1e-12 * Math.Max(1, Math.Abs(hand[i])), $"[{i}] = {r.Gradient[i]:R}, by hand {hand[i]:R}");
    }

    [Theory, InlineData(false, double.PositiveInfinity), InlineData(true, double.PositiveInfinity), InlineData(false, double.NaN)]
    public void A_non_finite_partial_the_same_in_every_row_times_a_zero_adjoint_is_zero(bool analysesOff, double bad)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(19);
        const int d = 5;
        double[] w = Random(random, d, 1.0), l = Random(random, d * (d - 1) / 2, 0.7), keep = Keep(d, d - 2, d - 1);
        // w[d-2] reaches rows d-2 and d-1 only, neither counts: the value does not depend on it, and its row loop
        // (c = d-2) multiplies the zero adjoint of row d-1 by it.
        var finite = Run(compiled.Assembly, w, l, keep, 2);
        w[d - 2] = bad;
        var r = Run(compiled.Assembly, w, l, keep, 2);
        Assert.Equal(finite.Value, r.Value);
        for (int i = 0; i < finite.Gradient.Length; i++)
        {
            Assert.True(r.Gradient[i].Equals(finite.Gradient[i]), $"[{i}] = {r.Gradient[i]:R} with w[d-2] = {bad}, {finite.Gradient[i]:R} with it finite");
            Assert.True(r.Backward[i].Equals(finite.Backward[i]), $"Backward [{i}] = {r.Backward[i]:R} with w[d-2] = {bad}, {finite.Backward[i]:R} with it finite");
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Float_takes_both_versions(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var probe = compiled.Assembly.GetType("T.C")!.GetMethod("ProbeF")!;
        var random = new Random(23);
        const int d = 4;
        float[] w = Random(random, d, 1.0).Select(x => (float)x).ToArray(), l = Random(random, d * (d - 1) / 2, 0.8).Select(x => (float)x).ToArray();
        float[] keep = Keep(d, d - 1).Select(x => (float)x).ToArray();
        var hand = ByHand(w.Select(x => (double)x).ToArray(), l.Select(x => (double)x).ToArray(), keep.Select(x => (double)x).ToArray(), 2);
        var r = (double[])probe.Invoke(null, new object[] { w, l, keep, 2 })!;
        for (int i = 0; i < hand.Length; i++)
            Assert.True(Math.Abs(r[2 + i] - hand[i]) <= 1e-4 * Math.Max(1, Math.Abs(hand[i])), $"[{i}] = {r[2 + i]:R}, by hand {hand[i]:R}");
        l[^1] = float.PositiveInfinity;
        var bad = (double[])probe.Invoke(null, new object[] { w, l, keep, 2 })!;
        Assert.Equal(r[0], bad[0]);
        for (int i = 2; i < r.Length; i++) Assert.True(bad[i].Equals(r[i]), $"[{i - 2}] = {bad[i]:R} with l[^1] = ∞, {r[i]:R} with it finite");
    }

    [Fact]
    public void The_row_loop_has_a_plain_and_a_checked_version()
    {
        var compiled = GradientAssert.Compile(Source);
        foreach (var (core, type) in new[] { ("static double TriangleCore(", "double"), ("static float TriangleFCore(", "float") })
        {
            string member = Member(compiled.GeneratedText, core);
            // l is tested once, before any loop; w[c] at the row loop's entry.
            Assert.Single(Regex.Matches(member, @"Grad\.AllFinite\(l\)"));
            Assert.Matches(@"if \(lFinite && " + type + @"\.IsFinite\(\w+\)\)", member);
            Assert.Matches(@"\+= dT\w+ \* \w+;", member);
            Assert.Contains("Grad.Mul(", member);
        }
        // No versions for a loop at the top level or for a buffer the method writes.
        foreach (var method in new[] { "Gate", "Written" })
        {
            string core = "static double " + method + "Core(";
            string member = Member(compiled.GeneratedText, compiled.GeneratedText.Contains(core) ? core : "public static void " + method + "Backward(");
            Assert.Contains("Grad.Mul(", member);
            Assert.DoesNotContain("AllFinite", member);
            Assert.DoesNotContain("IsFinite", member);
        }
    }

    [Fact]
    public void The_plan_prints_what_the_plain_version_needs()
    {
        var function = ModelHelper.ParseValid(Source, "Triangle").Function;
        var program = Differentiable.Generator.Differentiation.ReverseModeBuilder.Build(function, ActivityAnalysis.Run(function, enabled: true));
        string printed = IrPrinter.Print(function, program.Annotate, program.AnnotateLoop);
        var plain = printed.Split('\n').Where(line => line.Contains("plain products when finite")).ToList();
        var only = Assert.Single(plain);
        string l = function.Parameters[1].Value.ToString();
        Assert.Matches(@"\[plain products when finite: " + Regex.Escape(l) + @"\[\.\.\], %\d+\]", only);
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
