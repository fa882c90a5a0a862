using System.Reflection;
using System.Text.RegularExpressions;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Loop nests that record into one block: when every recording loop inside a counted loop is counted, sits at the top
/// level of its parent loop's body and has a trip count computed from values defined before the nest, the outermost
/// loop reserves one block per element type for the whole nest and the inner loops cut theirs from it, instead of a
/// <c>PushSpan</c> and a <c>PopSpan</c> per inner loop per iteration (GMM's per-point, per-component loops). Each program
/// is checked against finite differences (and, for the first, a hand-derived gradient) at several sizes, empty ones
/// included, with the analyses on and off, and <c>Backward</c> with a seed on pre-filled adjoints; the generated code is
/// checked for the one reservation. Nests that cannot share a block (a recording loop in a branch, a trip count that
/// changes with the outer counter) keep their own pushes and are checked the same way.
/// </summary>
public class NestedBlockTests
{
    private const string Source = LeanAdjointTests.Header + """
            // Three levels: i reserves; c records its sum S, j its exponentials. By hand: value = Σ_i Σ_c S², with
            // S = Σ_j exp(w[c·d+j]·x[i·d+j]); d/dw[c·d+j] = Σ_i 2S·e_j·x[i·d+j].
            [Differentiable] public static double Squares(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, int d)
            {
                int k = w.Length / d, n = x.Length / d;
                double value = 0;
                for (int i = 0; i < n; i++)
                {
                    for (int c = 0; c < k; c++)
                    {
                        double s = 0;
                        for (int j = 0; j < d; j++) s += Math.Exp(w[c * d + j] * x[i * d + j]);
                        value += s * s;
                    }
                }
                return value;
            }

            // Siblings, three element types (a carried product, an int that does not step by a constant, the branch
            // flags), a downward root, a `<=` bound, bounds from a length and from arithmetic on values before the nest,
            // and a local buffer rewritten per component.
            [Differentiable] public static double Mixed(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, int d)
            {
                int k = w.Length / d;
                Span<double> t = new double[d];
                double total = 0;
                for (int i = x.Length / d - 1; i >= 0; i--)
                {
                    double best = 0;
                    for (int c = 0; c < k; c++)
                    {
                        for (int j = 0; j < d; j++) t[j] = Math.Sin(w[c * d + j] * x[i * d + j]);
                        double p = 1;
                        int code = 1;
                        for (int j = 0; j <= d - 1; j++)
                        {
                            if (t[j] > 0) { p *= t[j] + 0.5; code = code * 2 % 7; }
                            else { p += t[j] * t[j]; code = code * 3 % 5; }
                        }
                        best += p * Math.Exp(-0.1 * code);
                    }
                    double q = 0;
                    for (int j = 0; j < t.Length; j++) q = q * 0.5 + Math.Cos(t[j] * best);
                    for (int j = 2 * d - 1; j >= d; j--) q += Math.Tanh(q * x[i * d + j - d]);
                    total += q * best;
                }
                return total;
            }

            // The nest sits in a while loop; its inner bound m is computed in the while loop's body, before the nest.
            [Differentiable] public static double InWhile(ReadOnlySpan<double> w, int rounds)
            {
                double s = 0.5;
                int r = 0;
                while (r < rounds)
                {
                    int m = r % 3 + 1;
                    for (int i = 0; i < w.Length; i++)
                    {
                        for (int j = 0; j < m; j++) s = Math.Sin(s * w[i] + j);
                        s = s * 0.9 + 0.1;
                    }
                    r++;
                }
                return s;
            }

            // Not one block: the recording loop is in a branch, and a triangular loop's trip count changes with i.
            [Differentiable] public static double Apart(ReadOnlySpan<double> w, int d)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    if (w[i] > 0)
                    {
                        for (int j = 0; j < d; j++) s = Math.Sin(s + w[i] * j);
                    }
                    for (int j = 0; j < i; j++) s = Math.Cos(s * w[j]);
                }
                return s;
            }

            // A helper with a nest, called in a loop: it gets split forms, whose Forward reserves the nest's block on the
            // caller's stacks and whose Reverse pops it.
            // (Its early return keeps it from being inlined.)
            [Differentiable] public static double Helper(ReadOnlySpan<double> w, int d)
            {
                if (w.Length == 0) return 0;
                double s = 0;
                for (int i = 0; i < w.Length / d; i++)
                {
                    double p = 0;
                    for (int j = 0; j < d; j++) p += Math.Exp(w[i * d + j] * (j + 1));
                    s += Math.Log(p);
                }
                return s;
            }

            [Differentiable] public static double Caller(ReadOnlySpan<double> w, int d, int times)
            {
                double s = 0;
                for (int t = 0; t < times; t++) s += Helper(w, d) * (t + 1);
                return s;
            }

            public static double[] Probe(string method, double[] w, double[] x, int d)
            {
                Func<double> f = method switch
                {
                    "Squares" => () => Squares(w, x, d),
                    "Mixed" => () => Mixed(w, x, d),
                    "InWhile" => () => InWhile(w, d),
                    "Apart" => () => Apart(w, d),
                    _ => () => Caller(w, d, 3),
                };
                var dw = new double[w.Length];
                var dx = new double[x.Length];
                double v = method switch
                {
                    "Squares" => SquaresGradient(w, x, d, dw),
                    "Mixed" => MixedGradient(w, x, d, dw),
                    "InWhile" => InWhileGradient(w, d, dw),
                    "Apart" => ApartGradient(w, d, dw),
                    _ => CallerGradient(w, d, 3, dw),
                };
                // Backward with seed 2 on adjoints holding 1: 1 + 2·gradient.
                var db = new double[w.Length];
                for (int i = 0; i < db.Length; i++) db[i] = 1;
                switch (method)
                {
                    case "Squares": SquaresBackward(w, x, d, 2, db); break;
                    case "Mixed": MixedBackward(w, x, d, 2, db); break;
                    case "InWhile": InWhileBackward(w, d, 2, db); break;
                    case "Apart": ApartBackward(w, d, 2, db); break;
                    default: CallerBackward(w, d, 3, 2, db); break;
                }
                var r = new System.Collections.Generic.List<double> { v, f() };
                r.AddRange(dw);
                r.AddRange(db);
                for (int i = 0; i < w.Length; i++) r.Add(Fd(f, w, i));
                return r.ToArray();
            }
        }
        """;

