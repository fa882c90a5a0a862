using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Differentiable.Generator.Tests;

/// <summary>Each diagnostic: its ID, its exact span (marked [| |] in the source), and no generated members.</summary>
public class DiagnosticTests
{
    private const string Usings = "using System;\nusing Differentiable;\n";

    private static void AssertDiagnostic(string id, string markup, string? messageContains = null)
    {
        int start = markup.IndexOf("[|", StringComparison.Ordinal);
        int end = markup.IndexOf("|]", StringComparison.Ordinal) - 2;
        Assert.True(start >= 0 && end >= start, "markup needs [| |]");
        string source = Usings + markup.Replace("[|", "").Replace("|]", "");
        var expected = new TextSpan(start + Usings.Length, end - start);

        var result = TestCompiler.Run(source);
        var found = result.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.True(found.Count == 1, $"expected one {id}, got: {string.Join("\n", result.GeneratorDiagnostics)}");
        var diagnostic = found[0];
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(expected, diagnostic.Location.SourceSpan);
        Assert.Equal("Test.cs", diagnostic.Location.GetLineSpan().Path);
        if (messageContains is not null) Assert.Contains(messageContains, diagnostic.GetMessage());
        Assert.EndsWith("diagnostics.md#" + id.ToLowerInvariant(), diagnostic.Descriptor.HelpLinkUri);
        // A method with an error gets no generated members, never wrong code.
        Assert.DoesNotContain(result.Driver.GetRunResult().GeneratedTrees, t => t.ToString().Contains("F" + "Gradient("));
    }

    [Fact]
    public void DIFF0001_type_not_partial() => AssertDiagnostic("DIFF0001", """
        public static class [|Model|] { [Differentiable] public static double F(double x) => x * x; }
        """, "'Model' must be declared 'partial'");

    [Fact]
    public void DIFF0001_enclosing_type_not_partial() => AssertDiagnostic("DIFF0001", """
        public class [|Outer|] { public static partial class Inner { [Differentiable] public static double F(double x) => x * x; } }
        """, "'Outer'");

    [Fact]
    public void DIFF0002_method_not_static() => AssertDiagnostic("DIFF0002", """
        public partial class Model { [Differentiable] public double [|F|](double x) => x * x; }
        """);

    [Fact]
    public void DIFF0003_unsupported_parameter_type() => AssertDiagnostic("DIFF0003", """
        public static partial class Model { [Differentiable] public static double F(double x, [|double[,]|] s) => x * x; }
        """, "'s' has type 'double[*,*]'");

    [Fact]
    public void DIFF0004_unsupported_return_type() => AssertDiagnostic("DIFF0004", """
        public static partial class Model { [Differentiable] public static [|decimal|] F(double x) => (decimal)x; }
        """);

    [Fact]
    public void DIFF0005_ref_parameter() => AssertDiagnostic("DIFF0005", """
        public static partial class Model { [Differentiable] public static double F([|ref double x|]) => x * x; }
        """, "passed by 'ref'");

    [Fact]
    public void DIFF0006_write_to_field() => AssertDiagnostic("DIFF0006", """
        public static partial class Model
        {
            static double last;
            [Differentiable] public static double F(double x) { [|last = x|]; return x * x; }
        }
        """, "the field 'last'");

    [Fact]
    public void DIFF0006_write_to_property() => AssertDiagnostic("DIFF0006", """
        public static partial class Model
        {
            static double Last { get; set; }
            [Differentiable] public static double F(double x) { [|Last += x|]; return x * x; }
        }
        """, "the property 'Last'");

    [Fact]
    public void DIFF0007_unsupported_statement() => AssertDiagnostic("DIFF0007", """
        public static partial class Model
        {
            [Differentiable] public static double F(double x) { if (x < 0) [|throw new ArgumentException("negative");|] return x * x; }
        }
        """, "'throw' statement");

    [Fact]
    public void DIFF0008_unsupported_expression() => AssertDiagnostic("DIFF0008", """
        public static partial class Model
        {
            [Differentiable] public static double F(double x) => [|x switch { > 0 => x, _ => -x }|];
        }
        """);

