using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Small leaf callees called inside a loop are lowered in place (Generator/Lowering/IrLowering.Inlining.cs): the caller
/// records what it needs of them instead of running them again through their Backward every iteration. The gradient
/// must be the same as through the Backward: checked by hand-derived formulas and finite differences, with a
/// <c>[NoDiff]</c> parameter (no gradient through it, inlined or not), a callee with loops over a buffer the caller
/// rewrites every iteration, and callees that must not be inlined (an early return, a static read, a write).
/// </summary>
public class InliningTests
{
    private const string Source = LeanAdjointTests.Header + """

            [Differentiable] public static double Soft(double x, [NoDiff] double k) => Math.Log(1 + Math.Exp(k * x)) / k;

            [Differentiable] public static double Lse(ReadOnlySpan<double> x)
            {
                double a = x[0];
                for (int i = 1; i < x.Length; i++) a = Math.Max(a, x[i]);
                double shift = Grad.Stop(a);
                double s = 0;
                for (int i = 0; i < x.Length; i++) s += Math.Exp(x[i] - shift);
                return Math.Log(s) + shift;
            }

            // Not inlined: an early return; a static read; a write to a buffer.
            [Differentiable] public static double Early(double x) { if (x > 2) return 2 * x; return x * x; }
            public static readonly double Scale = 1.5;
            [Differentiable] public static double Scaled(double x) => Scale * x * x;
            [Differentiable] public static double Writes(Span<double> o, double x) { o[0] = x * x; return o[0] + x; }

            // Each row of w: its Lse (the buffer 'row' rewritten every iteration), plus Soft of each element, plus the
            // three that stay calls.
            [Differentiable] public static double Model(ReadOnlySpan<double> w, int rows, int cols)
            {
                Span<double> row = stackalloc double[cols];
                Span<double> scratch = stackalloc double[1];
                double total = 0;
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < cols; j++) row[j] = w[r * cols + j] * (1 + 0.1 * j);
                    total += Lse(row);
                    for (int j = 0; j < cols; j++) total += Soft(row[j], 1 + 0.5 * j);
                    total += Early(row[0]) + Scaled(row[cols - 1]) + Writes(scratch, row[0]);
                }
                return total;
            }

            // k depends on x but is [NoDiff]: no gradient through it, whether Soft is inlined (in the loop) or called.
            [Differentiable] public static double NoDiffInLoop(ReadOnlySpan<double> w) { double s = 0; for (int i = 0; i < w.Length; i++) s += Soft(w[i], 1 + w[i] * w[i]); return s; }
            [Differentiable] public static double NoDiffCalled(double x) => Soft(x, 1 + x * x);

            public static double[] NoDiff(double[] w)
            {
                var dw = new double[w.Length];
                NoDiffInLoopGradient(w, dw);
                var result = new System.Collections.Generic.List<double>(dw);
                foreach (double x in w) { NoDiffCalledGradient(x, out double dx); result.Add(dx); }
                return result.ToArray();
            }

            public static double[] Probe(double[] w, int rows, int cols)
            {
                var dw = new double[w.Length];
                double v = ModelGradient(w, rows, cols, dw);
                var result = new System.Collections.Generic.List<double> { v, Model(w, rows, cols) };
                result.AddRange(dw);
                var p = (double[])w.Clone();
                for (int i = 0; i < w.Length; i++) result.Add(Fd(() => Model(p, rows, cols), p, i));
                return result.ToArray();
            }
        }
        """;

