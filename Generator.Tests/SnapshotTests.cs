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
