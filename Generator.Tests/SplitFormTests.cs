using System.Reflection;
using System.Text.RegularExpressions;
using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Split forms (docs/architecture.md, "Split forms"): a callee called in a loop, or calling itself, that writes no memory
/// gets internal <c>{M}Forward</c> (its forward sweep, leaving what its reverse needs on the caller's stacks) and
/// <c>{M}Reverse</c> (popping it). Its primal then runs once instead of once more in every <c>Backward</c>. The tests
/// check gradients against cofactors, hand-derived formulas and finite differences, through recursion, nested split
/// calls, early returns, while loops and paths that do not need the call's result (the stacks must stay in step:
/// anything left behind or popped twice shows up in the next call's gradient), a zero seed into a callee whose primal
/// overflowed, what does not get split forms, and zero allocation.
/// </summary>
public class SplitFormTests
{
    /// <summary>det's cofactor expansion (as GradBench's det): the method the determinant tests and the Recursion snapshot share.</summary>
    internal const string Minor = """
            [Differentiable]
            public static double Minor(ReadOnlySpan<double> a, int n, int m, int rows, int columns)
            {
                int row = System.Numerics.BitOperations.TrailingZeroCount(rows);
                if (m == 1) return a[row * n + System.Numerics.BitOperations.TrailingZeroCount(columns)];
                int subRows = rows & ~(1 << row);
                double det = 0;
                int sign = 1;
                for (int column = 0; column < n; column++)
                {
                    if ((columns & (1 << column)) == 0) continue;
                    double sub = Minor(a, n, m - 1, subRows, columns & ~(1 << column));
                    det += sign * a[row * n + column] * sub;
                    sign = -sign;
                }
                return det;
            }
            """;

    internal const string Det = LeanAdjointTests.Header + Minor + """

            [Differentiable]
            public static double Determinant(ReadOnlySpan<double> a, int ell) => Minor(a, ell, ell, (1 << ell) - 1, (1 << ell) - 1);

            public static double[] Probe(double[] a, int ell)
            {
                var da = new double[a.Length];
                double v = DeterminantGradient(a, ell, da);
                var result = new System.Collections.Generic.List<double> { v, Determinant(a, ell) };
                result.AddRange(da);
                var p = (double[])a.Clone();
                for (int i = 0; i < a.Length; i++) result.Add(Fd(() => Determinant(p, ell), p, i));
                return result.ToArray();
            }

            public static long Allocated(double[] a, int ell)
            {
                var da = new double[a.Length];
                DeterminantGradient(a, ell, da);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int k = 0; k < 5; k++) DeterminantGradient(a, ell, da);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
        """;

