using System.Collections.Immutable;
using Differentiable.Generator.CodeFixes;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Differentiable.Generator.Tests;

/// <summary>
/// The DIFF0001 code fix ("Make type partial"), applied through an <see cref="AdhocWorkspace"/> the way the IDE
/// applies it. Test code marks the diagnostic's span with <c>[| |]</c>; the fixed code is compared exactly.
/// </summary>
public class CodeFixTests
{
    private const string Usings = "using System;\nusing Differentiable;\n\n";

    [Fact]
    public Task Adds_partial_after_the_other_modifiers()
    {
        const string testCode = """
            public static class [|Model|]
            {
                [Differentiable] public static double F(double x) => x * x;
            }
            """;
        const string fixedCode = """
            public static partial class Model
            {
                [Differentiable] public static double F(double x) => x * x;
            }
            """;
        return AssertFixAsync(testCode, fixedCode);
    }

    [Fact]
    public Task Nested_type_and_every_enclosing_type_become_partial()
    {
        const string testCode = """
            namespace Models
            {
                public static class Outer
                {
                    internal static class [|Inner|]
                    {
                        [Differentiable] public static double F(double x) => x * x;
                    }
                }
            }
            """;
        const string fixedCode = """
            namespace Models
            {
                public static partial class Outer
                {
                    internal static partial class Inner
                    {
                        [Differentiable] public static double F(double x) => x * x;
                    }
                }
            }
            """;
        return AssertFixAsync(testCode, fixedCode);
    }

    [Fact]
    public Task Enclosing_type_reported_leaves_a_partial_inner_type_alone()
    {
        const string testCode = """
            public class [|Outer|]
            {
                public static partial class Inner { [Differentiable] public static double F(double x) => x * x; }
            }
            """;
        const string fixedCode = """
            public partial class Outer
            {
                public static partial class Inner { [Differentiable] public static double F(double x) => x * x; }
            }
            """;
        return AssertFixAsync(testCode, fixedCode);
    }

    [Fact]
    public Task Without_modifiers_the_keyword_trivia_moves_to_partial()
    {
        const string testCode = """
            namespace Models
            {
                /// <summary>A model.</summary>
                [Serializable]
                class [|Model|] // trailing comment
                {
                    [Differentiable] public static double F(double x) => x * x;
                }

                    /* odd indent */   class [|Other|] { [Differentiable] public static double G(double x) => x; }
            }
            """;
        const string fixedCode = """
            namespace Models
            {
                /// <summary>A model.</summary>
                [Serializable]
                partial class Model // trailing comment
                {
                    [Differentiable] public static double F(double x) => x * x;
                }

                    /* odd indent */   partial class Other { [Differentiable] public static double G(double x) => x; }
            }
            """;
        return AssertFixAsync(testCode, fixedCode);
    }

