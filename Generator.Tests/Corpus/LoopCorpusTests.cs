using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests.Corpus;

/// <summary>
/// The loop corpus (<see cref="LoopCorpus"/>) through the generated Gradient and Backward, at every point, with
/// analyses on and off: the calling convention, finite differences, accumulation, vector-Jacobian products, Enzyme's
/// shadow semantics, hand-derived formulas, short shadows, and on/off agreement. The checks live in LoopHarness.cs
/// (LoopChecks), which LoopHarnessSelfTests validates on hand-written adjoints.
/// </summary>
public class LoopCorpusTests
{
    private static readonly SourceSet Set = LoopCorpus.Set;

    public static TheoryData<string> Names() => Data(LoopCorpus.Cases);

    public static TheoryData<string, bool> NamesBothModes() => BothModes(LoopCorpus.Cases);

    public static TheoryData<string, bool> ValueNamesBothModes() =>
        BothModes(LoopCorpus.Cases.Where(c => LoopCorpus.Signature(c.Name).ReturnsValue));

    public static TheoryData<string, bool> HandNamesBothModes() => BothModes(LoopCorpus.Cases.Where(c => c.Hand is not null));

    public static TheoryData<string, bool> HandVjpNamesBothModes() => BothModes(LoopCorpus.Cases.Where(c => c.HandVjp is not null));

    public static TheoryData<string, bool> BufferNamesBothModes() =>
        BothModes(LoopCorpus.Cases.Where(c => LoopCorpus.Signature(c.Name).Active.Any(p => p.Kind == LoopParamKind.Buffer)));

    // ------------------------------------------------------------------------ the corpus as a whole

    [Fact]
    public void Corpus_has_at_least_45_functions_each_checked_at_3_or_more_points()
    {
        Assert.True(LoopCorpus.Cases.Count >= 45, $"{LoopCorpus.Cases.Count} corpus functions");
        Assert.All(LoopCorpus.Cases, c => Assert.True(c.Points.Length >= 3, $"{c.Name} has {c.Points.Length} points"));
        int floats = LoopCorpus.Cases.Count(c => LoopCorpus.Signature(c.Name).IsFloat);
        Assert.True(floats >= 10, $"{floats} float functions");
    }

    [Fact]
    public void Every_differentiable_corpus_method_has_a_case()
    {
        Assert.Empty(LoopCorpus.DifferentiableNames.Except(LoopCorpus.Cases.Select(c => c.Name)));
        Assert.Empty(LoopCorpus.Cases.Select(c => c.Name).Except(LoopCorpus.DifferentiableNames));
    }

    [Fact]
    public void Every_function_with_buffers_is_checked_with_a_buffer_of_length_0_or_1()
    {
        foreach (var c in LoopCorpus.Cases)
        {
            var sig = LoopCorpus.Signature(c.Name);
            var buffers = sig.Active.Where(p => p.Kind == LoopParamKind.Buffer).ToList();
            if (buffers.Count == 0) continue;
            Assert.True(c.Points.Any(point => buffers.Any(p => ((double[])point[p.Index]).Length <= 1)),
                $"{c.Name}: no point has an active buffer of length 0 or 1");
        }
    }

    [Fact]
    public void Corpus_covers_the_constructs_of_the_issue()
    {
        string source = LoopCorpus.PrimalSet.FullSource;
        foreach (string construct in new[]
        {
            "for (int i = c.Length - 1; i >= 0; i--)", "i += 2", "k += 2", "while (", "do\n", "foreach (", "break;", "continue;",
            "stackalloc double[", "new double[", "w[1..]", "w[..^1]", ".Slice(", "double[] ", "float[] ", "[NoDiff] ReadOnlySpan<double>",
            "[NoDiff] double[]", "Grad.Stop(", "Span<float>", "int label", "i < 1000", "x[i] *= s", "x[i] += x[i - 1]", "LoopsOther.",
        })
        {
            Assert.True(source.Contains(construct, StringComparison.Ordinal), $"the corpus has no '{construct}'");
        }
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
        // Otherwise the on/off comparisons would compare a thing with itself.
        string on = TestCompiler.Run(Set.FullSource, analysesOff: false).GeneratedText;
        string off = TestCompiler.Run(Set.FullSource, analysesOff: true).GeneratedText;
        Assert.False(string.IsNullOrWhiteSpace(on), "the generator wrote nothing");
        Assert.NotEqual(on, off);
    }