    [Fact]
    public void DIFF0009_call_without_derivative_on_active_value() => AssertDiagnostic("DIFF0009", """
        public static partial class Model
        {
            static double Helper(double v) => v * 3;
            [Differentiable] public static double F(double x) => [|Helper(x * 2)|] + 1;
        }
        """, "mark it [Differentiable], register one with [DerivativeOf], or wrap the call in Grad.Stop");

    [Fact]
    public void DIFF0009_is_not_reported_for_a_call_on_inactive_values()
    {
        var result = TestCompiler.Run(Usings + """
            public static partial class Model
            {
                static double Helper(double v) => v * 3;
                [Differentiable] public static double F(double x, [NoDiff] double c, int n) => x * Helper(c + n) + Helper(Grad.Stop(x)) + Math.Round(x, MidpointRounding.AwayFromZero) + Math.Sign(x);
            }
            """);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void DIFF0010_loop_that_cannot_be_differentiated() => AssertDiagnostic("DIFF0010", """
        public static partial class Model
        {
            [Differentiable] public static double F(double x, string text) { double s = 0; [|foreach|] (var c in text) s += x * c; return s; }
        }
        """, "iterates over 'string'");

    [Fact]
    public void DIFF0010_loop_that_reassigns_a_span() => AssertDiagnostic("DIFF0010", """
        public static partial class Model
        {
            [Differentiable] public static double F(ReadOnlySpan<double> w) { double s = 0; [|while|] (w.Length > 0) { s += w[0]; w = w.Slice(1); } return s; }
        }
        """, "reassigns the span or array variable 'w'");

    [Fact]
    public void DIFF0015_same_buffer_passed_twice_to_a_call_that_writes_it() => AssertDiagnostic("DIFF0015", """
        public static partial class Model
        {
            [Differentiable] public static void Axpy(ReadOnlySpan<double> x, Span<double> y, double a) { for (int i = 0; i < y.Length; i++) y[i] += a * x[i]; }
            [Differentiable] public static double F(double[] v, double a) { [|Axpy(v, v, a)|]; return v[0]; }
        }
        """, "'v' is passed to 'Axpy' as more than one argument");

    [Fact]
    public void DIFF0023_a_declared_method_has_the_signature_of_a_generated_one() => AssertDiagnostic("DIFF0023", """
        public static partial class Model
        {
            [Differentiable] public static double [|F|](double x) => x * x;
            [DerivativeOf(typeof(Model), nameof(F))]
            public static void FBackward(double x, double dResult, ref double dX) => dX += 2 * x * dResult;
        }
        """, "'Model' already declares 'FBackward(double, double, ref double)', which the generator writes for 'F'");

    [Fact]
    public void DIFF0023_also_for_a_hand_written_Gradient() => AssertDiagnostic("DIFF0023", """
        public static partial class Model
        {
            [Differentiable] public static double [|F|](ReadOnlySpan<double> w) => w[0] * w[0];
            public static double FGradient(ReadOnlySpan<double> w, Span<double> dW) => 0;
        }
        """, "'FGradient(ReadOnlySpan<double>, Span<double>)'");

    // DIFF0016 is retired: a parameter buffer the reverse sweep puts back for a call gets its final contents back.
    private const string ParameterWrittenAfterCall = Usings + """
        public static partial class Model
        {
            [Differentiable] public static void Square(Span<double> y) { for (int i = 0; i < y.Length; i++) y[i] *= y[i]; }
            [Differentiable] public static double F(double[] v) { Square(v); v[0] += 1; return v[0] * v[1]; }
            [Differentiable] public static void Eighth(Span<double> v) { for (int k = 0; k < 3; k++) Square(v); }
        }
        public static class Driver
        {
            public static double Gradient(double[] v, double[] dV) => Model.FGradient(v, dV);
            public static void Backward(double[] v, double seed, double[] dV) => Model.FBackward(v, seed, dV);
            public static void EighthBackward(double[] v, double[] dV) => Model.EighthBackward(v, dV);
        }
        """;

    [Theory]
    [InlineData(0.5, -1.5)]
    [InlineData(-2.0, 0.75)]
    public void A_parameter_buffer_written_after_a_call_ends_with_the_primal_results(double v0, double v1)
    {
        var driver = TestCompiler.CompileAndLoad(ParameterWrittenAfterCall).GetType("Driver")!;
        // F = (v0^2 + 1) v1^2: dF/dv0 = 2 v0 v1^2, dF/dv1 = 2 (v0^2 + 1) v1; v ends as (v0^2 + 1, v1^2).
        double[] v = { v0, v1 }, dV = new double[2];
        double value = (double)driver.GetMethod("Gradient")!.Invoke(null, new object[] { v, dV })!;
        Assert.Equal((v0 * v0 + 1) * v1 * v1, value, 12);
        Assert.Equal(new[] { v0 * v0 + 1, v1 * v1 }, v);
        Assert.Equal(2 * v0 * v1 * v1, dV[0], 12);
        Assert.Equal(2 * (v0 * v0 + 1) * v1, dV[1], 12);

        // Backward with the seed on v's exit contents too: dV(entry) = 0.5 dF/dv + (2 v0 * s0, 2 v1 * s1).
        v = new[] { v0, v1 };
        dV = new[] { 0.25, -0.5 };
        driver.GetMethod("Backward")!.Invoke(null, new object[] { v, 0.5, dV });
        Assert.Equal(new[] { v0 * v0 + 1, v1 * v1 }, v);
        Assert.Equal(0.5 * 2 * v0 * v1 * v1 + 2 * v0 * 0.25, dV[0], 12);
        Assert.Equal(0.5 * 2 * (v0 * v0 + 1) * v1 + 2 * v1 * -0.5, dV[1], 12);
    }

    [Fact]
    public void A_parameter_buffer_written_by_a_call_in_a_loop_ends_with_the_primal_results()
    {
        var driver = TestCompiler.CompileAndLoad(ParameterWrittenAfterCall).GetType("Driver")!;
        double[] v = { 1.1, -0.9 }, dV = { 1, 0.5 };
        driver.GetMethod("EighthBackward")!.Invoke(null, new object[] { v, dV });
        Assert.Equal(Math.Pow(1.1, 8), v[0], 12);
        Assert.Equal(Math.Pow(-0.9, 8), v[1], 12);
        Assert.Equal(8 * Math.Pow(1.1, 7), dV[0], 10);
        Assert.Equal(0.5 * 8 * Math.Pow(-0.9, 7), dV[1], 10);
    }

    [Fact]
    public void A_local_buffer_written_after_a_call_is_saved_and_differentiated()
    {
        // h = (v0, v1); Square; h0 += h1; Square: F = (v0^2 + v1^2)^2, dF/dv = 4 v (v0^2 + v1^2).
        var assembly = TestCompiler.CompileAndLoad(Usings + """
        public static partial class Model
        {
            [Differentiable] public static void Square(Span<double> y) { for (int i = 0; i < y.Length; i++) y[i] *= y[i]; }
            [Differentiable] public static double F(ReadOnlySpan<double> v)
            {
                Span<double> h = stackalloc double[2];
                h[0] = v[0]; h[1] = v[1];
                Square(h);
                h[0] += h[1];
                Square(h);
                return h[0];
            }
            public static double Drive(double[] v, double[] d) => FGradient(v, d);
        }
        """);
        var v = new[] { 0.3, -0.7 };
        var d = new double[2];
        double value = (double)assembly.GetType("Model")!.GetMethod("Drive")!.Invoke(null, new object[] { v, d })!;
        double s = 0.3 * 0.3 + 0.7 * 0.7;
        Assert.Equal(s * s, value, 14);
        Assert.Equal(4 * 0.3 * s, d[0], 13);
        Assert.Equal(4 * -0.7 * s, d[1], 13);
    }

    [Fact]
    public void DIFF0017_active_value_stored_into_a_NoDiff_buffer() => AssertDiagnostic("DIFF0017", """
        public static partial class Model
        {
            [Differentiable] public static double F(double x, [NoDiff] Span<double> scratch) { [|scratch[0]|] = x * x; return scratch[0] + x; }
        }
        """, "stored into 'scratch', which is [NoDiff]");

    [Fact]
    public void DIFF0011_callee_cannot_be_differentiated() => AssertDiagnostic("DIFF0011", """
        public static partial class Model
        {
            [Differentiable] public static double G(double x) { decimal m = 1m; return x * (double)m; }
            [Differentiable] public static double F(double x) => [|G(x)|] * 2;
        }
        """, "while differentiating call to 'G' from 'F'");

    // A callee's check runs all of its checks; a method already checked (on its own or as another's callee) is not
    // lowered again. The diagnostics must not depend on which method is parsed first.
    [Fact]
    public void Callee_checks_do_not_depend_on_the_order_methods_are_parsed()
    {
        string[] methods =
        {
            "[Differentiable] public static double A(double x) => B(x) * 2;",
            "[Differentiable] public static double B(double x) => C(x) + 1;",
            "[Differentiable] public static double C(double x) => D(x) * x;",
            "[Differentiable] public static double D(double x) { decimal m = 1m; return x * (double)m; }",
            // A recursion through P and Q, where Q also calls the broken D and the fine E.
            "[Differentiable] public static double P(double x, int n) => n <= 0 ? x : Q(x, n - 1);",
            "[Differentiable] public static double Q(double x, int n) => P(x * 0.5, n) + E(x) + (n > 5 ? D(x) : 0);",
            "[Differentiable] public static double E(double x) => Math.Sin(x) * F(x);",
            "[Differentiable] public static double F(double x) => x * x;",
        };
        string[] Run(IEnumerable<string> order)
        {
            var result = TestCompiler.Run(Usings + "public static partial class Model\n{\n" + string.Join("\n", order) + "\n}\n");
            return result.GeneratorDiagnostics
                .Select(d => d.Id + " " + d.GetMessage())
                .OrderBy(t => t, StringComparer.Ordinal).ToArray();
        }
        var forward = Run(methods);
        Assert.Equal(forward, Run(methods.Reverse()));
        Assert.Equal(forward, Run(methods.Where((_, i) => i % 2 == 1).Concat(methods.Where((_, i) => i % 2 == 0))));
        // D's own error; every method that reaches D is refused with the chain; E and F are fine.
        Assert.Single(forward, d => d.StartsWith("DIFF0012", StringComparison.Ordinal));
        var refused = forward.Where(d => d.StartsWith("DIFF0011", StringComparison.Ordinal)).ToArray();
        Assert.Equal(5, refused.Length);
        foreach (var caller in new[] { "'A'", "'B'", "'C'", "'P'", "'Q'" }) Assert.Contains(refused, d => d.Contains("from " + caller, StringComparison.Ordinal));
        Assert.DoesNotContain(forward, d => d.Contains("from 'E'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(12, 0)]   // a chain longer than the depth to which callees are checked in one go, refused at its end
    [InlineData(12, 11)]
    [InlineData(30, 29)]
    [InlineData(30, 17)]  // refused in the middle: the methods above it are refused, the ones below are fine
    public void A_refusal_deep_down_a_long_chain_refuses_every_method_above_it(int length, int broken)
    {
        // M0 calls M1, ..., M(length−1); M(broken) is not differentiable. Before, callees more than eight levels down
        // were not checked: M0 was generated and called M1Backward, which was not (CS0117 in the user's build).
        var methods = Enumerable.Range(0, length).Select(i =>
            i == broken ? $"[Differentiable] public static double M{i}(double x) {{ decimal m = 1m; return x * (double)m; }}"
            : i == length - 1 ? $"[Differentiable] public static double M{i}(double x) => x * x;"
            : $"[Differentiable] public static double M{i}(double x) => M{i + 1}(x) * 2 + x;").ToList();
        string[] Run(IEnumerable<string> order)
        {
            var result = TestCompiler.Run(Usings + "public static partial class Model\n{\n" + string.Join("\n", order) + "\n}\n");
            Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            return result.GeneratorDiagnostics.Select(d => d.Id + " " + d.GetMessage()).OrderBy(t => t, StringComparer.Ordinal).ToArray();
        }
        var forward = Run(methods);
        Assert.Equal(forward, Run(Enumerable.Reverse(methods)));
        Assert.Single(forward, d => d.StartsWith("DIFF0012", StringComparison.Ordinal));
        var refused = forward.Where(d => d.StartsWith("DIFF0011", StringComparison.Ordinal)).ToArray();
        Assert.Equal(broken, refused.Length);
        for (int i = 0; i < broken; i++) Assert.Contains(refused, d => d.Contains($"from 'M{i}'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_long_chain_and_a_recursion_longer_than_the_check_depth_are_differentiated()
    {
        // R0 → R1 → … → R19 → R0 (a recursion of 20 methods, longer than the depth callees are checked to in one go),
        // and S0 → … → S19 (a plain chain). All fine: each is generated, and the gradient is right.
        var sb = new System.Text.StringBuilder(Usings + "public static partial class Model\n{\n");
        for (int i = 0; i < 20; i++)
        {
            sb.Append($"[Differentiable] public static double R{i}(double x, int n) => n <= 0 ? Math.Sin(x) : R{(i + 1) % 20}(x * 1.01, n - 1) + 0.5 * x;\n");
            sb.Append(i < 19 ? $"[Differentiable] public static double S{i}(double x) => S{i + 1}(x) * 1.1 + Math.Cos(x);\n"
                : $"[Differentiable] public static double S{i}(double x) => x * x * x;\n");
        }
        sb.Append("}\n");
        var assembly = TestCompiler.CompileAndLoad(sb.ToString());
        foreach (var x in new[] { -0.7, 0.3, 1.9 })
        {
            GradientAssert.AssertMatchesFiniteDifferences(assembly, "Model", "R0", GradientAssert.Evaluate(assembly, "Model", "R0", Precision.Double, x, 45));
            GradientAssert.AssertMatchesFiniteDifferences(assembly, "Model", "S0", GradientAssert.Evaluate(assembly, "Model", "S0", Precision.Double, x));
        }
    }

    [Theory]
    [InlineData(-1)]  // all fine
    [InlineData(4)]   // M4 not differentiable: every method reaches it, so every other one is refused
    public void Methods_that_all_call_each_other_are_checked_in_polynomial_work(int broken)
    {
        // Ten methods, each calling the nine others. Each method's check used to go down every path through the group:
        // exponentially many (eight such methods took 52 s). Each is now checked once per method's check.
        const int n = 10;
        var sb = new System.Text.StringBuilder(Usings + "public static partial class Model\n{\n");
        for (int i = 0; i < n; i++)
        {
            string calls = string.Join(" + ", Enumerable.Range(0, n).Where(j => j != i).Select(j => $"M{j}(x * 0.5, k - 1)"));
            string extra = i == broken ? " decimal m = 1m; x *= (double)m;" : "";
            sb.Append($"[Differentiable] public static double M{i}(double x, int k) {{{extra} return k <= 0 ? Math.Sin(x) : {calls}; }}\n");
        }
        sb.Append("}\n");
        Differentiable.Generator.MethodPipeline.t_lowerings = 0;
        var result = TestCompiler.Run(sb.ToString());
        int lowerings = Differentiable.Generator.MethodPipeline.t_lowerings;
        // Each method's check lowers each method at most once, and below the depth limit starts a method's own check
        // (at most one per method on the thread): at most n³ in all, where every path used to be walked.
        Assert.InRange(lowerings, n, n * n * n);
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var ids = result.GeneratorDiagnostics.Select(d => d.Id).ToList();
        if (broken < 0)
        {
            Assert.Empty(ids);
            var assembly = TestCompiler.CompileAndLoad(sb.ToString());
            foreach (double x in new[] { -0.6, 1.3 })
                GradientAssert.AssertMatchesFiniteDifferences(assembly, "Model", "M0", GradientAssert.Evaluate(assembly, "Model", "M0", Precision.Double, x, 2));
        }
        else
        {
            Assert.Equal(1, ids.Count(id => id == "DIFF0012"));
            Assert.Equal((n - 1) * (n - 1), ids.Count(id => id == "DIFF0011")); // one per call of a refused callee
            for (int i = 0; i < n; i++)
                if (i != broken) Assert.Contains(result.GeneratorDiagnostics, d => d.Id == "DIFF0011" && d.GetMessage().Contains($"from 'M{i}'", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void DIFF0012_unsupported_local_type() => AssertDiagnostic("DIFF0012", """
        public static partial class Model
        {
            [Differentiable] public static double F(double x) { decimal [|d = 1m|]; return x * x; }
        }
        """, "'d' has type 'decimal'");

    [Fact]
    public void An_unsupported_local_is_reported_once_not_at_each_use()
    {
        var result = TestCompiler.Run(Usings + """
            public static partial class Model
            {
                [Differentiable] public static double F(double x) { decimal m = 2m; m += 1m; return x * (double)m; }
            }
            """);
        Assert.Equal(new[] { "DIFF0012" }, result.GeneratorDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void DIFF0013_generic_method() => AssertDiagnostic("DIFF0013", """
        public static partial class Model { [Differentiable] public static double [|F|]<T>(double x) => x * x; }
        """);

    [Fact]
    public void DIFF0014_parameter_named_like_an_adjoint() => AssertDiagnostic("DIFF0014", """
        public static partial class Model { [Differentiable] public static double F(double rate, double [|dRate|]) => rate * dRate; }
        """, "the adjoint of 'rate'");

    [Fact]
    public void DIFF0000_an_exception_inside_the_generator_is_reported_per_method()
    {
        DifferentiableGenerator.FaultInjection = name => { if (name == "F") throw new InvalidOperationException("injected"); };
        try
        {
            var result = TestCompiler.Run(Usings + """
                public static partial class Model
                {
                    [Differentiable] public static double F(double x) => x * x;
                    [Differentiable] public static double G(double x) => x * 3;
                }
                """);
            var error = Assert.Single(result.GeneratorDiagnostics);
            Assert.Equal("DIFF0000", error.Id);
            Assert.Contains("injected", error.GetMessage());
            Assert.Contains("GGradient(", result.GeneratedText);   // the other method is unaffected
            Assert.DoesNotContain("FGradient(", result.GeneratedText);
        }
        finally
        {
            DifferentiableGenerator.FaultInjection = null;
        }
    }

    [Fact]
    public void DIFF0000_an_exception_while_checking_a_rule_is_reported_per_rule()
    {
        DifferentiableGenerator.FaultInjection = name => { if (name == "CubeBackward") throw new InvalidOperationException("injected"); };
        try
        {
            var result = TestCompiler.Run(Usings + """
                public static class Lib { public static double Cube(double x) => x * x * x; public static double Square(double x) => x * x; }
                public static partial class Rules
                {
                    [DerivativeOf(typeof(Lib), nameof(Lib.Cube))] public static void CubeBackward(double x, double dResult, ref double dX) => dX += 3 * x * x * dResult;
                    [DerivativeOf(typeof(Lib), nameof(Lib.Square))] public static void SquareBackward(double x, double dResult, ref double dX) => dX += 2 * x * dResult;
                }
                """);
            var error = Assert.Single(result.GeneratorDiagnostics);
            Assert.Equal("DIFF0000", error.Id);
            Assert.Contains("injected", error.GetMessage());
            Assert.Contains("SquareGradient(", result.GeneratedText);   // the other rule is unaffected
            Assert.DoesNotContain("CubeGradient(", result.GeneratedText);
        }
        finally
        {
            DifferentiableGenerator.FaultInjection = null;
        }
    }
}