    [Theory]
    [InlineData("public struct [|S|]", "public partial struct S")]
    [InlineData("public readonly ref struct [|S|]", "public readonly ref partial struct S")]
    [InlineData("public sealed record [|R|]", "public sealed partial record R")]
    [InlineData("public readonly record struct [|R|]", "public readonly partial record struct R")]
    [InlineData("internal sealed unsafe class [|C|]", "internal sealed unsafe partial class C")]
    [InlineData("public abstract  class  [|C|]", "public abstract partial  class  C")]
    public async Task Partial_goes_right_before_the_type_keyword(string header, string fixedHeader)
    {
        const string body = "\n{\n    [Differentiable] public static double F(double x) => x * x;\n}\n";
        string fixedCode = await AssertFixAsync(header + body, fixedHeader + body);

        // The fixed declaration is valid C# (the modifier order matters for 'ref' structs and records).
        var compilation = TestCompiler.CreateCompilation(Usings + fixedCode)
            .WithOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public async Task Fix_all_in_document_fixes_every_reported_type()
    {
        const string testCode = """
            public static class [|A|] { [Differentiable] public static double F(double x) => x * x; }

            public static class B { [Differentiable] public static double G(double x) => x; }

            public static class [|C|]
            {
                public static class [|D|] { [Differentiable] public static double H(double x) => x; }
            }
            """;
        const string fixedCode = """
            public static partial class A { [Differentiable] public static double F(double x) => x * x; }

            public static class B { [Differentiable] public static double G(double x) => x; }

            public static partial class C
            {
                public static partial class D { [Differentiable] public static double H(double x) => x; }
            }
            """;
        var (source, spans) = Parse(testCode);
        var document = CreateDocument(source);
        var tree = (await document.GetSyntaxTreeAsync())!;
        var diagnostics = spans.Select(s => CreateDiagnostic(tree, s)).ToImmutableArray();

        var provider = new AddPartialCodeFixProvider();
        var fixAll = provider.GetFixAllProvider();
        Assert.NotNull(fixAll);
        Assert.Contains(FixAllScope.Document, fixAll.GetSupportedFixAllScopes());
        var context = new FixAllContext(document, provider, FixAllScope.Document, nameof(AddPartialCodeFixProvider),
            new[] { AddPartialCodeFixProvider.DiagnosticId }, new FixedDiagnosticProvider(diagnostics), CancellationToken.None);
        var action = await fixAll.GetFixAsync(context);
        Assert.NotNull(action);

        Assert.Equal(Usings + fixedCode, await ApplyAsync(document, action!));
    }

    [Fact]
    public async Task No_fix_is_offered_when_the_type_is_already_partial()
    {
        var (source, spans) = Parse("public static partial class [|Model|] { }");
        var document = CreateDocument(source);
        var actions = await RegisterFixesAsync(document, CreateDiagnostic((await document.GetSyntaxTreeAsync())!, spans.Single()));
        Assert.Empty(actions);
    }

    [Fact]
    public void Descriptor_and_provider_agree_on_the_id()
    {
        Assert.Equal(AddPartialCodeFixProvider.DiagnosticId, DiagnosticDescriptors.TypeNotPartial.Id);
        Assert.Equal(new[] { "DIFF0001" }, new AddPartialCodeFixProvider().FixableDiagnosticIds);
    }

    /// <summary>
    /// The generator and the code fix ship in the package's analyzers folder and must load in any host with Roslyn 4.8
    /// or later (.NET 8 SDK, Visual Studio 17.8): they may reference netstandard, Roslyn up to 4.8, and what Roslyn 4.8
    /// itself references at no higher version (System.Collections.Immutable 7.0, …), nothing newer.
    /// </summary>
    [Theory]
    [InlineData(typeof(DifferentiableGenerator))]
    [InlineData(typeof(AddPartialCodeFixProvider))]
    public void Shipped_analyzer_assemblies_reference_nothing_newer_than_Roslyn_4_8(Type type)
    {
        var roslyn = new[] { typeof(Compilation).Assembly, typeof(CSharpCompilation).Assembly, typeof(Microsoft.CodeAnalysis.Workspace).Assembly, typeof(CodeFixProvider).Assembly };
        Assert.All(roslyn, a => Assert.Equal(new Version(4, 8, 0, 0), a.GetName().Version));
        var allowed = roslyn.SelectMany(a => a.GetReferencedAssemblies())
            .GroupBy(r => r.Name!).ToDictionary(g => g.Key, g => g.Min(r => r.Version!)!);

        var unexpected = type.Assembly.GetReferencedAssemblies()
            .Where(r => !(r.Name == "netstandard"
                || (r.Name!.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) && r.Version <= new Version(4, 8, 0, 0))
                || (allowed.TryGetValue(r.Name!, out var max) && r.Version <= max)))
            .Select(r => r.FullName).ToList();
        Assert.True(unexpected.Count == 0, type.Assembly.GetName().Name + " references: " + string.Join(", ", unexpected));
    }

