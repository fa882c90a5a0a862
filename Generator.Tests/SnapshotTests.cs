using System.Runtime.CompilerServices;
using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests;

/// <summary>
/// Whole generated files for representative constructs, compared with Snapshots/*.g.cs.txt. A change to the
/// generator's output shows up here for review; regenerate with DIFFERENTIABLE_UPDATE_SNAPSHOTS=1.
/// </summary>
public class SnapshotTests
{
    private const string Header = "using System;\nusing Differentiable;\nnamespace Snapshots;\n";

    public static TheoryData<string, string> Cases => new()
    {
        { "StraightLine", """
            public static partial class Model
            {
                [Differentiable]
                public static double Rosenbrock(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
            }
            """ },
        { "Branches", """
            public static partial class Model
            {
                [Differentiable]
                public static double Piecewise(double x, double y)
                {
                    double s = x * y;
                    if (x > 0) s += Math.Sin(x);
                    else s -= y * y;
                    if (s > 10) return Math.Sqrt(s);
                    return x > 1 && y < 3 ? s * 2 : Math.Exp(y);
                }
            }
            """ },
        { "CallsAndConstants", """
            public static partial class Model
            {
                private const double Scale = 2.5;

                [Differentiable]
                internal static double Inner(double a, [NoDiff] double b) => Math.Tanh(a * b);

                [Differentiable]
                internal static double Outer(double x, [NoDiff] double c, int n)
                {
                    double unused = Math.Cos(c);
                    double y = Inner(x * Scale, c) + Inner(c, x);
                    y *= n;
                    return y + Grad.Stop(x) * Math.Floor(x);
                }
            }
            """ },
        { "FloatAndNested", """
            public static partial class Outer<T>
            {
                public partial struct Inner
                {
                    [Differentiable]
                    public static float Mixed(float a, double b, bool flag)
                    {
                        float s = flag ? a * a : MathF.Abs(a);
                        s += (float)(b * Math.Max(b, 1.0));
                        return s++ * 0.5f;
                    }
                }
            }
            """ },
        { "Loops", """
            public static partial class Loops
            {
                // EXAMPLES.md 2: the loop stores nothing and rereads x[i].
                [Differentiable]
                public static double Loss(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target)
                {
                    double s = 0;
                    for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
                    double e = Math.Tanh(s) - target;
                    return e * e;
                }

                // EXAMPLES.md 3: each old p is recorded, in one block for the whole loop.
                [Differentiable]
                public static double Horner(ReadOnlySpan<double> c, double x)
                {
                    double p = 0;
                    for (int i = c.Length - 1; i >= 0; i--) p = p * x + c[i];
                    return p;
                }

                // EXAMPLES.md 4: an output span's seed is consumed.
                [Differentiable]
                public static void Dense(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int nIn)
                {
                    for (int o = 0; o < y.Length; o++)
                    {
                        double s = 0;
                        for (int i = 0; i < nIn; i++) s += w[o * nIn + i] * x[i];
                        y[o] = Math.Tanh(s);
                    }
                }

                // EXAMPLES.md 5: a data-dependent trip count, counted; each old x pushed.
                [Differentiable]
                public static double NewtonSqrt(double a)
                {
                    double x = a;
                    while (Math.Abs(x * x - a) > 1e-12 * a) x = 0.5 * (x + a / x);
                    return x;
                }

                // break and continue become flags; a local buffer gets a stackalloc adjoint.
                [Differentiable]
                public static double Clipped(ReadOnlySpan<double> v, double limit)
                {
                    Span<double> h = stackalloc double[v.Length];
                    double s = 0;
                    for (int i = 0; i < v.Length; i++)
                    {
                        if (v[i] < 0) continue;
                        h[i] = v[i] * v[i];
                        s += h[i];
                        if (s > limit) break;
                    }
                    return s;
                }
            }
            """ },
        { "PackedTriangle", """
            public static partial class Mixture
            {
                // gmm's packed lower triangle inside a loop over points: the reverse steps li back from its value after
                // the col loop (one int recorded per point, not one per column); x[p * d + col] is read once before
                // each inner loop.
                [Differentiable]
                public static double Quadratic(ReadOnlySpan<double> l, ReadOnlySpan<double> x, int d)
                {
                    Span<double> product = stackalloc double[d];
                    double total = 0;
                    for (int p = 0; p < x.Length / d; p++)
                    {
                        for (int j = 0; j < d; j++) product[j] = x[p * d + j];
                        int li = 0;
                        for (int col = 0; col < d; col++)
                        {
                            for (int row = col + 1; row < d; row++) { product[row] += l[li] * x[p * d + col]; li++; }
                        }
                        double norm = 0;
                        for (int j = 0; j < d; j++) norm += product[j] * product[j];
                        total += Math.Log(1 + norm);
                    }
                    return total;
                }
            }
            """ },
        { "Recursion", """
            public static partial class Cofactors
            {
                // det's cofactor expansion (GradBench): split forms; the sign and the minor recorded only where a column
                // counts (// for this side's reverse); Reverse computes the row, the minors' rows and m == 1 again.
            """ + "\n" + SplitFormTests.Minor + "\n" + """
            }
            """ },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_code_matches_the_snapshot(string name, string source)
    {
        var result = TestCompiler.Run(Header + source);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning));
        string actual = result.GeneratedText;
        string path = Path.Combine(SnapshotDirectory(), name + ".g.cs.txt");
        if (Environment.GetEnvironmentVariable("DIFFERENTIABLE_UPDATE_SNAPSHOTS") == "1")
            File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), "missing snapshot " + path);
        Assert.Equal(File.ReadAllText(path).Replace("\r\n", "\n"), actual);
    }

    private static string SnapshotDirectory([CallerFilePath] string file = "") => Path.Combine(Path.GetDirectoryName(file)!, "Snapshots");
}