    private static (double Value, double Primal, double[] Gradient, double[] Backward, double[] Fd) Run(Assembly assembly, string method, double[] w, double[] x, int d)
    {
        var r = (double[])assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { method, w, x, d })!;
        int n = w.Length;
        return (r[0], r[1], r[2..(2 + n)], r[(2 + n)..(2 + 2 * n)], r[(2 + 2 * n)..]);
    }

    private static void AssertRight(string what, (double Value, double Primal, double[] Gradient, double[] Backward, double[] Fd) r, double[]? byHand = null)
    {
        Assert.True(r.Value.Equals(r.Primal), $"{what}: Gradient returned {r.Value:R}, the method {r.Primal:R}");
        for (int i = 0; i < r.Gradient.Length; i++)
        {
            double g = r.Gradient[i];
            Assert.True(Math.Abs(g - r.Fd[i]) <= 1e-6 * Math.Max(1, Math.Abs(g)), $"{what}: d[{i}] = {g:R}, finite differences {r.Fd[i]:R}");
            Assert.True(Math.Abs(r.Backward[i] - (1 + 2 * g)) <= 1e-12 * Math.Max(1, Math.Abs(g)), $"{what}: Backward d[{i}] = {r.Backward[i]:R}, expected 1 + 2·{g:R}");
            if (byHand is not null)
                Assert.True(Math.Abs(g - byHand[i]) <= 1e-12 * Math.Max(1, Math.Abs(byHand[i])), $"{what}: d[{i}] = {g:R}, hand-derived {byHand[i]:R}");
        }
    }

    private static double[] Random(Random random, int n, double scale) => Enumerable.Range(0, n).Select(_ => scale * (2 * random.NextDouble() - 1)).ToArray();

    [Theory, InlineData(false), InlineData(true)]
    public void Three_levels_share_one_block_and_match_the_hand_derived_gradient(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(3);
        foreach (var (d, k, n) in new[] { (1, 1, 1), (2, 5, 7), (3, 2, 4), (2, 0, 3), (2, 3, 0), (4, 3, 5) })
        {
            double[] w = Random(random, d * k, 0.8), x = Random(random, d * n, 0.9);
            var g = new double[w.Length];
            for (int i = 0; i < n; i++)
            {
                for (int c = 0; c < k; c++)
                {
                    double s = 0;
                    for (int j = 0; j < d; j++) s += Math.Exp(w[c * d + j] * x[i * d + j]);
                    for (int j = 0; j < d; j++) g[c * d + j] += 2 * s * Math.Exp(w[c * d + j] * x[i * d + j]) * x[i * d + j];
                }
            }
            AssertRight($"Squares d={d} k={k} n={n}", Run(compiled.Assembly, "Squares", w, x, d), g);
        }
        // One reservation per element type before the outermost loop, and the inner loops cut from it.
        string squares = Members(compiled.GeneratedText, "Squares");
        Assert.Single(Regex.Matches(squares, @"savedDoubles\.PushSpan\(")); // in the body Gradient and Backward share
        Assert.Single(Regex.Matches(squares, @"savedDoubles\.PopSpan\("));
        Assert.Contains("SquaresCore(", squares);
        Assert.DoesNotMatch(@"savedDoubles\.Push\(", squares);
        Assert.Matches(@"\.Slice\(", squares);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Siblings_several_types_and_bounds_computed_before_the_nest(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(5);
        foreach (var (d, k, n) in new[] { (1, 1, 1), (2, 3, 2), (3, 2, 3), (2, 0, 2), (3, 2, 0), (1, 4, 4) })
        {
            for (int repeat = 0; repeat < 3; repeat++)
            {
                double[] w = Random(random, d * k, 1.5), x = Random(random, 2 * d * n, 1.2);
                AssertRight($"Mixed d={d} k={k} n={n}", Run(compiled.Assembly, "Mixed", w, x, d));
            }
        }
        string mixed = Members(compiled.GeneratedText, "Mixed");
        // Per element type the nest records (with the analyses off: ints and flags too), one reservation in the body
        // Gradient and Backward share, and no value pushed alone.
        Assert.Single(Regex.Matches(mixed, @"savedDoubles\.PushSpan\("));
        foreach (var stack in new[] { "savedDoubles", "savedInts", "savedFlags" })
        {
            Assert.Contains(Regex.Matches(mixed, stack + @"\.PushSpan\(").Count, new[] { 0, 1 });
            Assert.DoesNotMatch(stack + @"\.Push\(", mixed);
        }
        if (analysesOff) Assert.Single(Regex.Matches(mixed, @"savedInts\.PushSpan\("));
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_nest_in_a_while_loop_reads_its_bounds_in_the_reverse(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(7);
        foreach (int length in new[] { 0, 1, 3, 6 })
        {
            foreach (int rounds in new[] { 0, 1, 2, 5 })
            {
                double[] w = Random(random, length, 1.1);
                AssertRight($"InWhile length={length} rounds={rounds}", Run(compiled.Assembly, "InWhile", w, Array.Empty<double>(), rounds));
            }
        }
        Assert.Contains("[one block for the nest]", Printed("InWhile"));
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Loops_that_cannot_share_a_block_keep_their_own(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(9);
        foreach (int length in new[] { 0, 1, 4, 7 })
        {
            foreach (int d in new[] { 0, 1, 3 })
            {
                double[] w = Random(random, length, 1.3);
                AssertRight($"Apart length={length} d={d}", Run(compiled.Assembly, "Apart", w, Array.Empty<double>(), d));
            }
        }
        string printed = Printed("Apart");
        Assert.DoesNotContain("nest", printed);
        Assert.DoesNotContain("block inside", printed);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_split_callee_reserves_its_nest_on_the_callers_stacks(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        var random = new Random(11);
        foreach (var (d, rows) in new[] { (1, 1), (2, 3), (3, 2), (2, 0) })
        {
            double[] w = Random(random, d * rows, 0.7);
            AssertRight($"Caller d={d} rows={rows}", Run(compiled.Assembly, "Caller", w, Array.Empty<double>(), d));
        }
        Assert.Contains("HelperForward(", compiled.GeneratedText);
        int forward = compiled.GeneratedText.IndexOf("HelperForward(global::", StringComparison.Ordinal);
        int reverse = compiled.GeneratedText.IndexOf("HelperReverse(global::", StringComparison.Ordinal);
        Assert.True(forward >= 0 && reverse >= 0, "Helper has no split forms");
        Assert.Matches(@"PushSpan\(checked\(", compiled.GeneratedText.Substring(forward, reverse > forward ? reverse - forward : compiled.GeneratedText.Length - forward));
    }

    [Fact]
    public void The_plans_print_where_each_loop_records()
    {
        string printed = Printed("Squares");
        var loops = printed.Split('\n').Where(l => l.Contains("= loop for")).Select(l => l.Trim()).ToList();
        Assert.Equal(3, loops.Count);
        Assert.Contains("[one block for the nest]", loops[0]);
        string outer = Regex.Match(loops[0], @"trips (%\d+)").Groups[1].Value;
        string middle = Regex.Match(loops[1], @"trips (%\d+)").Groups[1].Value;
        Assert.Contains("[block inside " + outer + "'s]", loops[1]);
        Assert.Contains("[block inside " + middle + "'s]", loops[2]);
    }

    private static string Printed(string name)
    {
        var function = ModelHelper.ParseValid(Source, name).Function;
        var program = Differentiable.Generator.Differentiation.ReverseModeBuilder.Build(function, ActivityAnalysis.Run(function, enabled: true));
        return IrPrinter.Print(function, program.Annotate, program.AnnotateLoop);
    }

    /// <summary>The generated members of one method, Gradient through Backward.</summary>
    private static string Members(string generated, string method)
    {
        int start = generated.IndexOf("public static double " + method + "Gradient(", StringComparison.Ordinal);
        Assert.True(start >= 0, method + "Gradient is not in the generated code");
        int end = generated.IndexOf("\n        }\n", generated.IndexOf(method + "Backward(", start, StringComparison.Ordinal), StringComparison.Ordinal);
        return generated.Substring(start, end - start);
    }
}
