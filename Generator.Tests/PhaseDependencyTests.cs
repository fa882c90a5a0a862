using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator.Tests;

/// <summary>
/// The generator's phases depend one way only: Ir (with the shared Diagnostics) → Parsing → Lowering → Analysis →
/// Differentiation → Emit, and the pipeline files in <c>Generator/</c> wire them. The check compiles the generator's
/// own sources and asks the semantic model what every name, member access, type, attribute and extension call
/// refers to, so a fully qualified name or a <c>using static</c> cannot slip past it the way it would past a look at
/// the <c>using</c> lines.
/// </summary>
public class PhaseDependencyTests
{
    /// <summary>Each folder's rank: a file may refer only to its own rank and lower ones. Ir and Diagnostics are the shared base.</summary>
    private static readonly Dictionary<string, int> Ranks = new()
    {
        ["Ir"] = 0,
        ["Diagnostics"] = 0,
        ["Parsing"] = 1,
        ["Lowering"] = 2,
        ["Analysis"] = 3,
        ["Differentiation"] = 4,
        ["Emit"] = 5,
    };

    /// <summary>The pipeline files (<c>DifferentiableGenerator*.cs</c> and the like, namespace <c>Differentiable.Generator</c>) may use everything.</summary>
    private const int PipelineRank = 6;

    private const string RootNamespace = "Differentiable.Generator";

