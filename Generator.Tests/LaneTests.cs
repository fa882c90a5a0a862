using System.Reflection;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Reverse loops that run <c>Vector&lt;T&gt;.Count</c> iterations at a time, one per lane (<c>LaneVersions</c>), then finish
/// in a scalar loop. Checked at lengths around the lane count (no full vector, exactly one, one and a remainder, several)
/// against hand-derived gradients and finite differences, in double and float, with the analyses on and off
/// (off: no lanes), through Gradient and through Backward on pre-filled adjoints. The generated code has lanes where the
/// iterations are independent and none where an iteration reads what another writes (a recurrence through memory), the
/// elements are not contiguous (a stride of 2) or the loop counts down.
/// </summary>
public class LaneTests
{
    private const string Source = LeanAdjointTests.Header + """
            // As in GMM: p = w + L·w with L strictly lower triangular, packed column after column in l. The row loop's
            // reverse reads p's adjoint and l, adds into l's adjoint and sums w[c]'s adjoint across lanes.
            [Differentiable] public static double Triangle(ReadOnlySpan<double> w, ReadOnlySpan<double> l)
            {
                int d = w.Length;
                Span<double> p = new double[d];
                for (int j = 0; j < d; j++) p[j] = w[j];
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
                double s = 0;
                for (int j = 0; j < d; j++) s += p[j] * p[j];
                return s;
            }

            // The same with w[c] read in the row loop at an index computed there (so the load is not hoisted out of it): the
            // reverse adds into dw[c] in every row, a sum into one element.
            [Differentiable] public static double TriangleAt(ReadOnlySpan<double> w, ReadOnlySpan<double> l)
            {
                int d = w.Length;
                Span<double> p = new double[d];
                for (int j = 0; j < d; j++) p[j] = w[j];
                int li = 0;
                for (int c = 0; c < d; c++)
                {
                    for (int row = c + 1; row < d; row++)
                    {
                        p[row] += l[li] * w[(c + d) % d];
                        li++;
                    }
                }
                double s = 0;
                for (int j = 0; j < d; j++) s += p[j] * p[j];
                return s;
            }

            // A loop at the top level: its products by x[i] stay checked, lane by lane; a's adjoint is a sum.
            [Differentiable] public static double Dot(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double a)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += a * w[i] * x[i] - w[i] / x[i];
                return s;
            }

            // y is written and read at one index per iteration (its adjoint is read, then cleared), from an offset start.
            [Differentiable] public static void Affine(ReadOnlySpan<double> w, double b, int from, Span<double> y)
            {
                for (int i = from; i < y.Length; i++) y[i] = w[i] * y[i] + b * w[i - from];
            }

            [Differentiable] public static float DotF(ReadOnlySpan<float> w, ReadOnlySpan<float> x, float a)
            {
                float s = 0;
                for (int i = 0; i < w.Length; i++) s += a * w[i] * x[i];
                return s;
            }

            // Each iteration reads what the one before wrote: its reverse reads dy[i] and adds into dy[i - 1].
            [Differentiable] public static void Recurrence(ReadOnlySpan<double> w, Span<double> y)
            {
                for (int i = 1; i < y.Length; i++) y[i] = y[i - 1] * w[i] + y[i];
            }

            // Every other element: not contiguous.
            [Differentiable] public static double Strided(ReadOnlySpan<double> w)
            {
                double s = 0;
                for (int i = 0; i < w.Length / 2; i++) s += w[2 * i] * w[2 * i];
                return s;
            }

            // The forward counts down.
            [Differentiable] public static double Down(ReadOnlySpan<double> w)
            {
                double s = 0;
                for (int i = w.Length - 1; i >= 0; i--) s += w[i] * w[i];
                return s;
            }

            public delegate double Gradient2(double[] w, double[] l, double[] dw, double[] dl);
            public delegate void Backward2(double[] w, double[] l, double seed, double[] dw, double[] dl);

            // [value, gradient in w, in l, finite differences in w, in l, then Backward's adjoints with the seed 2 on adjoints holding 1].
            public static double[] Probe2(Func<double> f, Gradient2 gradient, Backward2 backward, double[] w, double[] l)
            {
                var dw = new double[w.Length];
                var dl = new double[l.Length];
                var r = new System.Collections.Generic.List<double>(ValueGradientDifferences(gradient(w, l, dw, dl), f, w, dw, l, dl));
                Array.Fill(dw, 1.0);
                Array.Fill(dl, 1.0);
                backward(w, l, 2, dw, dl);
                r.AddRange(dw);
                r.AddRange(dl);
                return r.ToArray();
            }

            public static double[] TriangleProbe(double[] w, double[] l) =>
                Probe2(() => Triangle(w, l), (a, b, da, db) => TriangleGradient(a, b, da, db), (a, b, seed, da, db) => TriangleBackward(a, b, seed, da, db), w, l);

            public static double[] TriangleAtProbe(double[] w, double[] l) =>
                Probe2(() => TriangleAt(w, l), (a, b, da, db) => TriangleAtGradient(a, b, da, db), (a, b, seed, da, db) => TriangleAtBackward(a, b, seed, da, db), w, l);

            // [value, gradient in w, in x, in a, finite differences in w, in x, in a, then Backward's as above].
            public static double[] DotProbe(double[] w, double[] x, double a)
            {
                var dw = new double[w.Length];
                var dx = new double[x.Length];
                double v = DotGradient(w, x, a, dw, dx, out double da);
                var r = new System.Collections.Generic.List<double>(ValueGradientDifferences(v, () => Dot(w, x, a), w, dw, x, dx));
                r.Insert(1 + w.Length + x.Length, da);
                var p = new[] { a };
                r.Add(Fd(() => Dot(w, x, p[0]), p, 0));
                Array.Fill(dw, 1.0);
                Array.Fill(dx, 1.0);
                double ba = 1;
                DotBackward(w, x, a, 2, dw, dx, ref ba);
                r.AddRange(dw);
                r.AddRange(dx);
                r.Add(ba);
                return r.ToArray();
            }

            public static double[] DotFProbe(float[] w, float[] x, float a)
            {
                var dw = new float[w.Length];
                var dx = new float[x.Length];
                float v = DotFGradient(w, x, a, dw, dx, out float da);
                var r = new System.Collections.Generic.List<double> { v };
                foreach (float g in dw) r.Add(g);
                foreach (float g in dx) r.Add(g);
                r.Add(da);
                return r.ToArray();
            }

            public static double StridedProbe(double[] w, double[] dw) => StridedGradient(w, dw);

            public static double DownProbe(double[] w, double[] dw) => DownGradient(w, dw);

            public static double AffineProbe(double[] w, double b, int from, double[] y, double[] dw, double db, double[] dy)
            {
                AffineBackward(w, b, from, y, dw, ref db, dy);
                return db;
            }

            public static void RecurrenceProbe(double[] w, double[] y, double[] dw, double[] dy) => RecurrenceBackward(w, y, dw, dy);
        }
        """;

