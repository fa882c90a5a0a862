using System.Reflection;
using System.Text.RegularExpressions;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// What a loop's reverse re-reads or recomputes instead of recording (the lean-adjoints work): loads of memory
/// nothing writes afterwards, stored values forwarded to later loads of the same element, loop-invariant loads read
/// once before their loop, and carried ints that step by a fixed amount. Each case checks the gradient against a
/// hand-derived formula and central finite differences, with the analyses on and off, and the generated code for
/// the saving itself (what is no longer pushed). Adversarial variants check the same savings are not made where they
/// would be wrong: memory written later, through a slice, by a later loop; a guarded read whose index is out of
/// range when the loop does not run.
/// </summary>
public class LeanAdjointTests
{
    /// <summary>The usings, namespace T, and class C opened with its central-difference helper <c>Fd</c> and <c>ValueGradientDifferences</c> (shared with <see cref="InliningTests"/> and others).</summary>
    internal const string Header = """
        using System;
        using Differentiable;
        namespace T;
        public static partial class C
        {
            // Central differences of f in p[i].
            public static double Fd(Func<double> f, double[] p, int i)
            {
                double o = p[i], h = 1e-6 * Math.Max(1, Math.Abs(o));
                p[i] = o + h; double a = f();
                p[i] = o - h; double b = f();
                p[i] = o;
                return (a - b) / (2 * h);
            }

            // [value, adjoints of w, adjoints of x, central differences of f in w, in x].
            public static double[] ValueGradientDifferences(double value, Func<double> f, double[] w, double[] dw, double[] x, double[] dx)
            {
                var r = new System.Collections.Generic.List<double> { value };
                r.AddRange(dw); r.AddRange(dx);
                for (int i = 0; i < w.Length; i++) r.Add(Fd(f, w, i));
                for (int i = 0; i < x.Length; i++) r.Add(Fd(f, x, i));
                return r.ToArray();
            }

        """;