    [Fact]
    public void Phases_refer_only_to_earlier_phases()
    {
        var compilation = CompileGenerator();
        var violations = new List<string>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            int fileRank = RankOfFile(tree.FilePath);
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                foreach (var symbol in Referenced(node, model))
                {
                    var (name, rank) = RankOfSymbol(symbol);
                    if (rank > fileRank)
                    {
                        int line = node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                        violations.Add($"{Relative(tree.FilePath)}:{line}: {Folder(fileRank)} refers to {symbol.ToDisplayString()} ({name})");
                    }
                }
            }
        }
        Assert.True(violations.Count == 0, "Back-edges between phases:\n" + string.Join("\n", violations.Distinct()));
    }

    [Fact]
    public void Every_file_declares_the_namespace_of_its_folder()
    {
        var compilation = CompileGenerator();
        var wrong = new List<string>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var folder = FolderOf(tree.FilePath);
            string expected = folder is null ? RootNamespace : RootNamespace + "." + folder;
            foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>())
            {
                string name = declaration.Name.ToString();
                if (name != expected && !name.StartsWith("System", StringComparison.Ordinal)) // System.*: polyfills of the runtime's types
                    wrong.Add($"{Relative(tree.FilePath)}: namespace {name}, expected {expected}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>A violation planted in a copy of a phase is found: the check can fail.</summary>
    [Fact]
    public void A_back_edge_is_found()
    {
        var compilation = CompileGenerator();
        var ir = compilation.SyntaxTrees.First(t => FolderOf(t.FilePath) == "Ir");
        var planted = CSharpSyntaxTree.ParseText("""
            namespace Differentiable.Generator.Ir
            {
                internal static class Planted
                {
                    public static object Back() => typeof(global::Differentiable.Generator.Emit.CSharpEmitter);
                }
            }
            """, (CSharpParseOptions)ir.Options, path: Path.Combine(Path.GetDirectoryName(ir.FilePath)!, "Planted.cs"));
        compilation = compilation.AddSyntaxTrees(planted);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var model = compilation.GetSemanticModel(planted);
        var found = planted.GetRoot().DescendantNodes().SelectMany(n => Referenced(n, model)).Select(RankOfSymbol)
            .Where(r => r.Rank > RankOfFile(planted.FilePath)).ToList();
        Assert.Contains(found, r => r.Namespace == RootNamespace + ".Emit");
    }

    /// <summary>Every symbol a node refers to: what it binds to, its type and converted type, and the types inside those.</summary>
    private static IEnumerable<ISymbol> Referenced(SyntaxNode node, SemanticModel model)
    {
        // The name in `namespace Differentiable.Generator.X` declares, it does not refer.
        if (node.Ancestors().Any(a => a is BaseNamespaceDeclarationSyntax ns && ns.Name.Span.Contains(node.Span))) yield break;

        var info = model.GetSymbolInfo(node);
        if (info.Symbol is { } bound) yield return bound;
        foreach (var candidate in info.CandidateSymbols) yield return candidate;
        if (info.Symbol is IMethodSymbol { ReducedFrom: { } extension }) yield return extension;

        var type = model.GetTypeInfo(node);
        foreach (var t in new[] { type.Type, type.ConvertedType })
        {
            if (t is null) continue;
            foreach (var part in Parts(t)) yield return part;
        }
        if (node is ExpressionSyntax expression && model.GetConversion(expression).MethodSymbol is { } conversion) yield return conversion;
        if (node is CommonForEachStatementSyntax forEach)
        {
            var loop = model.GetForEachStatementInfo(forEach);
            foreach (var method in new[] { loop.GetEnumeratorMethod, loop.MoveNextMethod, loop.CurrentProperty?.GetMethod })
                if (method is not null) yield return method;
        }
    }

    private static IEnumerable<ITypeSymbol> Parts(ITypeSymbol type)
    {
        yield return type;
        switch (type)
        {
            case IArrayTypeSymbol array:
                foreach (var part in Parts(array.ElementType)) yield return part;
                break;
            case IPointerTypeSymbol pointer:
                foreach (var part in Parts(pointer.PointedAtType)) yield return part;
                break;
            case INamedTypeSymbol named:
                foreach (var argument in named.TypeArguments)
                    foreach (var part in Parts(argument)) yield return part;
                break;
        }
    }

    /// <summary>The generator namespace a symbol belongs to and its rank, or rank -1 for anything outside the generator.</summary>
    private static (string Namespace, int Rank) RankOfSymbol(ISymbol symbol)
    {
        if (symbol is ITypeParameterSymbol or ILocalSymbol or IParameterSymbol or IRangeVariableSymbol or ILabelSymbol or IDiscardSymbol)
            return ("", -1);
        string name;
        if (symbol is INamespaceSymbol ns)
        {
            // A namespace itself (a using directive, a qualified name's prefix) counts only when it is a phase's.
            name = ns.ToDisplayString();
            return name.StartsWith(RootNamespace + ".", StringComparison.Ordinal) && Ranks.TryGetValue(name.Substring(RootNamespace.Length + 1), out var r)
                ? (name, r) : (name, -1);
        }
        if (symbol.ContainingAssembly is null || symbol.ContainingAssembly.Name != AssemblyName) return ("", -1);
        name = symbol.ContainingNamespace?.ToDisplayString() ?? "";
        if (name == RootNamespace) return (name, PipelineRank);
        if (name.StartsWith(RootNamespace + ".", StringComparison.Ordinal))
        {
            var folder = name.Substring(RootNamespace.Length + 1).Split('.')[0];
            if (Ranks.TryGetValue(folder, out var rank)) return (name, rank);
            throw new InvalidOperationException("Namespace without a phase: " + name + " (" + symbol.ToDisplayString() + ")");
        }
        return (name, -1); // System.* polyfills compiled into the generator
    }

    private const string AssemblyName = "Differentiable.Generator";

    private static int RankOfFile(string path)
    {
        var folder = FolderOf(path);
        if (folder is null) return PipelineRank;
        return Ranks.TryGetValue(folder, out var rank) ? rank : throw new InvalidOperationException("A folder that is not a phase: " + folder);
    }

    private static string Folder(int rank) => rank == PipelineRank ? "the pipeline" : string.Join("/", Ranks.Where(r => r.Value == rank).Select(r => r.Key));

    /// <summary>The phase folder directly under Generator/, or null for a file in Generator/ itself.</summary>
    private static string? FolderOf(string path)
    {
        var parts = Relative(path).Split('/');
        return parts.Length > 2 ? parts[1] : null;
    }

    private static string Relative(string path) => Path.GetRelativePath(RepositoryRoot(), path).Replace('\\', '/');

    private static CSharpCompilation CompileGenerator()
    {
        var generator = Path.Combine(RepositoryRoot(), "Generator");
        var files = Directory.EnumerateFiles(generator, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(generator, f).Replace('\\', '/').Split('/').Any(p => p is "obj" or "bin"))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), options, path: f)).ToList();
        // The runtime and Roslyn; not the built generator (nor the other Differentiable.* assemblies): its types are the sources'.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => !Path.GetFileName(p).StartsWith("Differentiable.", StringComparison.OrdinalIgnoreCase))
            .Append(typeof(CSharpSyntaxTree).Assembly.Location)
            .Append(typeof(SyntaxNode).Assembly.Location)
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First());
        var compilation = CSharpCompilation.Create(AssemblyName, trees, paths.Select(p => MetadataReference.CreateFromFile(p)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        // Not vacuous: the sources are all there and bind without errors, so every name resolves to its symbol.
        Assert.True(files.Count > 30, "Generator sources not found under " + generator);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The generator's sources do not compile here:\n" + string.Join("\n", errors.Take(20)));
        return compilation;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Differentiable.sln"))) return dir.FullName;
        throw new InvalidOperationException("Differentiable.sln not found above " + AppContext.BaseDirectory);
    }
}
