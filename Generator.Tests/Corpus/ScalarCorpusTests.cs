using System.Globalization;
using System.Reflection;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests.Corpus;

/// <summary>
/// The scalar corpus (<see cref="ScalarCorpus"/>) at every point: value, Gradient against finite differences,
/// Backward with a seed on pre-filled adjoints, Backward twice; with analyses on and off, which must agree; and
/// against hand-derived gradients where they are easy.
/// </summary>
public class ScalarCorpusTests
{
    private static readonly SourceSet Set = ScalarCorpus.Set;

    /// <summary>Hand formulas are exact math; the generated code differs only by rounding.</summary>
    private const double HandToleranceDouble = 1e-10;

    private const double HandToleranceFloat = 1e-5;

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in ScalarCorpus.Cases) data.Add(c.Name);
        return data;
    }

    public static TheoryData<string> HandNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in ScalarCorpus.Cases.Where(c => c.Hand is not null)) data.Add(c.Name);
        return data;
    }

    [Fact]
    public void Corpus_has_at_least_40_functions_each_checked_at_3_or_more_points()
    {
        Assert.True(ScalarCorpus.Cases.Count >= 40, $"{ScalarCorpus.Cases.Count} corpus functions");
        Assert.All(ScalarCorpus.Cases, c => Assert.True(c.Points.Length >= 3, $"{c.Name} has {c.Points.Length} points"));
    }

    [Fact]
    public void Every_differentiable_corpus_method_has_a_case()
    {
        var methods = Set.Members.Where(m => m.Code.Contains("[Differentiable]", StringComparison.Ordinal)).Select(m => m.Name);
        Assert.Empty(methods.Except(ScalarCorpus.Cases.Select(c => c.Name)));
        Assert.Empty(ScalarCorpus.Cases.Select(c => c.Name).Except(Set.Members.Select(m => m.Name)));
    }

    [Fact]
    public void Corpus_source_compiles_without_diagnostics()
    {
        // When this fails, the other tests fall back to compiling only the methods they need.
        GradientAssert.Compile(Set.FullSource, analysesOff: false);
    }

    [Fact]
    public void Corpus_source_compiles_without_diagnostics_with_analyses_off()
    {
        GradientAssert.Compile(Set.FullSource, analysesOff: true);
    }

    [Fact]
    public void The_analyses_off_switch_changes_the_generated_code()
    {
        // Otherwise the on/off comparisons below would compare a thing with itself.
        string on = TestCompiler.Run(Set.FullSource, analysesOff: false).GeneratedText;
        string off = TestCompiler.Run(Set.FullSource, analysesOff: true).GeneratedText;
        Assert.NotEqual(on, off);
    }

    [Theory, MemberData(nameof(Names))]
    public void Gradient_and_backward_match_finite_differences(string name) => CheckAllPoints(name, analysesOff: false);

    [Theory, MemberData(nameof(Names))]
    public void Gradient_and_backward_match_finite_differences_with_analyses_off(string name) => CheckAllPoints(name, analysesOff: true);

    [Theory, MemberData(nameof(Names))]
    public void Analyses_on_and_off_give_the_same_gradients(string name)
    {
        var c = ScalarCorpus.Case(name);
        var on = Set.AssemblyFor(name, analysesOff: false);
        var off = Set.AssemblyFor(name, analysesOff: true);
        ForEachPoint(c, point =>
        {
            var a = GradientAssert.Evaluate(on, Set.TypeName(name), name, c.Precision, point);
            var b = GradientAssert.Evaluate(off, Set.TypeName(name), name, c.Precision, point);
            GradientAssert.AssertSame(a, b, $"{name}: analyses on vs off");
        });
    }

    [Theory, MemberData(nameof(HandNames))]
    public void Gradient_matches_the_hand_derived_formula(string name)
    {
        var c = ScalarCorpus.Case(name);
        foreach (bool analysesOff in new[] { false, true })
        {
            var assembly = Set.AssemblyFor(name, analysesOff);
            ForEachPoint(c, point => CheckHand(c, assembly, point));
        }
    }

    private static void CheckAllPoints(string name, bool analysesOff)
    {
        var c = ScalarCorpus.Case(name);
        var assembly = Set.AssemblyFor(name, analysesOff);
        ForEachPoint(c, point =>
        {
            if (c.FiniteDifferences) GradientAssert.Check(assembly, Set.TypeName(name), name, c.Precision, point);
            else CheckHand(c, assembly, point);
        });
    }

    private static void CheckHand(CorpusCase c, Assembly assembly, object[] point)
    {
        var result = GradientAssert.Evaluate(assembly, Set.TypeName(c.Name), c.Name, c.Precision, point);
        var all = result.Point.Select(o => Convert.ToDouble(o, CultureInfo.InvariantCulture)).ToArray();
        GradientAssert.AssertGradient(result, c.Hand!(all), result.IsFloat ? HandToleranceFloat : HandToleranceDouble, assembly);
    }

    /// <summary>Runs <paramref name="check"/> at every point and reports every failing point, not just the first.</summary>
    private static void ForEachPoint(CorpusCase c, Action<object[]> check)
    {
        var failures = new List<string>();
        foreach (var point in c.Points)
        {
            try
            {
                check(point);
            }
            catch (Exception e)
            {
                var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
                failures.Add($"[{c.Name}({GradientAssert.Format(point)})] {inner.GetType().Name}: {inner.Message}");
            }
        }
        if (failures.Count > 0) Assert.Fail(string.Join("\n\n", failures));
    }
}
