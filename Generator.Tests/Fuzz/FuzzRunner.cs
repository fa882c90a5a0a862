using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Differentiable.Generator.Tests.Corpus;
using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Differentiable.Generator.Tests.Fuzz;

/// <summary>What happened to one program.</summary>
internal enum OutcomeKind
{
    /// <summary>Every check passed (possibly at fewer points than asked, see the counters).</summary>
    Passed,

    /// <summary>The generator refused it with a documented diagnostic (not DIFF0000).</summary>
    Refused,

    /// <summary>A bug: DIFF0000, a crash, generated code that does not compile, a wrong value or gradient.</summary>
    Failed,

    /// <summary>The fuzzer's own fault (the program's source does not compile, or the method itself throws).</summary>
    Invalid,
}

/// <summary>The outcome of one program: for a failure, a stable key (what kind of failure) and the details.</summary>
internal sealed record Outcome(OutcomeKind Kind, string Key, string Detail)
{
    public static readonly Outcome Pass = new(OutcomeKind.Passed, "", "");
}

/// <summary>Counters of a run.</summary>
internal sealed class FuzzStats
{
    public int Programs, Passed, Refused, Failed, Invalid, PointsChecked, PointsSkippedKink, PointsSkippedFd, PointsSkippedNonFinite, PointsSkippedFloat, Unchecked, Compilations;
    public double CompileSeconds, CheckSeconds, GeneratorSeconds, CpuSeconds;
    public long GeneratedChars, SourceChars;
    public readonly SortedDictionary<string, int> Constructs = new(StringComparer.Ordinal);
    public readonly SortedDictionary<string, int> Refusals = new(StringComparer.Ordinal);
    public readonly SortedDictionary<string, int> Failures = new(StringComparer.Ordinal);
    public readonly Dictionary<string, string> RefusalExamples = new();

    public string Report()
    {
        var sb = new StringBuilder();
        sb.Append($"CPU time of the run (this process, all threads) {CpuSeconds:F1} s\n");
        sb.Append($"programs {Programs}: passed {Passed}, refused {Refused}, failed {Failed}, invalid (fuzzer's fault) {Invalid}; compilations {Compilations} ({CompileSeconds:F1} s generating and compiling, {CheckSeconds:F1} s emitting and checking; generator alone {GeneratorSeconds:F1} s; {SourceChars / 1000} kB source, {GeneratedChars / 1000} kB generated)\n");
        sb.Append($"points checked against finite differences {PointsChecked}; skipped: kink crossed {PointsSkippedKink}, finite differences not converged {PointsSkippedFd}, "
            + $"non-finite {PointsSkippedNonFinite}, float program off its double twin {PointsSkippedFloat}; programs with no point checked against finite differences {Unchecked}\n");
        sb.Append("constructs (programs using each):\n");
        foreach (var (k, v) in Constructs) sb.Append($"  {k,-28} {v}\n");
        if (Refusals.Count > 0)
        {
            sb.Append("refusals (diagnostic: programs):\n");
            foreach (var (k, v) in Refusals) sb.Append($"  {k}: {v}   e.g. {RefusalExamples[k]}\n");
        }
        if (Failures.Count > 0)
        {
            sb.Append("failures (kind: programs):\n");
            foreach (var (k, v) in Failures) sb.Append($"  {k}: {v}\n");
        }
        return sb.ToString();
    }
}

/// <summary>Compiles batches of programs with the generator, then checks each program (see docs/fuzzing.md).</summary>
internal static class FuzzRunner
{
    private const double Garbage = 13.25;
    private const double Prefill = 0.5;
    private const double Seed = 0.75;
    private static readonly TimeSpan ProgramTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Runs <paramref name="programs"/> in one compilation: one syntax tree per program (its class and twin), the
    /// generator once, then the drivers of the programs it did not refuse added to its output in trees of their own, so a
    /// refusal or a broken generated file only takes its program's trees out before the next emit, never re-runs the
    /// generator.
    /// </summary>
    /// <remarks><paramref name="compileOnly"/> stops after the compilation (for shrinking a compile-time failure).
    /// <paramref name="twinRewrite"/> edits the twins' text: the harness's self-test breaks the reference with it.</remarks>
    public static Dictionary<int, Outcome> RunBatch(IReadOnlyList<FuzzProgram> programs, FuzzStats? stats, bool analysesOff = false, bool compileOnly = false,
        Func<string, string>? twinRewrite = null)
    {
        var outcomes = new Dictionary<int, Outcome>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var programTrees = programs.ToDictionary(p => p.Id, p =>
        {
            string twin = FuzzPrinter.Twin(p);
            return Tree(FuzzPrinter.Real(p, withAdjoints: false) + (twinRewrite is null ? twin : twinRewrite(twin)), $"P{p.Id}.cs");
        });
        var prelude = Tree(FuzzPrelude.Source, "Prelude.cs");
        var compilation = CSharpCompilation.Create("Fuzz" + Guid.NewGuid().ToString("N"), programTrees.Values.Prepend(prelude), TestCompiler.DefaultReferences,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable));
        if (Environment.GetEnvironmentVariable("FUZZ_DUMP") is { Length: > 0 } dump)
            File.WriteAllText(dump, string.Join("\n", compilation.SyntaxTrees.Select(t => "// " + t.FilePath + "\n" + t)));