    /// <summary>
    /// End to end: the generator itself reports DIFF0001 on the identifier of the non-partial type, the fix applied
    /// to that very diagnostic (a generator location: file path and span) makes the type partial, and the fixed
    /// code is then generated without any diagnostic.
    /// </summary>
    [Theory]
    [InlineData("""
        public static class [|Model|] { [Differentiable] public static double F(double x) => x * x; }
        """, """
        public static partial class Model { [Differentiable] public static double F(double x) => x * x; }
        """)]
    [InlineData("""
        public static class Outer
        {
            public static class [|Inner|] { [Differentiable] public static double F(double x) => x * x; }
        }
        """, """
        public static partial class Outer
        {
            public static partial class Inner { [Differentiable] public static double F(double x) => x * x; }
        }
        """)]
    public async Task Generator_reports_DIFF0001_on_the_identifier_and_the_fix_resolves_it(string testCode, string fixedCode)
    {
        var (source, spans) = Parse(testCode);
        var result = TestCompiler.Run(source);
        var reported = result.GeneratorDiagnostics.Where(d => d.Id == "DIFF0001").ToList();
        Assert.True(reported.Count == 1, "expected one DIFF0001, got:\n" + string.Join("\n", result.GeneratorDiagnostics));
        Assert.Equal(spans.Single(), reported[0].Location.SourceSpan);
        Assert.Equal("Test.cs", reported[0].Location.GetLineSpan().Path);

        var document = CreateDocument(source);
        var actions = await RegisterFixesAsync(document, reported[0]);
        var action = Assert.Single(actions);
        string fixedSource = await ApplyAsync(document, action);
        Assert.Equal(Usings + fixedCode, fixedSource);

        var after = TestCompiler.Run(fixedSource);
        Assert.Empty(after.GeneratorDiagnostics);
        Assert.Empty(after.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Contains("FGradient(", after.GeneratedText);
    }

    [Fact]
    public async Task DIFF0019_fix_writes_the_expected_Backward_signature_and_keeps_the_body()
    {
        string source = Usings + """
            public static class Lib { public static double Scale(ReadOnlySpan<double> w, [NoDiff] double c, double x) => c * x * w[0]; }
            public static class Rules
            {
                [DerivativeOf(typeof(Lib), nameof(Lib.Scale))]
                public static double ScaleBackward(ReadOnlySpan<double> w, double c, double x, double dX)
                {
                    return 0;
                }
            }
            """;
        var result = TestCompiler.Run(source);
        var reported = result.GeneratorDiagnostics.Where(d => d.Id == "DIFF0019").ToList();
        Assert.NotEmpty(reported);
        var document = CreateDocument(source);
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, reported[0], (action, _) => actions.Add(action), CancellationToken.None);
        await new UseBackwardSignatureCodeFixProvider().RegisterCodeFixesAsync(context);
        var fix = Assert.Single(actions);
        Assert.Equal("Use the Backward signature", fix.Title);
        string fixedSource = await ApplyAsync(document, fix);
        Assert.Contains("public static void ScaleBackward(ReadOnlySpan<double> w, double c, double x, double dResult, Span<double> dW, ref double dX)", fixedSource);
        Assert.Contains("return 0;", fixedSource); // the body is the user's to finish

        // With a body that fits, the rule is accepted.
        var after = TestCompiler.Run(fixedSource.Replace("return 0;", "dX += dResult * c * w[0];"));
        Assert.Empty(after.GeneratorDiagnostics);
        Assert.Empty(after.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    // ---- infrastructure ----

    /// <summary>Applies the single fix offered for each marked span (one at a time, in order) and compares the result.</summary>
    private static async Task<string> AssertFixAsync(string testCode, string fixedCode)
    {
        var (source, spans) = Parse(testCode);
        Assert.NotEmpty(spans);
        var document = CreateDocument(source);
        // Apply from the last span to the first, so earlier spans stay valid.
        foreach (var span in spans.OrderByDescending(s => s.Start))
        {
            var diagnostic = CreateDiagnostic((await document.GetSyntaxTreeAsync())!, span);
            var action = Assert.Single(await RegisterFixesAsync(document, diagnostic));
            Assert.Equal("Make type partial", action.Title);
            string text = await ApplyAsync(document, action);
            document = document.WithText(SourceText.From(text));
        }
        string actual = (await document.GetTextAsync()).ToString();
        Assert.Equal(Usings + fixedCode, actual);
        return actual.Substring(Usings.Length);
    }

    /// <summary>The diagnostic the generator reports, built here from its descriptor so the fix is tested on its own.</summary>
    private static Diagnostic CreateDiagnostic(SyntaxTree tree, TextSpan span)
    {
        string typeName = tree.GetText().ToString(span);
        return Diagnostic.Create(DiagnosticDescriptors.TypeNotPartial, Location.Create(tree, span), typeName, "F");
    }

    private static (string Source, ImmutableArray<TextSpan> Spans) Parse(string markup)
    {
        var text = new System.Text.StringBuilder(Usings);
        var spans = ImmutableArray.CreateBuilder<TextSpan>();
        int i = 0;
        while (true)
        {
            int open = markup.IndexOf("[|", i, StringComparison.Ordinal);
            if (open < 0) break;
            int close = markup.IndexOf("|]", open, StringComparison.Ordinal);
            text.Append(markup, i, open - i);
            int start = text.Length;
            text.Append(markup, open + 2, close - open - 2);
            spans.Add(TextSpan.FromBounds(start, text.Length));
            i = close + 2;
        }
        text.Append(markup, i, markup.Length - i);
        return (text.ToString(), spans.ToImmutable());
    }

    private static Document CreateDocument(string source)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "TestProject", "TestProject", LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary),
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                metadataReferences: TestCompiler.DefaultReferences));
        var documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(documentId, "Test.cs", SourceText.From(source), filePath: "Test.cs");
        return solution.GetDocument(documentId)!;
    }

    private static async Task<List<CodeAction>> RegisterFixesAsync(Document document, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
        await new AddPartialCodeFixProvider().RegisterCodeFixesAsync(context);
        return actions;
    }

    private static async Task<string> ApplyAsync(Document document, CodeAction action)
    {
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return (await changed.GetDocument(document.Id)!.GetTextAsync()).ToString();
    }

    private sealed class FixedDiagnosticProvider(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(ImmutableArray<Diagnostic>.Empty);

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }
}