    private static (Assembly Assembly, string Generated) Compile(string body, bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Header + body + "\n}\n", analysesOff);
        return (compiled.Assembly, compiled.GeneratedText);
    }

    private static double[] Run(Assembly assembly, string probe, params object[] args) =>
        (double[])assembly.GetType("T.C")!.GetMethod(probe)!.Invoke(null, args)!;

    /// <summary>The generated members of one method (its Gradient through its Backward), for looking at what they push.</summary>
    private static string MembersOf(string generated, string method)
    {
        int start = generated.IndexOf("public static double " + method + "Gradient(", StringComparison.Ordinal);
        Assert.True(start >= 0, method + "Gradient is not in the generated code");
        int end = generated.IndexOf("\n        }\n", generated.IndexOf(method + "Backward(", start, StringComparison.Ordinal), StringComparison.Ordinal);
        return generated.Substring(start, end - start);
    }

    /// <summary>Asserts [value, gradient..., finite differences...] against the expected value and gradient.</summary>
    private static void AssertGradient(double[] result, double value, params double[] gradient)
    {
        Assert.Equal(1 + 2 * gradient.Length, result.Length);
        Assert.True(Math.Abs(result[0] - value) <= 1e-12 * Math.Max(1, Math.Abs(value)), $"value {result[0]:R}, expected {value:R}");
        for (int i = 0; i < gradient.Length; i++)
        {
            double g = result[1 + i], fd = result[1 + gradient.Length + i];
            Assert.True(Math.Abs(g - gradient[i]) <= 1e-12 * Math.Max(1, Math.Abs(gradient[i])), $"d[{i}] = {g:R}, hand-derived {gradient[i]:R}");
            Assert.True(Math.Abs(g - fd) <= 1e-6 * Math.Max(1, Math.Abs(g)), $"d[{i}] = {g:R}, finite differences {fd:R}");
        }
    }

    // ---- values computed in a branch of a loop's body are recomputed in the same branch's reverse

    private const string InBranch = """
            // After the continue, the rest of the body is one branch: the index k, the load w[k] (which, for a skipped i,
            // would be out of range) and the product are run again where the reverse takes the same branch; only the
            // branch's flag and the exponential (not cheap) are recorded. In the else branch, 1 / w[i] likewise.
            [Differentiable] public static double Skips(ReadOnlySpan<double> w, int stride)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    if (i % stride != 0) continue;
                    int k = w.Length - 1 - i / stride;
                    double p = w[k] * w[i];
                    if (p > 0) s += Math.Exp(p) * p;
                    else s += p / w[i];
                }
                return s;
            }

            public static double[] Probe(double[] w, int stride)
            {
                var dw = new double[w.Length];
                double v = SkipsGradient(w, stride, dw);
                var r = new System.Collections.Generic.List<double> { v };
                r.AddRange(dw);
                for (int i = 0; i < w.Length; i++) r.Add(Fd(() => Skips(w, stride), w, i));
                return r.ToArray();
            }
        """;

    [Theory, InlineData(false), InlineData(true)]
    public void Values_of_a_branch_are_recomputed_in_the_branch_reverse(bool analysesOff)
    {
        var (assembly, generated) = Compile(InBranch, analysesOff);
        var random = new Random(8);
        foreach (int n in new[] { 0, 1, 5, 9 })
        {
            foreach (int stride in new[] { 1, 2, 3 })
            {
                double[] w = Enumerable.Range(0, n).Select(_ => 2.4 * random.NextDouble() - 1.2).ToArray();
                // By hand: each kept i (i % stride == 0) with k = n-1-i/stride, p = w_k w_i, adds e^p p (p > 0) or w_k (else:
                // p / w_i = w_k, so d/dw_k = 1).
                double value = 0;
                var g = new double[n];
                for (int i = 0; i < n; i += stride)
                {
                    int k = n - 1 - i / stride;
                    double p = w[k] * w[i];
                    if (p > 0)
                    {
                        value += Math.Exp(p) * p;
                        double dp = Math.Exp(p) * (p + 1);
                        g[k] += dp * w[i];
                        g[i] += dp * w[k];
                    }
                    else
                    {
                        value += p / w[i];
                        // s += p / w_i with p = w_k w_i: d/dp = 1 / w_i, d/dw_i (divisor) = -p / w_i²
                        g[k] += w[i] / w[i];
                        g[i] += w[k] / w[i] - p / (w[i] * w[i]);
                    }
                }
                AssertGradient(Run(assembly, "Probe", w, stride), value, g);
            }
        }
        if (!analysesOff)
        {
            string skips = MembersOf(generated, "Skips");
            // Recorded per iteration: the branch flags and the exponential, never the index, the loads or the product.
            Assert.Matches(@"recordedDoubles\[i\] = t\d+;", skips);
            Assert.DoesNotMatch(@"recordedInts", skips);
            Assert.DoesNotMatch(@"recordedDoubles\[\(i\) \* 2", skips);
        }
    }

    // ---- loads of memory nothing writes afterwards are re-read; repeated loads are one value

    private const string ReadAfterLastWrite = """
            // q is written by the first loop only: the second loop's reverse reads q[i] again (once: q[i] * q[i] is one load).
            [Differentiable] public static double Reread(ReadOnlySpan<double> w, ReadOnlySpan<double> x)
            {
                Span<double> q = stackalloc double[w.Length];
                for (int i = 0; i < w.Length; i++) q[i] = 2 * w[i] + 1;
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += q[i] * q[i] * x[i];
                return s;
            }

            // The same, but a third loop overwrites q after it was read: those loads are recorded, and still right.
            [Differentiable] public static double Overwritten(ReadOnlySpan<double> w, ReadOnlySpan<double> x)
            {
                Span<double> q = stackalloc double[w.Length];
                for (int i = 0; i < w.Length; i++) q[i] = 2 * w[i] + 1;
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += q[i] * q[i] * x[i];
                Span<double> tail = q.Slice(0);
                for (int i = 0; i < w.Length; i++) tail[i] = 3 * q[i];
                for (int i = 0; i < w.Length; i++) s += q[i];
                return s;
            }

            public static double[] Probe(string method, double[] w, double[] x)
            {
                Func<double> f = method == "Reread" ? () => Reread(w, x) : () => Overwritten(w, x);
                var dw = new double[w.Length];
                var dx = new double[x.Length];
                double v = method == "Reread" ? RereadGradient(w, x, dw, dx) : OverwrittenGradient(w, x, dw, dx);
                return ValueGradientDifferences(v, f, w, dw, x, dx);
            }
        """;

    [Theory, InlineData(false), InlineData(true)]
    public void A_load_after_the_last_write_is_read_again(bool analysesOff)
    {
        var (assembly, generated) = Compile(ReadAfterLastWrite, analysesOff);
        double[] w = { 0.3, -1.2, 2.0 }, x = { 1.5, -0.5, 0.25 };
        // f = Σ (2w+1)² x: df/dw = 4(2w+1)x, df/dx = (2w+1)².
        double[] q = w.Select(v => 2 * v + 1).ToArray();
        double f = q.Select((v, i) => v * v * x[i]).Sum();
        AssertGradient(Run(assembly, "Probe", "Reread", w, x), f,
            4 * q[0] * x[0], 4 * q[1] * x[1], 4 * q[2] * x[2], q[0] * q[0], q[1] * q[1], q[2] * q[2]);
        // Overwritten adds Σ (3q)... no: the last loop adds q after q = 3q, so Σ 3(2w+1): df/dw += 6.
        AssertGradient(Run(assembly, "Probe", "Overwritten", w, x), f + 3 * q.Sum(),
            4 * q[0] * x[0] + 6, 4 * q[1] * x[1] + 6, 4 * q[2] * x[2] + 6, q[0] * q[0], q[1] * q[1], q[2] * q[2]);
        AssertGradient(Run(assembly, "Probe", "Reread", Array.Empty<double>(), Array.Empty<double>()), 0);

        string reread = MembersOf(generated, "Reread");
        if (!analysesOff)
        {
            Assert.DoesNotContain("savedDoubles", reread); // nothing recorded at all
            // q[i] * q[i] is one load, in the forward loop and in the reverse that reads it again, in Gradient and in Backward.
            Assert.Equal(4, Regex.Matches(reread, @"= q\[i\d*\];").Count);
        }
        // Written later through a slice of the same memory: recorded, not re-read.
        Assert.Contains("savedDoubles", MembersOf(generated, "Overwritten"));
    }

    // ---- a stored value is the value of a later load of the same element

    [Theory, InlineData(false), InlineData(true)]
    public void B_stored_value_is_forwarded_to_the_load(bool analysesOff)
    {
        var (assembly, generated) = Compile("""
            [Differentiable] public static double Forward(ReadOnlySpan<double> v)
            {
                Span<double> h = stackalloc double[v.Length];
                double s = 0;
                for (int i = 0; i < v.Length; i++) { h[i] = Math.Sin(v[i]); s += h[i] * h[i]; }
                return s;
            }

            // A store to another element, and a store through an alias, come between: no forwarding past them.
            [Differentiable] public static double Aliased(ReadOnlySpan<double> v)
            {
                Span<double> h = stackalloc double[2];
                Span<double> g = h.Slice(0, 2);
                h[0] = v[0] * v[1];
                g[0] = 3 * v[0];
                return h[0] * v[1];
            }

            public static double[] Probe(string method, double[] v)
            {
                Func<double> f = method == "Forward" ? () => Forward(v) : () => Aliased(v);
                var dv = new double[v.Length];
                double value = method == "Forward" ? ForwardGradient(v, dv) : AliasedGradient(v, dv);
                var r = new System.Collections.Generic.List<double> { value };
                r.AddRange(dv);
                for (int i = 0; i < v.Length; i++) r.Add(Fd(f, v, i));
                return r.ToArray();
            }
            """, analysesOff);
        double[] v = { 0.4, -1.1 };
        AssertGradient(Run(assembly, "Probe", "Forward", v), v.Sum(a => Math.Sin(a) * Math.Sin(a)),
            2 * Math.Sin(v[0]) * Math.Cos(v[0]), 2 * Math.Sin(v[1]) * Math.Cos(v[1]));
        // Aliased = 3 v0 · v1: the alias's store is what h[0] holds.
        AssertGradient(Run(assembly, "Probe", "Aliased", v), 3 * v[0] * v[1], 3 * v[1], 3 * v[0]);
        // The forward loop never loads h[i]: it reads what it stored (the reverse may read it back).
        string gradient = MembersOf(generated, "Forward");
        Assert.DoesNotMatch(@"= h\[i\d*\];", gradient.Substring(0, gradient.IndexOf("// return", StringComparison.Ordinal)));
    }

    // ---- a loop-invariant load is read once before its loop, guarded by the loop's first test

    private const string Triangular = """
            // GMM's triangular product: c[col] does not change in the inner loop, which is empty for the last col.
            [Differentiable] public static double Triangle(ReadOnlySpan<double> c, ReadOnlySpan<double> l)
            {
                int d = c.Length;
                Span<double> p = stackalloc double[d];
                Span<double> q = stackalloc double[d];
                for (int j = 0; j < d; j++) { q[j] = c[j]; p[j] = c[j]; }
                int li = 0;
                for (int col = 0; col < d; col++)
                {
                    for (int row = col + 1; row < d; row++) { p[row] += l[li] * q[col]; li++; }
                }
                double s = 0;
                for (int j = 0; j < d; j++) s += p[j] * p[j];
                return s;
            }

            // A loop that does not run must not read: k is out of range exactly when m is 0.
            [Differentiable] public static double Guarded(ReadOnlySpan<double> w, ReadOnlySpan<double> x, int k, int m)
            {
                double s = 0;
                for (int j = 0; j < m; j++) s += w[k] * x[j];
                return s;
            }

            // The loop writes the memory it reads (through a slice): not hoisted.
            [Differentiable] public static double Written(ReadOnlySpan<double> w)
            {
                Span<double> a = stackalloc double[1];
                Span<double> b = a.Slice(0, 1);
                a[0] = w[0];
                double s = 0;
                for (int j = 0; j < 3; j++) { s += a[0] * w[1]; b[0] = b[0] * w[1]; }
                return s;
            }

            public static double[] ProbeTriangle(double[] c, double[] l)
            {
                var dc = new double[c.Length];
                var dl = new double[l.Length];
                double v = TriangleGradient(c, l, dc, dl);
                var r = new System.Collections.Generic.List<double> { v };
                r.AddRange(dc); r.AddRange(dl);
                for (int i = 0; i < c.Length; i++) r.Add(Fd(() => Triangle(c, l), c, i));
                for (int i = 0; i < l.Length; i++) r.Add(Fd(() => Triangle(c, l), l, i));
                return r.ToArray();
            }

            public static double[] ProbeGuarded(double[] w, double[] x, int k, int m)
            {
                var dw = new double[w.Length];
                var dx = new double[x.Length];
                double v = GuardedGradient(w, x, k, m, dw, dx);
                var bw = new double[w.Length];
                var bx = new double[x.Length];
                GuardedBackward(w, x, k, m, 1, bw, bx);
                var r = new System.Collections.Generic.List<double> { v };
                r.AddRange(dw); r.AddRange(dx);
                r.AddRange(bw); r.AddRange(bx);
                return r.ToArray();
            }

            public static double[] ProbeWritten(double[] w)
            {
                var dw = new double[w.Length];
                double v = WrittenGradient(w, dw);
                var r = new System.Collections.Generic.List<double> { v };
                r.AddRange(dw);
                for (int i = 0; i < w.Length; i++) r.Add(Fd(() => Written(w), w, i));
                return r.ToArray();
            }
        """;

    [Theory, InlineData(false), InlineData(true)]
    public void C_invariant_load_is_read_once_before_its_loop(bool analysesOff)
    {
        var (assembly, generated) = Compile(Triangular, analysesOff);
        // d = 3: p = (c0, c1 + l0 c0, c2 + l1 c0 + l2 c1); s = Σ p².
        double[] c = { 0.7, -0.3, 1.1 }, l = { 0.5, -0.25, 2.0 };
        double p1 = c[1] + l[0] * c[0], p2 = c[2] + l[1] * c[0] + l[2] * c[1];
        double s = c[0] * c[0] + p1 * p1 + p2 * p2;
        double g1 = 2 * p1, g2 = 2 * p2;
        AssertGradient(Run(assembly, "ProbeTriangle", c, l), s,
            2 * c[0] + g1 * l[0] + g2 * l[1], g1 + g2 * l[2], g2, g1 * c[0], g2 * c[0], g2 * c[1]);
        // d = 1 and d = 0: every inner loop is empty.
        AssertGradient(Run(assembly, "ProbeTriangle", new[] { 1.5 }, Array.Empty<double>()), 2.25, 3.0);
        AssertGradient(Run(assembly, "ProbeTriangle", Array.Empty<double>(), Array.Empty<double>()), 0);

        // Guarded: w[k] with k = w.Length and m = 0 must not throw; with m = 2 it is read.
        var none = Run(assembly, "ProbeGuarded", new[] { 2.0 }, new[] { 1.0, 1.0 }, 1, 0);
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0, 0 }, none);
        var two = Run(assembly, "ProbeGuarded", new[] { 2.0, 3.0 }, new[] { 0.5, -1.5 }, 1, 2);
        Assert.Equal(new double[] { -3, 0, -1, 3, 3, 0, -1, 3, 3 }, two);
        Assert.Throws<TargetInvocationException>(() => Run(assembly, "ProbeGuarded", new[] { 2.0 }, new[] { 1.0, 1.0 }, 1, 1));

        // Written: a = w0 then a *= w1 each iteration, s = Σ_j w0 w1^(j+1) for j < 3.
        double[] ww = { 0.8, 1.3 };
        double sw = ww[0] * (ww[1] + ww[1] * ww[1] + Math.Pow(ww[1], 3));
        AssertGradient(Run(assembly, "ProbeWritten", ww), sw, sw / ww[0], ww[0] * (1 + 2 * ww[1] + 3 * ww[1] * ww[1]));

        if (!analysesOff)
        {
            // The triangle's inner loops push nothing: q[col] is read before them, li is computed from the counter.
            string triangle = MembersOf(generated, "Triangle");
            Assert.Matches(@"if \(t\d+\)\s*\{\s*double t\d+ = q\[col\];", triangle);
            Assert.DoesNotMatch(@"recorded\w*\[row", triangle);
            Assert.Matches(@"int li\w* = unchecked\(li\w* \+ \(row - t\d+\)\);", triangle);
        }
    }

    // ---- carried ints that step by a fixed amount are computed from the counter

    [Theory, InlineData(false), InlineData(true)]
    public void D_stepping_ints_are_computed_from_the_counter(bool analysesOff)
    {
        var (assembly, generated) = Compile("""
            // k steps up by a stride from outside the loop, m down by 2, under a counter that runs down.
            [Differentiable] public static double Strided(ReadOnlySpan<double> w, int stride)
            {
                double s = 0;
                int k = 0, m = 100;
                for (int j = w.Length - 1; j >= 0; j--)
                {
                    int a = k % w.Length, b = m % w.Length;
                    s += Math.Sin(w[a] * w[b]) + w[a] * w[b];
                    k += stride;
                    m -= 2;
                }
                return s;
            }

            // Not a fixed step (a wrap, a branch): recorded, and right.
            [Differentiable] public static double Wrapped(ReadOnlySpan<double> w, int stride)
            {
                double s = 0;
                int k = 0, m = w.Length - 1;
                for (int j = 0; j < w.Length; j++)
                {
                    s += Math.Sin(w[k] * w[m]) + w[k] * w[m];
                    k += stride;
                    k = k % w.Length;
                    m -= 2;
                    if (m < 0) m += w.Length;
                }
                return s;
            }

            // i2 = i2 + 1 twice used, as an index and as a value (the int converts to double).
            [Differentiable] public static double Twice(ReadOnlySpan<double> w)
            {
                double s = 0;
                int i2 = 0;
                for (int j = 0; j < w.Length; j++) { s += w[i2] * i2 + Math.Exp(w[i2] * 0.1); i2 = i2 + 1; }
                return s;
            }

            public static double[] Probe(string method, double[] w, int stride)
            {
                Func<double> f = method == "Strided" ? () => Strided(w, stride) : method == "Wrapped" ? () => Wrapped(w, stride) : () => Twice(w);
                var dw = new double[w.Length];
                double v = method == "Strided" ? StridedGradient(w, stride, dw) : method == "Wrapped" ? WrappedGradient(w, stride, dw) : TwiceGradient(w, dw);
                var r = new System.Collections.Generic.List<double> { v };
                r.AddRange(dw);
                for (int i = 0; i < w.Length; i++) r.Add(Fd(f, w, i));
                return r.ToArray();
            }
            """, analysesOff);
        double[] w = { 0.2, -0.7, 1.1, 0.4, -0.9 };
        // Strided: iteration t reads a = (stride·t) mod n and b = (100 − 2t) mod n.
        var expected = new double[w.Length];
        double f = 0;
        for (int t = 0; t < w.Length; t++)
        {
            int a = 3 * t % w.Length, b = (100 - 2 * t) % w.Length;
            double x = w[a], y = w[b];
            f += Math.Sin(x * y) + x * y;
            expected[a] += (Math.Cos(x * y) + 1) * y;
            expected[b] += (Math.Cos(x * y) + 1) * x;
        }
        AssertGradient(Run(assembly, "Probe", "Strided", w, 3), f, expected);
        // Wrapped: k = (2t) mod n, m starts at n − 1 and steps −2 with wrap.
        expected = new double[w.Length];
        f = 0;
        int k = 0, m = w.Length - 1;
        for (int t = 0; t < w.Length; t++)
        {
            double x = w[k], y = w[m];
            f += Math.Sin(x * y) + x * y;
            expected[k] += (Math.Cos(x * y) + 1) * y;
            expected[m] += (Math.Cos(x * y) + 1) * x;
            k = (k + 2) % w.Length;
            m -= 2;
            if (m < 0) m += w.Length;
        }
        AssertGradient(Run(assembly, "Probe", "Wrapped", w, 2), f, expected);
        // Twice: Σ_i w_i · i + exp(0.1 w_i): d/dw_i = i + 0.1 exp(0.1 w_i).
        AssertGradient(Run(assembly, "Probe", "Twice", w, 0), w.Select((v, i) => v * i + Math.Exp(0.1 * v)).Sum(),
            w.Select((v, i) => i + 0.1 * Math.Exp(0.1 * v)).ToArray());
        if (!analysesOff)
        {
            Assert.DoesNotContain("savedInts", MembersOf(generated, "Twice"));
            Assert.DoesNotContain("savedInts", MembersOf(generated, "Strided"));
            Assert.Contains("savedInts", MembersOf(generated, "Wrapped"));
        }
    }
    // ---- carried ints that an inner loop steps (packed triangles) are computed back from their value after the loop

    private const string Packed = """
            // The packed lower triangle of gmm: each col moves k on by its inner loop's trip count (none for the last).
            [Differentiable] public static double Packed(ReadOnlySpan<double> w, ReadOnlySpan<double> x)
            {
                int n = x.Length;
                double s = 0;
                int k = 0;
                for (int col = 0; col < n; col++)
                {
                    for (int row = col + 1; row < n; row++) { s += Math.Sin(w[k] * x[row]) * x[col]; k++; }
                }
                return s;
            }

            // Inside a loop over points (k after the col loop is recorded once per point, not once per col), counting
            // down: the col loop runs down, its inner loop includes its bound, and k steps down by 2 from the end.
            [Differentiable] public static double Points(ReadOnlySpan<double> w, ReadOnlySpan<double> x, int m)
            {
                int n = x.Length;
                double s = 0;
                for (int p = 0; p < m; p++)
                {
                    int k = w.Length - 1;
                    for (int col = n - 1; col >= 0; col--)
                    {
                        for (int row = 0; row <= col; row++) { s += Math.Exp(0.1 * w[k] * x[row] * (p + 1)) * x[col]; k -= 2; }
                    }
                }
                return s;
            }

            // k is read at the top of the col loop's body too, before the inner loop: that read is recomputed in the
            // reverse iteration before k could be stepped back, so k is recorded.
            [Differentiable] public static double ReadFirst(ReadOnlySpan<double> w, ReadOnlySpan<double> x)
            {
                int n = x.Length;
                double s = 0;
                int k = 0;
                for (int col = 0; col < n; col++)
                {
                    s += w[k] * w[k] * x[col];
                    for (int row = col + 1; row < n; row++) { s += Math.Sin(w[k] * x[row]); k++; }
                }
                return s;
            }

            // The inner loop starts at k itself (and reads no invariant element whose guard would read k): the step would
            // read the value it steps back to, so k is recorded.
            [Differentiable] public static double StartsAtK(ReadOnlySpan<double> w, ReadOnlySpan<double> x)
            {
                double s = 0;
                int k = 0;
                for (int col = 0; col < x.Length; col++)
                {
                    for (int row = k; row < 2 * x.Length; row++) { s += Math.Sin(w[k % w.Length] * row); k++; }
                }
                return s;
            }

            public static double[] Probe(string method, double[] w, double[] x, int m)
            {
                Func<double> f = method switch
                {
                    "Packed" => () => Packed(w, x),
                    "Points" => () => Points(w, x, m),
                    "ReadFirst" => () => ReadFirst(w, x),
                    _ => () => StartsAtK(w, x),
                };
                var dw = new double[w.Length];
                var dx = new double[x.Length];
                double v = method switch
                {
                    "Packed" => PackedGradient(w, x, dw, dx),
                    "Points" => PointsGradient(w, x, m, dw, dx),
                    "ReadFirst" => ReadFirstGradient(w, x, dw, dx),
                    _ => StartsAtKGradient(w, x, dw, dx),
                };
                return ValueGradientDifferences(v, f, w, dw, x, dx);
            }
        """;

    [Theory, InlineData(false), InlineData(true)]
    public void H_ints_an_inner_loop_steps_are_computed_back_from_their_end(bool analysesOff)
    {
        var (assembly, generated) = Compile(Packed, analysesOff);
        var random = new Random(21);
        double[] Draw(int length) => Enumerable.Range(0, length).Select(_ => 2.2 * random.NextDouble() - 1.1).ToArray();
        foreach (int n in new[] { 0, 1, 2, 5 })
        {
            // Packed, by hand: s = Σ_{col<row} sin(w_k x_row) x_col, k counting the pairs in order.
            double[] w = Draw(n * (n - 1) / 2), x = Draw(n);
            double[] dw = new double[w.Length], dx = new double[n];
            double s = 0;
            int k = 0;
            for (int col = 0; col < n; col++)
            {
                for (int row = col + 1; row < n; row++, k++)
                {
                    double a = w[k] * x[row];
                    s += Math.Sin(a) * x[col];
                    dw[k] += Math.Cos(a) * x[row] * x[col];
                    dx[row] += Math.Cos(a) * w[k] * x[col];
                    dx[col] += Math.Sin(a);
                }
            }
            AssertGradient(Run(assembly, "Probe", "Packed", w, x, 0), s, dw.Concat(dx).ToArray());

            // Points, by hand: for each point p, k runs down from the end by 2 over col = n-1..0, row = 0..col.
            foreach (int m in new[] { 0, 1, 3 })
            {
                w = Draw(n * (n + 1));
                dw = new double[w.Length];
                dx = new double[n];
                s = 0;
                for (int p = 0; p < m; p++)
                {
                    k = w.Length - 1;
                    for (int col = n - 1; col >= 0; col--)
                    {
                        for (int row = 0; row <= col; row++, k -= 2)
                        {
                            double c = 0.1 * (p + 1), e = Math.Exp(c * w[k] * x[row]);
                            s += e * x[col];
                            dw[k] += e * c * x[row] * x[col];
                            dx[row] += e * c * w[k] * x[col];
                            dx[col] += e;
                        }
                    }
                }
                AssertGradient(Run(assembly, "Probe", "Points", w, x, m), s, dw.Concat(dx).ToArray());
            }

            // ReadFirst, by hand: each col adds w_k² x_col at its k, then sin(w_k x_row) for its rows.
            w = Draw(n * (n - 1) / 2 + 1);
            dw = new double[w.Length];
            dx = new double[n];
            s = 0;
            k = 0;
            for (int col = 0; col < n; col++)
            {
                s += w[k] * w[k] * x[col];
                dw[k] += 2 * w[k] * x[col];
                dx[col] += w[k] * w[k];
                for (int row = col + 1; row < n; row++, k++)
                {
                    double a = w[k] * x[row];
                    s += Math.Sin(a);
                    dw[k] += Math.Cos(a) * x[row];
                    dx[row] += Math.Cos(a) * w[k];
                }
            }
            AssertGradient(Run(assembly, "Probe", "ReadFirst", w, x, 0), s, dw.Concat(dx).ToArray());

            // StartsAtK, by hand: the first col's inner loop runs row = 0 .. 2n-1 with k = row; the later ones not at all.
            w = Draw(Math.Max(1, n));
            dw = new double[w.Length];
            s = 0;
            k = 0;
            for (int col = 0; col < n; col++)
            {
                for (int row = k; row < 2 * n; row++, k++)
                {
                    double a = w[k % w.Length] * row;
                    s += Math.Sin(a);
                    dw[k % w.Length] += Math.Cos(a) * row;
                }
            }
            AssertGradient(Run(assembly, "Probe", "StartsAtK", w, x, 0), s, dw.Concat(new double[n]).ToArray());
        }
        if (!analysesOff)
        {
            // Packed records no int: the col loop's reverse starts from k after the loop and steps back by the trips.
            string packed = MembersOf(generated, "Packed");
            Assert.DoesNotContain("savedInts", packed);
            Assert.Matches(@"int kAfter\w* = k\w*; // after the loop", packed);
            Assert.Matches(@"int kOld\w* = t\d+ < n \? unchecked\(kAfter\w* - \(n - t\d+\)\) : kAfter\w*;", packed);
            // Points records one int per point (k after its col loop), none per col.
            string points = MembersOf(generated, "Points");
            Assert.Equal(new[] { "k" }, Regex.Matches(points, @"savedInts\.Push\((\w+)\);").Cast<Match>().Select(match => match.Groups[1].Value));
            Assert.DoesNotContain("recordedInts", points);
            Assert.Matches(@"\? unchecked\(kAfter\w* \+ \(col\w* - 0 \+ 1\) \* 2\) : kAfter\w*;", points);
            // ReadFirst and StartsAtK keep recording k.
            Assert.Contains("savedInts", MembersOf(generated, "ReadFirst"));
            Assert.Contains("savedInts", MembersOf(generated, "StartsAtK"));
        }
    }

    [Fact]
    public void A_stepped_induction_is_annotated_on_the_loop()
    {
        string source = LeanAdjointTests.Header + Packed + "\n}\n";
        var function = ModelHelper.ParseValid(source, "Packed").Function;
        var program = Differentiable.Generator.Differentiation.ReverseModeBuilder.Build(function, Differentiable.Generator.Analysis.ActivityAnalysis.Run(function, enabled: true));
        string printed = Differentiable.Generator.Ir.IrPrinter.Print(function, program.Annotate);
        Assert.Matches(@"loop for %\d+ = %\d+ < %\d+ step 1 trips %\d+ carry %\d+: f64 <- %\d+, %\d+: i32 \[stepped back from the end\] <- %\d+", printed);
    }

    // ---- a value stored into memory nothing writes afterwards is read back, not recorded

    [Theory, InlineData(false), InlineData(true)]
    public void E_stored_value_is_read_back_in_the_reverse(bool analysesOff)
    {
        var (assembly, generated) = Compile("""
            [Differentiable] public static double Activations(ReadOnlySpan<double> z)
            {
                Span<double> h = stackalloc double[z.Length];
                double s = 0;
                for (int i = 0; i < z.Length; i++) { h[i] = Math.Tanh(z[i]); s += h[i] * z[i]; }
                return s;
            }

            // h[0] is written again after the loop: the loop's tanh values are recorded (and right).
            [Differentiable] public static double Rewritten(ReadOnlySpan<double> z)
            {
                Span<double> h = stackalloc double[z.Length];
                double s = 0;
                for (int i = 0; i < z.Length; i++) { h[i] = Math.Tanh(z[i]); s += h[i] * z[i]; }
                h[0] = 5 * z[0];
                return s + h[0];
            }

            public static double[] Probe(string method, double[] z)
            {
                Func<double> f = method == "Activations" ? () => Activations(z) : () => Rewritten(z);
                var dz = new double[z.Length];
                double v = method == "Activations" ? ActivationsGradient(z, dz) : RewrittenGradient(z, dz);
                var r = new System.Collections.Generic.List<double> { v };
                r.AddRange(dz);
                for (int i = 0; i < z.Length; i++) r.Add(Fd(f, z, i));
                return r.ToArray();
            }
            """, analysesOff);
        double[] z = { 0.3, -1.4, 0.9 };
        double value = z.Sum(v => Math.Tanh(v) * v);
        double[] gradient = z.Select(v => (1 - Math.Tanh(v) * Math.Tanh(v)) * v + Math.Tanh(v)).ToArray();
        AssertGradient(Run(assembly, "Probe", "Activations", z), value, gradient);
        gradient[0] += 5;
        AssertGradient(Run(assembly, "Probe", "Rewritten", z), value + 5 * z[0], gradient);
        if (!analysesOff)
        {
            Assert.DoesNotContain("savedDoubles", MembersOf(generated, "Activations"));
            Assert.Contains("savedDoubles", MembersOf(generated, "Rewritten"));
        }
    }
    // ---- w[i] += e: the element's adjoint passes to e and stays, with no zeroing and adding back

    [Theory, InlineData(false), InlineData(true)]
    public void F_in_place_update_keeps_the_element_adjoint(bool analysesOff)
    {
        var (assembly, generated) = Compile("""
            // w[i] += w[j] * 2 reads another element between the load and the store, the same one when i == j.
            [Differentiable] public static double Accumulate(ReadOnlySpan<double> x, int j)
            {
                Span<double> w = stackalloc double[x.Length];
                for (int i = 0; i < x.Length; i++) w[i] = x[i];
                for (int i = 0; i < x.Length; i++) { w[i] += w[j] * 2; w[i] -= x[i] * x[i]; }
                double s = 0;
                for (int i = 0; i < x.Length; i++) s += w[i] * (i + 1);
                return s;
            }

            // An output buffer updated in place: dY passes through unchanged, dX = 2x · dY.
            [Differentiable] public static void AddSquares(ReadOnlySpan<double> x, Span<double> y)
            {
                for (int i = 0; i < x.Length; i++) y[i] -= x[i] * x[i];
            }

            public static double[] Probe(double[] x, int j)
            {
                var dx = new double[x.Length];
                double v = AccumulateGradient(x, j, dx);
                var r = new System.Collections.Generic.List<double> { v };
                r.AddRange(dx);
                for (int i = 0; i < x.Length; i++) r.Add(Fd(() => Accumulate(x, j), x, i));
                return r.ToArray();
            }

            public static double[] ProbeSquares(double[] x, double[] y, double[] dY)
            {
                var dx = new double[x.Length];
                AddSquaresBackward(x, y, dx, dY);
                var r = new System.Collections.Generic.List<double>(y);
                r.AddRange(dx);
                r.AddRange(dY);
                return r.ToArray();
            }
            """, analysesOff);
        double[] x = { 0.5, -1.25, 2.0, 0.75 };
        for (int j = 0; j < x.Length; j++)
        {
            // The reference, as the method runs; its gradient by hand: w[i] after the second loop is
            // x[i] + 2·w[j] (w[j] as it is when i reaches it) − x[i]², each w[i] read once more for i > j.
            var w = (double[])x.Clone();
            for (int i = 0; i < x.Length; i++) { w[i] += w[j] * 2; w[i] -= x[i] * x[i]; }
            double f = w.Select((v, i) => v * (i + 1)).Sum();
            // dw[i]: the adjoint of the final w[i] is (i + 1); walking back, w[j] (as read at step i) gets 2·dw[i].
            var dw = x.Select((_, i) => (double)(i + 1)).ToArray();
            var dx = new double[x.Length];
            for (int i = x.Length - 1; i >= 0; i--)
            {
                double dNew = dw[i];
                dx[i] -= 2 * x[i] * dNew;
                // w[i] = w[i] + 2 w[j]: the old w[i] keeps dNew, w[j] gets 2 dNew (the same element when i == j).
                dw[j] += 2 * dNew;
            }
            for (int i = 0; i < x.Length; i++) dx[i] += dw[i];
            AssertGradient(Run(assembly, "Probe", x, j), f, dx);
        }

        double[] y = { 1, 2, 3, 4 }, seeds = { 0.5, -2, 1.5, 3 };
        var squares = Run(assembly, "ProbeSquares", x, (double[])y.Clone(), (double[])seeds.Clone());
        Assert.Equal(y.Select((v, i) => v - x[i] * x[i]), squares.Take(4));
        Assert.Equal(x.Select((v, i) => -2 * v * seeds[i]), squares.Skip(4).Take(4));
        Assert.Equal(seeds, squares.Skip(8));
        if (!analysesOff) Assert.DoesNotContain("dY[i] = 0d;", generated); // AddSquares leaves dY as it came
    }

    // ---- a loop's floating-point carried values are variables of the loop's own, so the JIT keeps them in registers

    [Theory, InlineData(false), InlineData(true)]
    public void G_carried_values_get_a_variable_of_their_loop(bool analysesOff)
    {
        var (assembly, generated) = Compile("""
            // The carried values swap (each one's next value is the other's current one).
            [Differentiable] public static double Swap(double x, double y, int n)
            {
                double a = x, b = y;
                for (int i = 0; i < n; i++) { double t = a; a = b; b = t * 2; }
                return a + 3 * b;
            }

            // The inner loop starts from and reads the outer loop's carried value: s = 3^n x.
            [Differentiable] public static double Nested(double x, int n)
            {
                double s = x;
                for (int i = 0; i < n; i++)
                {
                    double u = 0;
                    for (int j = 0; j < 3; j++) u += s;
                    s = u;
                }
                return s;
            }

            // A while loop, left by its test; float carried values.
            [Differentiable] public static float Doubling(float x)
            {
                float p = x;
                int k = 0;
                while (p < 100f) { p = p * 2f; k++; }
                return p + k;
            }

            public static double[] Probe(string method, double x, double y, int n)
            {
                var p = new[] { x, y };
                if (method == "Swap")
                {
                    double v = SwapGradient(x, y, n, out double dX, out double dY);
                    return new[] { v, dX, dY, Fd(() => Swap(p[0], p[1], n), p, 0), Fd(() => Swap(p[0], p[1], n), p, 1) };
                }
                if (method == "Nested")
                {
                    double v = NestedGradient(x, n, out double dX);
                    return new[] { v, dX, Fd(() => Nested(p[0], n), p, 0) };
                }
                float w = DoublingGradient((float)x, out float dXf);
                return new double[] { w, dXf, (Doubling((float)x * 1.001f) - Doubling((float)x * 0.999f)) / (0.002 * x) };
            }
            """, analysesOff);
        foreach (var (x, y) in new[] { (0.7, -1.3), (-2.5, 0.4), (3.0, 5.0) })
        {
            // n = 3: (a, b) goes (x, y) → (y, 2x) → (2x, 2y) → (2y, 4x); n = 4 ends at (4x, 4y).
            AssertGradient(Run(assembly, "Probe", "Swap", x, y, 3), 2 * y + 12 * x, 12, 2);
            AssertGradient(Run(assembly, "Probe", "Swap", x, y, 4), 4 * x + 12 * y, 4, 12);
            AssertGradient(Run(assembly, "Probe", "Swap", x, y, 0), x + 3 * y, 1, 3);
            AssertGradient(Run(assembly, "Probe", "Nested", x, y, 2), 9 * x, 9);
            AssertGradient(Run(assembly, "Probe", "Nested", x, y, 0), x, 1);
        }
        // 3 doubles six times to 192 (k = 6): p = 64x; 60 doubles once (k = 1); 150 is not doubled.
        foreach (var (x, value, slope) in new[] { (3.0, 192.0 + 6, 64.0), (60.0, 120.0 + 1, 2.0), (150.0, 150.0, 1.0) })
        {
            double[] r = Run(assembly, "Probe", "Doubling", x, 0.0, 0);
            Assert.Equal(value, r[0]);
            Assert.Equal(slope, r[1]);
            Assert.True(Math.Abs(r[2] - slope) <= 1e-3 * slope, $"finite differences {r[2]:R}, slope {slope}");
        }
        if (!analysesOff)
        {
            string swap = MembersOf(generated, "Swap");
            Assert.Contains("double aLoop = a;", swap);
            Assert.Contains("double bLoop = b;", swap);
            Assert.Contains("a = aLoop;", swap);
            Assert.Contains("double sLoop = s;", MembersOf(generated, "Nested"));
            Assert.Contains("float pLoop = p;", generated);
        }
    }
}

