using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Differentiable.Generator.Tests.Fuzz;
using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit.Abstractions;

namespace Differentiable.Generator.Tests.BuildTime;

/// <summary>Skipped unless BUILDTIME_OUT is set: the build-time benchmark's steps (Benchmarks/BuildTime/run.sh).</summary>
public sealed class BuildTimeFactAttribute : FactAttribute
{
    public BuildTimeFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("BUILDTIME_OUT")))
            Skip = "set BUILDTIME_OUT (a directory) to write the build-time corpus or measure the generator on it (Benchmarks/BuildTime/run.sh)";
    }
}

/// <summary>
/// The build-time benchmark (issue 13, docs/benchmarks.md): a corpus of fuzzed [Differentiable] methods written as
/// project A (with the generator) and project B (no generator, finite-difference stand-ins with the generated
/// signatures), and the generator's own time on it in process.
/// </summary>
public class BuildTimeCorpus(ITestOutputHelper output)
{
    private static string Out => Environment.GetEnvironmentVariable("BUILDTIME_OUT")!;

    private static int Env(string name, int fallback) =>
        int.Parse(Environment.GetEnvironmentVariable(name) ?? fallback.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private const string Header = "using System;\nusing Differentiable;\n\nnamespace " + FuzzPrelude.Namespace + "\n{\n";

    /// <summary>
    /// Writes BUILDTIME_OUT/A (corpus + generator) and BUILDTIME_OUT/B (corpus + stand-ins, no generator): fuzzed programs
    /// from seed BUILDTIME_SEED (default 1) that the generator accepts and whose generated code compiles without a warning,
    /// until they hold BUILDTIME_METHODS (default 300) [Differentiable] methods (main methods and their helpers).
    /// </summary>
    [BuildTimeFact]
    public void Write_corpus()
    {
        int methods = Env("BUILDTIME_METHODS", 300);
        long seed = Env("BUILDTIME_SEED", 1);
        var kept = new List<FuzzProgram>();
        int count = 0, tried = 0, refused = 0;
        for (int start = 0; count < methods; start += 50)
        {
            var batch = Enumerable.Range(start, 50).Select(i => FuzzGenerator.Generate(i, seed + i)).ToList();
            var outcomes = FuzzRunner.RunBatch(batch, null, compileOnly: true);
            foreach (var p in batch)
            {
                tried++;
                if (outcomes[p.Id].Kind != OutcomeKind.Passed) { refused++; continue; }
                int n = p.Helpers.Length + 1;
                if (count + n > methods) continue;
                kept.Add(p);
                count += n;
                if (count == methods) break;
            }
        }

        var corpus = new StringBuilder(Header).Append(FuzzPrelude.Source).Append('\n');
        foreach (var p in kept) corpus.Append(FuzzPrinter.Real(p, withAdjoints: true));
        corpus.Append("}\n");
        string corpusText = corpus.ToString();

        // The generator on exactly that file: no diagnostic, and the output compiles with no error.
        var run = RunGenerator(corpusText);
        var problems = run.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20)));

        string repo = RepoRoot();
        Directory.CreateDirectory(Path.Combine(Out, "A"));
        Directory.CreateDirectory(Path.Combine(Out, "B"));
        File.WriteAllText(Path.Combine(Out, "A", "Corpus.cs"), corpusText);
        File.WriteAllText(Path.Combine(Out, "B", "Corpus.cs"), corpusText);
        File.WriteAllText(Path.Combine(Out, "A", "A.csproj"), Project(repo, withGenerator: true));
        File.WriteAllText(Path.Combine(Out, "B", "B.csproj"), Project(repo, withGenerator: false));
        var expected = Path.Combine(Out, "expected-generated");
        if (Directory.Exists(expected)) Directory.Delete(expected, recursive: true);
        Directory.CreateDirectory(expected);
        foreach (var t in run.Generated) File.WriteAllText(Path.Combine(expected, Path.GetFileName(t.FilePath)), t.ToString());
        string standIns = StandIns(corpusText, run.Generated, out int members, out int copied);
        File.WriteAllText(Path.Combine(Out, "B", "StandIns.cs"), standIns);

        // B compiles on its own (no generator).
        var b = CSharpCompilation.Create("B", new[] { CSharpSyntaxTree.ParseText(corpusText, Parse, "Corpus.cs"), CSharpSyntaxTree.ParseText(standIns, Parse, "StandIns.cs") },
            TestCompiler.DefaultReferences, Options);
        var bErrors = b.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(bErrors.Count == 0, string.Join("\n", bErrors.Take(20)));

        string summary = $"seed {seed}: {tried} programs tried, {refused} refused or not clean, {kept.Count} kept with {count} [Differentiable] methods "
            + $"({kept.Count(p => p.IsFloat)} float programs); corpus {corpusText.Length / 1000} kB, {Lines(corpusText)} lines; "
            + $"generated {run.Generated.Length} files, {run.Generated.Sum(t => t.Length) / 1000} kB, {run.Generated.Sum(t => Lines(t.ToString()))} lines; "
            + $"stand-ins {members} members ({copied} rule Gradient files copied as they are), {standIns.Length / 1000} kB, {Lines(standIns)} lines";
        File.WriteAllText(Path.Combine(Out, "corpus.txt"), summary + "\n");
        output.WriteLine(summary);
    }

    /// <summary>
    /// The generator alone, in process, on BUILDTIME_OUT/A/Corpus.cs (BUILDTIME_ROUNDS, default 5): a fresh driver (a full
    /// build), the same driver after a comment is appended to the file (what the build server does on a rebuild), after
    /// one literal of one method changes; then emitting the compilation with the generated trees and with B's stand-ins.
    /// </summary>
    [BuildTimeFact]
    public void Measure_generator()
    {
        int rounds = Env("BUILDTIME_ROUNDS", 5);
        ParseMemo.Verify = false; // the suite checks every reuse (MemoVerification); the measurement times the memo as users have it
        string corpusText = File.ReadAllText(Path.Combine(Out, "A", "Corpus.cs"));
        string standIns = File.ReadAllText(Path.Combine(Out, "B", "StandIns.cs"));
        var report = new StringBuilder();
        void Log(string line)
        {
            report.Append(line).Append('\n');
            output.WriteLine(line);
        }

        var cold = new List<double>();
        var touch = new List<double>();
        var touchNew = new List<double>();
        var edit = new List<double>();
        var wall = new List<double>();
        string touchSteps = "", editSteps = "";
        ImmutableArray<SyntaxTree> generated = default;
        for (int r = 0; r < rounds + 1; r++)
        {
            var tree = CSharpSyntaxTree.ParseText(corpusText, Parse, "Corpus.cs");
            var compilation = CSharpCompilation.Create("A", new[] { tree }, TestCompiler.DefaultReferences, Options);
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new DifferentiableGenerator().AsSourceGenerator() }, parseOptions: Parse,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
            ParseMemo.Shared.Clear(); // a full build: nothing kept from the previous round
            EmitMemo.Clear();
            var clock = Stopwatch.StartNew();
            driver = driver.RunGenerators(compilation);
            double w = clock.Elapsed.TotalMilliseconds;
            double c = driver.GetTimingInfo().ElapsedTime.TotalMilliseconds;
            generated = driver.GetRunResult().GeneratedTrees;

            // The rebuild: a comment appended to the file, the same driver (the build server keeps it).
            var touched = tree.WithChangedText(tree.GetText().WithChanges(new Microsoft.CodeAnalysis.Text.TextChange(new(corpusText.Length, 0), $"// touch {r}\n")));
            var compilation2 = compilation.ReplaceSyntaxTree(tree, touched);
            var driver2 = driver.RunGenerators(compilation2);
            double t = driver2.GetTimingInfo().ElapsedTime.TotalMilliseconds;
            touchSteps = Steps(driver2);

            // The same rebuild as the compiler server runs it: a new driver (the memo of parses is the process's).
            var fresh = CSharpGeneratorDriver.Create(new[] { new DifferentiableGenerator().AsSourceGenerator() }, parseOptions: Parse,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true)).RunGenerators(compilation2);
            double n = fresh.GetTimingInfo().ElapsedTime.TotalMilliseconds;

            // An edit of one method: the first literal 0.25 of the last program becomes 0.2501.
            int at = corpusText.LastIndexOf("0.25", StringComparison.Ordinal);
            var edited = touched.WithChangedText(touched.GetText().WithChanges(new Microsoft.CodeAnalysis.Text.TextChange(new(at, 4), "0.2501")));
            var driver3 = driver2.RunGenerators(compilation2.ReplaceSyntaxTree(touched, edited));
            double e = driver3.GetTimingInfo().ElapsedTime.TotalMilliseconds;
            editSteps = Steps(driver3);
            if (r == 0) continue; // JIT warm-up
            cold.Add(c);
            wall.Add(w);
            touch.Add(t);
            touchNew.Add(n);
            edit.Add(e);
        }
        Log($"generator in process ({rounds} rounds after one warm-up; median [min–max] ms):");
        Log($"  fresh driver (full build)          {Stat(cold)} (wall {Stat(wall)})");
        Log($"  same driver, comment appended      {Stat(touch)}");
        Log($"  same driver, one literal edited    {Stat(edit)}");
        Log($"  new driver, comment appended       {Stat(touchNew)} (the compiler server's rebuild)");
        Log($"  steps after the comment: {touchSteps}");
        Log($"  steps after the edit:    {editSteps}");

        // Compiling: the corpus with the generated trees (A) and with the stand-ins (B), fresh compilations, emit to memory.
        var emitA = new List<double>();
        var emitB = new List<double>();
        var emitStubs = new List<double>();
        // The generated members with their bodies replaced by `throw null!`: the corpus's own cost and the signatures.
        var stubs = generated.Select(g => CSharpSyntaxTree.Create((CSharpSyntaxNode)new Stubber().Visit(g.GetRoot()), Parse, g.FilePath).GetText()).ToList();
        for (int r = 0; r < rounds + 1; r++)
        {
            var gen = generated.Select(g => CSharpSyntaxTree.ParseText(g.GetText(), Parse, g.FilePath)).ToList();
            double a = EmitMs(new[] { CSharpSyntaxTree.ParseText(corpusText, Parse, "Corpus.cs") }.Concat(gen));
            double b = EmitMs(new[] { CSharpSyntaxTree.ParseText(corpusText, Parse, "Corpus.cs"), CSharpSyntaxTree.ParseText(standIns, Parse, "StandIns.cs") });
            double s = EmitMs(new[] { CSharpSyntaxTree.ParseText(corpusText, Parse, "Corpus.cs") }.Concat(stubs.Select(t => CSharpSyntaxTree.ParseText(t, Parse))));
            if (r == 0) continue;
            emitA.Add(a);
            emitB.Add(b);
            emitStubs.Add(s);
        }
        Log($"emit to memory (parse of the generated text excluded, binding and IL included; median [min–max] ms):");
        Log($"  corpus + generated (A)             {Stat(emitA)}");
        Log($"  corpus + stand-ins (B)             {Stat(emitB)}");
        Log($"  corpus + generated signatures only {Stat(emitStubs)} (bodies `throw null!`)");
        Log($"  sizes: corpus {corpusText.Length / 1000} kB, generated {generated.Sum(t => t.Length) / 1000} kB in {generated.Length} files, stand-ins {standIns.Length / 1000} kB");
        File.WriteAllText(Path.Combine(Out, "generator.txt"), report.ToString());
    }

    /// <summary>Replaces every method body by <c>throw null!</c>.</summary>
    private sealed class Stubber : CSharpSyntaxRewriter
    {
        public override SyntaxNode? VisitMethodDeclaration(MethodDeclarationSyntax node) =>
            node.WithBody(SyntaxFactory.Block(SyntaxFactory.ParseStatement("throw null!;"))).WithExpressionBody(null).WithSemicolonToken(default);
    }

    private static double EmitMs(IEnumerable<SyntaxTree> trees)
    {
        var compilation = CSharpCompilation.Create("E" + Guid.NewGuid().ToString("N"), trees, TestCompiler.DefaultReferences, Options);
        var clock = Stopwatch.StartNew();
        var result = compilation.Emit(new MemoryStream());
        double ms = clock.Elapsed.TotalMilliseconds;
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
        return ms;
    }

    /// <summary>"Parse: Modified 300, Cached 2; Emit: ..." : the reasons of every tracked step's outputs.</summary>
    private static string Steps(GeneratorDriver driver)
    {
        var steps = driver.GetRunResult().Results[0].TrackedSteps;
        var parts = new List<string>();
        foreach (string name in new[] { "Parse", "Model", "Variants", "Emit", "Diagnostics" })
        {
            if (!steps.TryGetValue(name, out var runs)) continue;
            var reasons = runs.SelectMany(s => s.Outputs).GroupBy(o => o.Reason).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
            parts.Add($"{name}: {string.Join(", ", reasons)}");
        }
        return string.Join("; ", parts);
    }

    private static string Stat(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToList();
        double median = s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
        return string.Create(CultureInfo.InvariantCulture, $"{median,7:F0} [{s[0]:F0}–{s[^1]:F0}]");
    }

    private static int Lines(string s) => s.Count(c => c == '\n');

    private static readonly CSharpCompilationOptions Options = new(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
        nullableContextOptions: NullableContextOptions.Enable);

    private sealed record GeneratorRun(CSharpCompilation Output, ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<SyntaxTree> Generated);

    private static GeneratorRun RunGenerator(string corpusText)
    {
        var compilation = CSharpCompilation.Create("A", new[] { CSharpSyntaxTree.ParseText(corpusText, Parse, "Corpus.cs") }, TestCompiler.DefaultReferences, Options);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new DifferentiableGenerator().AsSourceGenerator() }, parseOptions: Parse);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var updated, out var diagnostics);
        return new GeneratorRun((CSharpCompilation)updated, diagnostics, driver.GetRunResult().GeneratedTrees);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Differentiable.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Differentiable.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A user's project: net10.0, the Runtime project, and for A the generator as an analyzer (as Sample.Mlp has them).</summary>
    private static string Project(string repo, bool withGenerator) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <!-- Written by Generator.Tests/BuildTime/BuildTimeCorpus.cs (Benchmarks/BuildTime/run.sh). -->
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <LangVersion>latest</LangVersion>
            <Nullable>enable</Nullable>
            <ImplicitUsings>disable</ImplicitUsings>
            <InvariantGlobalization>true</InvariantGlobalization>
            <!-- The fuzzed bodies have unused locals and the like: keep the build output short. -->
            <NoWarn>$(NoWarn);CS0219;CS0162;CS8321;CS1717</NoWarn>
            {(withGenerator ? "<EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>" : "")}
          </PropertyGroup>
          <ItemGroup>
            <ProjectReference Include="{Path.Combine(repo, "Runtime", "Runtime.csproj")}" />
            {(withGenerator ? $"<ProjectReference Include=\"{Path.Combine(repo, "Generator", "Generator.csproj")}\" OutputItemType=\"Analyzer\" ReferenceOutputAssembly=\"false\" />" : "")}
          </ItemGroup>
        </Project>

        """;

    // ------------------------------------------------------------ stand-ins

    /// <summary>
    /// For every generated member of a [Differentiable] method ({M}Gradient, {M}Backward, {M}BackwardConstant{P}) a member
    /// with the generated signature whose body takes central differences of M: Gradient of M's value; Backward of
    /// dResult·M + the adjoints' seeds · the written buffers at return (what Backward computes). Files of [DerivativeOf]
    /// rule Gradients (no differentiation: they call the hand-written rule) are copied as they are.
    /// </summary>
    private static string StandIns(string corpusText, ImmutableArray<SyntaxTree> generated, out int members, out int copied)
    {
        var corpus = CSharpSyntaxTree.ParseText(corpusText, Parse).GetRoot();
        var primals = corpus.DescendantNodes().OfType<MethodDeclarationSyntax>()
            .Where(m => m.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() == "Differentiable"))
            .ToDictionary(m => ((ClassDeclarationSyntax)m.Parent!).Identifier.Text + "." + m.Identifier.Text);
        var sb = new StringBuilder("// Finite-difference stand-ins with the generated signatures (Generator.Tests/BuildTime/BuildTimeCorpus.cs).\n");
        sb.Append("#nullable enable\nusing System;\n\n");
        sb.Append("""
            namespace Fuzz
            {
                internal static class StandIn
                {
                    public static double Dot(double[] seed, ReadOnlySpan<double> b) { double s = 0; for (int i = 0; i < seed.Length; i++) s += seed[i] * b[i]; return s; }
                    public static double Dot(double[] seed, ReadOnlySpan<float> b) { double s = 0; for (int i = 0; i < seed.Length; i++) s += seed[i] * b[i]; return s; }
                    public static double[] Seed(ReadOnlySpan<double> d) => d.ToArray();
                    public static double[] Seed(ReadOnlySpan<float> d) { var s = new double[d.Length]; for (int i = 0; i < s.Length; i++) s[i] = d[i]; return s; }
                }
            }

            """);
        members = 0;
        copied = 0;
        foreach (var tree in generated)
        {
            var root = tree.GetRoot();
            var all = root.DescendantNodes().OfType<MethodDeclarationSyntax>().ToList();
            var cls = (ClassDeclarationSyntax)all[0].Parent!;
            string className = cls.Identifier.Text;
            // The members only generated code calls (the body Gradient and Backward share, split forms): B's stand-ins
            // of the public members do not call them, so B has none.
            var methods = all.Where(m => !Internal(primals, className, m.Identifier.Text)).ToList();
            if (!methods.All(m => Primal(primals, className, m.Identifier.Text) is not null))
            {
                sb.Append(tree.ToString()).Append('\n');
                copied++;
                continue;
            }
            string ns = ((BaseNamespaceDeclarationSyntax)cls.Parent!).Name.ToString();
            sb.Append($"namespace {ns}\n{{\n    partial class {className}\n    {{\n");
            foreach (var m in methods)
            {
                StandIn(sb, Primal(primals, className, m.Identifier.Text)!, m);
                members++;
            }
            sb.Append("    }\n}\n\n");
        }
        return sb.ToString();
    }

    private static bool Internal(Dictionary<string, MethodDeclarationSyntax> primals, string className, string generated) =>
        new[] { "Core", "Forward", "Reverse" }.Any(suffix => generated.EndsWith(suffix, StringComparison.Ordinal) &&
            primals.ContainsKey(className + "." + generated.Substring(0, generated.Length - suffix.Length)));

    private static MethodDeclarationSyntax? Primal(Dictionary<string, MethodDeclarationSyntax> primals, string className, string generated)
    {
        foreach (string suffix in new[] { "Gradient", "Backward" })
        {
            int at = generated.IndexOf(suffix, StringComparison.Ordinal);
            if (at > 0 && primals.TryGetValue(className + "." + generated.Substring(0, at), out var p)
                && (generated.Length == at + suffix.Length || (suffix == "Backward" && generated.Substring(at + suffix.Length).StartsWith("Constant", StringComparison.Ordinal))))
                return p;
        }
        return null;
    }

    private static void StandIn(StringBuilder sb, MethodDeclarationSyntax primal, MethodDeclarationSyntax g)
    {
        bool gradient = g.Identifier.Text.EndsWith("Gradient", StringComparison.Ordinal);
        var ps = primal.ParameterList.Parameters;
        var gps = g.ParameterList.Parameters;
        string T = primal.ParameterList.Parameters.Select(p => p.Type!.ToString()).FirstOrDefault(t => t.Contains("float", StringComparison.Ordinal)) is null ? "double" : "float";
        bool returns = primal.ReturnType.ToString() != "void";
        string h = T == "float" ? "1e-3" : "1e-6";
        string Adjoint(string name) => "d" + char.ToUpperInvariant(name[0]) + name.Substring(1);
        var adjoints = gps.Select(p => p.Identifier.Text).ToHashSet();
        static bool IsBuffer(string type) => type.EndsWith("[]", StringComparison.Ordinal) || type.Contains("Span<", StringComparison.Ordinal);
        static bool Writable(string type) => IsBuffer(type) && !type.Contains("ReadOnlySpan", StringComparison.Ordinal);
        string Elem(string type) => type.Contains("float", StringComparison.Ordinal) ? "float" : "double";

        var info = ps.Select(p => (Name: p.Identifier.Text, Type: p.Type!.ToString().Trim())).ToList();
        var active = info.Where(p => adjoints.Contains(Adjoint(p.Name)) && p.Name != "dResult").ToList();
        var seeded = gradient ? new List<(string Name, string Type)>() : active.Where(p => Writable(p.Type)).ToList();

        sb.Append("        ").Append(g.Modifiers.ToString()).Append(' ').Append(g.ReturnType).Append(' ').Append(g.Identifier).Append(g.ParameterList).Append('\n');
        sb.Append("        {\n");
        sb.Append($"            const double h__ = {h};\n");
        foreach (var p in seeded) sb.Append($"            double[] seed{p.Name}__ = StandIn.Seed({Adjoint(p.Name)});\n");
        // The objective, on copies of the buffers M may write.
        string lParams = string.Join(", ", info.Select(p => (IsBuffer(p.Type) ? $"ReadOnlySpan<{Elem(p.Type)}>" : p.Type) + " " + p.Name));
        sb.Append($"            double L__({lParams})\n            {{\n");
        foreach (var p in info.Where(p => Writable(p.Type))) sb.Append($"                var {p.Name}__ = {p.Name}.ToArray();\n");
        string callArgs = string.Join(", ", info.Select(p => Writable(p.Type) ? p.Name + "__" : p.Name));
        string objective = string.Join(" + ", (returns ? new[] { gradient ? "v__" : "dResult * v__" } : Array.Empty<string>())
            .Concat(seeded.Select(p => $"StandIn.Dot(seed{p.Name}__, {p.Name}__)")).DefaultIfEmpty("0"));
        sb.Append(returns ? $"                double v__ = {primal.Identifier}({callArgs});\n" : $"                {primal.Identifier}({callArgs});\n");
        sb.Append($"                return {objective};\n            }}\n");
        string Args(string name, string replacement) => string.Join(", ", info.Select(p => p.Name == name ? replacement : p.Name));
        foreach (var p in active)
        {
            string d = Adjoint(p.Name);
            if (!IsBuffer(p.Type))
            {
                string op = gradient ? "=" : "+=";
                sb.Append($"            {d} {op} ({T})((L__({Args(p.Name, $"({T})({p.Name} + h__)")}) - L__({Args(p.Name, $"({T})({p.Name} - h__)")})) / (2 * h__));\n");
                continue;
            }
            string e = Elem(p.Type);
            string copy = p.Type.EndsWith("[]", StringComparison.Ordinal) ? $"({e}[]){p.Name}.Clone()" : $"{p.Name}.ToArray()";
            string op2 = gradient || Writable(p.Type) ? "=" : "+=";
            sb.Append("            {\n");
            sb.Append($"                var plus__ = {copy};\n                var minus__ = {copy};\n");
            sb.Append("                for (int i__ = 0; i__ < plus__.Length; i__++)\n                {\n");
            sb.Append($"                    {e} s__ = plus__[i__];\n                    plus__[i__] = ({e})(s__ + h__);\n                    minus__[i__] = ({e})(s__ - h__);\n");
            sb.Append($"                    {d}[i__] {op2} ({e})((L__({Args(p.Name, "plus__")}) - L__({Args(p.Name, "minus__")})) / (2 * h__));\n");
            sb.Append("                    plus__[i__] = s__;\n                    minus__[i__] = s__;\n                }\n            }\n");
        }
        string primalCall = $"{primal.Identifier}({string.Join(", ", info.Select(p => p.Name))})";
        sb.Append(gradient ? $"            return {primalCall};\n" : $"            {primalCall};\n");
        sb.Append("        }\n\n");
    }
}
