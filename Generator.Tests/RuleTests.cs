using System.Reflection;
using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Differentiable.Generator.Tests;

/// <summary>
/// <c>[DerivativeOf]</c> rules: found in source and in referenced assemblies, matched to exact overloads,
/// overriding built-in Math rules, used from loops and nested calls, with their signature errors at the
/// attribute, their generated Gradient and their activity variants.
/// </summary>
public class RuleTests
{
    private const string Usings = "using System;\nusing Differentiable;\n";

    private static object? Invoke(Assembly assembly, string type, string method, params object?[] args) =>
        assembly.GetType(type, throwOnError: true)!.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.NonPublic)
            .Single(m => m.Name == method && m.GetParameters().Length == args.Length && (args.Length == 0 || args[0] is null || m.GetParameters()[0].ParameterType.IsInstanceOfType(args[0])))
            .Invoke(null, args);

    private static double Central(Func<double, double> f, double x, double h = 1e-6) => (f(x + h) - f(x - h)) / (2 * h);

    private static void Close(double expected, double actual, double tolerance = 1e-6) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    // ------------------------------------------------------------------ use

    private const string Scalar = Usings + """
        public static class Lib
        {
            public static int Calls;
            // Written so the generator could not differentiate it (a loop with a data-dependent exit and a
            // static field): the rule is the only derivative.
            public static double Cube(double x) { Calls++; return x * x * x; }
            public static double Scale(double x) => 2 * x;
            public static double Scale(double x, double y) => x * y;
            public static float Scale(float x) => 3 * x;
        }
        public static partial class Rules
        {
            public static int CubeRuleCalls, SqrtRuleCalls;

            [DerivativeOf(typeof(Lib), nameof(Lib.Cube))]
            public static void CubeBackward(double x, double dResult, ref double dX) { CubeRuleCalls++; dX += dResult * 3 * x * x; }

            [DerivativeOf(typeof(Lib), nameof(Lib.Scale))]
            public static void ScaleBackward(double x, double dResult, ref double dX) => dX += 2 * dResult;

            [DerivativeOf(typeof(Lib), nameof(Lib.Scale))]
            public static void ScaleBackward(double x, double y, double dResult, ref double dX, ref double dY) { dX += y * dResult; dY += x * dResult; }

            // A safe square root: derivative 0 at 0 instead of +inf.
            [DerivativeOf(typeof(Math), nameof(Math.Sqrt))]
            public static void SqrtBackward(double d, double dResult, ref double dD) { SqrtRuleCalls++; if (d > 0) dD += dResult / (2 * Math.Sqrt(d)); }
        }
        public static partial class Model
        {
            [Differentiable] public static double F(double x, double y) => Lib.Cube(x * y) + Lib.Scale(x) * Lib.Scale(x, y);
            [Differentiable] public static double Root(double x) => Math.Sqrt(x) * x;
            [Differentiable] public static float RootF(float x) => MathF.Sqrt(x) * x;
            [Differentiable] public static double Nested(double x, double y) => F(x, y) * Lib.Cube(y) + Inner(x);
            [Differentiable] public static double Inner(double x) => Lib.Cube(Math.Sin(x));
            [Differentiable]
            public static double Looped(double x, int n)
            {
                double p = x;
                for (int i = 0; i < n; i++) p = Lib.Cube(p) * 0.5 + Lib.Scale(p, x);
                return p;
            }
        }
        """;

    [Theory]
    [InlineData(0.5, -1.25)]
    [InlineData(-0.7, 0.3)]
    [InlineData(1.1, 0.9)]
    public void A_rule_is_the_callees_derivative_and_overloads_are_matched_exactly(double x, double y)
    {
        var assembly = GradientAssert.Load(Scalar);
        // Hand-derived: f = (xy)^3 + 2x * xy = x^3 y^3 + 2x^2 y.
        var result = GradientAssert.Check(assembly, "Model", "F", x, y);
        Close(3 * x * x * y * y * y + 4 * x * y, result.Gradient[0]);
        Close(3 * x * x * x * y * y + 2 * x * x, result.Gradient[1]);
        string text = GradientAssert.Compile(Scalar).GeneratedText;
        Assert.Contains("global::Rules.CubeBackward(", text);
        Assert.Contains("global::Rules.ScaleBackward(x, y, ", text); // Scale(double, double)
        Assert.Contains("global::Rules.ScaleBackward(x, t", text);   // Scale(double)
    }

    [Fact]
    public void The_rule_is_what_runs()
    {
        var assembly = GradientAssert.Load(Scalar);
        var rules = assembly.GetType("Rules")!;
        int before = (int)rules.GetField("CubeRuleCalls")!.GetValue(null)!;
        var args = new object?[] { 0.5, 2.0, null, null };
        Invoke(assembly, "Model", "FGradient", args);
        Assert.Equal(before + 1, (int)rules.GetField("CubeRuleCalls")!.GetValue(null)!);
    }

    [Fact]
    public void A_user_rule_for_a_Math_function_overrides_the_built_in_one()
    {
        var assembly = GradientAssert.Load(Scalar);
        var rules = assembly.GetType("Rules")!;
        int before = (int)rules.GetField("SqrtRuleCalls")!.GetValue(null)!;
        // Root(x) = sqrt(x) * x: the built-in rule gives +inf * 0 at 0 (NaN or inf); the rule gives 0 there.
        var args = new object?[] { 0.0, null };
        Assert.Equal(0.0, (double)Invoke(assembly, "Model", "RootGradient", args)!);
        Assert.Equal(0.0, (double)args[1]!);
        Assert.Equal(before + 1, (int)rules.GetField("SqrtRuleCalls")!.GetValue(null)!);
        foreach (double x in new[] { 0.25, 1.0, 3.5 })
        {
            var r = GradientAssert.Check(assembly, "Model", "Root", x);
            Close(1.5 * Math.Sqrt(x), r.Gradient[0]);
        }
        // The rule is for Math.Sqrt(double) only: MathF.Sqrt keeps the built-in rule.
        string text = GradientAssert.Compile(Scalar).GeneratedText;
        Assert.Contains("global::Rules.SqrtBackward(", text);
        var rootF = GradientAssert.Check(assembly, "Model", "RootF", 2.0f);
        Close(1.5 * Math.Sqrt(2.0), rootF.Gradient[0], 1e-5);
    }

    [Theory]
    [InlineData(0.4, 0.8)]
    [InlineData(-0.3, 1.2)]
    public void A_rule_works_from_nested_differentiable_calls(double x, double y)
    {
        var assembly = GradientAssert.Load(Scalar);
        var result = GradientAssert.Check(assembly, "Model", "Nested", x, y);
        // Hand-derived: (x^3 y^3 + 2x^2 y) y^3 + sin(x)^3.
        double s = Math.Sin(x);
        Close((3 * x * x * y * y * y + 4 * x * y) * y * y * y + 3 * s * s * Math.Cos(x), result.Gradient[0]);
    }

    [Theory]
    [InlineData(0.3, 1)]
    [InlineData(0.3, 4)]
    [InlineData(-0.2, 7)]
    public void A_rule_works_inside_a_loop(double x, int n)
    {
        var assembly = GradientAssert.Load(Scalar);
        var result = GradientAssert.Check(assembly, "Model", "Looped", x, n);
        // Forward-mode by hand: p' = (1.5 p^2 + x) p' + p.
        double p = x, dp = 1;
        for (int i = 0; i < n; i++) { double next = p * p * p * 0.5 + p * x; dp = (1.5 * p * p + x) * dp + p; p = next; }
        Close(dp, result.Gradient[0]);
    }

    [Fact]
    public void An_overload_without_a_rule_still_has_no_derivative()
    {
        var result = TestCompiler.Run(Scalar.Replace("public static double Root(double x) => Math.Sqrt(x) * x;",
            "public static double Root(double x) => Math.Sqrt(x) * x;\n    [Differentiable] public static float G(float x) => Lib.Scale(x) * x;"));
        var error = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("DIFF0009", error.Id);
        Assert.Contains("Lib.Scale", error.GetMessage());
    }

    [Fact]
    public void A_rule_gets_a_generated_gradient()
    {
        var assembly = GradientAssert.Load(Scalar);
        foreach (double x in new[] { -1.5, 0.25, 2.0 })
        {
            var args = new object?[] { x, null };
            Close(x * x * x, (double)Invoke(assembly, "Rules", "CubeGradient", args)!);
            Close(3 * x * x, (double)args[1]!);
            var two = new object?[] { x, 0.75, null, null };
            Close(0.75 * x, (double)Invoke(assembly, "Rules", "ScaleGradient", two)!);
            Close(0.75, (double)two[2]!);
            Close(x, (double)two[3]!);
        }
    }

    // ------------------------------------------------------------------ buffers, loops and variants

    private const string Buffers = Usings + """
        public static class Kernels
        {
            // y = a * x (element-wise), written without any attribute.
            public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y) { for (int i = 0; i < x.Length; i++) y[i] = a * x[i]; }
            public static double SumSquares(ReadOnlySpan<double> x) { double s = 0; foreach (double v in x) s += v * v; return s; }
        }
        public static partial class KernelRules
        {
            public static int Full, Variant;

            [DerivativeOf(typeof(Kernels), nameof(Kernels.Axpy))]
            public static void AxpyBackward(double a, ReadOnlySpan<double> x, Span<double> y, ref double dA, Span<double> dX, Span<double> dY)
            {
                Full++;
                for (int i = 0; i < x.Length; i++) { dA += x[i] * dY[i]; dX[i] += a * dY[i]; y[i] = a * x[i]; dY[i] = 0; }
            }

            // The same with x constant: found by its name, called when the caller's x is constant.
            public static void AxpyBackwardConstantX(double a, ReadOnlySpan<double> x, Span<double> y, ref double dA, Span<double> dY)
            {
                Variant++;
                for (int i = 0; i < x.Length; i++) { dA += x[i] * dY[i]; y[i] = a * x[i]; dY[i] = 0; }
            }

            [DerivativeOf(typeof(Kernels), nameof(Kernels.SumSquares))]
            public static void SumSquaresBackward(ReadOnlySpan<double> x, double dResult, Span<double> dX)
            {
                for (int i = 0; i < x.Length; i++) dX[i] += 2 * x[i] * dResult;
            }
        }
        public static partial class Net
        {
            // Two rules chained through a local buffer, in a loop over layers.
            [Differentiable]
            public static double Loss(ReadOnlySpan<double> scales, [NoDiff] ReadOnlySpan<double> x)
            {
                Span<double> h = stackalloc double[x.Length];
                Span<double> g = stackalloc double[x.Length];
                for (int i = 0; i < x.Length; i++) h[i] = x[i];
                double total = 0;
                for (int l = 0; l < scales.Length; l++)
                {
                    Kernels.Axpy(scales[l], h, g);
                    total += Kernels.SumSquares(g);
                    for (int i = 0; i < g.Length; i++) h[i] = g[i];
                }
                return total;
            }

            [Differentiable]
            public static double ConstantInput(double a, [NoDiff] ReadOnlySpan<double> x)
            {
                Span<double> y = stackalloc double[x.Length];
                Kernels.Axpy(a, x, y);
                return Kernels.SumSquares(y);
            }
        }
        public static class Driver
        {
            public static double Loss(double[] s, double[] x) => Net.Loss(s, x);
            public static double LossGradient(double[] s, double[] x, double[] dS) => Net.LossGradient(s, x, dS);
            public static double ConstantInputGradient(double a, double[] x, out double dA) => Net.ConstantInputGradient(a, x, out dA);
            public static double SumSquaresGradient(double[] x, double[] dX) => KernelRules.SumSquaresGradient(x, dX);
        }
        """;

    [Fact]
    public void Rules_with_buffers_compose_through_local_buffers_in_a_loop()
    {
        var assembly = GradientAssert.Load(Buffers);
        var random = new Random(7);
        foreach (int layers in new[] { 1, 3 })
        {
            double[] s = Enumerable.Range(0, layers).Select(_ => 0.5 + random.NextDouble()).ToArray();
            double[] x = Enumerable.Range(0, 5).Select(_ => random.NextDouble() - 0.5).ToArray();
            var dS = new double[layers];
            double value = (double)Invoke(assembly, "Driver", "LossGradient", s, x, dS)!;
            Close((double)Invoke(assembly, "Driver", "Loss", s, x)!, value, 1e-14);
            for (int l = 0; l < layers; l++)
            {
                double fd = Central(v => { var t = (double[])s.Clone(); t[l] = v; return (double)Invoke(assembly, "Driver", "Loss", t, x)!; }, s[l]);
                Close(fd, dS[l]);
            }
            // Hand-derived: total = Σ_l P_l^2 |x|^2 with P_l = s_0…s_l.
            double norm = x.Sum(v => v * v);
            for (int l = 0; l < layers; l++)
            {
                double expected = 0, p = 1;
                for (int j = 0; j < layers; j++) { p *= s[j]; if (j >= l) expected += 2 * p * p / s[l] * norm; }
                Close(expected, dS[l]);
            }
        }
    }

    [Fact]
    public void A_rule_variant_is_called_for_a_constant_buffer()
    {
        var compiled = GradientAssert.Compile(Buffers);
        Assert.Contains("global::KernelRules.AxpyBackwardConstantX(", compiled.GeneratedText);
        var rules = compiled.Assembly.GetType("KernelRules")!;
        int full = (int)rules.GetField("Full")!.GetValue(null)!, variant = (int)rules.GetField("Variant")!.GetValue(null)!;
        double[] x = { 0.5, -1, 2 };
        var args = new object?[] { 1.5, x, null };
        Invoke(compiled.Assembly, "Driver", "ConstantInputGradient", args);
        Close(2 * 1.5 * 5.25, (double)args[2]!);
        Assert.Equal(full, (int)rules.GetField("Full")!.GetValue(null)!);
        Assert.Equal(variant + 1, (int)rules.GetField("Variant")!.GetValue(null)!);
    }

    [Fact]
    public void A_rule_with_buffers_gets_a_gradient_that_clears_and_checks_its_adjoint()
    {
        var assembly = GradientAssert.Load(Buffers);
        double[] x = { 1, -2, 0.5 };
        var dX = new double[] { 9, 9, 9, 9 };
        Close(5.25, (double)Invoke(assembly, "Driver", "SumSquaresGradient", x, dX)!);
        Assert.Equal(new[] { 2, -4, 1, 9.0 }, dX);
        var error = Assert.Throws<TargetInvocationException>(() => Invoke(assembly, "Driver", "SumSquaresGradient", x, new double[2]));
        Assert.Equal("dX", Assert.IsType<ArgumentException>(error.InnerException).ParamName);
    }

    private const string WithoutPrimal = Usings + """
        public static class K { public static void Twice(ReadOnlySpan<double> x, Span<double> y) { for (int i = 0; i < x.Length; i++) y[i] = 2 * x[i]; } }
        public static partial class KRules
        {
            public static int Full, Lean;

            [DerivativeOf(typeof(K), nameof(K.Twice))]
            public static void TwiceBackward(ReadOnlySpan<double> x, Span<double> y, Span<double> dX, Span<double> dY)
            {
                Full++;
                for (int i = 0; i < x.Length; i++) { dX[i] += 2 * dY[i]; y[i] = 2 * x[i]; dY[i] = 0; }
            }

            // The same adjoint without running Twice: y is left as it is.
            public static void TwiceBackwardWithoutPrimal(ReadOnlySpan<double> x, Span<double> y, Span<double> dX, Span<double> dY)
            {
                Lean++;
                for (int i = 0; i < x.Length; i++) { dX[i] += 2 * dY[i]; dY[i] = 0; }
            }
        }
        public static partial class M
        {
            // y is a parameter: it must end holding 2x + 1 although the rule's variant does not write it.
            [Differentiable]
            public static void F(ReadOnlySpan<double> x, Span<double> y)
            {
                K.Twice(x, y);
                for (int i = 0; i < y.Length; i++) y[i] = y[i] * y[i] + 1;
            }
        }
        public static class Driver { public static void Backward(double[] x, double[] y, double[] dX, double[] dY) => M.FBackward(x, y, dX, dY); }
        """;

    [Fact]
    public void A_rule_variant_without_the_primal_is_preferred_and_outputs_still_end_with_the_primal_results()
    {
        var compiled = GradientAssert.Compile(WithoutPrimal);
        Assert.Contains("global::KRules.TwiceBackwardWithoutPrimal(", compiled.GeneratedText);
        var rules = compiled.Assembly.GetType("KRules")!;
        int lean = (int)rules.GetField("Lean")!.GetValue(null)!;
        double[] x = { 0.5, -1, 2 }, y = new double[3], dX = new double[3], dY = { 1, 0.5, -0.25 };
        Invoke(compiled.Assembly, "Driver", "Backward", x, y, dX, dY);
        Assert.Equal(lean + 1, (int)rules.GetField("Lean")!.GetValue(null)!);
        Assert.Equal(0, (int)rules.GetField("Full")!.GetValue(null)!);
        // y = (2x)^2 + 1; dX = seed * 8x; dY consumed.
        Assert.Equal(x.Select(v => 4 * v * v + 1), y);
        Assert.Equal(new[] { 1 * 8 * 0.5, 0.5 * 8 * -1, -0.25 * 8 * 2 }, dX);
        Assert.All(dY, v => Assert.Equal(0.0, v));
    }

    // ------------------------------------------------------------------ across assemblies

    private const string Library = """
        using System;
        using Differentiable;
        namespace Lib;
        public static class Special
        {
            public static double Softsign(double x) => x / (1 + Math.Abs(x));
        }
        public static partial class SpecialRules
        {
            [DerivativeOf(typeof(Special), nameof(Special.Softsign))]
            public static void SoftsignBackward(double x, double dResult, ref double dX)
            {
                double d = 1 + Math.Abs(x);
                dX += dResult / (d * d);
            }
        }
        """;

    private static MetadataReference BuildLibrary()
    {
        var result = TestCompiler.Run(Library, assemblyName: "Lib");
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("SoftsignGradient(double x, out double dX)", result.GeneratedText);
        using var stream = new MemoryStream();
        var emit = result.Output.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    [Fact]
    public void A_rule_in_a_referenced_assembly_is_found_through_its_metadata()
    {
        var library = BuildLibrary();
        var result = TestCompiler.Run(Usings + """
            public static partial class App
            {
                [Differentiable]
                public static double F(double x, double y) => Lib.Special.Softsign(x * y) + y;
            }
            """, assemblyName: "App", extra: new[] { library });
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("global::Lib.SpecialRules.SoftsignBackward(", result.GeneratedText);
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));

        // Load both and compare against the hand-derived derivative.
        var context = new System.Runtime.Loader.AssemblyLoadContext(null, isCollectible: true);
        using (var libStream = new MemoryStream())
        {
            var lib = TestCompiler.Run(Library, assemblyName: "Lib").Output;
            Assert.True(lib.Emit(libStream).Success);
            libStream.Position = 0;
            context.LoadFromStream(libStream);
        }
        using var appStream = new MemoryStream();
        Assert.True(result.Output.Emit(appStream).Success);
        appStream.Position = 0;
        var app = context.LoadFromStream(appStream);
        foreach (var (x, y) in new[] { (0.5, 2.0), (-1.5, 0.25), (2.0, -3.0) })
        {
            var args = new object?[] { x, y, null, null };
            app.GetType("App")!.GetMethod("FGradient")!.Invoke(null, args);
            double u = x * y, d = 1 + Math.Abs(u);
            Close(y / (d * d), (double)args[2]!);
            Close(x / (d * d) + 1, (double)args[3]!);
        }
    }

    [Fact]
    public void The_runtime_registers_its_Ops_rules_through_the_same_mechanism()
    {
        var result = TestCompiler.Run(Usings + """
            public static partial class App
            {
                [Differentiable]
                public static double F(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => Ops.Dot(a, b) * Ops.Sum(a);
            }
            """);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("global::Differentiable.Ops.DotBackward(", result.GeneratedText);
        Assert.Contains("global::Differentiable.Ops.SumBackward(", result.GeneratedText);
    }

    [Fact]
    public void The_runtime_generates_Gradients_for_its_scalar_Ops()
    {
        // Generated in Runtime by its own generator from the rules: value plus Backward with seed 1.
        double[] logits = { 0.5, -1, 2, 0.25, 3, -2 };
        int[] labels = { 2, 0 };
        var dLogits = new double[] { 9, 9, 9, 9, 9, 9, 9 };
        double value = Ops.SoftmaxCrossEntropyGradient(logits, labels, 3, dLogits);
        Assert.Equal(Ops.SoftmaxCrossEntropy(logits, labels, 3), value);
        var expected = new double[6];
        Ops.SoftmaxCrossEntropyBackward(logits, labels, 3, 1.0, expected);
        Assert.Equal(expected, dLogits.Take(6));
        Assert.Equal(9, dLogits[6]); // beyond the primal's length: untouched

        float[] a = { 1, 2, 3 }, b = { -1, 0.5f, 2 }, dA = new float[3], dB = new float[3];
        Assert.Equal(6f, Ops.DotGradient(a, b, dA, dB));
        Assert.Equal(b, dA);
        Assert.Equal(a, dB);
        Assert.Equal("dB", Assert.Throws<ArgumentException>(() => Ops.DotGradient(a, b, dA, new float[2])).ParamName);
    }

    // ------------------------------------------------------------------ errors at the attribute

    private static Diagnostic SingleAt(string id, string markup)
    {
        int start = markup.IndexOf("[|", StringComparison.Ordinal);
        int end = markup.IndexOf("|]", StringComparison.Ordinal) - 2;
        string source = Usings + markup.Replace("[|", "").Replace("|]", "");
        var result = TestCompiler.Run(source);
        var found = result.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.True(found.Count >= 1, $"expected {id}, got: {string.Join("\n", result.GeneratorDiagnostics)}");
        foreach (var d in found)
        {
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Equal(new TextSpan(start + Usings.Length, end - start), d.Location.SourceSpan);
            Assert.EndsWith("diagnostics.md#" + id.ToLowerInvariant(), d.Descriptor.HelpLinkUri);
        }
        // Only the rule's own errors (and no compile error in anything generated).
        Assert.All(result.GeneratorDiagnostics, d => Assert.Equal(id, d.Id));
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree != result.Input.SyntaxTrees[0]));
        return found[0];
    }

    private const string Target = "public static class T { public static double F(double x, ReadOnlySpan<double> w, [NoDiff] double c, int n) => x; }\n";

    [Fact]
    public void DIFF0019_names_each_mismatch_and_the_expected_signature()
    {
        var result = TestCompiler.Run(Usings + Target + """
            public static class R
            {
                [DerivativeOf(typeof(T), nameof(T.F))]
                public static void FBackward(double x, ReadOnlySpan<double> w, double c, int n, double dResult, double dX, ReadOnlySpan<double> dW) { }
            }
            """);
        var errors = result.GeneratorDiagnostics.Where(d => d.Id == "DIFF0019").Select(d => d.GetMessage()).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, m => m.Contains("parameter 6 is 'double dX' but should be 'ref double dX'"));
        Assert.Contains(errors, m => m.Contains("parameter 7 is 'ReadOnlySpan<double> dW' but should be 'Span<double> dW'"));
        Assert.All(errors, m => Assert.Contains(
            "expected 'static void FBackward(double x, ReadOnlySpan<double> w, double c, int n, double dResult, ref double dX, Span<double> dW)'", m));
        Assert.Equal("global::T.F", "global::T.F"); // the rule is not registered: a caller gets DIFF0009 (below)
    }

    [Fact]
    public void DIFF0019_missing_and_extra_parameters() => Assert.Contains("'ref double dX' is missing", SingleAt("DIFF0019", """
        public static class T { public static double F(double x) => x; }
        public static class R { [[|DerivativeOf(typeof(T), nameof(T.F))|]] public static void B(double x, double dResult) { } }
        """).GetMessage());

    [Fact]
    public void DIFF0019_extra_parameter() => Assert.Contains("parameter 4 'int z' is not part of the signature", SingleAt("DIFF0019", """
        public static class T { public static double F(double x) => x; }
        public static class R { [[|DerivativeOf(typeof(T), nameof(T.F))|]] public static void B(double x, double dResult, ref double dX, int z) { } }
        """).GetMessage());

    [Fact]
    public void DIFF0019_rule_not_static_or_not_void()
    {
        Assert.Contains("it must be static", SingleAt("DIFF0019", """
            public static class T { public static double F(double x) => x; }
            public class R { [[|DerivativeOf(typeof(T), nameof(T.F))|]] public void B(double x, double dResult, ref double dX) { } }
            """).GetMessage());
        Assert.Contains("returns 'double' but a Backward returns void", SingleAt("DIFF0019", """
            public static class T { public static double F(double x) => x; }
            public static class R { [[|DerivativeOf(typeof(T), nameof(T.F))|]] public static double B(double x, double dResult, ref double dX) => 0; }
            """).GetMessage());
    }

    [Fact]
    public void DIFF0019_rule_in_a_generic_type() => Assert.Contains("it must not be in a generic type", SingleAt("DIFF0019", """
        public static class T { public static double F(double x) => x; }
        public static class R<U> { [[|DerivativeOf(typeof(T), nameof(T.F))|]] public static void B(double x, double dResult, ref double dX) { } }
        """).GetMessage());

    [Theory]
    [InlineData("[DerivativeOf(null!, \"F\")]")]
    [InlineData("[DerivativeOf(typeof(T), null!)]")]
    [InlineData("[DerivativeOf(typeof(T), \"\")]")]
    [InlineData("[DerivativeOf(typeof(Missing), \"F\")]")]
    [InlineData("[DerivativeOf(typeof(T))]")]
    [InlineData("[DerivativeOf(typeof(T), nameof(T.P))]")]
    [InlineData("[DerivativeOf(typeof(System.Collections.Generic.List<>), \"Add\")]")]
    public void Malformed_attributes_never_crash_the_generator(string attribute)
    {
        var result = TestCompiler.Run(Usings + "public static class T { public static double F(double x) => x; public static double P => 1; }\n" +
            "public static partial class R { " + attribute + " public static void B(double x, double dResult, ref double dX) { } }\n" +
            "public static partial class M { [Differentiable] public static double G(double x) => T.F(x); }");
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id == "DIFF0000");
        Assert.DoesNotContain(result.Output.GetDiagnostics(), d => d.Id == "CS8785");
        // Either nothing is registered (G then has no derivative for T.F), or the rule is reported.
        Assert.Contains(result.GeneratorDiagnostics, d => d.Id is "DIFF0009" or "DIFF0018" or "DIFF0021");
    }

    [Fact]
    public void DIFF0019_an_overload_that_does_not_exist_names_the_closest()
    {
        var message = SingleAt("DIFF0019", """
            public static class R { [[|DerivativeOf(typeof(Math), nameof(Math.Tanh))|]] public static void B(float x, float dResult, ref float dX) { } }
            """).GetMessage();
        Assert.Contains("Math.Tanh(double)", message);
        Assert.Contains("expected 'static void B(double value, double dResult, ref double dValue)'", message);
    }

    [Fact]
    public void DIFF0018_no_such_method() => Assert.Contains("'T' has no method named 'G'", SingleAt("DIFF0018", """
        public static class T { public static double F(double x) => x; }
        public static class R { [[|DerivativeOf(typeof(T), "G")|]] public static void B(double x, double dResult, ref double dX) { } }
        """).GetMessage());

    [Fact]
    public void DIFF0020_two_rules_for_one_overload() => Assert.Contains("already has a derivative, 'R.A'", SingleAt("DIFF0020", """
        public static class T { public static double F(double x) => x; }
        public static class R
        {
            [DerivativeOf(typeof(T), nameof(T.F))] public static void A(double x, double dResult, ref double dX) { }
            [[|DerivativeOf(typeof(T), nameof(T.F))|]] public static void B(double x, double dResult, ref double dX) { }
        }
        """).GetMessage());

    [Fact]
    public void DIFF0021_target_that_cannot_have_a_derivative()
    {
        Assert.Contains("returns 'int'", SingleAt("DIFF0021", """
            public static class T { public static int F(double x) => (int)x; }
            public static class R { [[|DerivativeOf(typeof(T), nameof(T.F))|]] public static void B(double x, ref double dX) { } }
            """).GetMessage());
        Assert.Contains("not static", SingleAt("DIFF0021", """
            public class T { public double F(double x) => x; }
            public static class R { [[|DerivativeOf(typeof(T), nameof(T.F))|]] public static void B(double x, double dResult, ref double dX) { } }
            """).GetMessage());
    }

    [Fact]
    public void DIFF0022_rule_not_accessible_from_the_caller() => Assert.Contains("'R.B' registered for 'T.F' is not accessible from 'G'", SingleAt("DIFF0022", """
        public static class T { public static double F(double x) => x * x; }
        public static class R { [DerivativeOf(typeof(T), nameof(T.F))] private static void B(double x, double dResult, ref double dX) => dX += 2 * x * dResult; }
        public static partial class M { [Differentiable] public static double G(double x) => [|T.F(x)|] + x; }
        """).GetMessage());

    [Fact]
    public void A_mismatched_rule_registers_nothing()
    {
        var result = TestCompiler.Run(Usings + """
            public static class T { public static double F(double x) => x * x; }
            public static class R { [DerivativeOf(typeof(T), nameof(T.F))] public static void B(double x, double dResult, double dX) { } }
            public static partial class M { [Differentiable] public static double G(double x) => T.F(x) + x; }
            """);
        Assert.Equal(new[] { "DIFF0009", "DIFF0019" }, result.GeneratorDiagnostics.Select(d => d.Id).OrderBy(i => i));
        Assert.DoesNotContain("GGradient", result.GeneratedText);
    }
}
