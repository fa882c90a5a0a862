using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Differentiable.Generator.Tests.Infrastructure;

/// <summary>Runs the generator on in-memory sources, compiles the result and loads it.</summary>
internal static class TestCompiler
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var refs = paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        refs.Add(MetadataReference.CreateFromFile(typeof(DifferentiableAttribute).Assembly.Location));
        return refs.ToImmutableArray();
    });

    public static ImmutableArray<MetadataReference> DefaultReferences => References.Value;

    public static CSharpCompilation CreateCompilation(string source, string assemblyName = "TestAssembly", IEnumerable<MetadataReference>? extra = null) =>
        CSharpCompilation.Create(assemblyName,
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "Test.cs") },
            extra is null ? DefaultReferences : DefaultReferences.AddRange(extra),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Runs the generator. <paramref name="analysesOff"/> switches every analysis off (the internal test option).</summary>
    public static GeneratorResult Run(string source, bool analysesOff = false, string assemblyName = "TestAssembly", IEnumerable<MetadataReference>? extra = null)
    {
        var compilation = CreateCompilation(source, assemblyName, extra);
        var options = new TestOptionsProvider(analysesOff ? new Dictionary<string, string> { ["build_property.DifferentiableAnalyses"] = "off" } : new());
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new DifferentiableGenerator().AsSourceGenerator() },
            parseOptions: (CSharpParseOptions)compilation.SyntaxTrees[0].Options,
            optionsProvider: options,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new GeneratorResult(compilation, (CSharpCompilation)output, generatorDiagnostics, driver);
    }

    /// <summary>Runs the generator, requires no diagnostic at all (generator or compiler, warnings included), and loads the assembly.</summary>
    public static Assembly CompileAndLoad(string source, bool analysesOff = false)
    {
        var result = Run(source, analysesOff);
        var problems = result.GeneratorDiagnostics.Concat(result.Output.GetDiagnostics())
            .Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (problems.Count > 0)
            throw new InvalidOperationException("Diagnostics:\n" + string.Join("\n", problems) + "\n\nGenerated:\n" + result.GeneratedText);
        using var stream = new MemoryStream();
        var emit = result.Output.Emit(stream);
        if (!emit.Success) throw new InvalidOperationException(string.Join("\n", emit.Diagnostics));
        return new AssemblyLoadContext(null, isCollectible: true).LoadFromStream(new MemoryStream(stream.ToArray()));
    }
}

internal sealed record GeneratorResult(CSharpCompilation Input, CSharpCompilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics, GeneratorDriver Driver)
{
    public string GeneratedText => string.Join("\n", Driver.GetRunResult().GeneratedTrees.Select(t => t.ToString()));
}

internal sealed class TestOptionsProvider(Dictionary<string, string> global) : AnalyzerConfigOptionsProvider
{
    private readonly TestOptions _global = new(global);
    public override AnalyzerConfigOptions GlobalOptions => _global;
    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => TestOptions.Empty;
    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => TestOptions.Empty;

    private sealed class TestOptions(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly TestOptions Empty = new(new());
        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }
}
