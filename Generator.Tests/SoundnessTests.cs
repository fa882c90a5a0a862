using System.Reflection;
using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// The reproductions of the soundness issue (A–L): each once gave a wrong value or gradient with no error, or
/// generated code that did not compile. Each is checked against hand-derived values (and finite differences where
/// the method has no side effects), with the analyses on and off.
/// </summary>
public class SoundnessTests
{
    private const string Header = "using System;\nusing Differentiable;\nnamespace T;\n";

    private static Assembly Load(string body, bool analysesOff) =>
        GradientAssert.Load(Header + "public static partial class C\n{\n" + body + "\n}\n", analysesOff);

    private static double[] Run(Assembly assembly, string probe) =>
        (double[])assembly.GetType("T.C")!.GetMethod(probe)!.Invoke(null, null)!;

    private static void Near(double[] expected, double[] actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]) / Math.Max(1, Math.Abs(expected[i]));
            Assert.True(error <= tolerance || expected[i].Equals(actual[i]),
                $"[{i}]: expected {expected[i]:R}, got {actual[i]:R} (all: [{string.Join(", ", actual.Select(a => a.ToString("R")))}])");
        }
    }

    // A. A while condition reads data that the body reads again.
    [Theory, InlineData(false), InlineData(true)]
    public void A_WhileConditionReadsTheBuffer(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static double SentinelSum(ReadOnlySpan<double> x)
            { double s = 0; int i = 0; while (x[i] > 0) { s += x[i] * x[i]; i++; } return s; }
            public static double[] Probe()
            {
                double[] x = { 1, 2, 3, -1, 7 };
                var dx = new double[5];
                double v = SentinelSumGradient(x, dx);
                var bx = new double[] { 0.5, 0.5, 0.5, 0.5, 0.5 };
                SentinelSumBackward(x, 2, bx);
                return new[] { v, SentinelSum(x), dx[0], dx[1], dx[2], dx[3], dx[4], bx[0], bx[1], bx[2], bx[3], bx[4] };
            }
            """, analysesOff);
        Near(new double[] { 14, 14, 2, 4, 6, 0, 0, 4.5, 8.5, 12.5, 0.5, 0.5 }, Run(assembly, "Probe"));
    }

    // B. The body reuses a pure expression of the condition.
    [Theory, InlineData(false), InlineData(true)]
    public void B_BodyReusesTheCondition(bool analysesOff)
    {
        var assembly = Load("[Differentiable] public static double WhileReuse(double x) { double s = x; while (s * s < 10) s = s + s * s; return s; }", analysesOff);
        // x = 1: s = 1 -> 2 -> 6; f = y + y^2 with y = x + x^2, f' = (1 + 2y)(1 + 2x) = 15.
        var result = GradientAssert.CheckExact(assembly, "T.C", "WhileReuse", new object[] { 1.0 }, 15);
        Assert.Equal(6, result.Value);
        GradientAssert.Check(assembly, "T.C", "WhileReuse", 0.7);
        GradientAssert.Check(assembly, "T.C", "WhileReuse", 1.3);
    }

    // C. A differentiable call that writes a buffer, inside the loop condition.
    [Theory, InlineData(false), InlineData(true)]
    public void C_CallThatWritesInTheCondition(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static double Halve(Span<double> u) { u[0] = u[0] * 0.5; return u[0]; }
            [Differentiable] public static double Converge(double x)
            { Span<double> u = stackalloc double[1]; u[0] = x; while (Halve(u) > 0.1) { } return u[0]; }
            [Differentiable] public static double ForConverge(double x)
            { Span<double> u = stackalloc double[1]; u[0] = x; double s = 0; for (int k = 0; Halve(u) > 0.1 && k < 100; k++) s += u[0]; return s + u[0]; }
            """, analysesOff);
        var result = GradientAssert.CheckExact(assembly, "T.C", "Converge", new object[] { 1.0 }, 0.0625);
        Assert.Equal(0.0625, result.Value);
        GradientAssert.Check(assembly, "T.C", "Converge", 0.9);
        GradientAssert.Check(assembly, "T.C", "ForConverge", 0.9);
        GradientAssert.Check(assembly, "T.C", "ForConverge", 3.0);
    }

    // D. A mutable static field read in a loop and changed by a call (a schedule).
    [Theory, InlineData(false), InlineData(true)]
    public void D_MutableStaticInALoop(bool analysesOff)
    {
        var assembly = Load("""
            public static double s_gain = 1;
            public static void Anneal() => s_gain *= 0.5;
            [Differentiable] public static double Annealed(ReadOnlySpan<double> w)
            { double s = 0; for (int i = 0; i < w.Length; i++) { s += w[i] * s_gain; Anneal(); } return s; }
            public static double[] Probe()
            {
                double[] w = { 1, 1, 1 };
                s_gain = 1; double v = Annealed(w); double after = s_gain;
                var dw = new double[3];
                s_gain = 1; double g = AnnealedGradient(w, dw); double afterGradient = s_gain;
                var bw = new double[3];
                s_gain = 1; AnnealedBackward(w, 2, bw); double afterBackward = s_gain;
                return new[] { v, after, g, afterGradient, dw[0], dw[1], dw[2], afterBackward, bw[0], bw[1], bw[2] };
            }
            """, analysesOff);
        Near(new[] { 1.75, 0.125, 1.75, 0.125, 1, 0.5, 0.25, 0.125, 2, 1, 0.5 }, Run(assembly, "Probe"));
    }

    // E. The same mutable static read before and after a call that changes it.
    [Theory, InlineData(false), InlineData(true)]
    public void E_MutableStaticReadTwice(bool analysesOff)
    {
        var assembly = Load("""
            public static double s_scale = 1;
            public static void Bump() => s_scale *= 2;
            [Differentiable] public static double StaticTwice(double x) { double a = x * s_scale; Bump(); double b = x * s_scale; return a + b; }
            public static double[] Probe()
            {
                s_scale = 1; double v = StaticTwice(1); double after = s_scale;
                s_scale = 1; double g = StaticTwiceGradient(1, out double dx); double afterGradient = s_scale;
                s_scale = 1; double bx = 0.5; StaticTwiceBackward(1, 2, ref bx); double afterBackward = s_scale;
                return new[] { v, after, g, dx, afterGradient, bx, afterBackward };
            }
            """, analysesOff);
        Near(new[] { 3, 2, 3, 3, 2, 6.5, 2 }, Run(assembly, "Probe"));
    }

    // F. The same array passed as input and output: refused before any work, naming both parameters.
    [Theory, InlineData(false), InlineData(true)]
    public void F_AliasedBuffersThrow(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static void Twice(ReadOnlySpan<double> x, Span<double> y) { y[0] = 2 * x[0]; y[1] = x[0]; }
            [Differentiable] public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) { double s = 0; for (int i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }
            public static string Aliased()
            {
                double[] m = { 1, 5 };
                double[] dm = { 1, 1 };
                try { TwiceBackward(m, m, dm, dm); return "no exception"; }
                catch (ArgumentException e) { return e.Message + "|" + m[0] + "," + m[1] + "|" + dm[0] + "," + dm[1]; }
            }
            public static string Slices()
            {
                double[] m = { 1, 5, 7 };
                double[] dx = new double[2], dy = new double[2];
                try { TwiceBackward(m.AsSpan(0, 2), m.AsSpan(1, 2), dx, dy); return "no exception"; }
                catch (ArgumentException e) { return e.Message + "|" + m[0] + "," + m[1] + "," + m[2]; }
            }
            public static double[] Probe()
            {
                // Disjoint buffers, and read-only pairs, keep working.
                double[] m = { 1, 5, 7, 9 };
                double[] dx = new double[2], dy = { 1, 1 };
                TwiceBackward(m.AsSpan(0, 2), m.AsSpan(2, 2), dx, dy);
                double[] a = { 1, 2, 3 };
                double[] da = new double[3], db = new double[3];
                double d = DotGradient(a, a, da, db);
                return new[] { m[2], m[3], dx[0], dx[1], d, da[0], da[1], da[2], db[2] };
            }
            """, analysesOff);
        var type = assembly.GetType("T.C")!;
        string aliased = (string)type.GetMethod("Aliased")!.Invoke(null, null)!;
        Assert.Contains("'x'", aliased);
        Assert.Contains("'y'", aliased);
        Assert.EndsWith("|1,5|1,1", aliased); // before any work: nothing written
        string slices = (string)type.GetMethod("Slices")!.Invoke(null, null)!;
        Assert.Contains("'x'", slices);
        Assert.EndsWith("|1,5,7", slices);
        Near(new double[] { 2, 1, 3, 0, 14, 1, 2, 3, 3 }, Run(assembly, "Probe"));
    }

    // G. 0 · ∞ in the adjoint of a division on a branch that does not reach the result.
    [Theory, InlineData(false), InlineData(true)]
    public void G_ZeroAdjointTimesInfinitePartial(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static double Capped(double x, double y) => Math.Min(1.0, x / y);
            [Differentiable] public static double Chosen(double x, double y) { double q = x / y; double r = q * q; return x > 0 ? x : r; }
            [Differentiable] public static double Branch(double x, double y) { double q = 1 / y; double s = x; if (x > 0) s = x * 2; else s = q; return s; }
            """, analysesOff);
        var r = GradientAssert.CheckExact(assembly, "T.C", "Capped", new object[] { 1.0, 1e-320 }, 0, 0);
        Assert.Equal(1, r.Value);
        GradientAssert.CheckExact(assembly, "T.C", "Chosen", new object[] { 1.0, 0.0 }, 1, 0);
        GradientAssert.CheckExact(assembly, "T.C", "Branch", new object[] { 1.0, 0.0 }, 2, 0);
        GradientAssert.Check(assembly, "T.C", "Capped", 0.3, 0.7);
        GradientAssert.Check(assembly, "T.C", "Capped", 3.0, 0.7);
    }

    // H. A local declared without an initializer and assigned before every read.
    [Theory, InlineData(false), InlineData(true)]
    public void H_DefinitelyAssignedLocal(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static double NewtonSqrt(double a)
            { double x = a > 1 ? a : 1; double prev; int guard = 0;
              do { prev = x; x = 0.5 * (x + a / x); guard++; } while (Math.Abs(x - prev) > 1e-15 * x && guard < 100);
              return x; }
            [Differentiable] public static double Late(double a)
            { double y; double z; if (a > 0) { y = a * a; z = y; } else { y = -a; z = 1; } double w; w = y * z; return w; }
            """, analysesOff);
        var r = GradientAssert.Evaluate(assembly, "T.C", "NewtonSqrt", Precision.Double, 2.0);
        Assert.Equal(Math.Sqrt(2), r.Value, 14);
        Assert.Equal(1 / (2 * Math.Sqrt(2)), r.Gradient[0], 12);
        GradientAssert.Check(assembly, "T.C", "NewtonSqrt", 5.0);
        GradientAssert.CheckExact(assembly, "T.C", "Late", new object[] { 2.0 }, 32);
        GradientAssert.Check(assembly, "T.C", "Late", -1.5);
    }

    // J. Generated code that did not compile (no loop at all).
    [Theory, InlineData(false), InlineData(true)]
    public void J_RandomProgramCompiles(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable]
            public static double F46(double a, double b, double c)
            {
                double t1 = Math.Log2(2.5 + Math.Sin(Math.Cos(Math.Tanh(a))));
                t1 += Math.Atan2(3.0, 2 + Math.Sin(((-0.5) / (1.5 + Math.Cos((-1.5))))));
                t1 += Math.Sin(Math.Cos((-0.5)));
                t1 = H1(Math.Cos(b), t1);
                t1 += Math.FusedMultiplyAdd(Math.FusedMultiplyAdd((-0.5), 0.5, a), Math.Pow(1.5 + Math.Cos(b), 0.25), 1.25);
                if (Math.Pow(1.5 + Math.Cos(t1), 1.25) < (a / (1.5 + Math.Cos(a)))) return (Math.Pow(1.5 + Math.Cos(a), 0.25) / (1.5 + Math.Cos(Math.Atan2(t1, 2 + Math.Sin(t1)))));
                double t2 = Math.Cbrt(3 + Math.Cos(((b * 0.5) * (-0.5))));
                double t3 = (Math.Cos(t1) - Math.Cos((c + t1)));
                t1 = (Math.Atan(t2) / (1.5 + Math.Cos(t3)));
                double t4 = c;
                return t2 + t3 + t4 + t4;
            }
            [Differentiable] public static double H1(double p, double q) { double r = Math.Exp(Math.Tanh(p)); return r / (2 + Math.Cos(q)); }
            """, analysesOff);
        foreach (var point in new[] { new object[] { 0.3, -0.4, 0.8 }, new object[] { 2.5, 1.1, -0.7 }, new object[] { -1.2, 0.2, 0.1 } })
            GradientAssert.Check(assembly, "T.C", "F46", point);
    }

    // I. Generated code that did not compile (loops, calls, local arrays, early exits).
    [Theory, InlineData(false), InlineData(true)]
    public void I_RandomProgramCompiles(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable]
            public static double G193(ReadOnlySpan<double> x, double a)
            {
                double s = (1 / (1 + Math.Exp(-a)));
                s += Hs(x, s);
                int it = 0;
                double t = (a * s);
                while (Math.Abs(t) > 0.05 && it < 40) { t = t * 0.6 + 0.01 * Math.Sin(x[it % x.Length] + Math.Cos(a)); it++; }
                s += t * a;
                double[] w = new double[x.Length];
                for (int i = 0; i < w.Length; i++) w[i] = Math.Atan2(0.3, 2 + Math.Sin(x[i]));
                for (int i = 0; i < w.Length; i++) w[i] *= Math.Cos(w[i]);
                s += Hs(w, a);
                if (s > 40) return s;
                for (int i = 0; i < x.Length; i++)
                {
                    if (x[i] > 1.7) break;
                    if (x[i] < -1.7) continue;
                    s = Math.Tanh(s + Math.Log(1 + Math.Cos(a) * Math.Cos(a)));
                }
                return s;
            }
            [Differentiable]
            public static double Hs(ReadOnlySpan<double> v, double k)
            {
                double acc = 0;
                for (int i = 0; i < v.Length; i++) acc = acc * 0.5 + Math.Sin(v[i] * k);
                return acc;
            }
            public static double[] Probe()
            {
                double[] x = { 0.3, -0.5, 1.2, -2.0, 0.7 };
                double a = 0.9;
                var dx = new double[5];
                double v = G193Gradient(x, a, dx, out double da);
                const double h = 1e-6;
                var result = new List<double> { v - G193(x, a), da - (G193(x, a + h) - G193(x, a - h)) / (2 * h) };
                for (int i = 0; i < x.Length; i++)
                {
                    double keep = x[i];
                    x[i] = keep + h; double up = G193(x, a);
                    x[i] = keep - h; double down = G193(x, a);
                    x[i] = keep;
                    result.Add(dx[i] - (up - down) / (2 * h));
                }
                return result.ToArray();
            }
            """.Replace("new List<double>", "new System.Collections.Generic.List<double>"), analysesOff);
        var differences = Run(assembly, "Probe");
        Assert.Equal(0, differences[0]);
        for (int i = 1; i < differences.Length; i++) Assert.True(Math.Abs(differences[i]) < 1e-7, $"[{i}] differs from finite differences by {differences[i]}");
    }

    // K. A ref local is an alias, never a silent copy: refused with a precise error at the ref local.
    [Theory]
    [InlineData("double acc = 0; ref double r = ref acc; r += x * x; return acc;", "ref double r = ref acc")]
    [InlineData("double[] hist = new double[4]; int i = 2; ref double slot = ref hist[i % 4]; slot += x; return hist[2];", "ref double slot = ref hist[i % 4]")]
    [InlineData("double pos = 0, neg = 0; bool c = x > 0; ref double t = ref (c ? ref pos : ref neg); t = x; return pos + neg;", "ref double t = ref (c ? ref pos : ref neg)")]
    public void K_RefLocalsAreRefused(string body, string at)
    {
        string source = Header + "public static partial class C { [Differentiable] public static double RefLocal(double x) { " + body + " } }";
        var result = TestCompiler.Run(source);
        var error = Assert.Single(result.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("DIFF0007", error.Id);
        Assert.Contains("ref local", error.GetMessage());
        Assert.Equal(at, source.Substring(error.Location.SourceSpan.Start, error.Location.SourceSpan.Length));
        Assert.DoesNotContain("RefLocalGradient", result.GeneratedText);
    }

    // L. A value feeds a [Differentiable] call and, later, a plain sum.
    [Theory, InlineData(false), InlineData(true)]
    public void L_CallThenPlainUse(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static double Sq(double x) => x * x;
            [Differentiable] public static double CallThenAdd(double x, double y)
            { double u = x * y; double a = Sq(u); double s = y + u; return a * 3 + s * y; }
            [Differentiable] public static double Mul(double x, double y) => x * y;
            [Differentiable] public static double Rk4Tail(double x, double v, double dt)
            { double v4 = v + dt * x; double a4 = Mul(x, v4); x += dt * (v + v4); v += dt * a4; return x * v; }
            """, analysesOff);
        // f = 3 x^2 y^2 + (y + x y) y: df/dx = 6 x y^2 + y^2, df/dy = 6 x^2 y + 2y + 2xy.
        GradientAssert.CheckExact(assembly, "T.C", "CallThenAdd", new object[] { 2.0, 3.0 }, 6 * 2 * 9 + 9, 6 * 4 * 3 + 6 + 12);
        GradientAssert.Check(assembly, "T.C", "CallThenAdd", -0.7, 1.3);
        GradientAssert.Check(assembly, "T.C", "Rk4Tail", 0.4, -1.1, 0.1);
        GradientAssert.Check(assembly, "T.C", "Rk4Tail", 1.5, 0.3, 0.25);
    }

    // Side effects run as often as in the program: a callee with one would run it again through its Backward.
    [Theory]
    [InlineData("public static void Anneal() => s_gain *= 0.5;", "[Differentiable] static double Inner(double x) { Anneal(); return x * x; }", "double F(double x) => Inner(x) * 2;", "calls 'Anneal()'")]
    [InlineData("public static double Next() { s_gain += 1; return s_gain; }", "[Differentiable] static double Inner(double x) => x * Next();", "double F(double x) => Inner(x);", "calls 'Next()'")]
    [InlineData("public static void Anneal() => s_gain *= 0.5;", "[Differentiable] static double Inner(double x) => Mid(x);\n[Differentiable] static double Mid(double x) { Anneal(); return x; }", "double F(double x) => Inner(x);", "calls 'Anneal()'")]
    [InlineData("public static void Anneal() => s_gain *= 0.5;", "[Differentiable] static double Inner(double x) => x * s_gain;", "double F(double x) { double a = Inner(x); Anneal(); return a; }", "reads 'C.s_gain'")]
    // A write through a ref local into an element of a readonly field's array: not a helper that only computes.
    [InlineData("static readonly double[] s_hist = new double[1];\npublic static double Tick(double v) { ref double r = ref s_hist[0]; r += v; return r; }", "[Differentiable] static double Inner(double x) => x * Tick(1);", "double F(double x) => Inner(x);", "calls 'Tick(1)'")]
    public void CalleeWithSideEffectsIsRefused(string helper, string callee, string caller, string what)
    {
        string source = Header + "public static partial class C\n{\npublic static double s_gain = 1;\n" + helper + "\n" + callee + "\n[Differentiable] public static " + caller + "\n}\n";
        var result = TestCompiler.Run(source);
        var errors = result.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.Contains(errors, e => e.Id == "DIFF0024" && e.GetMessage().Contains(what) && e.GetMessage().Contains("Backward runs"));
        // F gets no members: its own DIFF0024, or DIFF0011 naming the callee's.
        Assert.Contains(errors, e => (e.Id == "DIFF0024" && e.GetMessage().Contains("'F''s Backward")) || (e.Id == "DIFF0011" && e.GetMessage().Contains("DIFF0024")));
        Assert.DoesNotContain("FGradient", result.GeneratedText);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void CalleeWithPureHelpersIsFine(bool analysesOff)
    {
        var assembly = Load("""
            public static double s_gain = 1;
            static int Twice(int i) { int j = i; j *= 2; return j; }
            [System.Diagnostics.Contracts.Pure] static double Scale() => 3;
            [Differentiable] static double Inner(double x, int k) => x * Twice(k) * Scale() * s_gain + Math.Sin(x);
            [Differentiable] public static double F(double x) => Inner(x, 2) * x;
            """, analysesOff);
        GradientAssert.Check(assembly, "T.C", "F", 0.7);
    }

    // Beyond the reproductions: the same classes in other shapes.

    [Theory, InlineData(false), InlineData(true)]
    public void Loop_conditions_of_every_form_are_reversed(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static double Halve(Span<double> u) { u[0] = u[0] * 0.5; return u[0]; }
            // A do loop whose condition calls a method that writes a buffer, with a break in the body.
            [Differentiable] public static double DoHalve(double x)
            { Span<double> u = stackalloc double[1]; u[0] = x; double s = 0; do { s += u[0] * u[0]; if (s > 50) break; } while (Halve(u) > 0.2); return s + u[0]; }
            // A while condition with || over a load and a value the body reuses.
            [Differentiable] public static double OrCondition(ReadOnlySpan<double> x, double a)
            { double s = a; int i = 0; while (i < x.Length && (x[i] * s < 4 || i == 0)) { s = s + x[i] * s; i++; } return s; }
            // A for loop that is not counted (the bound is read from the buffer each time) with a continue.
            [Differentiable] public static double ForBound(ReadOnlySpan<double> x)
            { double s = 0; for (int i = 0; i < (int)(x[0] * 0 + x.Length); i++) { if (x[i] < 0) continue; s += Math.Sin(x[i]) * s + x[i]; } return s; }
            public static double[] Probe()
            {
                double[] x = { 0.5, 1.5, -0.25, 2.0 };
                var dx = new double[4];
                double v = OrConditionGradient(x, 0.8, dx, out double da);
                const double h = 1e-6;
                double fd = (OrCondition(x, 0.8 + h) - OrCondition(x, 0.8 - h)) / (2 * h);
                var result = new System.Collections.Generic.List<double> { v - OrCondition(x, 0.8), da - fd };
                for (int i = 0; i < 4; i++)
                {
                    double keep = x[i];
                    x[i] = keep + h; double up = OrCondition(x, 0.8);
                    x[i] = keep - h; double down = OrCondition(x, 0.8);
                    x[i] = keep;
                    result.Add(dx[i] - (up - down) / (2 * h));
                }
                var dy = new double[4];
                double w = ForBoundGradient(x, dy);
                result.Add(w - ForBound(x));
                for (int i = 0; i < 4; i++)
                {
                    double keep = x[i];
                    x[i] = keep + h; double up = ForBound(x);
                    x[i] = keep - h; double down = ForBound(x);
                    x[i] = keep;
                    result.Add(dy[i] - (up - down) / (2 * h));
                }
                return result.ToArray();
            }
            """, analysesOff);
        foreach (double x in new[] { 0.9, 3.0, 7.5, 20.0 }) GradientAssert.Check(assembly, "T.C", "DoHalve", x);
        var differences = Run(assembly, "Probe");
        Assert.Equal(0, differences[0]);
        Assert.Equal(0, differences[6]);
        for (int i = 0; i < differences.Length; i++) Assert.True(Math.Abs(differences[i]) < 1e-6, $"[{i}] differs from finite differences by {differences[i]}");
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Static_state_changed_by_calls_is_read_when_it_is_read(bool analysesOff)
    {
        var assembly = Load("""
            static readonly double[] s_weights = { 1, 2, 3 };
            public static double Gain { get; set; } = 1;
            static void Shift() { s_weights[0] *= 2; Gain += 1; }
            [Differentiable] public static double Scheduled(ReadOnlySpan<double> x)
            { double s = 0; int i = 0; while (i < x.Length && Gain < 10) { s += x[i] * s_weights[0] * Gain; Shift(); i++; } return s; }
            public static double[] Probe()
            {
                double[] x = { 1, 1, 1 };
                s_weights[0] = 1; Gain = 1; double v = Scheduled(x);
                var dx = new double[3];
                s_weights[0] = 1; Gain = 1; double g = ScheduledGradient(x, dx);
                double w0 = s_weights[0], gain = Gain;
                return new[] { v, g, dx[0], dx[1], dx[2], w0, gain };
            }
            """, analysesOff);
        // Iterations read (w0, Gain) = (1, 1), (2, 2), (4, 3): s = 1 + 4 + 12.
        Near(new double[] { 17, 17, 1, 4, 12, 8, 4 }, Run(assembly, "Probe"));
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Definitely_assigned_locals_of_every_shape(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static double AfterDo(double x)
            { double prev; int k = 0; do { prev = x; x = x * 0.5 + 1; k++; } while (k < 3); return x - prev * prev; }
            [Differentiable] public static double InBranches(double x)
            { double y; if (x > 0) { y = Math.Exp(x); } else { double z; z = x * x; y = z + 1; } return y * x; }
            """, analysesOff);
        foreach (double x in new[] { -1.3, 0.4, 2.2 })
        {
            GradientAssert.Check(assembly, "T.C", "AfterDo", x);
            GradientAssert.Check(assembly, "T.C", "InBranches", x);
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Zero_adjoints_never_meet_infinite_partials(bool analysesOff)
    {
        var assembly = Load("""
            // exp(800) overflows: the product is +inf, Min routes its adjoint away, and u's partial y·t is inf.
            [Differentiable] public static double Overflow(double x, double y) { double t = Math.Exp(x); double u = t * y; return Math.Min(1.0, u) + y; }
            [Differentiable] public static double Clamped(double x, double y) => Math.Clamp(x / y, -1.0, 1.0);
            [Differentiable] public static double Selected(double x, double y) => x > 0 ? x : x / y;
            [Differentiable] public static double Loop(ReadOnlySpan<double> w, double y)
            { double s = 0; for (int i = 0; i < w.Length; i++) s += Math.Max(0.0, w[i] / y); return s; }
            public static double[] Probe()
            {
                double[] w = { -1, 2 };
                var dw = new double[2];
                double v = LoopGradient(w, 0.0, dw, out double dy);
                return new[] { v, dw[0], dy };
            }
            """, analysesOff);
        GradientAssert.CheckExact(assembly, "T.C", "Overflow", new object[] { 800.0, 2.0 }, 0, 1);
        GradientAssert.CheckExact(assembly, "T.C", "Clamped", new object[] { 1.0, 0.0 }, 0, 0);
        GradientAssert.CheckExact(assembly, "T.C", "Selected", new object[] { 1.0, 0.0 }, 1, 0);
        var probe = Run(assembly, "Probe");
        Assert.Equal(double.PositiveInfinity, probe[0]);
        Assert.Equal(0, probe[1]); // w[0] / 0 = -inf, Max routes it away
    }

    // Fuzz seed 620254 (analyses off), and the same with them on: a callee's result that overflowed reaches the
    // caller's result only where a Min or ?: routes it away, so the caller passes the callee's Backward a seed of 0.
    // Run through, that 0 met the callee's partials 2p with p = ∞ (NaN); the exact contribution is 0.
    [Theory, InlineData(false), InlineData(true)]
    public void A_zero_seed_stays_zero_in_a_callee_that_overflowed(bool analysesOff)
    {
        var assembly = Load("""
            // x^(2^12): overflows for |x| > 1.19, underflows to 0 for |x| < 0.84.
            [Differentiable] public static double Blow(double x) { double p = x; for (int i = 0; i < 12; i++) p = p * p; return p; }
            [Differentiable] public static float BlowF(float x) { float p = x; for (int i = 0; i < 8; i++) p = p * p; return p; }
            [Differentiable] public static double Capped(double x) { double y = Blow(x); return y > 1 ? 1 : y; }
            [Differentiable] public static double Smallest(double x) => Math.Min(2.0, Blow(x)) + x;
            [Differentiable] public static float CappedF(float x) { float y = BlowF(x); return y > 1f ? 1f : y; }
            public static double[] Probe(double x)
            {
                double v = CappedGradient(x, out double dX);
                double w = SmallestGradient(x, out double dW);
                float f = CappedFGradient((float)x, out float dF);
                double dB = 0.25;
                BlowBackward(x, 0.0, ref dB);
                return new double[] { v, dX, w, dW, f, dF, dB };
            }
            """, analysesOff);
        double[] probe = (double[])assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { 1.5 })!;
        // 1.5^4096 and 1.5f^256 overflow: the cap is taken, so every derivative through Blow is 0.
        Near(new double[] { 1, 0, 3.5, 1, 1, 0, 0.25 }, probe);
        // Below the cap the derivative goes through: 4096 x^4095 at x = 0.9999, and 256 x^255 in float.
        probe = (double[])assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { 0.9999 })!;
        double y = Math.Pow(0.9999, 4096), d = 4096 * Math.Pow(0.9999, 4095);
        float yf = MathF.Pow(0.9999f, 256), df = 256 * MathF.Pow(0.9999f, 255);
        Near(new double[] { y, d, y + 0.9999, d + 1, 0.25 }, new[] { probe[0], probe[1], probe[2], probe[3], probe[6] }, 1e-9);
        Near(new double[] { yf, df }, new[] { probe[4], probe[5] }, 1e-4); // eight float squarings carry 2^8 roundings
    }

    // Fuzz seed 991627: a zero buffer adjoint met an overflowed partial. H writes o[0] = p and then squares p, so p
    // overflows; nothing reads o after (M returns a constant), so dO[0] = 0 came into H's Backward, and 0 · 2p gave
    // NaN where every derivative is 0. The same with no callee (T's Gradient: o[0] is never read) and with a zero
    // seed in a Backward that cannot return early because it writes a buffer (S).
    [Theory, InlineData(false), InlineData(true)]
    public void A_zero_buffer_adjoint_stays_zero_through_an_overflow(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static void H(ReadOnlySpan<double> h, Span<double> o, double p)
            {
                for (int j = 0; j < o.Length; j++) { o[0] = p; for (int i = 0; i < h.Length; i++) p = p * Math.FusedMultiplyAdd(3.0, h[0], p); }
            }
            [Differentiable] public static double M(ReadOnlySpan<double> w, double[] z, double q) { H(w, z, q); return 0.5 + q; }
            [Differentiable] public static double T(Span<double> o, double p) { for (int i = 0; i < 12; i++) p = p * p; o[0] = p; return 0.5 * o[1]; }
            [Differentiable] public static double S(Span<double> o, double p) { for (int i = 0; i < 12; i++) p = p * p; o[0] = 1; return p; }
            public static double[] Probe(double x)
            {
                double[] w = { 1.363755, -0.110792, -0.846329, -0.676622 }, z = { 1.060827, 0.143507, 0.900626, -0.951823 };
                double[] dw = new double[4], dz = new double[4];
                double m = MGradient(w, z, x, dw, dz, out double dq);
                double[] o = new double[2], dO = new double[2];
                double t = TGradient(o, x, dO, out double dTp);
                double dSp = 0.25;
                SBackward(new double[2], x, 0.0, new double[] { 0, 0 }, ref dSp);
                return new double[] { m, dw[0], dw[1], dw[2], dw[3], dq, dz[0], dTp, dSp };
            }
            """, analysesOff);
        // At −1.25 (the fuzzed point) and 1.5, p overflows in all three; every derivative but dq is 0.
        foreach (double x in new[] { -1.25, 1.5 })
        {
            double[] probe = (double[])assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { x })!;
            Near(new double[] { 0.5 + x, 0, 0, 0, 0, 1, 0, 0, 0.25 }, probe);
        }
        // Where nothing overflows, the same: o's contents are never read, so nothing flows through them.
        double[] small = (double[])assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { 0.1 })!;
        Near(new double[] { 0.6, 0, 0, 0, 0, 1, 0, 0, 0.25 }, small);
    }

    // The same through a loop's carried adjoint: the zero comes in at the bottom of the body (the store's reverse),
    // after the top of the body (the previous reverse iteration) has already multiplied by the carried adjoint.
    [Theory, InlineData(false), InlineData(true)]
    public void A_zero_buffer_adjoint_stays_zero_through_a_loop_carried_overflow(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static double L(Span<double> o, double p, double a)
            {
                for (int j = 0; j < o.Length; j++) { p = p * p + a; o[j] = p; }
                return a * 2;
            }
            public static double[] Probe(double x)
            {
                double[] o = new double[16], dO = new double[16];
                double v = LGradient(o, x, 0.5, dO, out double dP, out double dA);
                return new double[] { v, dP, dA };
            }
            """, analysesOff);
        foreach (double x in new[] { 3.0, -40.0, 0.2 })
        {
            double[] probe = (double[])assembly.GetType("T.C")!.GetMethod("Probe")!.Invoke(null, new object[] { x })!;
            Near(new double[] { 1, 0, 2 }, probe);
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void Gradient_refuses_overlapping_written_buffers_too(bool analysesOff)
    {
        var assembly = Load("""
            [Differentiable] public static double Scale(ReadOnlySpan<double> x, Span<double> y) { double s = 0; for (int i = 0; i < x.Length; i++) { y[i] = 2 * x[i]; s += y[i]; } return s; }
            public static string Probe()
            {
                double[] m = { 1, 2, 3, 4 };
                double[] dx = new double[4], dy = new double[4];
                try { ScaleGradient(m.AsSpan(0, 3), m.AsSpan(2, 2), dx, dy); return "no exception"; }
                catch (ArgumentException e) { return e.ParamName + "|" + string.Join(",", m); }
            }
            public static string SharedAdjoint()
            {
                double[] x = { 1, 2 }, y = new double[2];
                double[] d = new double[2];
                try { ScaleGradient(x, y, d, d); return "no exception"; }
                catch (ArgumentException e) { return e.ParamName + "|" + string.Join(",", y); }
            }
            """, analysesOff);
        var type = assembly.GetType("T.C")!;
        Assert.Equal("y|1,2,3,4", (string)type.GetMethod("Probe")!.Invoke(null, null)!);
        Assert.Equal("dY|0,0", (string)type.GetMethod("SharedAdjoint")!.Invoke(null, null)!);
    }
}
