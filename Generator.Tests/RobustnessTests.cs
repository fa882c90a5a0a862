using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Odd but legal C#: the generator either differentiates it into code that compiles without a warning,
/// or reports a precise DIFF error and writes nothing. It never crashes (DIFF0000).
/// </summary>
public class RobustnessTests
{
    public static TheoryData<string, string?> Cases => new()
    {
        { "public static double F(double @in, double @double) => @in * @double;", null },
        { "public static double F(double x, double dX) => x * dX;", "DIFF0014" },
        { "public static double F(double x, [NoDiff] double dResult) => x * dResult;", "DIFF0014" },
        { "public static double F(double x) { double dX = x * 2; double dResult = dX + 1; return dResult * x; }", null },
        { "public static double F(double x, double y = 2) => x * y;", null },
        { "public static void F(double x) { if (x > 0) return; double y = x * 2; }", null },
        { "public static double F(double x) { var y = x * 2; var z = y; z += 1; return z * y; }", null },
        { "public static double F(double x) { double y; if (x > 0) y = x; else y = -x; return y; }", null },
        { "public static double F(double x) { double y = 0; if (x > 0) { if (x > 1) { y = x * x; } else { y = x; } } return y * 3; }", null },
        { "public static double F(double x) { if (x > 0) { if (x > 1) return x * x; } else if (x < -1) return -x; return x * 0.5; }", null },
        { "public static double F(double x) => x > 0 ? x > 1 ? x * x : x : -x;", null },
        { "public static double F(double x) { double a = x, b = a * a; a = b = a + b; return a * b; }", null },
        { "public static double F(double x) { int k = (int)x; k++; k *= 2; return x * k + (k % 3); }", null },
        { "public static double F(double x, bool flip) => !flip && (x > 0 || x < -3) ? x : -x;", null },
        { "public static float F(float x) { double d = x; d *= d; return (float)d + x; }", null },
        { "public static double F(double x) => Math.PI * x + double.Epsilon + Math.E;", null },
        { "public static double F(double x) => Math.Max(x, 0) + Math.Min(0, x) + Math.Clamp(x, 0, 1);", null },
        { "public static double F(double x) { double y = x; y++; ++y; y--; return y * y; }", null },
        { "public static double F(double x) { long n = 3L; n <<= 2; return x * n; }", null },
        { "public static double F(double x) { double s = x; { double t = s * 2; s = t; } return s; }", null },
        { "public static double F(double x) => Math.Round(x * 10, 2, MidpointRounding.ToEven) + x;", null },
        { "public static double F(double x) => F2(x) + F2(F2(x));\n[Differentiable] public static double F2(double x) => x * x;", null },
        { "public static double F(double x) => x > 1 ? F(x - 1) * x : x;", null },
        { "public static double F(double x) { string s = \"a\"; return x; }", "DIFF0012" },
        { "public static double F(double x) { var t = (x, x); return t.Item1; }", "DIFF0012" },
        { "public static double F(double x) { switch (x) { case 1: return 2; } return x; }", "DIFF0007" },
        { "public static double F(double x) { try { return x; } finally { } }", "DIFF0007" },
        { "public static double F(double x) { double Local(double v) => v; return Local(x); }", "DIFF0007" },
        { "public static double F(double x) => x.CompareTo(1.0) + x;", "DIFF0008" },
        { "public static double F(double x) => Math.ScaleB(x, 2);", "DIFF0009" },
        { "public static double F(double x) { foreach (var c in \"ab\") x += c; return x; }", "DIFF0010" },
        { "public static double F(double[,] x) => x[0, 0];", "DIFF0003" },
        { "public static double F(ReadOnlySpan<double> a, ReadOnlySpan<double> b, bool first) { var v = first ? a : b; return v[0] * v[0]; }", "DIFF0008" },
        { "public static double F(ReadOnlySpan<double> a, ReadOnlySpan<double> b, bool first) { var v = a; if (!first) v = b; return v[0] * v[0]; }", "DIFF0007" },
        { "public static double F(ReadOnlySpan<double> a) { double s = 0; for (int i = 0; i < a.Length; i++) { double[] t = new double[2]; t[0] = a[i]; s += t[0]; } return s; }", "DIFF0008" },
        { "public static double F(ReadOnlySpan<double> a) { double s = 0; int i = 0; while (i++ < a.Length) s += a[i - 1]; return s; }", "DIFF0008" },
        { "public static double F(double x) { double s = 0; int k = 0; again: s += x; if (++k < 3) goto again; return s; }", "DIFF0007" },
        // Writing a read-only span through unsafe code or MemoryMarshal never reaches a wrong gradient.
        { "public static unsafe double F(ReadOnlySpan<double> w) { fixed (double* p = w) { p[0] = 2; } return w[0] * w[0]; }", "DIFF0007" },
        { "public static double F(ReadOnlySpan<double> w) { System.Runtime.InteropServices.MemoryMarshal.AsBytes(w); return w[0] * w[0]; }", "DIFF0008" },
        { "public static double F(ReadOnlySpan<double> w) { Scribble(w); return w[0] * w[0]; } static void Scribble(ReadOnlySpan<double> w) { }", "DIFF0009" },
        { "public static double F(ReadOnlySpan<double> a) { double s = 0; for (int i = 0; i + 2 <= a.Length; i++) { if (a[i] > 0) { var w = a.Slice(i, 2); s += w[0] * w[1]; } } return s; }", "DIFF0008" },
        // Loops over scalars: each must compile and match finite differences at every point.
        { "public static double F(double x) { do { x *= 1.5; } while (x < 3 && x > -3); return x; }", null },
        { "public static double F(double x) { double s = 1; for (int i = 0; i < 4; i++) { if (i == 2) continue; s = s * x + i; } return s; }", null },
        { "public static double F(double x) { double s = 0; for (int i = 0; i < 10; i++) { s += x * i; if (s > 5) break; } return s * x; }", null },
        { "public static double F(double x) { double s = x; int k = 0; while (k < 5) { s = Math.Sin(s) + x; k++; } return s; }", null },
        { "public static double F(double x) { for (int i = 0; i < 6; i++) { x = x * 0.9 + 0.1; if (x * x > 2) return x * 3; } return x * x; }", null },
        { "public static double F(double x, double y) { double s = 0; for (int i = 1; i <= 3; i++) for (int j = 3; j > 0; j--) s += Math.Pow(x, i) * y / j; return s; }", null },
        { "public static double F(double x) { double a = x, b = 1; for (int i = 0; i < 5; i++) { double t = a; a = b; b = t + b * 0.5; } return a * b; }", null },
        { "public static double F(double x) { for (;;) { x = x * x; if (x > 10 || x < 0.1) break; } return x; }", null },
        { "public static double F(double x, MidpointRounding mode, string? label) => Math.Round(x, mode) + x * x;", null },
        { "public static double F(double x, [NoDiff] ReadOnlySpan<double> table) => x * x;", null },
        { "public static double F(double x, string label) => x * label.Length;", "DIFF0008" },
        { "public static double F(params double[] x) => 1;", "DIFF0005" },
        { "public static double F(out double x) { x = 1; return x; }", "DIFF0005" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Either_compiles_cleanly_or_reports_a_precise_error(string method, string? expectedId)
    {
        string source = "using System;\nusing Differentiable;\npublic static partial class Model\n{\n[Differentiable]\n" + method + "\n}\n";
        var result = TestCompiler.Run(source);
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id == "DIFF0000");
        var generatedErrors = result.Output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs") == true).ToList();
        Assert.True(generatedErrors.Count == 0, "generated code does not compile:\n" + string.Join("\n", generatedErrors) + "\n" + result.GeneratedText);
        if (expectedId is null)
        {
            Assert.Empty(result.GeneratorDiagnostics);
            Assert.Contains("FBackward(", result.GeneratedText);
            // Where F returns a value, its gradient must be right too, on both sides of the branches.
            if (method.StartsWith("public static void", StringComparison.Ordinal) || method.Contains("out double") || method.Contains("double x, bool")) return;
            var assembly = GradientAssert.Load(source);
            if (method.Contains("mode, string? label"))
            {
                GradientAssert.CheckExact(assembly, "Model", "F", new object[] { 1.5, MidpointRounding.ToEven, "tag" }, 3.0);
                return;
            }
            if (method.Contains("table")) return; // a span cannot go through reflection; compiling is the point
            if (method.Contains("Math.Round"))
            {
                // A step function: finite differences see its jumps, the rule says 0, so only "+ x" counts.
                GradientAssert.CheckExact(assembly, "Model", "F", new object[] { 2.3 }, 1.0);
                return;
            }
            int arity = assembly.GetType("Model")!.GetMethods().First(m => m.Name == "F").GetParameters().Length;
            foreach (double x in new[] { 2.3, 0.6, -0.45, -1.7 })
                GradientAssert.Check(assembly, "Model", "F", Enumerable.Range(0, arity).Select(i => (object)(x + 0.1 * i)).ToArray());
        }
        else
        {
            Assert.Contains(result.GeneratorDiagnostics, d => d.Id == expectedId);
            Assert.DoesNotContain("FBackward(", result.GeneratedText);
        }
    }

    [Fact]
    public void An_array_parameter_sliced_with_AsSpan_and_saved_around_a_call_compiles_and_is_right()
    {
        // F(a) = sum over a[1..] of (t_i^2)^2 after Square, with a an array: the generated code slices and saves
        // an array (not a span), so it needs the array spellings of Slice and CopyTo.
        var assembly = TestCompiler.CompileAndLoad("""
            using System;
            using Differentiable;
            public static partial class Model
            {
                [Differentiable] public static void Square(Span<double> y) { for (int i = 0; i < y.Length; i++) y[i] *= y[i]; }
                [Differentiable] public static double F(ReadOnlySpan<double> v)
                {
                    double[] a = new double[v.Length];
                    for (int i = 0; i < v.Length; i++) a[i] = v[i];
                    Square(a);
                    var t = a.AsSpan(1);
                    double s = 0;
                    for (int i = 0; i < t.Length; i++) s += t[i] * t[i];
                    return s;
                }
                public static double Drive(double[] v, double[] d) => FGradient(v, d);

                // The same on an array parameter: saved before Square (it writes it), sliced after.
                [Differentiable] public static double G(double[] w)
                {
                    Square(w);
                    var t = w.AsSpan(1);
                    double s = 0;
                    for (int i = 0; i < t.Length; i++) s += t[i] * t[i];
                    return s;
                }
                public static double DriveG(double[] w, double[] d) => GGradient(w, d);
            }
            """);
        var w = new[] { 0.5, -1.5, 2.0 };
        var dW = new double[3];
        double g = (double)assembly.GetType("Model")!.GetMethod("DriveG")!.Invoke(null, new object[] { w, dW })!;
        Assert.Equal(Math.Pow(1.5, 4) + Math.Pow(2.0, 4), g, 12);
        Assert.Equal(new[] { 0.25, 2.25, 4.0 }, w); // Gradient ran the primal: w holds Square's result
        Assert.Equal(0, dW[0]);
        Assert.Equal(4 * Math.Pow(-1.5, 3), dW[1], 12);
        Assert.Equal(4 * Math.Pow(2.0, 3), dW[2], 12);

        var v = new[] { 0.5, -1.5, 2.0 };
        var d = new double[3];
        double value = (double)assembly.GetType("Model")!.GetMethod("Drive")!.Invoke(null, new object[] { v, d })!;
        Assert.Equal(Math.Pow(1.5, 4) + Math.Pow(2.0, 4), value, 12);
        Assert.Equal(0, d[0]);
        Assert.Equal(4 * Math.Pow(-1.5, 3), d[1], 12);
        Assert.Equal(4 * Math.Pow(2.0, 3), d[2], 12);
    }
}
