using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Differentiable.Generator.Tests;

/// <summary>A [Differentiable] method in a referenced assembly is called through its generated Backward.</summary>
public class CrossAssemblyTests
{
    private const string Library = """
        using System;
        using Differentiable;
        namespace Lib;
        public static partial class Activations
        {
            [Differentiable]
            public static double Softplus(double x) => Math.Log(1 + Math.Exp(x));
        }
        public static class Plain
        {
            [Differentiable]
            public static double NotGenerated(double x) => x;
        }
        """;

    private static MetadataReference BuildLibrary()
    {
        var result = TestCompiler.Run(Library, assemblyName: "Lib");
        // Plain is not partial: DIFF0001, and no Backward for NotGenerated.
        Assert.Equal(new[] { "DIFF0001" }, result.GeneratorDiagnostics.Select(d => d.Id));
        var library = result.Output.WithOptions(result.Output.Options.WithSpecificDiagnosticOptions(
            new Dictionary<string, ReportDiagnostic> { ["DIFF0001"] = ReportDiagnostic.Suppress }));
        using var stream = new MemoryStream();
        Assert.True(library.Emit(stream).Success);
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    [Fact]
    public void A_call_into_a_referenced_assembly_uses_its_backward()
    {
        var library = BuildLibrary();
        var result = TestCompiler.Run("""
            using System;
            using Differentiable;
            public static partial class App
            {
                [Differentiable]
                public static double F(double x, double y) => Lib.Activations.Softplus(x * y) + y;
            }
            """, assemblyName: "App", extra: new[] { library });
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains("global::Lib.Activations.SoftplusBackward(", result.GeneratedText);
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void A_referenced_method_without_its_backward_is_DIFF0011()
    {
        var library = BuildLibrary();
        var result = TestCompiler.Run("""
            using Differentiable;
            public static partial class App
            {
                [Differentiable]
                public static double F(double x) => Lib.Plain.NotGenerated(x) * 2;
            }
            """, assemblyName: "App", extra: new[] { library });
        var error = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("DIFF0011", error.Id);
        Assert.Contains("NotGeneratedBackward' was not found in 'Lib'", error.GetMessage());
    }
}