        ImmutableArray<Diagnostic> generatorDiagnostics;
        CSharpCompilation output;
        ImmutableArray<SyntaxTree> generatedTrees;
        try
        {
            var options = new TestOptionsProvider(analysesOff ? new Dictionary<string, string> { ["build_property.DifferentiableAnalyses"] = "off" } : new());
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new DifferentiableGenerator().AsSourceGenerator() }, parseOptions: Parse, optionsProvider: options);
            driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var updated, out generatorDiagnostics);
            output = (CSharpCompilation)updated;
            generatedTrees = driver.GetRunResult().GeneratedTrees;
        }
        catch (Exception e)
        {
            foreach (var p in programs) outcomes[p.Id] = new Outcome(OutcomeKind.Failed, "generator threw", e.ToString());
            return outcomes;
        }
        if (stats is not null)
        {
            stats.GeneratorSeconds += clock.Elapsed.TotalSeconds;
            stats.GeneratedChars += generatedTrees.Sum(t => (long)t.Length);
            stats.SourceChars += compilation.SyntaxTrees.Sum(t => (long)t.Length);
            // What the generator did with the programs, read from its output: a loop nest recording into one block (an
            // inner loop cuts its block from its parent's), Gradient and Backward over one body, a reverse loop in a plain
            // and a checked version, a value pushed where a branch side ends (LoopPlan.RecordedInBranches), a carried int
            // an inner loop steps computed back from its value after the loop (SteppedInduction), a reverse loop running
            // Vector<T>.Count iterations at a time (LaneVersions).
            foreach (var p in programs)
            {
                string text = GeneratedFor(generatedTrees, p.Id);
                if (System.Text.RegularExpressions.Regex.IsMatch(text, @"= recorded\w+\.Slice\("))
                    stats.Constructs["generated: loop nest in one block"] = stats.Constructs.GetValueOrDefault("generated: loop nest in one block") + 1;
                if (text.Contains("Core(", StringComparison.Ordinal))
                    stats.Constructs["generated: Gradient over Core"] = stats.Constructs.GetValueOrDefault("generated: Gradient over Core") + 1;
                if (text.Contains(".IsFinite(", StringComparison.Ordinal) || text.Contains("Grad.AllFinite(", StringComparison.Ordinal))
                    stats.Constructs["generated: plain and checked loop versions"] = stats.Constructs.GetValueOrDefault("generated: plain and checked loop versions") + 1;
                if (text.Contains("); // for this side's reverse", StringComparison.Ordinal))
                    stats.Constructs["generated: records in a branch"] = stats.Constructs.GetValueOrDefault("generated: records in a branch") + 1;
                if (text.Contains("; // after the loop, then after each iteration reversed", StringComparison.Ordinal))
                    stats.Constructs["generated: stepped induction"] = stats.Constructs.GetValueOrDefault("generated: stepped induction") + 1;
                if (text.Contains("; // the first lane's iteration", StringComparison.Ordinal))
                    stats.Constructs["generated: reverse in lanes"] = stats.Constructs.GetValueOrDefault("generated: reverse in lanes") + 1;
            }
        }
        var broken = new HashSet<int>();
        ClassifyGenerator(programs, generatorDiagnostics, outcomes, broken);

        var withJacobian = new HashSet<int>(generatedTrees.Where(t => ProgramOf(t.FilePath) is not null && t.ToString().Contains(" H1Jacobian(", StringComparison.Ordinal))
            .Select(t => ProgramOf(t.FilePath)!.Value));
        var driverTrees = programs.Where(p => !broken.Contains(p.Id)).Select(p => Tree(AdjointDrivers(p, withJacobian.Contains(p.Id)), $"D{p.Id}.cs")).ToList();
        var current = output.AddSyntaxTrees(driverTrees);
        var removed = new HashSet<int>();
        for (int attempt = 0; attempt < 4; attempt++)
        {
            // Take the trees of every program known to be broken out (its class, drivers and generated files).
            var drop = current.SyntaxTrees.Where(t => ProgramOf(t.FilePath) is { } id && broken.Contains(id) && !removed.Contains(id)).ToList();
            removed.UnionWith(broken);
            if (drop.Count > 0) current = current.RemoveSyntaxTrees(drop);
            if (stats is not null) stats.Compilations++;
            // Emit once and take its diagnostics (warnings included): GetDiagnostics first would bind everything twice.
            var stream = new MemoryStream();
            var emit = current.Emit(stream);
            int before = broken.Count;
            ClassifyCompiler(programs.Where(p => !broken.Contains(p.Id)).ToList(), emit.Diagnostics, generatedTrees, outcomes, broken);
            if (broken.Count > before) continue;
            if (stats is not null) stats.CompileSeconds += clock.Elapsed.TotalSeconds;
            var healthy = programs.Where(p => !broken.Contains(p.Id)).ToList();
            if (!emit.Success)
            {
                foreach (var p in healthy) outcomes[p.Id] = new Outcome(OutcomeKind.Failed, "emit", string.Join("\n", emit.Diagnostics));
                return outcomes;
            }
            if (compileOnly)
            {
                foreach (var p in healthy) outcomes[p.Id] = Outcome.Pass;
                return outcomes;
            }
            clock.Restart();
            CheckAll(healthy, string.Join("\n", generatedTrees.Select(t => t.ToString())), stream, outcomes, stats);
            if (stats is not null) stats.CheckSeconds += clock.Elapsed.TotalSeconds;
            return outcomes;
        }
        foreach (var p in programs) outcomes.TryAdd(p.Id, new Outcome(OutcomeKind.Invalid, "did not settle", "still broken after 4 compilations"));
        return outcomes;
    }

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private static SyntaxTree Tree(string members, string path) =>
        CSharpSyntaxTree.ParseText("using System;\nusing Differentiable;\n\nnamespace " + FuzzPrelude.Namespace + "\n{\n" + members + "}\n", Parse, path: path);

    /// <summary>
    /// The drivers that call MGradient and MBackward (the value driver is in the program's own tree), and, when the
    /// generator wrote <c>H1Jacobian</c>, <see cref="JacobianDriver"/>.
    /// </summary>
    private static string AdjointDrivers(FuzzProgram p, bool jacobian)
    {
        var signature = LoopSignature.Parse(FuzzPrinter.MainText(p, twin: false), "M");
        string all = signature.Drivers(withAdjoints: true), valueOnly = signature.Drivers(withAdjoints: false);
        return $"public static partial class {p.ClassName}\n{{\n{all.Substring(valueOnly.Length)}{(jacobian ? JacobianDriver(p.T) : "")}}}\n";
    }

    /// <summary>
    /// <c>JacobianCheck__(seed)</c>: the void helper <c>H1(h, o, p)</c>'s generated Jacobian at three random points (lengths
    /// 1 to 11, so reverse lanes run with remainders), each row against <c>H1Backward</c> seeded 1 in that element,
    /// bitwise, the blocks starting as NaN (so every entry must be written), and the output against H1's. Mutable fields are reset before every call. A point where the Jacobian
    /// throws (as H1 does for it) is skipped; null when every row matched, else what differed.
    /// </summary>
    private static string JacobianDriver(string t) => $$"""
            public static string? JacobianCheck__(int seed)
            {
                var r = new System.Random(seed);
                for (int trial = 0; trial < 3; trial++)
                {
                    int nh = 1 + r.Next(11), no = 1 + r.Next(11);
                    var h = new {{t}}[nh];
                    for (int i = 0; i < nh; i++) h[i] = ({{t}})(2 * r.NextDouble() - 1);
                    {{t}} p = ({{t}})(2 * r.NextDouble() - 1);
                    var o = new {{t}}[no];
                    var jH = new {{t}}[no * nh];
                    var jP = new {{t}}[no];
                    System.Array.Fill(jH, {{t}}.NaN); // overwritten, not added to
                    System.Array.Fill(jP, {{t}}.NaN);
                    try { Reset__(); H1Jacobian(h, o, p, jH, jP); }
                    catch (System.Exception) { continue; }
                    var o2 = new {{t}}[no];
                    Reset__();
                    H1(h, o2, p);
                    for (int i = 0; i < no; i++) if (!o[i].Equals(o2[i])) return $"H1Jacobian's output [{i}] = {o[i]:R}, H1's {o2[i]:R} (nh = {nh}, no = {no})";
                    for (int row = 0; row < no; row++)
                    {
                        var dH = new {{t}}[nh];
                        var dO = new {{t}}[no];
                        dO[row] = 1;
                        {{t}} dP = 0;
                        Reset__();
                        H1Backward(h, new {{t}}[no], p, dH, dO, ref dP);
                        for (int k = 0; k < nh; k++)
                            if (!jH[row * nh + k].Equals(dH[k])) return $"jH[{row},{k}] = {jH[row * nh + k]:R}, H1Backward seeded in o[{row}]: {dH[k]:R} (nh = {nh}, no = {no})";
                        if (!jP[row].Equals(dP)) return $"jP[{row}] = {jP[row]:R}, H1Backward seeded in o[{row}]: {dP:R} (nh = {nh}, no = {no})";
                    }
                }
                return null;
            }

        """;

    private static readonly Regex ProgramFile = new(@"^[PD](\d+)\.cs$", RegexOptions.Compiled);
    private static readonly Regex GeneratedFile = new(@"\.F(\d+)\.", RegexOptions.Compiled);

    /// <summary>The program a tree belongs to: P{id}.cs, D{id}.cs or a generated file of class F{id}; null for the prelude.</summary>
    private static int? ProgramOf(string path)
    {
        string name = Path.GetFileName(path);
        var m = ProgramFile.Match(name);
        if (!m.Success) m = GeneratedFile.Match(name);
        return m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static int? ProgramAt(Location location) => location == Location.None ? null : ProgramOf(location.GetLineSpan().Path);

    private static bool IsGenerated(Location location) =>
        location != Location.None && Path.GetFileName(location.GetLineSpan().Path) is var name && !ProgramFile.IsMatch(name) && name != "Prelude.cs";

    private static void Set(Dictionary<int, Outcome> outcomes, HashSet<int> broken, int id, Outcome o)
    {
        broken.Add(id);
        if (!outcomes.TryGetValue(id, out var old) || Rank(o) > Rank(old)) outcomes[id] = o;
    }

    // An error in the fuzzed source itself makes the program invalid whatever else happened; then a failure beats a refusal.
    private static int Rank(Outcome o) => o.Kind switch
    {
        OutcomeKind.Invalid when o.Key.StartsWith("source", StringComparison.Ordinal) => 4,
        OutcomeKind.Failed => 3,
        OutcomeKind.Refused => 2,
        OutcomeKind.Invalid => 1,
        _ => 0,
    };

    /// <summary>The generator's diagnostics: DIFF0000 or an exception is a failure, any other DIFF a refusal.</summary>
    private static void ClassifyGenerator(IReadOnlyList<FuzzProgram> programs, IEnumerable<Diagnostic> diagnostics, Dictionary<int, Outcome> outcomes, HashSet<int> broken)
    {
        foreach (var d in diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning))
        {
            int? id = ProgramAt(d.Location);
            if (d.Id == "DIFF0000" || id is null || !d.Id.StartsWith("DIFF", StringComparison.Ordinal))
            {
                // DIFF0000 is a bug; so is a generator exception (CS8784/CS8785) or a diagnostic outside any program.
                foreach (int target in id is null ? programs.Select(p => p.Id) : new[] { id.Value })
                    Set(outcomes, broken, target, new Outcome(OutcomeKind.Failed, d.Id == "DIFF0000" ? "DIFF0000" : "generator: " + d.Id, d.ToString()));
                continue;
            }
            Set(outcomes, broken, id.Value, new Outcome(OutcomeKind.Refused, d.Id, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>
    /// The compiler's diagnostics: an error or warning in a generated file is a failure, and so is an error in a driver
    /// (the generated signature is not the calling convention); an error in the fuzzed source makes it invalid.
    /// </summary>
    private static void ClassifyCompiler(IReadOnlyList<FuzzProgram> programs, IEnumerable<Diagnostic> diagnostics, ImmutableArray<SyntaxTree> generatedTrees,
        Dictionary<int, Outcome> outcomes, HashSet<int> broken)
    {
        foreach (var d in diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning))
        {
            bool generated = IsGenerated(d.Location);
            if (!generated && d.Severity < DiagnosticSeverity.Error) continue; // warnings in the fuzzed source itself (unused locals...) are fine
            int? id = ProgramAt(d.Location);
            string file = d.Location == Location.None ? "" : Path.GetFileName(d.Location.GetLineSpan().Path);
            if (generated)
            {
                foreach (int target in id is null ? programs.Select(p => p.Id) : new[] { id.Value })
                    Set(outcomes, broken, target, new Outcome(OutcomeKind.Failed, $"generated code: {d.Id}{NameIn(d)}", d + "\n" + GeneratedFor(generatedTrees, target)));
            }
            else if (id is null) foreach (var p in programs) Set(outcomes, broken, p.Id, new Outcome(OutcomeKind.Invalid, "prelude: " + d.Id, d.ToString()));
            else if (file.StartsWith('D'))
                Set(outcomes, broken, id.Value, new Outcome(OutcomeKind.Failed, "Gradient/Backward signature: " + d.Id, d + "\n" + GeneratedFor(generatedTrees, id.Value)));
            else Set(outcomes, broken, id.Value, new Outcome(OutcomeKind.Invalid, "source: " + d.Id, d.ToString()));
        }
    }

    /// <summary>
    /// Compiles <paramref name="programs"/> and their twins with the C# compiler alone (no generator, drivers without
    /// adjoints): the errors, which would be the fuzzer's fault.
    /// </summary>
    public static List<string> PrimalErrors(IReadOnlyList<FuzzProgram> programs)
    {
        var (source, _) = BuildSource(programs.ToList(), primalOnly: true);
        var compilation = TestCompiler.CreateCompilation(source, "FuzzPrimal");
        return compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
    }

    private static (string Source, List<(int Id, int From, int To)> Lines) BuildSource(List<FuzzProgram> programs, bool primalOnly = false,
        Func<string, string>? twinRewrite = null)
    {
        var sb = new StringBuilder("using System;\nusing Differentiable;\n\nnamespace " + FuzzPrelude.Namespace + "\n{\n");
        sb.Append(FuzzPrelude.Source).Append('\n');
        var lines = new List<(int, int, int)>();
        int Line() => sb.ToString().Count(ch => ch == '\n');
        foreach (var p in programs)
        {
            int from = Line();
            string twin = FuzzPrinter.Twin(p);
            sb.Append(FuzzPrinter.Real(p, withAdjoints: !primalOnly)).Append(twinRewrite is null ? twin : twinRewrite(twin));
            lines.Add((p.Id, from, Line()));
        }
        sb.Append("}\n");
        return (sb.ToString(), lines);
    }

    private static readonly Regex QuotedName = new(@"'([A-Za-z_]+?)\d*'", RegexOptions.Compiled);

    /// <summary>" (trips)" for "A local named 'trips' ...": the generated name without its number tells bugs apart.</summary>
    private static string NameIn(Diagnostic d)
    {
        var m = QuotedName.Match(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        return m.Success ? $" ({m.Groups[1].Value})" : "";
    }

    private static string GeneratedFor(ImmutableArray<SyntaxTree> generatedTrees, int id)
    {
        var trees = generatedTrees.Where(t => Path.GetFileName(t.FilePath).Contains($".F{id}.", StringComparison.Ordinal));
        return string.Join("\n", trees.Select(t => "// " + Path.GetFileName(t.FilePath) + "\n" + t));
    }

    // ------------------------------------------------------------ running

    private static void CheckAll(List<FuzzProgram> programs, string generated, MemoryStream stream, Dictionary<int, Outcome> outcomes, FuzzStats? stats)
    {
        var alc = new System.Runtime.Loader.AssemblyLoadContext(null, isCollectible: true);
        var assembly = alc.LoadFromStream(new MemoryStream(stream.ToArray()));
        var trace = new Trace(assembly);
        foreach (var p in programs)
        {
            // On a worker thread with a time limit: a generated loop that never ends must fail the program, not hang the run.
            var task = Task.Run(() =>
            {
                try
                {
                    var outcome = new ProgramCheck(p, assembly, trace, generated, stats).Run();
                    return outcome.Kind == OutcomeKind.Passed ? CheckJacobian(p, assembly, stats) ?? outcome : outcome;
                }
                catch (Exception e)
                {
                    return new Outcome(OutcomeKind.Invalid, "harness: " + e.GetType().Name, e.ToString());
                }
            });
            if (!task.Wait(ProgramTimeout))
            {
                outcomes[p.Id] = new Outcome(OutcomeKind.Failed, "timeout", $"the checks of F{p.Id} did not finish in {ProgramTimeout.TotalSeconds} s (a loop that never ends?); the remaining programs of the batch were not run");
                foreach (var rest in programs.SkipWhile(q => q != p).Skip(1)) outcomes[rest.Id] = new Outcome(OutcomeKind.Invalid, "not run", "an earlier program of its batch timed out");
                return; // the stuck thread keeps the assembly: do not unload it
            }
            outcomes[p.Id] = task.Result;
        }
        alc.Unload();
    }

    /// <summary>The helper's Jacobian against its Backward (<see cref="JacobianDriver"/>), where the generator wrote one; null when it matched or there is none.</summary>
    private static Outcome? CheckJacobian(FuzzProgram p, Assembly assembly, FuzzStats? stats)
    {
        var check = assembly.GetType(FuzzPrelude.Namespace + "." + p.ClassName)!.GetMethod("JacobianCheck__");
        if (check is null) return null;
        if (stats is not null) lock (stats) stats.Constructs["generated: Jacobian checked"] = stats.Constructs.GetValueOrDefault("generated: Jacobian checked") + 1;
        var difference = (string?)check.Invoke(null, new object[] { (int)(p.Seed % 1000003) });
        return difference is null ? null : new Outcome(OutcomeKind.Failed, "H1Jacobian differs from H1Backward", difference);
    }

    /// <summary>FuzzTrace of a loaded fuzz assembly.</summary>
    internal sealed class Trace
    {
        private readonly Action<bool> _start;
        private readonly FieldInfo _log, _saturated, _size;

        public Trace(Assembly assembly)
        {
            var type = assembly.GetType(FuzzPrelude.Namespace + ".FuzzTrace")!;
            _start = type.GetMethod("Start")!.CreateDelegate<Action<bool>>();
            _log = type.GetField("Log")!;
            _saturated = type.GetField("Saturated")!;
            _size = type.GetField("Size")!;
        }

        public void Start(bool replay) => _start(replay);

        public List<long> Log => (List<long>)_log.GetValue(null)!;

        public bool Saturated => (bool)_saturated.GetValue(null)!;

        /// <summary>The largest operand of the twin's sums in the last run (FuzzTrace.Size).</summary>
        public double Size => (double)_size.GetValue(null)!;
    }

    /// <summary>The checks of one program at a few points.</summary>
    private sealed class ProgramCheck
    {
        private readonly FuzzProgram _p;
        private readonly LoopFunction _f, _twin;
        private readonly Action _reset, _resetTwin;
        private readonly Trace _trace;
        private readonly FuzzStats? _stats;

        public ProgramCheck(FuzzProgram p, Assembly assembly, Trace trace, string generated, FuzzStats? stats)
        {
            _p = p;
            _trace = trace;
            _stats = stats;
            string ns = FuzzPrelude.Namespace + ".";
            _f = LoopFunction.Bind(assembly, ns + p.ClassName, LoopSignature.Parse(FuzzPrinter.MainText(p, twin: false), "M"), generated, withAdjoints: true);
            _twin = LoopFunction.Bind(assembly, ns + p.TwinClassName, LoopSignature.Parse(FuzzPrinter.MainText(p, twin: true), "M"), null, withAdjoints: false);
            _reset = assembly.GetType(ns + p.ClassName)!.GetMethod("Reset__")!.CreateDelegate<Action>();
            _resetTwin = assembly.GetType(ns + p.TwinClassName)!.GetMethod("Reset__")!.CreateDelegate<Action>();
        }

        private bool IsFloat => _p.IsFloat;

        public Outcome Run()
        {
            int checkedPoints = 0;
            for (int attempt = 0; attempt < 8 && checkedPoints < 2; attempt++)
            {
                var point = Point(attempt);
                var o = CheckPoint(point, attempt < 2, out bool fdChecked);
                if (o is not null) return o;
                if (fdChecked) checkedPoints++;
            }
            if (checkedPoints == 0 && _stats is not null) _stats.Unchecked++;
            return Outcome.Pass;
        }

        private object[] Point(int attempt)
        {
            var rng = new Random(unchecked((int)_p.Seed * 7919 + attempt * 104729));
            double Draw()
            {
                double v = Math.Round(-1.5 + 3 * rng.NextDouble(), 6);
                return IsFloat ? (float)v : v;
            }
            return _f.Signature.Parameters.Select(p => p.Kind switch
            {
                LoopParamKind.Buffer => (object)Enumerable.Range(0, _p.Length).Select(_ => Draw()).ToArray(),
                LoopParamKind.Scalar => Draw(),
                _ => _p.Length,
            }).ToArray();
        }

        private string Where(object[] point) => $"M({LoopChecks.Format(point)})";

        /// <summary>Null when the point passes (or is skipped); <paramref name="fdChecked"/> when finite differences ran.</summary>
        private Outcome? CheckPoint(object[] point, bool alwaysBitwise, out bool fdChecked)
        {
            fdChecked = false;
            // The twin at the base point: its trace, and whether finite differences can run here.
            _resetTwin();
            _trace.Start(replay: false);
            var baseArgs = _twin.Pack(point);
            double twinValue = _twin.Value(baseArgs);
            var twinAfter = _twin.ActiveValues(baseArgs);
            var baseTrace = _trace.Log.ToArray();
            bool saturated = _trace.Saturated;
            var x = _twin.ActiveValues(_twin.Pack(point));

            // 1. the method itself, on fresh copies.
            _reset();
            var expected = _f.Pack(point);
            double value;
            try
            {
                value = _f.Value(expected);
            }
            catch (Exception e)
            {
                return new Outcome(OutcomeKind.Invalid, "M threw", $"{Where(point)}: {e.GetType().Name}: {e.Message}");
            }
            if (!double.IsFinite(value) || !double.IsFinite(twinValue))
            {
                if (_stats is not null) _stats.PointsSkippedNonFinite++;
                return null;
            }

            // 2. Gradient: same value and buffers, bitwise; adjoints overwritten.
            _reset();
            var gArgs = _f.Pack(point);
            var gAdj = _f.Adjoints(gArgs, LoopChecks.Filled(x.Length, Garbage));
            double returned;
            try
            {
                returned = _f.Gradient(gArgs, gAdj);
            }
            catch (Exception e)
            {
                return Fail("MGradient threw " + e.GetType().Name, $"{Where(point)}: {e}");
            }
            var gradient = _f.Flatten(gArgs, gAdj);
            if (BitConverter.DoubleToInt64Bits(returned) != BitConverter.DoubleToInt64Bits(value))
                return Fail("Gradient value differs from M", $"{Where(point)}: MGradient returned {LoopChecks.Fmt(returned)}, M returns {LoopChecks.Fmt(value)}");
            var bufferDiff = BuffersDiffer(expected, gArgs);
            if (bufferDiff is not null) return Fail("buffers after Gradient differ from M's", $"{Where(point)}: after MGradient {bufferDiff}");

            // 3. Backward(dResult: 1) on zero adjoints: same buffers bitwise, same adjoints as Gradient up to rounding.
            _reset();
            var bArgs = _f.Pack(point);
            var bAdj = _f.Adjoints(bArgs);
            try
            {
                _f.Backward(bArgs, 1, bAdj);
            }
            catch (Exception e)
            {
                return Fail("MBackward threw " + e.GetType().Name, $"{Where(point)}: {e}");
            }
            bufferDiff = BuffersDiffer(expected, bArgs);
            if (bufferDiff is not null) return Fail("buffers after Backward differ from M's", $"{Where(point)}: after MBackward {bufferDiff}");
            var near = NotNear(_f.Flatten(bArgs, bAdj), gradient, IsFloat ? LoopChecks.RoundingFloat : LoopChecks.RoundingDouble, bArgs);
            if (near is not null) return Fail("Backward(1) differs from Gradient", $"{Where(point)}: MBackward(dResult: 1) on zero adjoints against MGradient:\n{near}");

            // 4. Backward with a seed, pre-filled scalar adjoints and random shadow seeds on every buffer.
            var rng = new Random(unchecked((int)_p.Seed + 17));
            var seeds = x.Select(_ => Round((0.25 + rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1))).ToArray();
            var slots = _f.Slots(bArgs);
            foreach (var s in slots.Where(s => s.Param.Kind == LoopParamKind.Scalar)) seeds[s.Offset] = Prefill;
            _reset();
            var sArgs = _f.Pack(point);
            var sAdj = _f.Adjoints(sArgs, seeds);
            try
            {
                _f.Backward(sArgs, Seed, sAdj);
            }
            catch (Exception e)
            {
                return Fail("MBackward threw " + e.GetType().Name, $"{Where(point)}: {e}");
            }
            bufferDiff = BuffersDiffer(expected, sArgs);
            if (bufferDiff is not null) return Fail("buffers after Backward differ from M's", $"{Where(point)}: after MBackward(dResult: {Seed}) {bufferDiff}");
            var vjp = _f.Flatten(sArgs, sAdj);
            foreach (var s in slots.Where(s => s.Param.Kind == LoopParamKind.Scalar)) vjp[s.Offset] -= Prefill;

            // A float program whose value or buffers are already more than 1e-6 (relative, about 16 float ulps) off its double twin's
            // is dominated by its own rounding (an iteration that amplifies it): its gradient is right for float arithmetic
            // but cannot be held to 1e-3 against the double twin's finite differences (seed 510489: value 2e-6 off,
            // gradient 1.5e-3 off, exactly what a careful float32 forward mode gives). Its bitwise and Backward checks ran.
            // Likewise a float program that ran a tanh within 1e-4 of ±1: its partial 1 − t² carries the rounding of t,
            // one float ulp of t moving it by 1e-3 or more (seeds 714968 and 719145: tanh(7.2) and tanh(8.0)).
            if (IsFloat && (saturated || OffTwin(value, twinValue) || OffTwin(_f.ActiveValues(expected), twinAfter)))
            {
                if (_stats is not null) _stats.PointsSkippedFloat++;
                return null;
            }

            // 5. Finite differences of the twin: value, and Seed * value + seeds . (active buffers at return).
            var shadowSeeds = (double[])seeds.Clone();
            foreach (var s in slots.Where(s => s.Param.Kind == LoopParamKind.Scalar)) shadowSeeds[s.Offset] = 0;
            var fd = FiniteDifferences(point, x, baseTrace, shadowSeeds, out string? skip);
            if (fd is null)
            {
                if (_stats is not null)
                {
                    if (skip == "kink") _stats.PointsSkippedKink++;
                    else if (skip == "fd") _stats.PointsSkippedFd++;
                    else _stats.PointsSkippedNonFinite++;
                }
                return null;
            }
            fdChecked = true;
            if (_stats is not null) _stats.PointsChecked++;
            var (dValue, dObjective, _, _) = fd.Value;
            var close = NotClose(gradient, dValue, bArgs);
            // A float program can be held to 1e-3 against the double twin only where the derivative itself does not move
            // by more than that within a float ulp of the inputs: its own rounding moves its intermediate values by about
            // that much (seed 1211045: a0 ≈ 1261.7, where a float ulp is 1.2e-4, read through 1/(1.5 + cos a0)² near
            // cos a0 = −1, which amplifies it 16 times: the float gradient 0.12% off, every component alike). Checked only
            // when the comparison fails: the twin's differences again at the inputs moved by one float ulp, each way.
            // Nor where the derivative is beyond float's range (seed 2301974: 1.1e39): float arithmetic can only give ±∞ there.
            if (IsFloat && (close is not null || NotClose(vjp, dObjective, bArgs) is not null) &&
                (BeyondFloat(dValue) || BeyondFloat(dObjective) || IllConditionedForFloat(point, x, baseTrace, shadowSeeds, fd.Value, bArgs)))
            {
                if (_stats is not null) { _stats.PointsChecked--; _stats.PointsSkippedFloat++; }
                fdChecked = false;
                return null;
            }
            // A sum far larger than the value may have absorbed the step (FuzzTrace.Size): a component whose discrepancy
            // fits in what it could hide is excused, and where that excuses every failing component the point says nothing.
            if (close is not null && NotClose(gradient, dValue.Select((d, i) => Math.Abs(gradient[i] - d) <= fd.Value.HiddenValue[i] ? gradient[i] : d).ToArray(), bArgs) is null)
            {
                if (_stats is not null) { _stats.PointsChecked--; _stats.PointsSkippedFd++; }
                fdChecked = false;
                return null;
            }
            if (close is not null) return Fail("gradient differs from finite differences", $"{Where(point)}: MGradient against finite differences of M (M = {LoopChecks.Fmt(value)}, its double twin {LoopChecks.Fmt(twinValue)}):\n{close}");
            // A float Backward's result is Seed·gradient + the pre-filled seed, each term as accurate as float arithmetic
            // makes it; where they cancel, the sum's relative error is the terms' times their ratio to it (seed 7600888:
            // 0.67 + 0.75·(−0.978) = −0.061, the float gradient 5e-4 off the exact one, as the Gradient check above
            // accepted, so the sum 0.6% off). So a float component is held to the tolerance relative to its terms.
            var terms = IsFloat && dValue.Length == dObjective.Length && shadowSeeds.Length == dObjective.Length
                ? dValue.Select((d, i) => Math.Abs(Seed * d) + Math.Abs(shadowSeeds[i])).ToArray()
                : null;
            close = NotClose(vjp, dObjective, bArgs, terms);
            // A buffer element that did not move between the probes may hide a change below its own rounding (seed
            // 9200122: x grows threefold each iteration to 1e23 while the stopped values replayed into it absorb every
            // step of x; the elements, 2x each, stay bitwise put, and the differences read 0 where the derivative is
            // 2.76). A component whose discrepancy fits in what such elements could hide is excused; where that excuses
            // every failing component, the point says nothing (a component off by more still fails).
            if (close is not null && NotClose(vjp, dObjective.Select((d, i) => Math.Abs(vjp[i] - d) <= fd.Value.Hidden[i] ? vjp[i] : d).ToArray(), bArgs, terms) is null)
            {
                if (_stats is not null) { _stats.PointsChecked--; _stats.PointsSkippedFd++; }
                fdChecked = false;
                return null;
            }
            if (close is not null)
                return Fail("Backward (seeded) differs from finite differences",
                    $"{Where(point)}: MBackward(dResult: {Seed}), scalar adjoints pre-filled with {Prefill} (their change shown), buffer shadows seeded with [{LoopChecks.Fmt(shadowSeeds)}], "
                    + $"against finite differences of {Seed} * M + seeds . (buffers at return):\n{close}");
            return null;
        }

        private static bool BeyondFloat(double[] values) => values.Any(v => Math.Abs(v) > float.MaxValue);

        /// <summary>
        /// The twin's finite differences at <paramref name="x"/> moved by <see cref="FloatRoundingUlps"/> float ulps in
        /// every coordinate (alternating signs, then the opposite signs) differ from those at <paramref name="x"/> by more
        /// than the float tolerance, or cannot be taken there: the derivative is not determined to float precision at
        /// this point.
        /// </summary>
        private bool IllConditionedForFloat(object[] point, double[] x, long[] baseTrace, double[] shadowSeeds, (double[] Value, double[] Objective, double[] Hidden, double[] HiddenValue) atX, object[] args)
        {
            foreach (int sign in new[] { 1, -1 })
            {
                var moved = new double[x.Length];
                for (int j = 0; j < x.Length; j++)
                {
                    double ulp = Math.Max(Math.Abs(MathF.BitIncrement((float)x[j]) - (float)x[j]), float.Epsilon);
                    moved[j] = x[j] + ((j % 2 == 0 ? sign : -sign) * FloatRoundingUlps * ulp);
                }
                var fd = FiniteDifferences(point, moved, baseTrace, shadowSeeds, out _);
                if (fd is null) return true;
                if (NotClose(fd.Value.Value, atX.Value, args) is not null || NotClose(fd.Value.Objective, atX.Objective, args) is not null) return true;
            }
            return false;
        }

        /// <summary>
        /// How far <see cref="IllConditionedForFloat"/> moves the inputs, in float ulps: as far as a float forward's own
        /// rounding moves its intermediate values. One ulp was too little (seed 6801620: a float sum of 25 terms, a0 =
        /// 34.3, ends 5e-6 off the double twin's, which moves x·a0 2.5 times as far as one ulp of x does; read through
        /// cos(x·a0) / (2 + sin(x·a0)) at x·a0 ≈ 48.65, the generated gradient equals the exact derivative at the float's
        /// own a0 to 7 digits and is 0.1% off the twin's finite differences). A sum of n terms rounds by up to n/2 ulps.
        /// </summary>
        private const int FloatRoundingUlps = 16;

        private double Round(double v) => IsFloat ? (float)v : v;

        /// <summary>More than 1e-6 apart (relative to max(1, |twin|)): a float result its own rounding has moved off the double twin's.</summary>
        private static bool OffTwin(double actual, double twin) => Math.Abs(actual - twin) > 1e-6 * Math.Max(1, Math.Abs(twin));

        private static bool OffTwin(double[] actual, double[] twin)
        {
            for (int k = 0; k < actual.Length && k < twin.Length; k++)
            {
                if (OffTwin(actual[k], twin[k])) return true;
            }
            return false;
        }

        private Outcome Fail(string key, string detail) => new(OutcomeKind.Failed, key, detail);

        /// <summary>Twin evaluation with the active values <paramref name="active"/>: its value, the active buffers after, and its trace.</summary>
        private (double Value, double[] After, long[] Trace) Twin(object[] point, double[] active)
        {
            _resetTwin();
            _trace.Start(replay: true);
            var args = _twin.Pack(point);
            _twin.SetActive(args, active);
            double v = _twin.Value(args);
            _twinSize = _trace.Size;
            return (v, _twin.ActiveValues(args), _trace.Log.ToArray());
        }

        // The largest operand of the sums in the last Twin run.
        private double _twinSize;

        /// <summary>
        /// The change of Seed * value + seeds . (active buffers after) between two evaluations, term by term: a buffer
        /// element of 1e15 that does not move must not swamp the change of one that does (differences of the two
        /// sums would lose it to rounding).
        /// </summary>
        private static double ObjectiveChange((double Value, double[] After, long[] Trace) a, (double Value, double[] After, long[] Trace) b, double[] shadowSeeds)
        {
            double change = Seed * (a.Value - b.Value);
            for (int j = 0; j < a.After.Length; j++) change += shadowSeeds[j] * (a.After[j] - b.After[j]);
            return change;
        }

        /// <summary>
        /// Central differences with Richardson extrapolation, at steps h and h/4 (h = 1e-3 max(1, |x|)); where they
        /// disagree, again with h/16 (twice). Null when a probe crossed a kink (its trace differs) or nothing converged.
        /// </summary>
        /// <returns>Per coordinate, the finite differences of the value and of the seeded objective, and how large a change
        /// of the objective's derivative the buffer elements that did not move could hide (<see cref="Richardson"/>).</returns>
        private (double[] Value, double[] Objective, double[] Hidden, double[] HiddenValue)? FiniteDifferences(object[] point, double[] x, long[] baseTrace, double[] shadowSeeds, out string? skip)
        {
            skip = null;
            var dv = new double[x.Length];
            var dl = new double[x.Length];
            var hidden = new double[x.Length];
            var hiddenV = new double[x.Length];
            for (int j = 0; j < x.Length; j++)
            {
                double h = 1e-3 * Math.Max(1, Math.Abs(x[j]));
                bool done = false;
                for (int refine = 0; refine < 3 && !done; refine++, h /= 16)
                {
                    var coarse = Richardson(point, x, j, h, baseTrace, shadowSeeds, ref skip);
                    var fine = Richardson(point, x, j, h / 4, baseTrace, shadowSeeds, ref skip);
                    if (coarse is null || fine is null) return null;
                    if (Agree(coarse.Value.V, fine.Value.V) && Agree(coarse.Value.L, fine.Value.L))
                    {
                        // Agreeing is not enough when the step is below what the values can resolve: 2^24 squared
                        // plus x changes by nothing for any step of x (seed 511191). The rounding error of a
                        // central difference is about ε·|f|/h; it must stay well under the tolerance.
                        if (fine.Value.NoiseV > 1e-7 * Math.Max(1, Math.Abs(fine.Value.V)) || fine.Value.NoiseL > 1e-7 * Math.Max(1, Math.Abs(fine.Value.L)))
                        {
                            skip = "fd";
                            return null;
                        }
                        (dv[j], dl[j], hidden[j], hiddenV[j]) = (fine.Value.V, fine.Value.L, fine.Value.HiddenL, fine.Value.HiddenV);
                        done = true;
                    }
                }
                if (!done)
                {
                    skip = "fd";
                    return null;
                }
            }
            return (dv, dl, hidden, hiddenV);
        }

        private static bool Agree(double a, double b) => GradientCheck.RelativeError(a, b, 1e-3) <= 1e-8;

        /// <summary>
        /// Richardson's extrapolation of two central differences, with the rounding noise of each. <c>HiddenL</c> bounds
        /// what the buffer elements that did not move could hide: their differences are exactly 0 and add no noise, but a
        /// change under half an ulp of the element is lost in the forward's own rounding, ε·|element| over the step.
        /// </summary>
        private (double V, double L, double NoiseV, double NoiseL, double HiddenL, double HiddenV)? Richardson(object[] point, double[] x, int j, double h, long[] baseTrace, double[] shadowSeeds, ref string? skip)
        {
            double noiseV = 0, noiseL = 0, hiddenL = 0, hiddenV = 0;
            (double V, double L)? Central(double step)
            {
                var plus = (double[])x.Clone();
                plus[j] += step;
                var minus = (double[])x.Clone();
                minus[j] -= step;
                var a = Twin(point, plus);
                double sumSize = _twinSize;
                var b = Twin(point, minus);
                sumSize = Math.Max(sumSize, _twinSize);
                if (!a.Trace.AsSpan().SequenceEqual(baseTrace) || !b.Trace.AsSpan().SequenceEqual(baseTrace)) return null;
                // The rounding error of each difference: ε times the size of what was subtracted, over the step (a
                // buffer element that did not move at all adds none: its difference is exactly 0).
                double size = Math.Max(Math.Abs(a.Value), Math.Abs(b.Value));
                double sizeL = Math.Abs(Seed) * size, sizeHidden = 0;
                for (int k = 0; k < a.After.Length; k++)
                {
                    double element = Math.Abs(shadowSeeds[k]) * Math.Max(Math.Abs(a.After[k]), Math.Abs(b.After[k]));
                    if (a.After[k] != b.After[k]) sizeL += element;
                    else sizeHidden += element;
                }
                noiseV = Math.Max(noiseV, 2.3e-16 * size / step);
                noiseL = Math.Max(noiseL, 2.3e-16 * sizeL / step);
                // A sum far larger than its result may have lost the change altogether (seed 10600081: a0 doubles to
                // 1.3e36 and M returns (a0 − y) − a0, exactly 0 for every step of y, where the derivative is −1).
                hiddenV = Math.Max(hiddenV, 2.3e-16 * sumSize / step);
                hiddenL = Math.Max(hiddenL, 2.3e-16 * (sizeHidden + Math.Abs(Seed) * sumSize) / step);
                return ((a.Value - b.Value) / (2 * step), ObjectiveChange(a, b, shadowSeeds) / (2 * step));
            }
            var d1 = Central(h);
            var d2 = Central(h / 2);
            if (d1 is null || d2 is null)
            {
                skip = "kink";
                return null;
            }
            var r = ((4 * d2.Value.V - d1.Value.V) / 3, (4 * d2.Value.L - d1.Value.L) / 3);
            if (!double.IsFinite(r.Item1) || !double.IsFinite(r.Item2))
            {
                skip = "nonfinite";
                return null;
            }
            // The extrapolation weighs the two differences by 4/3 and 1/3: their rounding adds up to at most 5/3 of the larger.
            return (r.Item1, r.Item2, 5.0 / 3 * noiseV, 5.0 / 3 * noiseL, 5.0 / 3 * hiddenL, 5.0 / 3 * hiddenV);
        }

        /// <param name="terms">Per component, the size of the terms it sums (a float Backward's seeded result), which its
        /// error is relative to; null for none.</param>
        private string? NotClose(double[] actual, double[] expected, object[] args, double[]? terms = null)
        {
            double tolerance = IsFloat ? 1e-3 : 1e-6;
            double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
            double floor = Math.Max(1e-3, (IsFloat ? 1e-2 : 1e-3) * scale);
            var bad = new List<string>();
            for (int i = 0; i < expected.Length; i++)
            {
                double error = GradientCheck.RelativeError(actual[i], expected[i], terms is null ? floor : Math.Max(floor, terms[i]));
                if (!(error <= tolerance)) bad.Add($"  d/d{_f.Coordinate(args, i)}: {LoopChecks.Fmt(actual[i])}, finite differences {LoopChecks.Fmt(expected[i])} (error {error:G3})");
            }
            return bad.Count == 0 ? null
                : string.Join("\n", bad.Take(8)) + $"\n  (tolerance {tolerance:G3}, floor {floor:G3}; analytic [{LoopChecks.Fmt(actual)}], finite differences [{LoopChecks.Fmt(expected)}])";
        }

        private string? NotNear(double[] actual, double[] expected, double tolerance, object[] args)
        {
            var bad = new List<string>();
            for (int i = 0; i < expected.Length; i++)
            {
                double error = LoopChecks.CloseError(actual[i], expected[i]);
                if (!(error <= tolerance)) bad.Add($"  d/d{_f.Coordinate(args, i)}: {LoopChecks.Fmt(actual[i])}, expected {LoopChecks.Fmt(expected[i])} (error {error:G3})");
            }
            return bad.Count == 0 ? null : string.Join("\n", bad.Take(8));
        }

        /// <summary>Null when every buffer argument holds bitwise the same contents; else a description.</summary>
        private string? BuffersDiffer(object[] expected, object[] actual)
        {
            foreach (var p in _f.Signature.Parameters.Where(p => p.Kind == LoopParamKind.Buffer))
            {
                var e = ToBits((Array)expected[p.Index]);
                var a = ToBits((Array)actual[p.Index]);
                if (!e.SequenceEqual(a))
                    return $"buffer {p.Name} holds [{Show((Array)actual[p.Index])}], M leaves [{Show((Array)expected[p.Index])}]";
            }
            return null;
        }

        private static long[] ToBits(Array a) => a switch
        {
            double[] d => d.Select(BitConverter.DoubleToInt64Bits).ToArray(),
            float[] f => f.Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray(),
            _ => throw new InvalidOperationException(),
        };

        private static string Show(Array a) => a switch
        {
            double[] d => LoopChecks.Fmt(d),
            float[] f => string.Join(", ", f.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "f")),
            _ => "",
        };
    }
}
