using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator.Tests.Infrastructure;

/// <summary>Parses one method of a source straight to its model, without the driver, to test a stage alone.</summary>
internal static class ModelHelper
{
    public static Result<MethodModel> Parse(string source, string methodName)
    {
        var compilation = TestCompiler.CreateCompilation(source);
        var tree = compilation.SyntaxTrees[0];
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.Text == methodName);
        var model = compilation.GetSemanticModel(tree);
        var symbol = (IMethodSymbol)model.GetDeclaredSymbol(declaration)!;
        return MethodPipeline.Parse(symbol, declaration, model, CancellationToken.None);
    }

    public static MethodModel ParseValid(string source, string methodName)
    {
        var result = Parse(source, methodName);
        Assert.True(result.Value is not null, "Diagnostics: " + string.Join("\n", result.Diagnostics.Select(d => d.ToDiagnostic().ToString())));
        return result.Value!;
    }
}