/// <summary>
/// Loops whose reverse iterations only add into adjoints (llsq's power series, two carried values feeding each other
/// under a counter running down, a stepping int), and one whose carried adjoint changes every iteration (Horner with a
/// recorded exponential): gradients by hand and against finite differences, at trip counts 0, 1, 5 and 9.
/// </summary>
public class CommutingLoopTests
{
    [Theory, InlineData(false), InlineData(true)]
    public void Loops_that_only_add_into_adjoints_and_one_that_does_not(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(LeanAdjointTests.Header + """
            // GradBench's llsq: power is overwritten every inner iteration; the inner reverse only adds into dX[j].
            [Differentiable] public static double Llsq(ReadOnlySpan<double> x, int n)
            {
                double sum = 0;
                for (int i = 0; i < n; i++)
                {
                    double t = -1 + i * 2.0 / (n - 1);
                    double r = Math.Sign(t);
                    double power = 1;
                    for (int j = 0; j < x.Length; j++) { r -= x[j] * power; power *= t; }
                    sum += r * r;
                }
                return sum / 2;
            }

            // Two carried values, one feeding the other, a counter running down and an int stepping by 2.
            [Differentiable] public static double Two(ReadOnlySpan<double> x, double a)
            {
                double s = 0, c = 0.5, g = 1;
                int k = 0;
                for (int j = x.Length - 1; j >= 0; j--)
                {
                    s += a * x[k % x.Length] * c * g;
                    g = g * 0.9 + c;
                    c = c * 1.5 - 0.25;
                    k += 2;
                }
                return s * s;
            }

            // The carried adjoint changes every iteration (p = p * x[j] + c reads p); the exp is recorded.
            [Differentiable] public static double Horner(ReadOnlySpan<double> x, double c)
            {
                double p = 0, e = 1;
                for (int j = 0; j < x.Length; j++) { p = p * x[j] + c * e; e = Math.Exp(-0.1 * e); }
                return p;
            }

            public static double[] Probe(string method, double[] x, double a)
            {
                var p = new double[x.Length + 1];
                x.CopyTo(p, 0);
                p[x.Length] = a;
                var dx = new double[x.Length];
                Func<double> f;
                double v, da = 0;
                if (method == "Llsq") { v = LlsqGradient(x, 7, dx); f = () => Llsq(p.AsSpan(0, x.Length), 7); }
                else if (method == "Two") { v = TwoGradient(x, a, dx, out da); f = () => Two(p.AsSpan(0, x.Length), p[x.Length]); }
                else { v = HornerGradient(x, a, dx, out da); f = () => Horner(p.AsSpan(0, x.Length), p[x.Length]); }
                var result = new System.Collections.Generic.List<double> { v };
                result.AddRange(dx);
                result.Add(da);
                for (int i = 0; i < x.Length; i++) result.Add(Fd(f, p, i));
                result.Add(method == "Llsq" ? 0 : Fd(f, p, x.Length));
                return result.ToArray();
            }
        }
        """, analysesOff);
        var random = new Random(7);
        foreach (int n in new[] { 0, 1, 5, 9 })
        {
            foreach (var method in new[] { "Llsq", "Two", "Horner" })
            {
                double[] x = Enumerable.Range(0, n).Select(_ => 2 * random.NextDouble() - 1).ToArray();
                double a = 2 * random.NextDouble() - 1;
                var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { method, x, a })!;
                int m = n + 1;
                for (int i = 0; i < m; i++)
                    Assert.True(Math.Abs(r[1 + i] - r[1 + m + i]) <= 1e-6 * Math.Max(1, Math.Abs(r[1 + i])), $"{method}, n = {n}: d[{i}] = {r[1 + i]:R}, finite differences {r[1 + m + i]:R}");
            }
        }
        // Llsq by hand at n = 3 points (t = −1, 0, 1), x = (0.5, −0.25): r_i = sign(t_i) − x0 − x1 t_i, dx_j = −Σ r_i t_i^j.
        var probe = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { "Llsq", new[] { 0.5, -0.25 }, 0.0 })!;
        double[] tt = Enumerable.Range(0, 7).Select(i => -1 + i * 2.0 / 6).ToArray();
        double[] rr = tt.Select(t => Math.Sign(t) - 0.5 + 0.25 * t).ToArray();
        Assert.Equal(-rr.Sum(), probe[1], 12);
        Assert.Equal(-rr.Select((r, i) => r * tt[i]).Sum(), probe[2], 12);
    }
}