    // ------------------------------------------------------------------------ per function

    [Theory, MemberData(nameof(NamesBothModes))]
    public void Generated_signatures_follow_the_calling_convention(string name, bool analysesOff)
    {
        var f = LoopCorpus.Bind(name, analysesOff);
        LoopChecks.CheckSignatures(f.Assembly, Set.TypeName(name), f.Signature);
    }

    [Theory, MemberData(nameof(ValueNamesBothModes))]
    public void Gradient_matches_finite_differences(string name, bool analysesOff)
    {
        var (f, c) = Get(name, analysesOff);
        LoopChecks.ForEachPoint(c, point => LoopChecks.CheckGradient(f, c, point));
    }

    [Theory, MemberData(nameof(NamesBothModes))]
    public void Backward_accumulates_seed_times_gradient_and_twice_adds_twice(string name, bool analysesOff)
    {
        var (f, c) = Get(name, analysesOff);
        LoopChecks.ForEachPoint(c, point =>
        {
            double[]? gradient = null;
            if (f.Signature.ReturnsValue)
            {
                var args = f.Pack(point);
                var adj = f.Adjoints(args);
                f.Gradient(args, adj);
                gradient = f.Flatten(args, adj);
            }
            LoopChecks.CheckBackwardAccumulates(f, c, point, gradient);
        });
    }

    [Theory, MemberData(nameof(NamesBothModes))]
    public void Backward_vector_jacobian_product_matches_finite_differences(string name, bool analysesOff)
    {
        var (f, c) = Get(name, analysesOff);
        LoopChecks.ForEachPoint(c, point => LoopChecks.CheckVectorJacobianProduct(f, c, point));
    }

    [Theory, MemberData(nameof(NamesBothModes))]
    public void Shadow_semantics_hold(string name, bool analysesOff)
    {
        // Outputs' seeds consumed, read-only shadows accumulate, written buffers hold the primal's results.
        var (f, c) = Get(name, analysesOff);
        LoopChecks.ForEachPoint(c, point => LoopChecks.CheckShadowSemantics(f, c, point));
    }

    [Theory, MemberData(nameof(Names))]
    public void Analyses_on_and_off_give_the_same_gradients(string name)
    {
        var c = LoopCorpus.Case(name);
        var on = LoopCorpus.Bind(name, analysesOff: false);
        var off = LoopCorpus.Bind(name, analysesOff: true);
        LoopChecks.ForEachPoint(c, point =>
        {
            var a = LoopChecks.Evaluate(on, c, point);
            var b = LoopChecks.Evaluate(off, c, point);
            var args = on.Pack(point);
            if (!a.Value.Equals(b.Value))
                Assert.Fail($"{LoopChecks.Where(on, point)}: values differ with analyses on and off: {LoopChecks.Fmt(a.Value)} and {LoopChecks.Fmt(b.Value)}");
            LoopChecks.AssertNear(off, args, $"{LoopChecks.Where(on, point)}: Gradient with analyses off against analyses on", b.Gradient, a.Gradient, LoopChecks.Rounding(on));
            LoopChecks.AssertNear(off, args, $"{LoopChecks.Where(on, point)}: Backward (random seeds) with analyses off against analyses on", b.Backward, a.Backward, LoopChecks.Rounding(on));
        });
    }

