using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Differentiable.Generator.Tests.Fuzz;

/// <summary>Skipped unless FUZZ_COUNT is set: the long fuzz run (docs/fuzzing.md).</summary>
public sealed class FuzzLongFactAttribute : FactAttribute
{
    public FuzzLongFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FUZZ_COUNT")))
            Skip = "set FUZZ_COUNT (and optionally FUZZ_SEED, FUZZ_BATCH, FUZZ_SHRINK_SECONDS) to run the long fuzz";
    }
}

/// <summary>
/// The random-program fuzzer (docs/fuzzing.md): generated [Differentiable] programs compiled with the generator and
/// checked against themselves (bitwise values and buffers) and against finite differences; failures shrunk.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    /// <summary>The CI run: a fixed seed set. Programs per compilation: large enough to amortize a compilation.</summary>
    public const int CiSeed = 1;
    public const int CiCount = 200;
    public const int CiBatch = 50;

    [Fact]
    public void Fuzz_Ci()
    {
        var run = FuzzRun.Execute(CiSeed, CiCount, CiBatch, shrinkBudget: TimeSpan.FromSeconds(15), maxShrunk: 2, analysesOff: false, log: output.WriteLine);
        var missing = FuzzConstructs.Required.Concat(FuzzConstructs.RequiredOfGenerator).Where(c => !run.Stats.Constructs.ContainsKey(c)).ToList();
        Assert.True(missing.Count == 0, "the fuzz grammar no longer produces: " + string.Join(", ", missing));
        Assert.True(run.Stats.Invalid == 0, $"{run.Stats.Invalid} programs were invalid (the fuzzer's fault):\n{run.InvalidExamples}");
        Assert.True(run.Stats.Failed == 0, $"{run.Stats.Failed} of {run.Stats.Programs} fuzzed programs failed:\n{run.Text}");
    }

    /// <summary>The generator with its analyses switched off (every floating value active): another seed set, smaller.</summary>
    [Fact]
    public void Fuzz_Ci_analyses_off()
    {
        var run = FuzzRun.Execute(5000, 60, 60, shrinkBudget: TimeSpan.FromSeconds(15), maxShrunk: 2, analysesOff: true, log: output.WriteLine);
        Assert.True(run.Stats.Invalid == 0, $"{run.Stats.Invalid} programs were invalid (the fuzzer's fault):\n{run.InvalidExamples}");
        Assert.True(run.Stats.Failed == 0, $"{run.Stats.Failed} of {run.Stats.Programs} fuzzed programs failed:\n{run.Text}");
    }

    /// <summary>
    /// The fuzzer itself, without the generator (cheap, always on): the CI seed set uses every construct of
    /// <see cref="FuzzConstructs.Required"/>, and its first 100 programs and their twins compile with the C# compiler alone.
    /// </summary>
    [Fact]
    public void Fuzz_grammar_covers_every_construct_and_writes_valid_csharp()
    {
        var programs = Enumerable.Range(0, CiCount).Select(i => FuzzGenerator.Generate(i, CiSeed + i)).ToList();
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in programs)
            foreach (var c in FuzzConstructs.Of(p)) counts[c] = counts.GetValueOrDefault(c) + 1;
        output.WriteLine(string.Join("\n", counts.Select(kv => $"{kv.Key,-32} {kv.Value}")));
        var missing = FuzzConstructs.Required.Where(c => !counts.ContainsKey(c)).ToList();
        Assert.True(missing.Count == 0, "the fuzz grammar no longer produces: " + string.Join(", ", missing));
        var errors = FuzzRunner.PrimalErrors(programs.Take(100).ToList());
        Assert.True(errors.Count == 0, "fuzzed programs do not compile:\n" + string.Join("\n", errors.Take(20)));
        Assert.Equal(FuzzPrinter.Real(FuzzGenerator.Generate(7, 8)), FuzzPrinter.Real(FuzzGenerator.Generate(7, 8)));
    }

    /// <summary>
    /// The checks themselves: a correct program passes, and the same program against a twin whose value is 0.1% off
    /// (in the result, or in a written buffer only) fails with the finite-difference check that should catch it.
    /// </summary>
    [Fact]
    public void Fuzz_checks_catch_a_wrong_reference()
    {
        var x = new Var("x");
        var body = new Stmt[] { new Store("u", new Index(IndexKind.Zero, null), "=", new Bin('*', x, new Load("w", new Index(IndexKind.Last, null)))) };
        var main = new Method("M", new[] { new Param("x", ParamKind.Scalar), new Param("w", ParamKind.ReadOnlySpan), new Param("u", ParamKind.Span) },
            Array.Empty<LocalBuffer>(), body, new Bin('+', new CallRule("Soft", x, null), new Fn("Sin", new Expr[] { new Load("u", new Index(IndexKind.Last, null)) })));
        var program = new FuzzProgram(0, 42, false, 3, Array.Empty<Field>(), Array.Empty<Method>(), main);

        Assert.Equal(OutcomeKind.Passed, FuzzRunner.RunBatch(new[] { program }, null)[0].Kind);
        var value = FuzzRunner.RunBatch(new[] { program }, null, twinRewrite: t => t.Replace("FuzzLib.Soft(x)", "(1.001 * FuzzLib.Soft(x))", StringComparison.Ordinal))[0];
        Assert.True(value.Key == "gradient differs from finite differences", value.ToString());
        var buffer = FuzzRunner.RunBatch(new[] { program }, null, twinRewrite: t => t.Replace("u[0] = (x * w[^1]);", "u[0] = (1.001 * x * w[^1]);", StringComparison.Ordinal))[0];
        Assert.True(buffer.Key == "Backward (seeded) differs from finite differences", buffer.ToString());
    }

    /// <summary>
    /// Seed 9200122, shrunk (analyses off): x triples each iteration to about 1e23 while the stopped values replayed into
    /// it absorb every step of x, so the twin's buffer elements (2x each) stay bitwise put and the finite differences read
    /// 0 where the derivative is 2 per element (2.76 with the seeds; the generated Backward has it exactly). The points
    /// are skipped as not converged, not reported as failures; the program counts as one with no point checked.
    /// </summary>
    [Fact]
    public void Fuzz_checks_skip_a_point_whose_buffers_absorb_the_step()
    {
        var x = new Var("x");
        var inner = new Loop(LoopKind.ForUp, "i4", "w.Length", null, null, new Stmt[]
        {
            new Store("w", new Index(IndexKind.Next, "i4"), "=", new Bin('+', x, x)),
            new Assign("x", "+=", new Stop(new Load("w", new Index(IndexKind.Counter, "i4")))),
        });
        var body = new Stmt[] { new Loop(LoopKind.Foreach, "v3", "w.Length", "w", null, new Stmt[] { inner }) };
        var main = new Method("M", new[] { new Param("x", ParamKind.Scalar), new Param("w", ParamKind.Span) }, Array.Empty<LocalBuffer>(), body, new Num(0.5));
        var program = new FuzzProgram(0, 9200122, false, 7, Array.Empty<Field>(), Array.Empty<Method>(), main);
        foreach (bool off in new[] { true, false })
        {
            var stats = new FuzzStats();
            var outcome = FuzzRunner.RunBatch(new[] { program }, stats, analysesOff: off)[0];
            Assert.True(outcome.Kind == OutcomeKind.Passed, outcome.ToString());
            Assert.True(stats.PointsSkippedFd > 0 && stats.PointsChecked == 0 && stats.Unchecked == 1, stats.ToString());
        }
    }

    /// <summary>
    /// Fuzz seed 10600081 (analyses on), shrunk: a0 doubles 121 times to 1.3e36 and M returns (a0 − y) − a0, exactly 0
    /// for every finite-difference step of y, while the derivative, which the generated code gives, is −1. The twin now
    /// notes the largest operand of its sums, and a discrepancy within what that sum's rounding could hide skips the
    /// point as not converged instead of failing it.
    /// </summary>
    [Fact]
    public void Fuzz_checks_skip_a_point_whose_sums_absorb_the_step()
    {
        var helper = new Method("H0", new[] { new Param("p", ParamKind.Scalar), new Param("h", ParamKind.ReadOnlySpan) }, Array.Empty<LocalBuffer>(),
            new Stmt[] { new Decl("s", new Bin('+', new Var("p"), new Var("p"))) }, new Var("s"));
        var inner = new Loop(LoopKind.ForUp, "i4", "u.Length", null, null, new Stmt[]
        {
            new Decl("t5", new CallHelper("H0", new[] { new Arg(new Var("a0"), null), new Arg(null, "b0") })),
            new Assign("a0", "=", new Var("t5")),
        });
        var body = new Stmt[] { new Decl("a0", new Num(0.5)), new Loop(LoopKind.Foreach, "v2", "u.Length", "b0", null, new Stmt[] { inner }) };
        var main = new Method("M", new[] { new Param("y", ParamKind.Scalar), new Param("u", ParamKind.Span) }, new[] { new LocalBuffer("b0", true) },
            body, new Bin('-', new Bin('-', new Var("a0"), new Var("y")), new Var("a0")));
        var program = new FuzzProgram(0, 10600081, false, 11, Array.Empty<Field>(), new[] { helper }, main);
        foreach (bool off in new[] { true, false })
        {
            var stats = new FuzzStats();
            var outcome = FuzzRunner.RunBatch(new[] { program }, stats, analysesOff: off)[0];
            Assert.True(outcome.Kind == OutcomeKind.Passed, outcome.ToString());
            Assert.True(stats.PointsSkippedFd > 0 && stats.PointsChecked == 0 && stats.Unchecked == 1, stats.ToString());
        }
    }

    [FuzzLongFact]
    public void Fuzz_Long()
    {
        long seed = long.Parse(Environment.GetEnvironmentVariable("FUZZ_SEED") ?? "1", CultureInfo.InvariantCulture);
        int count = int.Parse(Environment.GetEnvironmentVariable("FUZZ_COUNT")!, CultureInfo.InvariantCulture);
        int batch = int.Parse(Environment.GetEnvironmentVariable("FUZZ_BATCH") ?? "60", CultureInfo.InvariantCulture);
        int shrinkSeconds = int.Parse(Environment.GetEnvironmentVariable("FUZZ_SHRINK_SECONDS") ?? "60", CultureInfo.InvariantCulture);
        bool off = Environment.GetEnvironmentVariable("FUZZ_ANALYSES") == "off";
        var run = FuzzRun.Execute(seed, count, batch, TimeSpan.FromSeconds(shrinkSeconds), maxShrunk: 20, off, output.WriteLine);
        Assert.True(run.Stats.Failed == 0 && run.Stats.Invalid == 0, $"{run.Stats.Failed} failed, {run.Stats.Invalid} invalid of {run.Stats.Programs}; report: {run.ReportPath}");
    }
}