    [Theory, InlineData(false), InlineData(true)]
    public void A_leaf_callee_in_a_loop_is_inlined_with_the_same_gradient(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(11);
        foreach (var (rows, cols) in new[] { (1, 1), (3, 4), (5, 2) })
        {
            double[] w = Enumerable.Range(0, rows * cols).Select(_ => 4 * random.NextDouble() - 2).ToArray();
            var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { w, rows, cols })!;
            Assert.Equal(r[1], r[0]);
            int n = w.Length;
            for (int i = 0; i < n; i++)
            {
                // By hand: row j scales w by s_j = 1 + 0.1 j; d Lse / d row_j = softmax_j; d Soft(x, k) / dx = σ(k x)
                // Early, Scaled and Writes as written.
                int rr = i / cols, j = i % cols;
                double[] row = Enumerable.Range(0, cols).Select(c => w[rr * cols + c] * (1 + 0.1 * c)).ToArray();
                double max = row.Max(), sum = row.Sum(x => Math.Exp(x - max));
                double x0 = row[j], k = 1 + 0.5 * j;
                double d = Math.Exp(x0 - max) / sum + 1 / (1 + Math.Exp(-k * x0));
                if (j == 0) d += (x0 > 2 ? 2 : 2 * x0) + 2 * x0 + 1;
                if (j == cols - 1) d += 3 * row[cols - 1];
                d *= 1 + 0.1 * j;
                Assert.True(Math.Abs(r[2 + i] - d) <= 1e-12 * Math.Max(1, Math.Abs(d)), $"{rows}×{cols}: d[{i}] = {r[2 + i]:R}, by hand {d:R}");
                Assert.True(Math.Abs(r[2 + i] - r[2 + n + i]) <= 1e-6 * Math.Max(1, Math.Abs(d)), $"{rows}×{cols}: d[{i}] = {r[2 + i]:R}, finite differences {r[2 + n + i]:R}");
            }
        }
        double[] points = { -1.5, 0.25, 2.0 };
        var noDiff = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("NoDiff")!.Invoke(null, new object[] { points })!;
        for (int i = 0; i < points.Length; i++)
        {
            double k = 1 + points[i] * points[i], sigma = 1 / (1 + Math.Exp(-k * points[i]));
            Assert.True(Math.Abs(noDiff[i] - sigma) <= 1e-14, $"inlined: {noDiff[i]:R}, σ(kx) = {sigma:R}");
            Assert.True(Math.Abs(noDiff[points.Length + i] - sigma) <= 1e-14, $"called: {noDiff[points.Length + i]:R}, σ(kx) = {sigma:R}");
        }
        Assert.DoesNotContain("SoftBackward(", Members(compiled.GeneratedText, "NoDiffInLoop"));
        Assert.Contains("SoftBackward(", Members(compiled.GeneratedText, "NoDiffCalled"));
        string model = compiled.GeneratedText.Substring(compiled.GeneratedText.IndexOf("ModelGradient(", StringComparison.Ordinal));
        model = model.Substring(0, model.IndexOf("ModelBackward(", StringComparison.Ordinal));
        Assert.DoesNotContain("LseBackward(", model);
        Assert.DoesNotContain("SoftBackward(", model);
        // The three that stay calls, through their Backward: Early and Scaled are a few cheap operations (split forms would
        // not pay), Writes writes a buffer.
        Assert.Contains("EarlyBackward(", model);
        Assert.Contains("ScaledBackward(", model);
        Assert.Contains("WritesBackward(", model);
    }

    private static string Members(string generated, string method)
    {
        string text = generated.Substring(generated.IndexOf(method + "Gradient(", StringComparison.Ordinal));
        return text.Substring(0, text.IndexOf(method + "Backward(", StringComparison.Ordinal));
    }

    // Adversarial: the inlined callee reads memory the caller overwrites right after, in the same iteration, and
    // again next iteration through a slice; a callee with a loop of its own that breaks; a callee whose result is used
    // in a condition, with an int argument converted to its double parameter.
    [Theory, InlineData(false), InlineData(true)]
    public void Inlined_reads_of_memory_the_caller_overwrites_are_right(bool analysesOff)
    {
        var compiled = GradientAssert.Compile("""
            using System;
            using Differentiable;
            namespace T;
            public static partial class C
            {
                [Differentiable] public static double Peek(ReadOnlySpan<double> b) => b[0] * b[0] + b[b.Length - 1];
                [Differentiable] public static double Until(ReadOnlySpan<double> b, double limit)
                {
                    double s = 0;
                    for (int i = 0; i < b.Length; i++) { s += b[i] * b[i]; if (s > limit) break; }
                    return s;
                }
                [Differentiable] public static double Half(double x, double k) => 0.5 * x * x * k;

                [Differentiable] public static double Run(ReadOnlySpan<double> w, Span<double> buf)
                {
                    double s = 0;
                    for (int r = 0; r < w.Length; r++)
                    {
                        s += Peek(buf);
                        buf[0] = s * w[r];
                        s += Peek(buf.Slice(1)) + Until(buf, 2.0);
                        buf[buf.Length - 1] = Math.Tanh(s);
                        double h = Half(w[r], r + 1);
                        if (h > 0.1) s += h * s;
                    }
                    return s;
                }

                public static double[] Probe(double[] w, double[] b)
                {
                    var dw = new double[w.Length];
                    var db = new double[b.Length];
                    double v = RunGradient(w, (double[])b.Clone(), dw, db);
                    var result = new System.Collections.Generic.List<double> { v, Run(w, (double[])b.Clone()) };
                    result.AddRange(dw);
                    result.AddRange(db);
                    const double h = 1e-6;
                    for (int i = 0; i < w.Length + b.Length; i++)
                    {
                        var wp = (double[])w.Clone(); var wm = (double[])w.Clone(); var bp = (double[])b.Clone(); var bm = (double[])b.Clone();
                        if (i < w.Length) { wp[i] += h; wm[i] -= h; } else { bp[i - w.Length] += h; bm[i - w.Length] -= h; }
                        result.Add((Run(wp, bp) - Run(wm, bm)) / (2 * h));
                    }
                    return result.ToArray();
                }
            }
            """, analysesOff);
        var random = new Random(5);
        for (int trial = 0; trial < 6; trial++)
        {
            double[] w = Enumerable.Range(0, 1 + trial % 4).Select(_ => 1.6 * random.NextDouble() - 0.8).ToArray();
            double[] b = Enumerable.Range(0, 3 + trial % 2).Select(_ => 1.2 * random.NextDouble() - 0.6).ToArray();
            var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { w, b })!;
            Assert.Equal(r[1], r[0]);
            int n = w.Length + b.Length;
            for (int i = 0; i < n; i++)
            {
                double tolerance = 1e-6;
                Assert.True(Math.Abs(r[2 + i] - r[2 + n + i]) <= tolerance * Math.Max(1, Math.Abs(r[2 + i])),
                    $"trial {trial}: d[{i}] = {r[2 + i]:R}, finite differences {r[2 + n + i]:R}");
            }
        }
        if (!analysesOff)
        {
            string run = Members(compiled.GeneratedText, "Run");
            Assert.DoesNotContain("PeekBackward(", run);
            Assert.DoesNotContain("UntilBackward(", run);
            Assert.DoesNotContain("HalfBackward(", run);
        }
    }

    [Fact]
    public void A_callee_that_is_refused_refuses_its_caller_though_called_in_a_loop()
    {
        var result = TestCompiler.Run("""
            using System;
            using Differentiable;
            public static partial class C
            {
                [Differentiable] public static double Bad(double x) { decimal m = 2m; return x * (double)m; }
                [Differentiable] public static double Caller(ReadOnlySpan<double> w) { double s = 0; for (int i = 0; i < w.Length; i++) s += Bad(w[i]); return s; }
            }
            """);
        var ids = result.GeneratorDiagnostics.Select(d => d.Id).OrderBy(i => i, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "DIFF0011", "DIFF0012" }, ids);
        Assert.Contains("'Caller'", result.GeneratorDiagnostics.Single(d => d.Id == "DIFF0011").GetMessage(), StringComparison.Ordinal);
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
    }
}