    [Theory, MemberData(nameof(HandNamesBothModes))]
    public void Gradient_matches_the_hand_derived_formula(string name, bool analysesOff)
    {
        var (f, c) = Get(name, analysesOff);
        LoopChecks.ForEachPoint(c, point => LoopChecks.CheckHand(f, c, point));
    }

    [Theory, MemberData(nameof(HandVjpNamesBothModes))]
    public void Backward_matches_the_hand_derived_vector_jacobian_product(string name, bool analysesOff)
    {
        // For in-place methods this is "seed at exit -> adjoint at entry" written out by hand.
        var (f, c) = Get(name, analysesOff);
        LoopChecks.ForEachPoint(c, point => LoopChecks.CheckHandVjp(f, c, point));
    }

    [Theory, MemberData(nameof(BufferNamesBothModes))]
    public void A_too_short_adjoint_span_throws_ArgumentException_naming_it(string name, bool analysesOff)
    {
        var (f, c) = Get(name, analysesOff);
        int checkedCount = 0;
        LoopChecks.ForEachPoint(c, point => checkedCount += LoopChecks.CheckShortShadows(f, c, point));
        Assert.True(checkedCount > 0, $"{name}: no point has a non-empty active buffer");
    }

    [Fact]
    public void Newton_derivative_matches_the_analytic_one_to_1e_8()
    {
        // Spelled out on its own: d/da of the last Newton iterate is 1 / (2 sqrt(a)).
        foreach (bool analysesOff in new[] { false, true })
        {
            var f = LoopCorpus.Bind("NewtonSqrt", analysesOff);
            foreach (double a in new[] { 2.0, 0.3, 10.0, 1e4, 0.01, 7.5 })
            {
                var args = f.Pack(new object[] { a });
                var adj = f.Adjoints(args);
                double root = f.Gradient(args, adj);
                double derivative = f.Flatten(args, adj)[0];
                double expected = 0.5 / Math.Sqrt(a);
                Assert.True(Math.Abs(root - Math.Sqrt(a)) <= 1e-12 * Math.Sqrt(a), $"NewtonSqrt({a}) = {root}");
                Assert.True(Math.Abs(derivative - expected) <= 1e-8 * expected,
                    $"NewtonSqrtGradient({a}) = {derivative}, 1 / (2 sqrt(a)) = {expected} (analysesOff: {analysesOff})" + f.GeneratedCode());
            }
        }
    }

    private static (LoopFunction F, LoopCase C) Get(string name, bool analysesOff) =>
        (LoopCorpus.Bind(name, analysesOff), LoopCorpus.Case(name));

    private static TheoryData<string> Data(IEnumerable<LoopCase> cases)
    {
        var data = new TheoryData<string>();
        foreach (var c in cases) data.Add(c.Name);
        return data;
    }

    private static TheoryData<string, bool> BothModes(IEnumerable<LoopCase> cases)
    {
        var data = new TheoryData<string, bool>();
        foreach (var c in cases)
        {
            data.Add(c.Name, false);
            data.Add(c.Name, true);
        }
        return data;
    }
}