    private static readonly int[] Lengths = { 0, 1, 3, 4, 5, 7, 8, 9, 13, 33 };

    private static Assembly Load(bool analysesOff) => GradientAssert.Load(Source, analysesOff);

    private static string Generated(bool analysesOff) => GradientAssert.Compile(Source, analysesOff).GeneratedText;

    private static double[] Random(int seed, int n, double offset = 0)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => offset + 2 * random.NextDouble() - 1).ToArray();
    }

    private static double[] Run(Assembly assembly, string probe, params object[] args) =>
        (double[])assembly.GetType("T.C")!.GetMethod(probe)!.Invoke(null, args)!;

    /// <summary>
    /// Checks a probe's [value, gradient, finite differences, Backward's adjoints] against the value and hand-derived
    /// gradient: the gradient within rounding of the formula and within 1e-6 of finite differences, and Backward with the seed
    /// 2 on adjoints holding 1 giving 1 + 2·gradient.
    /// </summary>
    private static void AssertProbe(double[] result, double value, double[] gradient, string what)
    {
        int n = gradient.Length;
        Assert.Equal(1 + 3 * n, result.Length);
        Assert.True(Math.Abs(result[0] - value) <= 1e-12 * Math.Max(1, Math.Abs(value)), $"{what}: value {result[0]:R}, expected {value:R}");
        for (int i = 0; i < n; i++)
        {
            double g = result[1 + i], fd = result[1 + n + i], b = result[1 + 2 * n + i];
            Assert.True(Math.Abs(g - gradient[i]) <= 1e-12 * Math.Max(1, Math.Abs(gradient[i])), $"{what}: d[{i}] = {g:R}, hand-derived {gradient[i]:R}");
            Assert.True(Math.Abs(g - fd) <= 1e-6 * Math.Max(1, Math.Abs(g)), $"{what}: d[{i}] = {g:R}, finite differences {fd:R}");
            Assert.True(Math.Abs(b - (1 + 2 * g)) <= 1e-12 * Math.Max(1, Math.Abs(b)), $"{what}: Backward's d[{i}] = {b:R}, expected 1 + 2·{g:R}");
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_triangle_matches_its_hand_derived_gradient(bool analysesOff)
    {
        var assembly = Load(analysesOff);
        foreach (int d in Lengths)
        {
            double[] w = Random(d, d), l = Random(100 + d, d * (d - 1) / 2);
            // p = w + L·w; s = ‖p‖²: ds/dw = (I + L)ᵀ·2p, ds/dl[(row, c)] = 2·p[row]·w[c].
            var p = (double[])w.Clone();
            int li = 0;
            for (int c = 0; c < d; c++)
                for (int row = c + 1; row < d; row++) p[row] += l[li++] * w[c];
            var dw = p.Select(v => 2 * v).ToArray();
            var dl = new double[l.Length];
            li = 0;
            for (int c = 0; c < d; c++)
            {
                for (int row = c + 1; row < d; row++)
                {
                    dw[c] += l[li] * 2 * p[row];
                    dl[li++] = 2 * p[row] * w[c];
                }
            }
            AssertProbe(Run(assembly, "TriangleProbe", w, l), p.Sum(v => v * v), dw.Concat(dl).ToArray(), $"Triangle at d = {d}");
            AssertProbe(Run(assembly, "TriangleAtProbe", w, l), p.Sum(v => v * v), dw.Concat(dl).ToArray(), $"TriangleAt at d = {d}");
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_top_level_loop_with_checked_products_matches_its_hand_derived_gradient(bool analysesOff)
    {
        var assembly = Load(analysesOff);
        foreach (int n in Lengths)
        {
            double[] w = Random(n, n), x = Random(50 + n, n, offset: 3);
            const double a = 1.25;
            // s = Σ a·w·x − w/x.
            double value = w.Select((v, i) => a * v * x[i] - v / x[i]).Sum();
            var expected = w.Select((v, i) => a * x[i] - 1 / x[i])
                .Concat(w.Select((v, i) => a * v + v / (x[i] * x[i])))
                .Append(w.Select((v, i) => v * x[i]).Sum()).ToArray();
            AssertProbe(Run(assembly, "DotProbe", w, x, a), value, expected, $"Dot at n = {n}");
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_float_loop_matches_its_hand_derived_gradient(bool analysesOff)
    {
        var assembly = Load(analysesOff);
        foreach (int n in Lengths.Append(17).Append(40))
        {
            float[] w = Random(n, n).Select(v => (float)v).ToArray(), x = Random(50 + n, n).Select(v => (float)v).ToArray();
            const float a = 1.5f;
            var expected = x.Select(v => (double)(a * v)).Concat(w.Select(v => (double)(a * v)))
                .Append(w.Select((v, i) => (double)v * x[i]).Sum()).ToArray();
            var result = Run(assembly, "DotFProbe", w, x, a);
            Assert.Equal(1 + expected.Length, result.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(result[1 + i] - expected[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"DotF at n = {n}: d[{i}] = {result[1 + i]:R}, hand-derived {expected[i]:R}");
        }
    }

    /// <summary>
    /// A void method writing y: Backward with y's adjoint as the seed. For y'[i] = w[i]·y[i] + b·w[i − from] (i ≥ from):
    /// dy[i] = w[i]·ȳ[i], dw[i] += y[i]·ȳ[i], dw[i − from] += b·ȳ[i], db = Σ w[i − from]·ȳ[i]; elements below from pass through.
    /// </summary>
    [Theory, InlineData(false), InlineData(true)]
    public void A_buffer_read_and_written_at_one_index_matches_its_hand_derived_adjoint(bool analysesOff)
    {
        var assembly = Load(analysesOff);
        var probe = assembly.GetType("T.C")!.GetMethod("AffineProbe")!;
        foreach (int n in Lengths)
        {
            foreach (int from in new[] { 0, 1, 2, 5 })
            {
                double[] w = Random(n, n + from), y = Random(7 + n, n), seed = Random(9 + n, n);
                double b = 0.75;
                var dy = (double[])seed.Clone();
                var dw = Enumerable.Repeat(0.5, w.Length).ToArray();
                double db = 0.25;
                var expectedY = (double[])y.Clone();
                var expectedDy = (double[])seed.Clone();
                var expectedDw = (double[])dw.Clone();
                double expectedDb = db;
                for (int i = from; i < n; i++)
                {
                    expectedY[i] = w[i] * y[i] + b * w[i - from];
                    expectedDy[i] = w[i] * seed[i];
                    expectedDw[i] += y[i] * seed[i];
                    expectedDw[i - from] += b * seed[i];
                    expectedDb += w[i - from] * seed[i];
                }
                db = (double)probe.Invoke(null, new object[] { w, b, from, y, dw, db, dy })!;
                Assert.Equal(expectedY, y);
                AssertClose(expectedDy, dy, $"dy at n = {n}, from = {from}");
                AssertClose(expectedDw, dw, $"dw at n = {n}, from = {from}");
                Assert.True(Math.Abs(expectedDb - db) <= 1e-12 * Math.Max(1, Math.Abs(expectedDb)), $"db {db:R}, expected {expectedDb:R} at n = {n}, from = {from}");
            }
        }
    }

    [Fact]
    public void Lanes_give_the_scalar_loops_gradients_up_to_the_order_of_their_sums()
    {
        foreach (int n in Lengths)
        {
            double[] w = Random(n, n), x = Random(50 + n, n, offset: 3);
            double[] l = Random(100 + n, n * (n - 1) / 2);
            foreach (var (probe, args) in new[] { ("DotProbe", new object[] { w, x, 1.25 }), ("TriangleProbe", new object[] { w, l }), ("TriangleAtProbe", new object[] { w, l }) })
            {
                double[] scalar = Run(Load(true), probe, args), lanes = Run(Load(false), probe, args);
                Assert.Equal(scalar[0], lanes[0]);
                for (int i = 1; i < scalar.Length; i++)
                    Assert.True(Math.Abs(scalar[i] - lanes[i]) <= 1e-13 * Math.Max(1, Math.Abs(scalar[i])), $"{probe} at n = {n}: [{i}] is {lanes[i]:R} with lanes, {scalar[i]:R} without");
            }
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Loops_without_lanes_keep_their_gradients(bool analysesOff)
    {
        var assembly = Load(analysesOff);
        foreach (int n in Lengths)
        {
            double[] w = Random(n, n);
            // Strided: s = Σ w[2i]²; Down: s = Σ w[i]².
            var strided = w.Select((v, i) => i % 2 == 0 && i / 2 < n / 2 ? 2 * v : 0).ToArray();
            var dw0 = new double[n];
            Assert.Equal(w.Where((v, i) => i % 2 == 0 && i / 2 < n / 2).Sum(v => v * v), (double)assembly.GetType("T.C")!.GetMethod("StridedProbe")!.Invoke(null, new object[] { w, dw0 })!, 12);
            AssertClose(strided, dw0, $"Strided's gradient at n = {n}");
            assembly.GetType("T.C")!.GetMethod("DownProbe")!.Invoke(null, new object[] { w, dw0 });
            AssertClose(w.Select(v => 2 * v).ToArray(), dw0, $"Down's gradient at n = {n}");

            // Recurrence: y[i] = y[i−1]·w[i] + y[i] in order; its adjoint by finite differences of Σ seed·y.
            double[] y0 = Random(3 + n, n), seed = Random(4 + n, n);
            var recurrence = assembly.GetType("T.C")!.GetMethod("RecurrenceProbe")!;
            var dy = (double[])seed.Clone();
            var dw = new double[n];
            var y = (double[])y0.Clone();
            recurrence.Invoke(null, new object[] { w, y, dw, dy });
            double Loss(double[] ww, double[] yy)
            {
                var copy = (double[])yy.Clone();
                for (int i = 1; i < copy.Length; i++) copy[i] = copy[i - 1] * ww[i] + copy[i];
                return copy.Select((v, i) => v * seed[i]).Sum();
            }
            for (int i = 0; i < n; i++)
            {
                double h = 1e-6;
                var wp = (double[])w.Clone(); wp[i] += h;
                var wm = (double[])w.Clone(); wm[i] -= h;
                double fdW = (Loss(wp, y0) - Loss(wm, y0)) / (2 * h);
                var yp = (double[])y0.Clone(); yp[i] += h;
                var ym = (double[])y0.Clone(); ym[i] -= h;
                double fdY = (Loss(w, yp) - Loss(w, ym)) / (2 * h);
                Assert.True(Math.Abs(fdW - dw[i]) <= 1e-6 * Math.Max(1, Math.Abs(fdW)), $"dw[{i}] {dw[i]:R}, finite differences {fdW:R} at n = {n}");
                Assert.True(Math.Abs(fdY - dy[i]) <= 1e-6 * Math.Max(1, Math.Abs(fdY)), $"dy[{i}] {dy[i]:R}, finite differences {fdY:R} at n = {n}");
            }
        }
    }

    [Fact]
    public void Lanes_are_generated_where_the_iterations_are_independent_and_nowhere_else()
    {
        string generated = Generated(analysesOff: false);
        foreach (var method in new[] { "Triangle", "TriangleAt", "Dot", "Affine", "DotF" })
            Assert.Contains("; // the first lane's iteration", Member(generated, method));
        foreach (var method in new[] { "Recurrence", "Strided", "Down" })
            Assert.DoesNotContain("Lanes.", Member(generated, method));
        Assert.Contains("global::System.Numerics.Vector<float>", Member(generated, "DotF"));
        // The top-level loop's products stay checked lane by lane; the triangle's plain version multiplies plainly.
        Assert.Contains("global::Differentiable.Lanes.Mul(", Member(generated, "Dot"));
        Assert.DoesNotContain("Lanes.Mul(", Member(generated, "Triangle"));
        Assert.DoesNotContain("Lanes.", Generated(analysesOff: true));
    }

    [Fact]
    public void Lanes_are_annotated_on_the_loop()
    {
        string source = Source;
        var function = ModelHelper.ParseValid(source, "Dot").Function;
        var program = Differentiable.Generator.Differentiation.ReverseModeBuilder.Build(function, Differentiable.Generator.Analysis.ActivityAnalysis.Run(function, enabled: true));
        string printed = Differentiable.Generator.Ir.IrPrinter.Print(function, program.Annotate, program.AnnotateLoop);
        Assert.Matches(@"loop for %\d+ = %\d+ < %\d+ step 1 trips %\d+ \[reverse in lanes, summing d%2\] carry", printed);
        // TriangleAt's row loop adds into dw[c]: an element of w's adjoint (%0) at the index the loop recomputes.
        var at = ModelHelper.ParseValid(source, "TriangleAt").Function;
        var atProgram = Differentiable.Generator.Differentiation.ReverseModeBuilder.Build(at, Differentiable.Generator.Analysis.ActivityAnalysis.Run(at, enabled: true));
        string atPrinted = Differentiable.Generator.Ir.IrPrinter.Print(at, atProgram.Annotate, atProgram.AnnotateLoop);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(atPrinted, @"\[reverse in lanes, summing d%0\[%\d+\]\]"), atPrinted);
    }

    /// <summary>The generated members of one method: from its first generated member to the next method's.</summary>
    private static string Member(string generated, string method)
    {
        int start = generated.IndexOf(" " + method + "Backward(", StringComparison.Ordinal);
        int gradient = generated.IndexOf(" " + method + "Gradient(", StringComparison.Ordinal);
        if (gradient >= 0 && gradient < start) start = gradient;
        Assert.True(start >= 0, method + "Backward is not in the generated code");
        int end = generated.IndexOf("\n    }\n}", start, StringComparison.Ordinal);
        return end < 0 ? generated.Substring(start) : generated.Substring(start, end - start);
    }

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R}");
    }
}
