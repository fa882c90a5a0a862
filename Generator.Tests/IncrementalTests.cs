using System.Collections;
using System.Reflection;
using Differentiable.Generator.Parsing;
using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Differentiable.Generator.Tests;

/// <summary>The pipeline caches: an edit that does not touch a method leaves its steps Cached or Unchanged.</summary>
public class IncrementalTests
{
    private const string Model = """
        using System;
        using Differentiable;
        public static partial class Model
        {
            [Differentiable]
            public static double F(double x, double y) => Math.Sin(x) * y + x * x;

            [Differentiable]
            public static double G(double x) { double s = x * 2; if (s > 1) return F(s, x); return s; }
        }
        """;

    private const string Other = """
        public static class Unrelated
        {
            public static int Count() => 1;
        }
        """;

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) RunOnce(params string[] sources)
    {
        var compilation = CSharpCompilation.Create("Incremental",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest), path: $"File{i}.cs")),
            TestCompiler.DefaultReferences, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new DifferentiableGenerator().AsSourceGenerator() },
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);
        return (driver, compilation);
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results[0].TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    [Fact]
    public void An_edit_in_another_file_leaves_every_step_cached()
    {
        var (driver, compilation) = RunOnce(Model, Other);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees[1],
            CSharpSyntaxTree.ParseText(Other.Replace("=> 1", "=> 2"), new CSharpParseOptions(LanguageVersion.Latest), path: "File1.cs"));
        driver = driver.RunGenerators(edited);

        Assert.All(Reasons(driver, StepNames.Parse), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(driver, StepNames.Model), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(driver, StepNames.Emit), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.NotEmpty(Reasons(driver, StepNames.Emit));
        // The collected steps (variants, split forms) come out equal, so nothing downstream runs again.
        foreach (var step in new[] { StepNames.Variants, StepNames.Splits })
        {
            Assert.NotEmpty(Reasons(driver, step));
            Assert.All(Reasons(driver, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, step + ": " + r));
        }
    }

    private const string WithRule = """
        using System;
        using Differentiable;
        public static class Lib { public static double Cube(double x) => x * x * x; public static double Square(double x) => x * x; }
        public static partial class Model
        {
            [Differentiable]
            public static double H(double x) => Lib.Cube(x) + x;
        }
        """;

    private const string Rule = """
        using Differentiable;
        public static partial class Rules
        {
            [DerivativeOf(typeof(Lib), nameof(Lib.Cube))]
            public static void CubeBackward(double x, double dResult, ref double dX) => dX += 3 * x * x * dResult;
        }
        """;

    [Fact]
    public void An_edit_in_another_file_leaves_the_rule_steps_cached()
    {
        var (driver, compilation) = RunOnce(WithRule, Rule, Other);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees[2],
            CSharpSyntaxTree.ParseText(Other.Replace("=> 1", "=> 2"), new CSharpParseOptions(LanguageVersion.Latest), path: "File2.cs"));
        driver = driver.RunGenerators(edited);

        Assert.All(Reasons(driver, StepNames.Rules), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.NotEmpty(Reasons(driver, StepNames.Rules));
        Assert.All(Reasons(driver, StepNames.Emit), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void Changing_a_rule_in_another_file_updates_its_callers()
    {
        var (driver, compilation) = RunOnce(WithRule, Rule);
        Assert.Contains("global::Rules.CubeBackward(", string.Join("\n", driver.GetRunResult().GeneratedTrees.Select(t => t.ToString())));
        // The rule now belongs to Square: Cube has no derivative any more, and H says so.
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees[1],
            CSharpSyntaxTree.ParseText(Rule.Replace("nameof(Lib.Cube)", "nameof(Lib.Square)"), new CSharpParseOptions(LanguageVersion.Latest), path: "File1.cs"));
        driver = driver.RunGenerators(edited);
        Assert.Equal("DIFF0009", Assert.Single(driver.GetRunResult().Diagnostics).Id);
        Assert.DoesNotContain("HGradient", string.Join("\n", driver.GetRunResult().GeneratedTrees.Select(t => t.ToString())));
    }

    private const string Caller = """
        using System;
        using Differentiable;
        public static partial class Model
        {
            [Differentiable]
            public static double Sum(ReadOnlySpan<double> w) { double s = 0; for (int i = 0; i < w.Length; i++) s += Leaf.Scale(w[i]); return s; }
        }
        """;

    private const string Callee = """
        using System;
        using Differentiable;
        public static partial class Leaf
        {
            [Differentiable]
            public static double Scale(double x) => Math.Sin(x) * 3.25;
        }
        """;

    [Fact]
    public void Editing_a_callee_inlined_in_another_file_regenerates_its_caller()
    {
        // Sum inlines Scale (a leaf called in a loop): its generated code holds Scale's body, so an edit of that body,
        // in another file, must reach Sum's generated code, not leave the old derivative there.
        static string SumCode(GeneratorDriver driver) =>
            driver.GetRunResult().GeneratedTrees.Single(t => t.FilePath.Contains("Model.Sum", StringComparison.Ordinal)).ToString();
        var (driver, compilation) = RunOnce(Caller, Callee);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        string before = SumCode(driver);
        Assert.Contains("3.25d", before, StringComparison.Ordinal);
        Assert.DoesNotContain("ScaleBackward(", before, StringComparison.Ordinal);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees[1],
            CSharpSyntaxTree.ParseText(Callee.Replace("Math.Sin(x) * 3.25", "Math.Cos(x) * 7.5"), new CSharpParseOptions(LanguageVersion.Latest), path: "File1.cs"));
        driver = driver.RunGenerators(edited);
        string after = SumCode(driver);
        Assert.Contains("7.5d", after, StringComparison.Ordinal);
        Assert.Contains("Math.Cos(", after, StringComparison.Ordinal);
        Assert.DoesNotContain("3.25d", after, StringComparison.Ordinal);
    }

    private const string SplitCaller = """
        using System;
        using Differentiable;
        public static partial class Model
        {
            [Differentiable]
            public static double Sum(ReadOnlySpan<double> w, Span<double> scratch) { double s = 0; for (int i = 0; i < w.Length; i++) s += Leaf.Clip(w[i], scratch); return s; }
        }
        """;

    private const string SplitCallee = """
        using System;
        using Differentiable;
        public static partial class Leaf
        {
            [Differentiable]
            public static double Clip(double x, Span<double> scratch) { if (x > 1) return Math.Sqrt(x); /*write*/ return x * x; }
        }
        """;

    [Fact]
    public void A_callee_that_loses_its_split_forms_in_an_edit_is_called_through_its_Backward_again()
    {
        // Sum calls Clip in a loop through Clip's split forms. Clip then writes a buffer (it can no longer have them): Sum's
        // code must be regenerated to call ClipBackward, and the whole compiles. Then the write goes and they come back.
        static string SumCode(GeneratorDriver driver) =>
            driver.GetRunResult().GeneratedTrees.Single(t => t.FilePath.Contains("Model.Sum", StringComparison.Ordinal)).ToString();
        static void AssertCompiles(GeneratorDriver driver, Compilation compilation)
        {
            var trees = driver.GetRunResult().GeneratedTrees;
            var errors = compilation.AddSyntaxTrees(trees).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
        var (driver, compilation) = RunOnce(SplitCaller, SplitCallee);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        Assert.Contains("Leaf.ClipReverse(", SumCode(driver), StringComparison.Ordinal);
        AssertCompiles(driver, compilation);

        var writes = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees[1],
            CSharpSyntaxTree.ParseText(SplitCallee.Replace("/*write*/", "scratch[0] = x;"), new CSharpParseOptions(LanguageVersion.Latest), path: "File1.cs"));
        driver = driver.RunGenerators(writes);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        Assert.Contains("Leaf.ClipBackward(", SumCode(driver), StringComparison.Ordinal);
        Assert.DoesNotContain("ClipForward", SumCode(driver), StringComparison.Ordinal);
        AssertCompiles(driver, writes);

        var back = writes.ReplaceSyntaxTree(writes.SyntaxTrees[1],
            CSharpSyntaxTree.ParseText(SplitCallee, new CSharpParseOptions(LanguageVersion.Latest), path: "File1.cs"));
        driver = driver.RunGenerators(back);
        Assert.Contains("Leaf.ClipReverse(", SumCode(driver), StringComparison.Ordinal);
        AssertCompiles(driver, back);
    }

    [Fact]
    public void Moving_a_method_down_a_line_does_not_regenerate_code()
    {
        var (driver, compilation) = RunOnce(Model);
        var moved = Model.Replace("public static partial class Model\n{", "public static partial class Model\n{\n\n    // a comment moves everything down\n");
        Assert.NotEqual(Model, moved);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(compilation.SyntaxTrees[0],
            CSharpSyntaxTree.ParseText(moved, new CSharpParseOptions(LanguageVersion.Latest), path: "File0.cs")));

        Assert.All(Reasons(driver, StepNames.Model), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(driver, StepNames.Emit), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void Editing_a_method_regenerates_it()
    {
        var (driver, compilation) = RunOnce(Model);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(compilation.SyntaxTrees[0],
            CSharpSyntaxTree.ParseText(Model.Replace("x * x", "x * x * x"), new CSharpParseOptions(LanguageVersion.Latest), path: "File0.cs")));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(driver, StepNames.Emit));
    }

    [Fact]
    public void The_same_source_parsed_twice_gives_equal_models_with_equal_hashes()
    {
        var a = ModelHelper.ParseValid(Model, "G");
        var b = ModelHelper.ParseValid(Model, "G");
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, ModelHelper.ParseValid(Model.Replace("x * 2", "x * 3"), "G"));
    }

    [Fact]
    public void The_model_holds_no_roslyn_object()
    {
        var model = ModelHelper.ParseValid(Model, "G");
        var forbidden = new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(IOperation), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree), typeof(Location) };
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        int visited = Walk(model, "model", forbidden, seen);
        Assert.True(visited > 20, $"the walk saw only {visited} objects");
    }

    private static int Walk(object? value, string path, Type[] forbidden, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return 0;
        var type = value.GetType();
        foreach (var f in forbidden) Assert.False(f.IsAssignableFrom(type), $"{path} is a {type.Name}");
        if (!type.IsValueType && !seen.Add(value)) return 0;
        int count = 1;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items) count += Walk(item, $"{path}[{i++}]", forbidden, seen);
        }
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType == typeof(Type)) continue;
                count += Walk(field.GetValue(value), path + "." + field.Name, forbidden, seen);
            }
        }
        return count;
    }
}