/// <summary>One fuzz run: generate, compile in batches, check, shrink one program per distinct failure, report.</summary>
internal sealed class FuzzRun
{
    public FuzzStats Stats { get; } = new();

    public string Text { get; private set; } = "";

    public string InvalidExamples { get; private set; } = "";

    public string ReportPath { get; private set; } = "";

    public static FuzzRun Execute(long seed, int count, int batch, TimeSpan shrinkBudget, int maxShrunk, bool analysesOff, Action<string> log)
    {
        var run = new FuzzRun();
        var clock = Stopwatch.StartNew();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var failures = new List<(FuzzProgram Program, Outcome Outcome)>();
        var invalid = new List<(FuzzProgram Program, Outcome Outcome)>();
        for (int start = 0; start < count; start += batch)
        {
            var programs = Enumerable.Range(start, Math.Min(batch, count - start)).Select(i => FuzzGenerator.Generate(i, seed + i)).ToList();
            foreach (var p in programs)
                foreach (var c in FuzzConstructs.Of(p)) run.Stats.Constructs[c] = run.Stats.Constructs.GetValueOrDefault(c) + 1;
            var outcomes = FuzzRunner.RunBatch(programs, run.Stats, analysesOff);
            foreach (var p in programs)
            {
                var o = outcomes[p.Id];
                run.Stats.Programs++;
                switch (o.Kind)
                {
                    case OutcomeKind.Passed: run.Stats.Passed++; break;
                    case OutcomeKind.Refused:
                        run.Stats.Refused++;
                        run.Stats.Refusals[o.Key] = run.Stats.Refusals.GetValueOrDefault(o.Key) + 1;
                        run.Stats.RefusalExamples.TryAdd(o.Key, $"seed {p.Seed}: {o.Detail}");
                        break;
                    case OutcomeKind.Failed:
                        run.Stats.Failed++;
                        run.Stats.Failures[o.Key] = run.Stats.Failures.GetValueOrDefault(o.Key) + 1;
                        failures.Add((p, o));
                        break;
                    default: run.Stats.Invalid++; invalid.Add((p, o)); break;
                }
            }
        }
        var checkTime = clock.Elapsed;
        run.Stats.CpuSeconds = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

        var sb = new StringBuilder();
        sb.Append($"fuzz seed {seed}, {count} programs (program k has seed {seed} + k), batches of {batch}, analyses {(analysesOff ? "off" : "on")}: "
            + $"checked in {checkTime.TotalSeconds:F1} s\n");
        sb.Append(run.Stats.Report());
        foreach (var (p, o) in invalid.Take(3))
            run.InvalidExamples += $"--- seed {p.Seed}: {o.Key}\n{Truncate(o.Detail, 1500)}\n{FuzzPrinter.Repro(p)}\n";

        // One shrunk reproduction per distinct failure key.
        int shrunk = 0;
        foreach (var group in failures.GroupBy(f => f.Outcome.Key))
        {
            var (p, o) = group.First();
            sb.Append($"\n=== FAILURE: {o.Key} ({group.Count()} programs; seeds {string.Join(", ", group.Take(10).Select(g => g.Program.Seed))}{(group.Count() > 10 ? ", ..." : "")})\n");
            sb.Append($"reproduce: FUZZ_SEED={p.Seed} FUZZ_COUNT=1\n");
            if (shrunk++ < maxShrunk)
            {
                var t = Stopwatch.StartNew();
                var (small, so, steps) = FuzzShrinker.Shrink(p, o, shrinkBudget, analysesOff);
                sb.Append($"shrunk in {steps} steps ({t.Elapsed.TotalSeconds:F1} s), {FuzzPrinter.Repro(p).Length} -> {FuzzPrinter.Repro(small).Length} characters:\n");
                sb.Append(Repro(small)).Append(Truncate(so.Detail, 6000)).Append('\n');
            }
            else
            {
                sb.Append(Repro(p)).Append(Truncate(o.Detail, 3000)).Append('\n');
            }
        }
        sb.Append($"\ntotal {clock.Elapsed.TotalSeconds:F1} s\n");
        run.Text = sb.ToString();
        run.ReportPath = Path.Combine(Path.GetTempPath(), $"differentiable-fuzz-seed{seed}-count{count}.txt");
        File.WriteAllText(run.ReportPath, run.Text + (run.InvalidExamples.Length > 0 ? "\n=== INVALID (fuzzer's fault)\n" + run.InvalidExamples : ""));
        log(run.Text);
        log("report written to " + run.ReportPath);
        return run;
    }

    private static string Repro(FuzzProgram p)
    {
        var sb = new StringBuilder();
        sb.Append($"// {(p.IsFloat ? "float" : "double")} program, seed {p.Seed}, every buffer of length {p.Length}")
            .Append(p.Main.Params.Any(x => x.Kind == ParamKind.Int) ? $", n = {p.Length}" : "").Append('\n');
        sb.Append($"public static partial class {p.ClassName}\n{{\n");
        foreach (var line in FuzzPrinter.Repro(p).Split('\n')) if (line.Length > 0) sb.Append("    ").Append(line).Append('\n');
        sb.Append("}\n");
        return sb.ToString();
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s.Substring(0, max) + "\n... (truncated)";
}
