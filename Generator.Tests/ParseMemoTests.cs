using System.Text;
using System.Text.RegularExpressions;
using Differentiable.Generator.Tests.Fuzz;
using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Differentiable.Generator.Tests;

/// <summary>
/// <see cref="ParseMemo"/>: a method's parse from a previous run is reused only while its text, the compilation's
/// declarations and the bodies its own reaches are unchanged. Every test runs the generator again after an edit (with a
/// new driver, as the compiler server does: the memo is the process's) and compares everything it produces (generated
/// files, diagnostics with their positions) with a run that bypasses the memo, with <see cref="ParseMemo.Verify"/> on
/// (each reuse parsed again and compared). Each test's assembly has a name of its own, so tests running at the same
/// time do not share entries.
/// </summary>
public class ParseMemoTests
{
    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create("Memo" + Guid.NewGuid().ToString("N"), sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, Parse, path: $"File{i}.cs")),
            TestCompiler.DefaultReferences, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));

    private static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(new[] { new DifferentiableGenerator().AsSourceGenerator() }, parseOptions: Parse);

    /// <summary>Everything a run produces: each generated file and each diagnostic with its exact position.</summary>
    private static string Output(GeneratorDriver driver)
    {
        var result = driver.GetRunResult();
        var text = new StringBuilder();
        foreach (var tree in result.GeneratedTrees.OrderBy(t => t.FilePath, StringComparer.Ordinal))
            text.Append("== ").Append(Path.GetFileName(tree.FilePath)).Append('\n').Append(tree.ToString()).Append('\n');
        foreach (var d in result.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal))
        {
            var span = d.Location.GetLineSpan();
            text.Append("!! ").Append(d.Id).Append(' ').Append(span.Path).Append(' ').Append(d.Location.SourceSpan).Append(' ')
                .Append(span.Span).Append(' ').Append(d.GetMessage()).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Runs <paramref name="driver"/> on <paramref name="edited"/> and checks it against a fresh driver; returns the parses reused.</summary>
    private static (GeneratorDriver Driver, int Reused) RunAgain(GeneratorDriver driver, Compilation edited)
    {
        bool verify = ParseMemo.Verify;
        ParseMemo.Verify = true;
        try
        {
            int before = ParseMemo.t_reused;
            driver = driver.RunGenerators(edited);
            int reused = ParseMemo.t_reused - before;
            string incremental = Output(driver);
            Assert.DoesNotContain("DIFF0000", incremental); // Verify throws inside the parse, which reports DIFF0000
            ParseMemo.t_bypass = true;
            Assert.Equal(Output(Driver().RunGenerators(edited)), incremental);
            return (driver, reused);
        }
        finally
        {
            ParseMemo.Verify = verify;
            ParseMemo.t_bypass = false;
        }
    }

    /// <summary>A first run on <paramref name="sources"/>, then <see cref="RunAgain"/> on the same driver after <paramref name="edit"/> of file <paramref name="file"/>; returns the parses reused.</summary>
    private static int ReusedAfter(string[] sources, int file, Func<string, string> edit)
    {
        var compilation = Compile(sources);
        var driver = Driver().RunGenerators(compilation);
        return RunAgain(driver, Edit(compilation, file, edit)).Reused;
    }

    private static Compilation Edit(Compilation compilation, int file, Func<string, string> edit)
    {
        var tree = compilation.SyntaxTrees.ElementAt(file);
        string text = tree.ToString(), changed = edit(text);
        Assert.NotEqual(text, changed);
        return compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(changed, Parse, path: tree.FilePath));
    }

    private const string Model = """
        using System;
        using Differentiable;
        public static partial class Model
        {
            [Differentiable]
            public static double F(double x, double y) => Math.Sin(x) * y + Twice(x);

            [Differentiable]
            public static double G(double x) { double s = x * 2; if (s > 1) return F(s, x); return s; }

            [Differentiable]
            public static double H(double x) => x * Lib.K + Math.Exp(x);

            [Differentiable]
            static double Twice(double x) => 2 * x;
        }
        """;

    private const string Library = """
        public static class Lib
        {
            public const double K = 1.5;
            public static double Count = 1;
        }
        """;

    [Fact]
    public void A_comment_reuses_every_parse()
    {
        int reused = ReusedAfter(new[] { Model, Library }, 0, t => t + "// touched\n");
        Assert.Equal(4, reused);
    }

    [Fact]
    public void A_body_edit_in_another_file_reuses_every_parse()
    {
        // Roslyn runs the parse step for every method on every edit, in any file: the memo is what spares the binding.
        const string Other = "public static class Other { public static int C() => 1; }";
        int reused = ReusedAfter(new[] { Model, Library, Other }, 2, t => t.Replace("=> 1", "=> 2"));
        Assert.Equal(4, reused);
    }

    [Fact]
    public void A_new_driver_reuses_the_parses_of_the_previous_one()
    {
        // The compiler server starts a new driver for every build.
        var compilation = Compile(Model, Library);
        Driver().RunGenerators(compilation);
        int emitted = EmitMemo.t_reused;
        var (_, reused) = RunAgain(Driver(), Edit(compilation, 0, t => t.Replace("Math.Sin(x) * y", "Math.Tanh(x) * y"))); // an edit no other test makes
        Assert.Equal(2, reused);
        // The generated text of the methods whose models are unchanged (H, Twice, and G, which calls F's Backward) is
        // kept too: the new driver's own cache is empty. F's model changed, so F is emitted again.
        Assert.Equal(3, EmitMemo.t_reused - emitted);
    }

    /// <summary>The compiler server's per-tree options provider throws from <c>Equals</c>; so does this one.</summary>
    private sealed class ServerLikeOptions : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = ReportDiagnostic.Default;
            return false;
        }

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = ReportDiagnostic.Default;
            return false;
        }

        public override bool Equals(object? obj) => throw new NotImplementedException();

        public override int GetHashCode() => throw new NotImplementedException();
    }

    [Fact]
    public void Options_as_the_compiler_server_makes_them_are_compared_without_failing()
    {
        // Found in the compiler server: comparing whole options objects threw there, and every parse reported DIFF0000.
        var compilation = Compile(Model, Library);
        compilation = compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(new ServerLikeOptions()));
        var first = Driver().RunGenerators(compilation);
        Assert.DoesNotContain(first.GetRunResult().Diagnostics, d => d.Id == "DIFF0000");
        var edited = Edit(compilation, 0, t => t + "// touched\n");
        edited = edited.WithOptions(edited.Options.WithSyntaxTreeOptionsProvider(new ServerLikeOptions()));
        var (_, reused) = RunAgain(Driver(), edited);
        Assert.Equal(4, reused);
    }

    [Fact]
    public void A_body_edit_parses_that_method_and_its_callers_again()
    {
        // F changes; G calls F; H and Twice reach neither.
        int reused = ReusedAfter(new[] { Model, Library }, 0, t => t.Replace("Math.Sin(x) * y", "Math.Cos(x) * y"));
        Assert.Equal(2, reused);
    }

    [Fact]
    public void An_edit_of_a_callee_body_reaches_its_callers_callers()
    {
        var compilation = Compile(Model, Library);
        var driver = Driver().RunGenerators(compilation);
        string before = Output(driver);
        var (after, reused) = RunAgain(driver, Edit(compilation, 0, t => t.Replace("=> 2 * x;", "=> 3 * x * x;")));
        Assert.Equal(1, reused); // H only: F calls Twice, G calls F
        Assert.NotEqual(before, Output(after));
    }

    [Fact]
    public void A_side_effect_added_to_a_callee_is_reported_in_its_caller()
    {
        var compilation = Compile(Model, Library);
        var driver = Driver().RunGenerators(compilation);
        var (after, _) = RunAgain(driver, Edit(compilation, 0, t => t.Replace("public static double F(double x, double y) => Math.Sin(x) * y + Twice(x);",
            "public static double F(double x, double y) { Console.WriteLine(); return Math.Sin(x) * y + Twice(x); }")));
        Assert.Contains(after.GetRunResult().Diagnostics, d => d.Id == "DIFF0024" && d.GetMessage().Contains("'G'"));
    }

    [Theory]
    [InlineData("public const double K = 1.5;", "public const double K = 2.5;")] // a constant's value
    [InlineData("public static double Count = 1;", "public static double Count = 1; public static double Exp(double x) => x;")] // a member added
    [InlineData("public static class Lib", "public static partial class Lib")] // a modifier
    public void A_declaration_edit_in_another_file_parses_everything_again(string from, string to)
    {
        int reused = ReusedAfter(new[] { Model, Library }, 1, t => t.Replace(from, to));
        Assert.Equal(0, reused);
    }

    [Fact]
    public void A_field_that_loses_readonly_parses_its_readers_again()
    {
        const string Reader = """
            using Differentiable;
            public static partial class Reader
            {
                [Differentiable]
                public static double R(double x) => x * Lib.Scale;
            }
            """;
        const string Lib = "public static class Lib { public static readonly double Scale = 2; }";
        var compilation = Compile(Reader, Lib);
        var driver = Driver().RunGenerators(compilation);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        var (_, reused) = RunAgain(driver, Edit(compilation, 1, t => t.Replace("readonly ", "")));
        Assert.Equal(0, reused);
    }

    [Fact]
    public void Diagnostics_of_a_reused_parse_move_with_their_method()
    {
        const string Refused = """
            using System;
            using Differentiable;
            public static partial class Model
            {
                [Differentiable]
                public static double A(double x) => x * x;

                [Differentiable]
                public static double B(double x) { double y = x * 2; return Opaque(y); }

                static double Opaque(double x) => x;

                [Differentiable]
                public static double C(ref double x) => x;
            }
            """;
        var compilation = Compile(Refused);
        var driver = Driver().RunGenerators(compilation);
        Assert.True(driver.GetRunResult().Diagnostics.Length >= 2);
        // Lines and characters inserted above B: its diagnostics (and C's) move; the parses are reused.
        var down = Edit(compilation, 0, t => t.Replace("    [Differentiable]\n    public static double B", "\n\n  // moved\n    [Differentiable]\n    public static double B"));
        var (next, reused) = RunAgain(driver, down);
        Assert.Equal(3, reused);
        // B moved right on its line: the positions on its first line change, so it is parsed again.
        (_, reused) = RunAgain(next, Edit(down, 0, t => t.Replace("    public static double B", "      public static double B")));
        Assert.Equal(2, reused);
    }

    [Fact]
    public void A_side_effect_in_an_extension_method_called_in_reduced_form_reaches_its_caller()
    {
        // The call binds to the reduced method (x.Twice()); its body is the static definition's, in another file.
        const string Caller = """
            using System;
            using Differentiable;
            public static partial class Model
            {
                [Differentiable]
                public static double F(double x) => Math.Sin(x) + x.Twice();
            }
            """;
        const string Callee = """
            using Differentiable;
            public static partial class Ext
            {
                [Differentiable]
                public static double Twice(this double x) => 2 * x;

                static double Effect(double v) { System.Console.WriteLine(); return v; }
            }
            """;
        EffectReachesCaller(Caller, Callee);
    }

    [Fact]
    public void A_side_effect_in_a_partial_callee_implemented_in_another_file_reaches_its_caller()
    {
        const string Caller = """
            using System;
            using Differentiable;
            public static partial class Model
            {
                [Differentiable]
                public static double F(double x) => Math.Sin(x) + Part.P(x);
            }
            public static partial class Part
            {
                public static partial double P(double x);
            }
            """;
        const string Implementation = """
            using Differentiable;
            public static partial class Part
            {
                [Differentiable]
                public static partial double P(double x) => 2 * x;

                static double Effect(double v) { System.Console.WriteLine(); return v; }
            }
            """;
        EffectReachesCaller(Caller, Implementation);
    }

    /// <summary>
    /// A comment in the callee's file reuses both parses; then the callee's `=> 2 * x;` (in the second file) gains a
    /// side effect: F must be parsed again, and refused.
    /// </summary>
    private static void EffectReachesCaller(string caller, string callee)
    {
        var compilation = Compile(caller, callee);
        var driver = Driver().RunGenerators(compilation);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        var commented = Edit(compilation, 1, t => t + "// touched\n");
        var (next, reused) = RunAgain(driver, commented);
        Assert.Equal(2, reused);
        (var after, reused) = RunAgain(next, Edit(commented, 1, t => t.Replace("=> 2 * x;", "{ Effect(0); return 2 * x; }")));
        Assert.Equal(0, reused);
        Assert.Contains(after.GetRunResult().Diagnostics, d => d.Id == "DIFF0024" && d.GetMessage().Contains("'F'"));
    }

    [Fact]
    public void A_method_passing_caller_information_is_not_kept()
    {
        const string Source = """
            using System.Runtime.CompilerServices;
            using Differentiable;
            public static partial class Model
            {
                [Differentiable]
                public static double F(double x) => x * Line();

                static double Line([CallerLineNumber] int line = 0) => line;
            }
            """;
        // F moves down a line: Line() now passes another number, so F is parsed again.
        int reused = ReusedAfter(new[] { Source }, 0, t => t.Replace("    [Differentiable]", "\n    [Differentiable]"));
        Assert.Equal(0, reused);
    }

    /// <summary>
    /// Random programs from the fuzzer (accepted and refused ones) in one file, edited again and again: literals
    /// changed, lines inserted, comments appended, overloads added, helpers' bodies changed. After every edit the same
    /// driver's output must be a fresh driver's, position for position.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_programs_under_random_edits_match_a_fresh_run(int seed)
    {
        var random = new Random(seed);
        var programs = Enumerable.Range(0, 16).Select(i => FuzzGenerator.Generate(i, 7_000_000 + seed * 100 + i)).ToList();
        var corpus = new StringBuilder("using System;\nusing Differentiable;\n\nnamespace " + FuzzPrelude.Namespace + "\n{\n").Append(FuzzPrelude.Source).Append('\n');
        foreach (var p in programs) corpus.Append(FuzzPrinter.Real(p, withAdjoints: true));
        corpus.Append("}\n");
        Compilation compilation = Compile(corpus.ToString());
        var driver = Driver().RunGenerators(compilation);
        int totalReused = 0;
        for (int round = 0; round < 12; round++)
        {
            int kind = random.Next(6);
            compilation = Edit(compilation, 0, text => kind switch
            {
                0 => ChangeLiteral(text, random),
                1 => InsertLines(text, random),
                2 => text + "// round " + round + "\n",
                3 => text.Replace("public static double Soft(double x) => x / Math.Sqrt(1 + x * x);",
                    "public static double Soft(double x) => x / Math.Sqrt(1 + x * x);\n        public static double Soft(float x) => x / MathF.Sqrt(2 + x * x);") is var o && o != text
                    ? o : ChangeLiteral(text, random),
                4 => ChangeHelperBody(text, random),
                _ => ToggleSideEffect(text, random),
            });
            (driver, int reused) = RunAgain(round % 2 == 0 ? driver : Driver(), compilation); // the IDE's driver, or the compiler server's new one
            totalReused += reused;
        }
        Assert.True(totalReused > 0, "no parse was reused");
    }

    private static string ChangeLiteral(string text, Random random)
    {
        // A literal inside a program's class (after the prelude), so that some methods change and others do not.
        int prelude = text.IndexOf("public static partial class F", StringComparison.Ordinal);
        var literals = Regex.Matches(text, @"(?<![\w.])\d+\.\d+(?=d?\b)").Where(m => m.Index > prelude).ToList();
        var m = literals[random.Next(literals.Count)];
        return text.Substring(0, m.Index) + (double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture) + 0.125).ToString("0.0##", System.Globalization.CultureInfo.InvariantCulture)
            + text.Substring(m.Index + m.Length);
    }

    private static string InsertLines(string text, Random random)
    {
        var starts = Regex.Matches(text, @"\n    (?=\S)").Select(m => m.Index + 1).ToList();
        int at = starts[random.Next(starts.Count)];
        return text.Insert(at, new string('\n', 1 + random.Next(3)));
    }

    /// <summary>A side effect put into a random helper, or taken out of one: its callers are refused, then accepted again.</summary>
    private static string ToggleSideEffect(string text, Random random)
    {
        const string Effect = "        Console.WriteLine(); // effect\n";
        var present = Regex.Matches(text, Regex.Escape(Effect)).ToList();
        if (present.Count > 0 && random.Next(2) == 0)
        {
            var m = present[random.Next(present.Count)];
            return text.Remove(m.Index, m.Length);
        }
        var helpers = Regex.Matches(text, @"public static (double|float) H\d\([^)]*\)\n    \{\n").ToList();
        var h = helpers[random.Next(helpers.Count)];
        return text.Insert(h.Index + h.Length, Effect);
    }

    private static string ChangeHelperBody(string text, Random random) => random.Next(2) == 0
        ? text.Replace("public static double Soft(double x) => x / Math.Sqrt(1 + x * x);", "public static double Soft(double x) => x / Math.Sqrt(1.5 + x * x);")
              is var o && o != text ? o : ChangeLiteral(text, random)
        : text.Replace("s += (i + 1) * a[i];", "s += (i + 2) * a[i];") is var w && w != text ? w : ChangeLiteral(text, random);
}
