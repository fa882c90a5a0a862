using System.Reflection;
using System.Text.RegularExpressions;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Values a loop records only for one side of a branch (<c>LoopPlan.RecordedInBranches</c>): that side pushes them as it
/// ends and its reverse pops them first, so iterations that take the other way record nothing for them. Checked:
/// gradients against finite differences and hand-derived formulas at points where iterations take both ways, analyses
/// on and off, Backward on pre-filled adjoints; nested branches; a loop with a return inside (two ways out: no records in
/// branches; a loop nest recording in one block is FuzzRegressionTests'); the generated code pushes and pops inside the
/// sides, det's minor expansion included (a carried sign and a split call's result).
/// </summary>
public class BranchRecordTests
{
    private const string Source = LeanAdjointTests.Header + """
            // e is recorded (Exp is not recomputed), and only the positive side's reverse reads it. (A while loop pushes
            // its records; a counted loop with nothing else pushing keeps a slot per iteration in one block instead.)
            [Differentiable] public static double Gated(ReadOnlySpan<double> x, double a)
            {
                double s = 0;
                int i = 0;
                while (i < x.Length)
                {
                    if (x[i] > 0)
                    {
                        double e = Math.Exp(a * x[i]);
                        s += e * e;
                    }
                    else
                    {
                        s += a * x[i];
                    }
                    i++;
                }
                return s;
            }

            // c is read by both sides of the inner branch (pushed as the outer side ends); e by one side of it.
            [Differentiable] public static double Nested(ReadOnlySpan<double> x, double a)
            {
                double s = 0;
                int i = 0;
                while (i < x.Length)
                {
                    if (x[i] > -1)
                    {
                        double c = Math.Cos(a * x[i]);
                        if (x[i] > 0.5)
                        {
                            double e = Math.Exp(c * x[i]);
                            s += e * c;
                        }
                        else
                        {
                            s += c * c * a;
                        }
                    }
                    i++;
                }
                return s;
            }

            // A return inside the loop: two ways out reverse the loop, so it records at the end of each iteration.
            [Differentiable] public static double FirstBig(ReadOnlySpan<double> x, double a)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    if (x[i] > 0)
                    {
                        double e = Math.Exp(a * x[i]);
                        s += e;
                        if (s > 4) return s * a;
                    }
                }
                return s;
            }

            public static double[] Probe(string name, double[] x, double a)
            {
                var dx = new double[x.Length];
                double da;
                double v = name switch
                {
                    "Gated" => GatedGradient(x, a, dx, out da),
                    "Nested" => NestedGradient(x, a, dx, out da),
                    _ => FirstBigGradient(x, a, dx, out da),
                };
                // Backward with seed 2 on adjoints holding 1: 1 + 2·gradient.
                var bx = new double[x.Length];
                Array.Fill(bx, 1.0);
                double ba = 1;
                switch (name)
                {
                    case "Gated": GatedBackward(x, a, 2, bx, ref ba); break;
                    case "Nested": NestedBackward(x, a, 2, bx, ref ba); break;
                    default: FirstBigBackward(x, a, 2, bx, ref ba); break;
                }
                Func<double> f = name switch { "Gated" => () => Gated(x, a), "Nested" => () => Nested(x, a), _ => () => FirstBig(x, a) };
                var pa = new[] { a };
                Func<double> fa = name switch { "Gated" => () => Gated(x, pa[0]), "Nested" => () => Nested(x, pa[0]), _ => () => FirstBig(x, pa[0]) };
                var r = new System.Collections.Generic.List<double> { v, f(), da, Fd(fa, pa, 0), ba };
                for (int i = 0; i < x.Length; i++)
                {
                    r.Add(dx[i]);
                    r.Add(Fd(f, x, i));
                    r.Add(bx[i]);
                }
                return r.ToArray();
            }
        }
        """;

