using System.Text;
using Differentiable.Generator.Lowering;
using Differentiable.Generator.Tests.Fuzz;
using Differentiable.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// The lowering finds the variables a loop writes (its carried values; whether a counted loop's counter or bound
/// changes) from the operation tree (<see cref="WrittenVariables"/>) instead of Roslyn's data-flow analysis, which costs
/// a definite-assignment pass over the whole method per question. The two must agree: checked here, set and order, on
/// every loop and loop body of a source of odd-but-valid writes and of a few hundred fuzzed programs.
/// </summary>
public class WrittenVariablesTests
{
    private const string OddWrites = """
        using System;
        namespace W;
        public static class C
        {
            static bool TryHalf(double v, out double half) { half = v / 2; return v > 0; }
            static void Bump(ref double v) => v += 1;
            static (double, double) Pair(double a) => (a, -a);
            struct P { public double X; public void Reset() => X = 0; public readonly double Get() => X; }

            public static double M(double x, double y, ReadOnlySpan<double> w, double[] arr, int n)
            {
                double a = 0, b = 1, c, unused = 3;
                double? maybe = null;
                int k = 0;
                for (int i = 0; i < n; i++)
                {
                    (a, b) = (b, a + x);                 // deconstruction into existing locals
                    var (p, q) = Pair(y);                // deconstruction into new ones
                    if (TryHalf(a, out c)) b += c;       // out into an existing local
                    if (TryHalf(b, out var h)) a -= h;   // out var
                    Bump(ref y);                         // ref to a parameter
                    maybe ??= p + q;                     // ??=
                    k++; --n;                            // increments, a parameter
                    arr[i % arr.Length] = a;             // an element: not a variable
                    if (w.Length > 0 && w[0] is double d && d > 1) x *= 1.0001;
                    object boxed = a;
                    if (boxed is double { } e) a += e * 0;
                    Func<double, double> f = t => { unused = t; return t; };
                    a += f(0);
                    double local(double s) { b *= s; return b; }
                    a += local(1);
                }
                foreach (var v in w) { a += v; x += 0; }
                (double, double) t2 = (0, 0);
                var pt = new P();
                var pr = new P();
                var pt2 = new P();
                Span<double> buf = stackalloc double[2];
                for (int i = 0; i < 2; i++)
                {
                    t2.Item1 = a;                         // an element of a tuple local
                    pt.X += 1;                            // a field of a struct local
                    pr.Reset();                           // a struct local's method
                    b += pt2.Get() + buf.Length;          // a readonly one, a readonly struct's (Span)
                    buf.Clear();
                    ref double r = ref a;                 // a ref local, and a write through it
                    r = 2;
                    buf[i] = r;                           // an element of a span local
                    switch ((object)a) { case double z when z > 0: b += z; break; default: break; }
                    b += a switch { > 3 and var big => big, _ => 0 };
                    try { checked { k += (int)a; } } catch (OverflowException ex) { b += ex.HResult * 0; }
                    using (var s = new System.IO.MemoryStream()) { b += s.Length; }
                }
                a += t2.Item1 + pt.X + pr.X + buf[0];
                foreach (double v2 in arr) b -= v2;
                foreach (var (u1, u2) in new[] { (1.0, 2.0) }) b += u1 * u2;
                while (k > 0) { k -= 2; c = k; }
                do { b *= 0.5; } while (b > 10);
                for (int j = n, m = 0; j > 0; j--, m++) a += j + m;
                for (;;) { if (a > 0) break; a = 1; }
                return a + b + x + y + unused + (maybe ?? 0) + k;
            }
        }
        """;

    [Fact]
    public void Odd_writes_are_found_as_the_data_flow_analysis_finds_them() =>
        Assert.True(CompareLoops(OddWrites) >= 8);

    [Fact]
    public void Every_loop_of_fuzzed_programs_agrees_with_the_data_flow_analysis()
    {
        var source = new StringBuilder("using System;\nusing Differentiable;\n\nnamespace " + FuzzPrelude.Namespace + "\n{\n")
            .Append(FuzzPrelude.Source).Append('\n');
        for (int i = 0; i < 300; i++) source.Append(FuzzPrinter.Real(FuzzGenerator.Generate(i, 7_000_000 + i), withAdjoints: false));
        source.Append("}\n");
        Assert.True(CompareLoops(source.ToString()) > 500);
    }

    /// <summary>Compares both ways of asking on every loop and loop body of the source; returns how many regions it compared.</summary>
    private static int CompareLoops(string source)
    {
        var compilation = TestCompiler.CreateCompilation(source);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        int compared = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var loop in tree.GetRoot().DescendantNodes().OfType<StatementSyntax>()
                         .Where(s => s is ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or CommonForEachStatementSyntax))
            {
                var body = loop switch
                {
                    ForStatementSyntax f => f.Statement,
                    WhileStatementSyntax w => w.Statement,
                    DoStatementSyntax d => d.Statement,
                    CommonForEachStatementSyntax e => e.Statement,
                    _ => throw new InvalidOperationException(),
                };
                foreach (var region in new StatementSyntax[] { loop, body })
                {
                    var flow = model.AnalyzeDataFlow(region);
                    Assert.True(flow is { Succeeded: true }, region.ToString());
                    var expected = flow!.WrittenInside.Select(Describe).ToList();
                    var operation = model.GetOperation(region);
                    Assert.NotNull(operation);
                    var actual = WrittenVariables.Of(operation!).Select(Describe).ToList();
                    Assert.True(expected.SequenceEqual(actual),
                        $"at line {region.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: data flow [{string.Join(", ", expected)}], operations [{string.Join(", ", actual)}]\n{region}");
                    compared++;
                }
            }
        }
        return compared;
    }

    private static string Describe(ISymbol symbol) => symbol.Kind + " " + symbol.Name + "@" + (symbol.Locations.Length > 0 ? symbol.Locations[0].SourceSpan.Start : -1);
}
