using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Partial methods: <c>[Differentiable]</c> on either part, and a partial method as a callee. The method is its
/// implementation (the part with the body). Both used to be refused with DIFF0007 ("a method without a body"): the
/// generator read the declaration without the body.
/// </summary>
public class PartialMethodTests
{
    private const string Usings = "using System;\nusing Differentiable;\n";

    [Theory]
    [InlineData("[Differentiable]\n    public static partial double P(double x);\n    public static partial double P(double x) => Math.Sin(x) * x;")] // on the declaration
    [InlineData("public static partial double P(double x);\n    [Differentiable]\n    public static partial double P(double x) => Math.Sin(x) * x;")] // on the implementation
    [InlineData("[Differentiable]\n    public static partial double P(double x);\n    public static partial double P(double x) { double s = Math.Sin(x); return s * x; }")] // a block body
    public void A_partial_method_is_differentiated_from_its_implementation(string parts)
    {
        string source = Usings + "public static partial class Model\n{\n    " + parts + "\n}\n";
        var run = TestCompiler.Run(source);
        Assert.Empty(run.GeneratorDiagnostics);
        var assembly = TestCompiler.CompileAndLoad(source);
        foreach (double x in new[] { -1.3, 0.2, 2.5 })
        {
            var result = GradientAssert.Check(assembly, "Model", "P", x);
            GradientAssert.AssertGradient(result, new[] { Math.Cos(x) * x + Math.Sin(x) }, 1e-12);
        }
    }

    [Fact]
    public void A_partial_callee_in_another_file_is_checked_and_called_by_its_Backward()
    {
        // F = x · P(x), P = 2 sin x: F' = 2 sin x + 2x cos x.
        string source = Usings + """
            public static partial class Model
            {
                [Differentiable]
                public static double F(double x) => x * Part.P(x);
            }
            public static partial class Part
            {
                public static partial double P(double x);
            }
            public static partial class Part
            {
                [Differentiable]
                public static partial double P(double x) => Math.Sin(x) * 2;
            }
            """;
        Assert.Empty(TestCompiler.Run(source).GeneratorDiagnostics);
        var assembly = TestCompiler.CompileAndLoad(source);
        foreach (double x in new[] { -0.7, 0.4, 1.9 })
        {
            var result = GradientAssert.Check(assembly, "Model", "F", x);
            GradientAssert.AssertGradient(result, new[] { 2 * Math.Sin(x) + 2 * x * Math.Cos(x) }, 1e-12);
        }
    }

    [Fact]
    public void A_side_effect_in_a_partial_callee_is_reported_in_its_caller()
    {
        // The callee is checked as its implementation: the declaration has no body, so neither its differentiability nor
        // its side effects could be seen there.
        string source = Usings + """
            public static partial class Model
            {
                [Differentiable]
                public static double F(double x) => x * P(x);

                public static partial double P(double x);

                [Differentiable]
                public static partial double P(double x) { Console.WriteLine(); return Math.Sin(x) * 2; }
            }
            """;
        var diagnostics = TestCompiler.Run(source).GeneratorDiagnostics;
        Assert.Contains(diagnostics, d => d.Id == "DIFF0024" && d.GetMessage().Contains("'P'") && d.GetMessage().Contains("'F'"));
    }

    [Fact]
    public void A_pure_partial_helper_in_a_callee_is_seen_as_pure()
    {
        // G calls the partial helper Q (a constant argument); F calls G. Whether G's Backward may run Q again depends on
        // Q's body, which is the implementation's: read from the declaration, Q would look like a call with an effect.
        // F = x · G(x), G = x · Q(2) = 4x: F' = 8x.
        string source = Usings + """
            public static partial class Model
            {
                [Differentiable]
                public static double F(double x) => x * G(x);

                [Differentiable]
                public static double G(double x) => x * Q(2.0);

                private static partial double Q(double c);

                private static partial double Q(double c) => c * c;
            }
            """;
        var diagnostics = TestCompiler.Run(source).GeneratorDiagnostics;
        Assert.True(diagnostics.IsEmpty, string.Join("\n", diagnostics));
        var assembly = TestCompiler.CompileAndLoad(source);
        foreach (double x in new[] { -1.1, 0.3, 2.2 })
            GradientAssert.AssertGradient(GradientAssert.Check(assembly, "Model", "F", x), new[] { 8 * x }, 1e-12);
    }
}