    /// <summary>The determinant of a row-major ℓ×ℓ matrix by Gaussian elimination with partial pivoting (independent of the code under test).</summary>
    internal static double Gauss(double[] a, int ell)
    {
        var m = (double[])a.Clone();
        double det = 1;
        for (int c = 0; c < ell; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < ell; r++) if (Math.Abs(m[r * ell + c]) > Math.Abs(m[pivot * ell + c])) pivot = r;
            if (m[pivot * ell + c] == 0) return 0;
            if (pivot != c)
            {
                for (int k = 0; k < ell; k++) (m[c * ell + k], m[pivot * ell + k]) = (m[pivot * ell + k], m[c * ell + k]);
                det = -det;
            }
            det *= m[c * ell + c];
            for (int r = c + 1; r < ell; r++)
            {
                double f = m[r * ell + c] / m[c * ell + c];
                for (int k = c; k < ell; k++) m[r * ell + k] -= f * m[c * ell + k];
            }
        }
        return det;
    }

    /// <summary>∂det/∂a_ij is the cofactor (−1)^(i+j) det(minor_ij).</summary>
    internal static double Cofactor(double[] a, int ell, int i, int j)
    {
        if (ell == 1) return 1;
        var minor = new double[(ell - 1) * (ell - 1)];
        int k = 0;
        for (int r = 0; r < ell; r++)
        {
            if (r == i) continue;
            for (int c = 0; c < ell; c++) if (c != j) minor[k++] = a[r * ell + c];
        }
        return ((i + j) % 2 == 0 ? 1 : -1) * Gauss(minor, ell - 1);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_recursive_determinant_through_split_forms_has_the_cofactors_as_gradient(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Det, analysesOff);
        var probe = compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!;
        var random = new Random(3);
        foreach (int ell in new[] { 1, 2, 3, 4, 5, 6 })
        {
            for (int trial = 0; trial < 2; trial++)
            {
                double[] a = Enumerable.Range(0, ell * ell).Select(_ => 2 * random.NextDouble() - 1).ToArray();
                var r = (double[])probe.Invoke(null, new object[] { a, ell })!;
                int n = a.Length;
                double det = Gauss(a, ell);
                Assert.True(Math.Abs(r[0] - det) <= 1e-12 * Math.Max(1, Math.Abs(det)), $"ℓ={ell}: value {r[0]:R}, elimination {det:R}");
                Assert.Equal(r[1], r[0]);
                for (int i = 0; i < n; i++)
                {
                    double cofactor = Cofactor(a, ell, i / ell, i % ell);
                    Assert.True(Math.Abs(r[2 + i] - cofactor) <= 1e-12 * Math.Max(1, Math.Abs(cofactor)), $"ℓ={ell}: d[{i}] = {r[2 + i]:R}, cofactor {cofactor:R}");
                    Assert.True(Math.Abs(r[2 + i] - r[2 + n + i]) <= 1e-6 * Math.Max(1, Math.Abs(cofactor)), $"ℓ={ell}: d[{i}] = {r[2 + i]:R}, finite differences {r[2 + n + i]:R}");
                }
            }
        }

        // Minor calls itself through its split forms; so does Determinant, which calls Minor once, outside a loop.
        string minorBackward = Member(compiled.GeneratedText, "void MinorBackward(");
        Assert.Contains("MinorForward(a, n, ", minorBackward);
        Assert.Contains("MinorReverse(a, n, ", minorBackward);
        // The primal is called only past the stacks' limit (then the reverse calls MinorBackward): bounded memory.
        Assert.Contains(" < 16777216;", minorBackward);
        Assert.Contains("? global::T.C.MinorForward(a, n, ", minorBackward);
        Assert.Contains(": global::T.C.Minor(a, n, ", minorBackward);
        string minorReverse = Member(compiled.GeneratedText, "void MinorReverse(");
        Assert.Contains("MinorReverse(a, n, ", minorReverse);
        Assert.DoesNotContain("MinorForward(", minorReverse); // the reverse runs no primal
        // Determinant runs Minor's primal once (MinorBackward would run it a second time after the call for the value):
        // Forward, then Reverse; MinorBackward only past the stacks' limit.
        foreach (var signature in new[] { "void DeterminantBackward(", "double DeterminantGradient(" })
        {
            string determinant = Member(compiled.GeneratedText, signature);
            Assert.Contains("? global::T.C.MinorForward(a, ell, ", determinant);
            Assert.Contains(": global::T.C.Minor(a, ell, ", determinant);
            Assert.Contains("MinorReverse(a, ell, ", determinant);
            Assert.Contains("MinorBackward(a, ell, ", determinant);
            Assert.Single(Regex.Matches(determinant, @"global::T\.C\.Minor\(").Cast<Match>());
        }

        var type = compiled.Assembly.GetType("T.C")!;
        foreach (var name in new[] { "MinorForward", "MinorReverse" })
        {
            var method = type.GetMethod(name, BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public);
            Assert.NotNull(method);
            Assert.True(method!.IsAssembly, name + " is internal");
        }
        Assert.Null(type.GetMethod("DeterminantForward", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)); // nothing wants it
    }

    [Fact]
    public void A_gradient_through_split_forms_allocates_nothing_once_warm()
    {
        var compiled = GradientAssert.Compile(Det);
        double[] a = Enumerable.Range(0, 25).Select(i => Math.Sin(i + 1.0)).ToArray();
        long allocated = (long)compiled.Assembly.GetType("T.C")!.GetMethod("Allocated")!.Invoke(null, new object[] { a, 5 })!;
        Assert.Equal(0, allocated);
    }

    // Piece has two ways out, a while loop whose trip count its reverse needs, and a branch; Chain calls it in a loop;
    // Outer calls Chain in a loop (Chain's split forms call Piece's); Pick's first way out does not need the loop's calls,
    // and Many calls Pick in a loop; Rec's even levels do not need its recursive call's result (below). A stack left out
    // of step would show in the next call's gradient.
    private const string Paths = LeanAdjointTests.Header + """

            [Differentiable]
            public static double Piece(double x, double y, int k)
            {
                if (k % 3 == 0) return Math.Sin(x) * y;
                double s = x;
                int steps = 0;
                while (s < 4 && steps < k) { s = s * 1.5 + y * y; steps++; }
                if (s > 3) s = Math.Log(s) + s;
                return s * Math.Exp(-y);
            }

            [Differentiable]
            public static double Chain(ReadOnlySpan<double> w, double c)
            {
                double t = c;
                for (int i = 0; i < w.Length; i++) t += Piece(w[i], 0.1 * t + 0.3, i);
                return t;
            }

            [Differentiable]
            public static double Outer(ReadOnlySpan<double> w, int reps)
            {
                double s = 0;
                for (int r = 0; r < reps; r++) s += Math.Tanh(Chain(w, 0.2 * s) * 0.1 * (r + 1));
                return s;
            }

            [Differentiable]
            public static double Pick(ReadOnlySpan<double> w, bool first)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += Piece(w[i], 0.5, i + 1);
                if (first) return w[0] * w[0];
                return s;
            }

            [Differentiable]
            public static double Many(ReadOnlySpan<double> w)
            {
                double s = 0;
                for (int r = 0; r < 4; r++) s += Pick(w, r % 2 == 1) * (r + 1);
                return s;
            }

            // Rec calls itself at its top level; its even levels return without the call's result, so that call's Reverse
            // runs with a zero seed only to pop what its Forward pushed. Recs calls it in a loop, recording after each call.
            [Differentiable]
            public static double Rec(double x, int k)
            {
                if (k == 0) return x;
                double a = Rec(x * 0.9 + 0.1, k - 1);
                if (k % 2 == 0) return Math.Sin(x) * k;
                return a * x + Math.Cos(a);
            }

            [Differentiable]
            public static double Recs(ReadOnlySpan<double> w)
            {
                double s = 0;
                for (int j = 0; j < w.Length; j++) s += Rec(w[j] + 0.1 * s, j + 2) * (j + 1);
                return s;
            }

            public static double[] Probe(string name, double[] w, int reps)
            {
                var dw = new double[w.Length];
                double v = name == "Outer" ? OuterGradient(w, reps, dw) : name == "Many" ? ManyGradient(w, dw) : RecsGradient(w, dw);
                Func<double> f = name == "Outer" ? () => Outer(w, reps) : name == "Many" ? () => Many(w) : () => Recs(w);
                var result = new System.Collections.Generic.List<double> { v, f() };
                result.AddRange(dw);
                for (int i = 0; i < w.Length; i++) result.Add(Fd(f, w, i));
                return result.ToArray();
            }
        }
        """;

    [Theory, InlineData(false), InlineData(true)]
    public void Nested_split_calls_with_several_ways_out_match_finite_differences(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Paths, analysesOff);
        var probe = compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!;
        var random = new Random(17);
        foreach (var name in new[] { "Outer", "Many", "Recs" })
        {
            for (int trial = 0; trial < 8; trial++)
            {
                double[] w = Enumerable.Range(0, 1 + trial % 5).Select(_ => 3 * random.NextDouble() - 0.5).ToArray();
                var r = (double[])probe.Invoke(null, new object[] { name, w, 1 + trial % 3 })!;
                Assert.Equal(r[1], r[0]);
                int n = w.Length;
                for (int i = 0; i < n; i++)
                {
                    Assert.True(Math.Abs(r[2 + i] - r[2 + n + i]) <= 1e-6 * Math.Max(1, Math.Abs(r[2 + i])),
                        $"{name}, trial {trial}: d[{i}] = {r[2 + i]:R}, finite differences {r[2 + n + i]:R}");
                }
            }
        }
        string generated = compiled.GeneratedText;
        Assert.Contains("ChainForward(", Member(generated, "void OuterBackward("));
        Assert.Contains("PieceForward(", Member(generated, "double ChainForward("));
        Assert.Contains("PieceReverse(", Member(generated, "void ChainReverse("));
        Assert.Contains("PickReverse(", Member(generated, "void ManyBackward("));
        Assert.Contains("RecReverse(", Member(generated, "void RecsBackward("));
        Assert.Contains("RecReverse(", Member(generated, "void RecReverse("));
    }

    // By hand: Many(w) = Σ_r (r+1)·Pick(w, r odd); Pick(w, true) = w0², Pick(w, false) = Σ_i Piece(w_i, 0.5, i+1).
    // With w = {x} and k = 1 (one while step at most): for x < 4, s = 1.5x + 0.25, then Log(s) + s when s > 3.
    [Theory, InlineData(0.5), InlineData(1.0), InlineData(2.5), InlineData(5.0)]
    public void Many_has_its_hand_derived_gradient(double x)
    {
        var compiled = GradientAssert.Compile(Paths);
        var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { "Many", new[] { x }, 1 })!;
        double s = x, ds = 1;
        if (s < 4) { s = 1.5 * x + 0.25; ds = 1.5; }
        if (s > 3) { ds *= 1 / s + 1; }
        double dPiece = ds * Math.Exp(-0.5);
        double expected = (1 + 3) * dPiece + (2 + 4) * 2 * x;
        Assert.True(Math.Abs(r[2] - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"x = {x}: {r[2]:R}, by hand {expected:R}");
    }

    // Blow overflows for large x (e^x · x = ∞); Min sends its call a zero seed there. The split Reverse cannot return early
    // on it (it must pop), so the zero goes through Blow's partials: checked, 0 · ∞ stays 0, never NaN.
    [Theory, InlineData(false), InlineData(true)]
    public void A_zero_seed_into_a_split_callee_that_overflowed_adds_zero(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(LeanAdjointTests.Header + """

                [Differentiable] public static double Blow(double x) { double e = Math.Exp(x); if (x > 0) return e * x; return e; }

                [Differentiable]
                public static double Capped(ReadOnlySpan<double> w)
                {
                    double s = 0;
                    for (int i = 0; i < w.Length; i++) s += Math.Min(Blow(w[i]), 5.0) + w[i];
                    return s;
                }

                public static double[] Probe(double[] w)
                {
                    var dw = new double[w.Length];
                    double v = CappedGradient(w, dw);
                    var result = new System.Collections.Generic.List<double> { v };
                    result.AddRange(dw);
                    return result.ToArray();
                }
            }
            """, analysesOff);
        Assert.Contains("BlowReverse(", compiled.GeneratedText);
        double[] w = { 1000, -1, 0.5, 800 };
        var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { w })!;
        Assert.Equal(5 + (Math.Exp(-1) - 1) + (Math.Exp(0.5) * 0.5 + 0.5) + 5 + 1000 + 800, r[0], 9);
        Assert.Equal(1.0, r[1]);                                  // Min chose 5: only the + w[i] term
        Assert.Equal(Math.Exp(-1) + 1, r[2], 14);                 // e^x + 1
        Assert.Equal(Math.Exp(0.5) * 1.5 + 1, r[3], 14);          // e^x (1 + x) + 1
        Assert.Equal(1.0, r[4]);
    }

    // Fuzz seed 2100352: H0 reads u, which the caller writes after the call, so the caller pushes u's contents for the
    // reverse to put back before H0's reverse. That snapshot was pushed before the call and H0Forward's records after
    // it, and the reverse popped the snapshot first: it read H0's records as u. The snapshot now goes after the call.
    [Theory, InlineData(false), InlineData(true)]
    public void A_buffer_the_caller_overwrites_after_a_split_call_is_put_back_in_step(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(LeanAdjointTests.Header + """

                [Differentiable]
                public static double H0(double p, ReadOnlySpan<double> h)
                {
                    double s = p * 0.5;
                    if (s > 100) return s;
                    double m = s;
                    for (int i = 0; i < h.Length; i++) m = Math.Min(m, h[i]);
                    return s + m * h[h.Length - 1];
                }

                [Differentiable]
                public static double M(double x, Span<double> u)
                {
                    double a = x, total = 0;
                    for (int i = 0; i < 3; i++)
                    {
                        u[0] = H0(a, u);
                        total += u[0] * u[1];
                        a = a * 0.7 + u[0];
                    }
                    return total;
                }

                public static double[] Probe(double x, double[] u)
                {
                    var du = new double[u.Length];
                    double v = MGradient(x, (double[])u.Clone(), out double dx, du);
                    var result = new System.Collections.Generic.List<double> { v, M(x, (double[])u.Clone()), dx };
                    result.AddRange(du);
                    const double h = 1e-6;
                    result.Add((M(x + h, (double[])u.Clone()) - M(x - h, (double[])u.Clone())) / (2 * h));
                    for (int i = 0; i < u.Length; i++)
                    {
                        var up = (double[])u.Clone(); up[i] += h;
                        var down = (double[])u.Clone(); down[i] -= h;
                        result.Add((M(x, up) - M(x, down)) / (2 * h));
                    }
                    return result.ToArray();
                }
            }
            """, analysesOff);
        Assert.Contains("H0Reverse(", Member(compiled.GeneratedText, "void MBackward("));
        var random = new Random(2100352);
        for (int trial = 0; trial < 8; trial++)
        {
            double x = 4 * random.NextDouble() - 2;
            double[] u = Enumerable.Range(0, 2 + trial % 3).Select(_ => 2 * random.NextDouble() - 1).ToArray();
            var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { x, u })!;
            Assert.Equal(r[1], r[0]);
            int n = 1 + u.Length;
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(r[2 + i] - r[2 + n + i]) <= 1e-6 * Math.Max(1, Math.Abs(r[2 + i])), $"trial {trial}: d[{i}] = {r[2 + i]:R}, finite differences {r[2 + n + i]:R}");
        }
    }

    // Split forms run once per call of their caller's loop, so their own calls go through split forms too, in a loop or
    // not: Sample is called in Total's loop; Sample calls Act once (at its top level) and Act calls Soft in a loop. Act's
    // primal then runs once per sample; through ActBackward it ran again in every sample's reverse.
    [Theory, InlineData(false), InlineData(true)]
    public void A_split_callee_calls_its_own_callees_through_their_split_forms(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(LeanAdjointTests.Header + """

                [Differentiable]
                public static double Act(double z)
                {
                    double s = 0;
                    for (int j = 1; j <= 3; j++) s += Math.Log(1 + Math.Exp(z / j)) * j;
                    return s;
                }

                [Differentiable]
                public static double Sample(ReadOnlySpan<double> w, double x, double y)
                {
                    double z = w[0] * x + w[1];
                    if (y > 0.5) return Act(z) - y * z;
                    double e = Act(-z) + w[2] * z;
                    return e * e;
                }

                [Differentiable]
                public static double Total(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> xs, [NoDiff] ReadOnlySpan<double> ys)
                {
                    double loss = Act(w[2]); // once, outside a loop: through ActBackward
                    for (int i = 0; i < xs.Length; i++) loss += Sample(w, xs[i], ys[i]);
                    return loss;
                }

                public static double[] Probe(double[] w, double[] xs, double[] ys)
                {
                    var dw = new double[w.Length];
                    double v = TotalGradient(w, xs, ys, dw);
                    var result = new System.Collections.Generic.List<double> { v, Total(w, xs, ys) };
                    result.AddRange(dw);
                    for (int i = 0; i < w.Length; i++) result.Add(Fd(() => Total(w, xs, ys), w, i));
                    return result.ToArray();
                }
            }
            """, analysesOff);
        string generated = compiled.GeneratedText;
        Assert.Contains("SampleReverse(", Member(generated, "void TotalBackward("));
        Assert.Contains("ActBackward(", Member(generated, "void TotalBackward("));
        Assert.Contains("ActForward(", Member(generated, "double SampleForward("));
        Assert.Contains("ActReverse(", Member(generated, "void SampleReverse("));
        string sampleReverse = Member(generated, "void SampleReverse(");
        // ActBackward only as the fallback past the stacks' limit: one per ActReverse (Sample calls Act on two paths).
        Assert.Equal(2, sampleReverse.Split("ActReverse(").Length - 1);
        Assert.Equal(2, sampleReverse.Split("ActBackward(").Length - 1);
        Assert.Contains("ActBackward(", Member(generated, "void SampleBackward(")); // Sample's own Backward runs once per call
        var random = new Random(41);
        for (int trial = 0; trial < 6; trial++)
        {
            double[] w = Enumerable.Range(0, 3).Select(_ => 2 * random.NextDouble() - 1).ToArray();
            double[] xs = Enumerable.Range(0, trial).Select(_ => 2 * random.NextDouble() - 1).ToArray();
            double[] ys = xs.Select(_ => random.NextDouble()).ToArray();
            var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { w, xs, ys })!;
            Assert.Equal(r[1], r[0]);
            for (int i = 0; i < w.Length; i++)
                Assert.True(Math.Abs(r[2 + i] - r[5 + i]) <= 1e-6 * Math.Max(1, Math.Abs(r[2 + i])), $"trial {trial}: d[{i}] = {r[2 + i]:R}, finite differences {r[5 + i]:R}");
        }
    }

    // Past 2^24 values on the stacks, a split call runs the primal and its reverse calls Backward, so a deep recursion's
    // memory stays bounded: Deep records one Sin per element and level (20,000 × 1,000 = 2e7 values), so its deepest
    // levels take the Backward path. Checked against the gradient by hand: D_k = Σ_i sin((k+1) w_i) w_i + D_{k-1} / 2.
    [Fact]
    public void Past_the_stacks_limit_a_split_recursion_falls_back_to_Backward_with_the_same_gradient()
    {
        var compiled = GradientAssert.Compile(LeanAdjointTests.Header + """

                [Differentiable]
                public static double Deep(ReadOnlySpan<double> w, int k)
                {
                    double s = 0;
                    for (int i = 0; i < w.Length; i++) s += Math.Sin((k + 1) * w[i]) * w[i];
                    if (k == 0) return s;
                    return s + 0.5 * Deep(w, k - 1);
                }

                public static double[] Probe(double[] w, int k)
                {
                    var dw = new double[w.Length];
                    double v = DeepGradient(w, k, dw);
                    var result = new System.Collections.Generic.List<double> { v, Deep(w, k) };
                    result.AddRange(dw);
                    return result.ToArray();
                }
            }
            """);
        Assert.Contains("DeepBackward(", Member(compiled.GeneratedText, "void DeepReverse("));
        int n = 20_000, depth = 1_000;
        double[] w = Enumerable.Range(0, n).Select(i => Math.Sin(0.37 * i) * 0.8).ToArray();
        var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { w, depth })!;
        Assert.Equal(r[1], r[0]);
        foreach (int i in new[] { 0, 1, 7, 4_999, 12_345, n - 1 })
        {
            // d/dw_i of Σ_k 2^-(K-k) Σ_i sin((k+1) w_i) w_i.
            double expected = 0, weight = 1;
            for (int k = depth; k >= 0; k--, weight *= 0.5)
                expected += weight * (Math.Sin((k + 1) * w[i]) + (k + 1) * w[i] * Math.Cos((k + 1) * w[i]));
            Assert.True(Math.Abs(r[2 + i] - expected) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"d[{i}] = {r[2 + i]:R}, by hand {expected:R}");
        }
    }

    // Not split: a callee that writes a buffer (its Backward and the caller's snapshot stay), a callee called once
    // outside a loop, a callee passed a constant buffer (it has a Backward variant for that), and a callee of a few cheap
    // operations (running it again costs less than recording it).
    [Fact]
    public void Callees_that_cannot_or_need_not_be_split_keep_their_Backward()
    {
        var compiled = GradientAssert.Compile(LeanAdjointTests.Header + """

                [Differentiable] public static double Writes(Span<double> o, double x) { o[0] = x * x; return o[0] + Math.Sin(x); }
                [Differentiable] public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) { double s = 0; for (int i = 0; i < a.Length; i++) s += a[i] * b[i]; if (s > 100) return 100; return s; }
                [Differentiable] public static double Once(double x) { if (x > 1) return Math.Sqrt(x); return x; }
                [Differentiable] public static double Tiny(double x) { if (x > 1) return 2 * x; return x * x; }

                [Differentiable]
                public static double Use(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> c, Span<double> scratch)
                {
                    double s = Once(w[0]);
                    for (int i = 0; i < 3; i++) s += Writes(scratch, w[i % w.Length] * s) + Dot(w, c) + Tiny(s);
                    return s;
                }

                public static double[] Probe(double[] w, double[] c)
                {
                    var dw = new double[w.Length];
                    var ds = new double[1];
                    double v = UseGradient(w, c, new double[1], dw, ds);
                    var result = new System.Collections.Generic.List<double> { v };
                    result.AddRange(dw);
                    for (int i = 0; i < w.Length; i++) result.Add(Fd(() => Use(w, c, new double[1]), w, i));
                    return result.ToArray();
                }
            }
            """);
        string use = Member(compiled.GeneratedText, "void UseBackward(");
        Assert.Contains("WritesBackward(", use);
        Assert.Contains("OnceBackward(", use);
        Assert.Contains("DotBackwardConstantB(", use);
        Assert.Contains("TinyBackward(", use);
        Assert.DoesNotContain("Forward(", use);
        Assert.DoesNotContain("Reverse(", use);
        double[] w = { 0.3, -0.7, 1.2 }, c = { 0.5, 1.5, -0.25 };
        var r = (double[])compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { w, c })!;
        for (int i = 0; i < w.Length; i++)
            Assert.True(Math.Abs(r[1 + i] - r[1 + w.Length + i]) <= 1e-6 * Math.Max(1, Math.Abs(r[1 + i])), $"d[{i}] = {r[1 + i]:R}, finite differences {r[1 + w.Length + i]:R}");
    }

    /// <summary>
    /// The text of one generated member, from its signature to the next member's summary; for a <c>Backward</c> that only
    /// calls the body it shares with <c>Gradient</c> (<c>{M}Core</c>), that body's.
    /// </summary>
    private static string Member(string generated, string signature)
    {
        int start = generated.IndexOf(signature, StringComparison.Ordinal);
        Assert.True(start >= 0, signature + " is not in the generated code");
        int end = generated.IndexOf("/// <summary>", start, StringComparison.Ordinal);
        string text = end < 0 ? generated.Substring(start) : generated.Substring(start, end - start);
        var core = System.Text.RegularExpressions.Regex.Match(signature, @"void (\w+)Backward\($");
        if (!core.Success || !text.Contains(core.Groups[1].Value + "Core(")) return text;
        var declaration = System.Text.RegularExpressions.Regex.Match(generated, @"private static \w+ " + core.Groups[1].Value + @"Core\(");
        Assert.True(declaration.Success, core.Groups[1].Value + "Core is called but not declared");
        return Member(generated, declaration.Value);
    }
    // Reverse computes again, from its parameters, the values at the top level of a way out that are cheap (h, and the
    // condition k <= 0) instead of popping them; it still pops what is not (e, and the condition e > 2.5 that reads it).
    private const string Ways = LeanAdjointTests.Header + """
            [Differentiable]
            public static double Walk(double x, int k)
            {
                int h = k >> 1;
                double e = Math.Exp(0.3 * x);
                if (k <= 0) return e;
                if (e > 2.5) return x * h + e;
                double s = Walk(x * 0.9 + 0.1, h) * (k - h);
                return s + Math.Sin(x) * h;
            }

            [Differentiable]
            public static double Walks(ReadOnlySpan<double> w, int k)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += Walk(w[i], k + i) * (i + 1);
                return s;
            }

            public static double[] Probe(double[] w, int k)
            {
                var dw = new double[w.Length];
                double v = WalksGradient(w, k, dw);
                var result = new System.Collections.Generic.List<double> { v, Walks(w, k) };
                result.AddRange(dw);
                for (int i = 0; i < w.Length; i++) result.Add(Fd(() => Walks(w, k), w, i));
                return result.ToArray();
            }
        }
        """;

    /// <summary>Walk by hand, with its derivative in x.</summary>
    private static (double Value, double Dx) Walk(double x, int k)
    {
        int h = k >> 1;
        double e = Math.Exp(0.3 * x);
        if (k <= 0) return (e, 0.3 * e);
        if (e > 2.5) return (x * h + e, h + 0.3 * e);
        var (inner, dInner) = Walk(x * 0.9 + 0.1, h);
        return (inner * (k - h) + Math.Sin(x) * h, dInner * 0.9 * (k - h) + Math.Cos(x) * h);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Reverse_computes_cheap_values_of_a_way_out_again_and_pops_the_others(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Ways, analysesOff);
        var probe = compiled.Assembly.GetType("T.C")!.GetMethod("Probe")!;
        // Every way out: k = 0 at once; e > 2.5 (x > 3.05) at the top or deeper; the recursion down to k = 0.
        foreach (var (w, k) in new[] { (new[] { 0.4, -1.2, 2.0 }, 0), (new[] { 3.5, 0.7 }, 5), (new[] { -0.6, 1.3, 0.2, 2.9 }, 6), (new double[0], 3) })
        {
            var r = (double[])probe.Invoke(null, new object[] { w, k })!;
            Assert.Equal(r[1], r[0]);
            int n = w.Length;
            for (int i = 0; i < n; i++)
            {
                double hand = (i + 1) * Walk(w[i], k + i).Dx;
                Assert.True(Math.Abs(r[2 + i] - hand) <= 1e-12 * Math.Max(1, Math.Abs(hand)), $"k={k}: d[{i}] = {r[2 + i]:R}, by hand {hand:R}");
                Assert.True(Math.Abs(r[2 + i] - r[2 + n + i]) <= 1e-6 * Math.Max(1, Math.Abs(hand)), $"k={k}: d[{i}] = {r[2 + i]:R}, finite differences {r[2 + n + i]:R}");
            }
        }
        string forward = Member(compiled.GeneratedText, "double WalkForward(");
        string reverse = Member(compiled.GeneratedText, "void WalkReverse(");
        if (analysesOff)
        {
            // Switched off: every way out pushes the conditions that led to it (1 + 2 + 2), and Reverse pops them.
            Assert.Equal(5, Regex.Matches(forward, "the way out taken").Count);
            return;
        }
        // The two ways past the first test push the second condition only; Reverse tests k <= 0 itself.
        Assert.Equal(2, Regex.Matches(forward, "the way out taken").Count);
        Assert.Matches(@"bool \w+ = k <= 0;", reverse);
        // Two flags popped: the way past e > 2.5, and whether the call of Walk was split.
        Assert.Equal(2, Regex.Matches(reverse, @"savedFlags\.Pop\(\)").Count);
        Assert.Contains("double e = savedDoubles.Pop();", reverse);
        Assert.DoesNotContain("int h = savedInts", reverse);
        Assert.Contains("int h = k >> 1;", reverse);
    }
}