/// <summary>
/// The loop corpus itself, without the generator (the primal compiled by the C# compiler alone): the declared buffer
/// roles are right, every point is away from kinks and branch switches (finite differences are stable there), and the
/// hand-derived formulas agree with finite differences. So a failure in <see cref="LoopCorpusTests"/> is the
/// generator's, not the corpus's.
/// </summary>
public class LoopCorpusPrimalTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in LoopCorpus.Cases) data.Add(c.Name);
        return data;
    }

    [Fact]
    public void The_primal_corpus_compiles_without_the_generator()
    {
        LoopCompiler.CompilePrimal(LoopCorpus.PrimalSet.FullSource);
    }

    [Theory, MemberData(nameof(Names))]
    public void Buffer_roles_are_declared_correctly(string name)
    {
        var c = LoopCorpus.Case(name);
        var f = LoopCorpus.BindPrimal(name);
        var buffers = f.Signature.Parameters.Where(p => p.Kind == LoopParamKind.Buffer).ToList();
        foreach (string declared in c.Outputs.Concat(c.InPlace))
        {
            Assert.True(buffers.Any(p => p.Name == declared && p.Active && !p.IsReadOnlySpan),
                $"{name}: '{declared}' is declared written but is not an active, writable buffer parameter");
        }
        bool inPlaceChanged = c.InPlace.Length == 0;
        LoopChecks.ForEachPoint(c, point =>
        {
            var before = f.Pack(point);
            var args = f.Pack(point);
            double value = f.Value(args);
            foreach (var p in buffers)
            {
                bool written = !((Array)before[p.Index]).Cast<object>().SequenceEqual(((Array)args[p.Index]).Cast<object>());
                var role = p.Active ? c.Role(p) : BufferRole.Input;
                if (role == BufferRole.Input && written) Assert.Fail($"{name}: '{p.Name}' is written but not declared as an output or in-place buffer");
                if (role == BufferRole.InPlace && written) inPlaceChanged = true;
            }

            // Outputs: the contents at entry do not matter (every element is written before it is read).
            if (c.Outputs.Length > 0)
            {
                var other = f.Pack(point);
                foreach (var p in buffers.Where(p => c.Outputs.Contains(p.Name)))
                {
                    var array = (Array)other[p.Index];
                    for (int j = 0; j < array.Length; j++) array.SetValue(Convert.ChangeType(-3.5 - j, array.GetType().GetElementType()!), j);
                }
                double otherValue = f.Value(other);
                Assert.True(value.Equals(otherValue), $"{name}: the value depends on the entry contents of an output buffer");
                foreach (var p in buffers)
                {
                    Assert.True(((Array)args[p.Index]).Cast<object>().SequenceEqual(((Array)other[p.Index]).Cast<object>()),
                        $"{name}({LoopChecks.Format(point)}): '{p.Name}' at return depends on the entry contents of an output buffer (an output element not written?)");
                }
            }
        });
        Assert.True(inPlaceChanged, $"{name}: no point changes the in-place buffers {string.Join(", ", c.InPlace)}");
    }

    [Theory, MemberData(nameof(Names))]
    public void Finite_differences_are_accurate_at_every_point(string name)
    {
        // Double: central differences at the test's step and at a third of it agree to a twentieth of the tolerance,
        // so the points are away from kinks and branch switches and the step is neither too large nor too small.
        // Float (noisier): finite differences of the float function agree with those of its double twin (close to the
        // truth) to a fifth of the float tolerance.
        var c = LoopCorpus.Case(name);
        var f = LoopCorpus.BindPrimal(name);
        if (f.IsFloat)
        {
            CheckAgainstDoubleTwin(c, f);
            return;
        }
        LoopChecks.ForEachPoint(c, point =>
        {
            var args = f.Pack(point);
            var x = f.ActiveValues(args);
            var isFloat = f.FloatCoordinates(args);
            var (dResult, seeds) = LoopChecks.RandomSeeds(f, c, point, args);
            Func<double[], double> objective = p => LoopChecks.Objective(f, point, p, dResult, seeds);
            var fine = LoopChecks.FiniteDifferences(objective, x, isFloat, c.FdStepScale / 3);
            var coarse = LoopChecks.FiniteDifferences(objective, x, isFloat, c.FdStepScale);
            LoopChecks.AssertClose(f, args, $"{LoopChecks.Where(f, point)}: finite differences of the backward objective at two steps",
                coarse, fine, LoopChecks.FdTolerance(f) / 20, "a third of the step");
            if (f.Signature.ReturnsValue)
            {
                Func<double[], double> value = p => f.Value(LoopChecks.WithActive(f, point, p));
                LoopChecks.AssertClose(f, args, $"{LoopChecks.Where(f, point)}: finite differences of the value at two steps",
                    LoopChecks.FiniteDifferences(value, x, isFloat, c.FdStepScale), LoopChecks.FiniteDifferences(value, x, isFloat, c.FdStepScale / 3),
                    LoopChecks.FdTolerance(f) / 20, "a third of the step");
            }
        });
    }

    private static void CheckAgainstDoubleTwin(LoopCase c, LoopFunction f)
    {
        // LossF -> Loss, ...; the twin runs at the float-rounded point. A float function without a twin is checked
        // between two steps instead.
        string twinName = c.Name.EndsWith('F') ? c.Name[..^1] : "";
        var twin = LoopCorpus.Cases.Any(t => t.Name == twinName) ? LoopCorpus.BindPrimal(twinName) : null;
        LoopChecks.ForEachPoint(c, point =>
        {
            var args = f.Pack(point);
            var x = f.ActiveValues(args);
            var (dResult, seeds) = LoopChecks.RandomSeeds(f, c, point, args);
            var numeric = LoopChecks.FiniteDifferences(p => LoopChecks.Objective(f, point, p, dResult, seeds), x, f.FloatCoordinates(args), c.FdStepScale);
            double[] reference;
            string referenceName;
            if (twin is not null)
            {
                var rounded = args.Select(o => o switch { float[] a => a.Select(v => (double)v).ToArray(), float v => (double)v, _ => o }).ToArray();
                var twinArgs = twin.Pack(rounded);
                reference = LoopChecks.FiniteDifferences(p => LoopChecks.Objective(twin, rounded, p, dResult, seeds), twin.ActiveValues(twinArgs), twin.FloatCoordinates(twinArgs), c.FdStepScale);
                referenceName = $"{twinName}'s finite differences";
            }
            else
            {
                reference = LoopChecks.FiniteDifferences(p => LoopChecks.Objective(f, point, p, dResult, seeds), x, f.FloatCoordinates(args), c.FdStepScale / 2);
                referenceName = "half the step";
            }
            LoopChecks.AssertClose(f, args, $"{LoopChecks.Where(f, point)}: float finite differences of the backward objective", numeric, reference,
                LoopChecks.FdTolerance(f) / 5, referenceName);
        });
    }

    [Theory, MemberData(nameof(Names))]
    public void Hand_formulas_match_finite_differences(string name)
    {
        var c = LoopCorpus.Case(name);
        if (c.Hand is null && c.HandVjp is null) return;
        var f = LoopCorpus.BindPrimal(name);
        LoopChecks.ForEachPoint(c, point =>
        {
            var args = f.Pack(point);
            var x = f.ActiveValues(args);
            var isFloat = f.FloatCoordinates(args);
            if (c.Hand is not null)
            {
                var hand = c.Hand(f.Named(f.Pack(point)));
                var numeric = LoopChecks.FiniteDifferences(p => f.Value(LoopChecks.WithActive(f, point, p)), x, isFloat, c.FdStepScale);
                LoopChecks.AssertClose(f, args, $"{LoopChecks.Where(f, point)}: hand-derived gradient against finite differences", hand, numeric, LoopChecks.FdTolerance(f), "finite differences");
            }
            if (c.HandVjp is not null)
            {
                var seeds = LoopChecks.WrittenSeeds(f, c, point, args);
                var hand = c.HandVjp(f.Named(f.Pack(point)), f.NamedAdjoints(f.Adjoints(args, seeds)));
                var numeric = LoopChecks.FiniteDifferences(p => LoopChecks.Objective(f, point, p, 0, seeds), x, isFloat, c.FdStepScale);
                LoopChecks.AssertClose(f, args, $"{LoopChecks.Where(f, point)}: hand-derived vector-Jacobian product against finite differences", hand, numeric, LoopChecks.FdTolerance(f), "finite differences");
            }
        });
    }
}