    private static double[] Probe(Assembly assembly, string name, double[] x, double a) =>
        (double[])assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { name, x, a })!;

    /// <summary>The hand-derived gradients: (d/da, d/dx).</summary>
    private static (double A, double[] X) ByHand(string name, double[] x, double a)
    {
        var dx = new double[x.Length];
        double da = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i];
            if (name == "Gated")
            {
                if (xi > 0)
                {
                    double e2 = Math.Exp(2 * a * xi);
                    da += 2 * xi * e2;
                    dx[i] = 2 * a * e2;
                }
                else
                {
                    da += xi;
                    dx[i] = a;
                }
            }
            else if (xi > -1)
            {
                double c = Math.Cos(a * xi), dcA = -Math.Sin(a * xi) * xi, dcX = -Math.Sin(a * xi) * a;
                if (xi > 0.5)
                {
                    // e·c with e = exp(c·x): d = e·(c·dc·x... ) = e·(x·dc + c·dx_term)·c + e·dc
                    double e = Math.Exp(c * xi);
                    double dByC = e * xi * c + e; // ∂(e·c)/∂c
                    da += dByC * dcA;
                    dx[i] = dByC * dcX + e * c * c; // ∂(e·c)/∂x at fixed c is e·c·c
                }
                else
                {
                    da += 2 * c * dcA * a + c * c;
                    dx[i] = 2 * c * dcX * a;
                }
            }
        }
        return (da, dx);
    }

    public static IEnumerable<object[]> Points()
    {
        foreach (bool off in new[] { false, true })
        {
            yield return new object[] { off, new[] { 0.3, -0.8, 1.1, -0.2, 0.7, -1.5, 0.9 }, 0.6 };
            yield return new object[] { off, new[] { -0.4, -0.9, -2.0 }, -0.7 };   // no iteration takes the positive side
            yield return new object[] { off, new[] { 0.2, 0.8, 1.3 }, 0.35 };      // every iteration takes it
            yield return new object[] { off, new double[0], 1.0 };
            yield return new object[] { off, new[] { 0.9, -1.2, 0.55, 0.45, -0.99 }, -1.3 };
        }
    }

    [Theory, MemberData(nameof(Points))]
    public void Gradients_match_the_hand_derived_ones_and_finite_differences(bool analysesOff, double[] x, double a)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        foreach (var name in new[] { "Gated", "Nested" })
        {
            var r = Probe(compiled.Assembly, name, x, a);
            var hand = ByHand(name, x, a);
            string what = $"{name}({string.Join(", ", x)}; {a}) analyses {(analysesOff ? "off" : "on")}";
            Assert.True(r[0].Equals(r[1]), $"{what}: Gradient returned {r[0]:R}, the method {r[1]:R}");
            Close(r[2], hand.A, 1e-12, what + " d/da by hand");
            Close(r[2], r[3], 1e-6, what + " d/da finite differences");
            Close(r[4], 1 + 2 * hand.A, 1e-12, what + " Backward d/da");
            for (int i = 0; i < x.Length; i++)
            {
                Close(r[5 + 3 * i], hand.X[i], 1e-12, $"{what} d/dx[{i}] by hand");
                Close(r[5 + 3 * i], r[6 + 3 * i], 1e-6, $"{what} d/dx[{i}] finite differences");
                Close(r[7 + 3 * i], 1 + 2 * hand.X[i], 1e-12, $"{what} Backward d/dx[{i}]");
            }
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_return_inside_the_loop_still_gets_the_right_gradient(bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Source, analysesOff);
        foreach (var (x, a) in new[] { (new[] { 0.5, -1.0, 0.9, 1.2, 0.3 }, 1.1), (new[] { 0.5, -1.0, 0.2 }, 0.4), (new[] { -0.5, 2.0, -0.1, 0.4 }, 0.8) })
        {
            var r = Probe(compiled.Assembly, "FirstBig", x, a);
            string what = $"FirstBig({string.Join(", ", x)}; {a})";
            Assert.True(r[0].Equals(r[1]), what);
            Close(r[2], r[3], 1e-6, what + " d/da");
            Close(r[4], 1 + 2 * r[2], 1e-12, what + " Backward d/da");
            for (int i = 0; i < x.Length; i++)
            {
                Close(r[5 + 3 * i], r[6 + 3 * i], 1e-6, $"{what} d/dx[{i}]");
                Close(r[7 + 3 * i], 1 + 2 * r[5 + 3 * i], 1e-12, $"{what} Backward d/dx[{i}]");
            }
        }
        // Two ways out reverse the loop from one plan: e is recorded at the end of every iteration.
        Assert.DoesNotContain("recorded in its branch", Printed("FirstBig"));
    }

    [Fact]
    public void The_sides_push_and_pop_what_only_their_reverse_reads()
    {
        var compiled = GradientAssert.Compile(Source);
        string gated = Body(compiled.GeneratedText, "Gated");
        // One double pushed, inside the positive side (the other push is the counter); its pop opens that side's reverse.
        var push = Assert.Single(Regex.Matches(gated, @"savedDoubles\.Push\((\w+)\);"));
        Assert.True(InsideSide(gated, push.Index), "the push is not inside a side:\n" + gated);
        var pop = Assert.Single(Regex.Matches(gated, @"double " + push.Groups[1].Value + @" = saved\w+\.Pop\(\);"));
        Assert.True(InsideSide(gated, pop.Index), "the pop is not inside a side:\n" + gated);

        // det (its gradient is checked against the cofactors in SplitFormTests): the sign and the minor are pushed where
        // the column counts, not for every column.
        string minor = Member(GradientAssert.Compile(SplitFormTests.Det).GeneratedText, "internal static double MinorForward(");
        foreach (var value in new[] { "sign", "sub" })
        {
            var at = Assert.Single(Regex.Matches(minor, @"saved\w+\.Push\(" + value + @"\);"));
            Assert.True(InsideSide(minor, at.Index), value + " is not pushed inside a side:\n" + minor);
        }

        foreach (var name in new[] { "Gated", "Nested" })
            Assert.Contains("recorded in its branch", Printed(name));
        // Nested: c where the outer side ends, e where the inner side ends.
        string nested = Body(compiled.GeneratedText, "Nested");
        var pushes = Regex.Matches(nested, @"savedDoubles\.Push\(");
        Assert.Equal(2, pushes.Count);
        Assert.All(pushes, p => Assert.True(InsideSide(nested, p.Index), "a push outside the sides:\n" + nested));
        Assert.Equal(2, Regex.Matches(nested, @"= savedDoubles\.Pop\(\);").Count);
    }

    [Fact]
    public void Switched_off_the_analyses_record_at_the_end_of_the_iteration()
    {
        var compiled = GradientAssert.Compile(Source, analysesOff: true);
        string gated = Body(compiled.GeneratedText, "Gated");
        foreach (Match push in Regex.Matches(gated, @"saved\w+\.Push\("))
            Assert.False(InsideSide(gated, push.Index), "a push inside a side with the analyses off:\n" + gated);
    }

    /// <summary>Whether the statement at <paramref name="index"/> is directly in an <c>if</c> or <c>else</c> block.</summary>
    private static bool InsideSide(string text, int index)
    {
        var lines = text.Substring(0, index).Split('\n');
        int depth = 0;
        for (int k = lines.Length - 2; k >= 0; k--)
        {
            string line = lines[k].Trim();
            if (line == "}") depth++;
            else if (line == "{")
            {
                if (depth == 0) return Regex.IsMatch(lines[k - 1].Trim(), @"^(if \(|else$)");
                depth--;
            }
        }
        return false;
    }

    private static string Printed(string name)
    {
        var function = ModelHelper.ParseValid(Source, name).Function;
        var program = Differentiable.Generator.Differentiation.ReverseModeBuilder.Build(function, ActivityAnalysis.Run(function, enabled: true));
        return IrPrinter.Print(function, program.Annotate, program.AnnotateLoop);
    }

    private static void Close(double actual, double expected, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: {actual:R}, expected {expected:R}");

    /// <summary>The member that runs the method's forward and reverse sweeps: Core when Gradient and Backward share one.</summary>
    private static string Body(string generated, string name) =>
        Member(generated, generated.Contains("static double " + name + "Core(") ? "static double " + name + "Core(" : "public static double " + name + "Gradient(");

    private static string Member(string generated, string signature)
    {
        int start = generated.IndexOf(signature, StringComparison.Ordinal);
        Assert.True(start >= 0, signature + " is not in the generated code");
        int end = generated.IndexOf("\n        }\n", start, StringComparison.Ordinal);
        return generated.Substring(start, end - start);
    }
}
