using Differentiable.Generator.Tests.Infrastructure;
using Xunit.Sdk;

namespace Differentiable.Generator.Tests.Corpus;

/// <summary>
/// The loop harness (LoopHarness.cs) checked on hand-written adjoints that follow DESIGN.md's calling convention,
/// and on broken variants of them, each of which one check must catch. These run without the generator (the methods
/// are not [Differentiable]), so the harness the loop corpus relies on is known to be right before the generator is.
/// </summary>
public class LoopHarnessSelfTests
{
    private const string ClassName = "HandWritten";

    // Correct adjoints, written the way EXAMPLES.md shows, plus one broken variant per kind of bug.
    private static readonly (string Name, string Code)[] Methods =
    {
        ("Loss", """
            public static double Loss(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
                double e = Math.Tanh(s) - target;
                return e * e;
            }

            public static double LossGradient(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, Span<double> dW)
            {
                if (dW.Length < w.Length) throw new ArgumentException("dW is shorter than w.", nameof(dW));
                dW.Slice(0, w.Length).Clear();
                LossBackward(w, x, target, 1, dW);
                return Loss(w, x, target);
            }

            public static void LossBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, double dResult, Span<double> dW)
            {
                if (dW.Length < w.Length) throw new ArgumentException("dW is shorter than w.", nameof(dW));
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
                double t = Math.Tanh(s);
                double dS = (1 - t * t) * 2 * (t - target) * dResult;
                for (int i = w.Length - 1; i >= 0; i--) dW[i] += x[i] * dS;
            }
            """),
        ("Horner", """
            public static double Horner(ReadOnlySpan<double> c, double x)
            {
                double p = 0;
                for (int i = c.Length - 1; i >= 0; i--) p = p * x + c[i];
                return p;
            }

            public static double HornerGradient(ReadOnlySpan<double> c, double x, Span<double> dC, out double dX)
            {
                if (dC.Length < c.Length) throw new ArgumentException("dC is shorter than c.", nameof(dC));
                dC.Slice(0, c.Length).Clear();
                dX = 0;
                HornerBackward(c, x, 1, dC, ref dX);
                return Horner(c, x);
            }

            public static void HornerBackward(ReadOnlySpan<double> c, double x, double dResult, Span<double> dC, ref double dX)
            {
                if (dC.Length < c.Length) throw new ArgumentException("dC is shorter than c.", nameof(dC));
                Span<double> saved = stackalloc double[c.Length];
                double p = 0;
                for (int i = c.Length - 1; i >= 0; i--) { saved[i] = p; p = p * x + c[i]; }
                double dP = dResult;
                for (int i = 0; i < c.Length; i++)
                {
                    dC[i] += dP;
                    dX += saved[i] * dP;
                    dP *= x;
                }
            }
            """),
        ("Dense", """
            public static void Dense(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int nIn)
            {
                for (int o = 0; o < y.Length; o++)
                {
                    double s = 0;
                    for (int i = 0; i < nIn; i++) s += w[o * nIn + i] * x[i];
                    y[o] = Math.Tanh(s);
                }
            }

            public static void DenseBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int nIn, Span<double> dW, Span<double> dX, Span<double> dY)
            {
                if (dW.Length < w.Length) throw new ArgumentException("dW is shorter than w.", nameof(dW));
                if (dX.Length < x.Length) throw new ArgumentException("dX is shorter than x.", nameof(dX));
                if (dY.Length < y.Length) throw new ArgumentException("dY is shorter than y.", nameof(dY));
                Dense(w, x, y, nIn);
                for (int o = y.Length - 1; o >= 0; o--)
                {
                    double dS = (1 - y[o] * y[o]) * dY[o];
                    dY[o] = 0;
                    for (int i = nIn - 1; i >= 0; i--)
                    {
                        dW[o * nIn + i] += x[i] * dS;
                        dX[i] += w[o * nIn + i] * dS;
                    }
                }
            }
            """),
        ("SquarePlusC", """
            public static void SquarePlusC(Span<double> x, double c)
            {
                for (int i = 0; i < x.Length; i++) x[i] = x[i] * x[i] + c;
            }

            public static void SquarePlusCBackward(Span<double> x, double c, Span<double> dX, ref double dC)
            {
                if (dX.Length < x.Length) throw new ArgumentException("dX is shorter than x.", nameof(dX));
                Span<double> old = stackalloc double[x.Length];
                x.CopyTo(old);
                SquarePlusC(x, c);
                for (int i = x.Length - 1; i >= 0; i--)
                {
                    double d = dX[i];
                    dC += d;
                    dX[i] = 2 * old[i] * d;
                }
            }
            """),
        ("NormalizeInPlace", """
            public static double NormalizeInPlace(Span<double> x)
            {
                double n = 0;
                for (int i = 0; i < x.Length; i++) n += x[i] * x[i];
                n = Math.Sqrt(n);
                for (int i = 0; i < x.Length; i++) x[i] /= n;
                return n;
            }

            public static double NormalizeInPlaceGradient(Span<double> x, Span<double> dX)
            {
                if (dX.Length < x.Length) throw new ArgumentException("dX is shorter than x.", nameof(dX));
                dX.Slice(0, x.Length).Clear();
                return NormalizeInPlaceCore(x, 1, dX);
            }

            public static void NormalizeInPlaceBackward(Span<double> x, double dResult, Span<double> dX)
            {
                if (dX.Length < x.Length) throw new ArgumentException("dX is shorter than x.", nameof(dX));
                NormalizeInPlaceCore(x, dResult, dX);
            }

            private static double NormalizeInPlaceCore(Span<double> x, double dResult, Span<double> dX)
            {
                Span<double> old = stackalloc double[x.Length];
                x.CopyTo(old);
                double n = NormalizeInPlace(x);
                // x now holds y = old / n; L = dResult * n + dX . y
                double dN = dResult;
                for (int i = 0; i < x.Length; i++) dN -= dX[i] * x[i] / n;
                for (int i = 0; i < x.Length; i++) dX[i] = dX[i] / n + dN * old[i] / n;
                return n;
            }
            """),
        ("FloatDot", """
            public static float FloatDot(ReadOnlySpan<float> a, float s)
            {
                float r = 0;
                for (int i = 0; i < a.Length; i++) r += MathF.Sin(a[i] * s);
                return r;
            }

            public static float FloatDotGradient(ReadOnlySpan<float> a, float s, Span<float> dA, out float dS)
            {
                if (dA.Length < a.Length) throw new ArgumentException("dA is shorter than a.", nameof(dA));
                dA.Slice(0, a.Length).Clear();
                dS = 0;
                FloatDotBackward(a, s, 1, dA, ref dS);
                return FloatDot(a, s);
            }

            public static void FloatDotBackward(ReadOnlySpan<float> a, float s, float dResult, Span<float> dA, ref float dS)
            {
                if (dA.Length < a.Length) throw new ArgumentException("dA is shorter than a.", nameof(dA));
                for (int i = a.Length - 1; i >= 0; i--)
                {
                    float d = MathF.Cos(a[i] * s) * dResult;
                    dA[i] += s * d;
                    dS += a[i] * d;
                }
            }
            """),

        // ---------------------------------------------------------------- broken on purpose
        ("LossOverwrites", """
            public static double LossOverwrites(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target) => Loss(w, x, target);

            public static double LossOverwritesGradient(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, Span<double> dW) => LossGradient(w, x, target, dW);

            // Bug: '=' instead of '+=' (does not accumulate).
            public static void LossOverwritesBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, double dResult, Span<double> dW)
            {
                if (dW.Length < w.Length) throw new ArgumentException("dW is shorter than w.", nameof(dW));
                Span<double> g = stackalloc double[w.Length];
                LossGradient(w, x, target, g);
                for (int i = 0; i < w.Length; i++) dW[i] = g[i] * dResult;
            }
            """),
        ("LossNoClear", """
            public static double LossNoClear(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target) => Loss(w, x, target);

            // Bug: Gradient does not clear its span first.
            public static double LossNoClearGradient(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, Span<double> dW)
            {
                LossBackward(w, x, target, 1, dW);
                return Loss(w, x, target);
            }

            public static void LossNoClearBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, double dResult, Span<double> dW) => LossBackward(w, x, target, dResult, dW);
            """),
        ("LossWrongRule", """
            public static double LossWrongRule(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target) => Loss(w, x, target);

            public static double LossWrongRuleGradient(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, Span<double> dW)
            {
                dW.Slice(0, w.Length).Clear();
                LossWrongRuleBackward(w, x, target, 1, dW);
                return Loss(w, x, target);
            }

            // Bug: tanh' taken as 1 + t² (a wrong derivative, consistent between Gradient and Backward).
            public static void LossWrongRuleBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, double dResult, Span<double> dW)
            {
                if (dW.Length < w.Length) throw new ArgumentException("dW is shorter than w.", nameof(dW));
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
                double t = Math.Tanh(s);
                double dS = (1 + t * t) * 2 * (t - target) * dResult;
                for (int i = 0; i < w.Length; i++) dW[i] += x[i] * dS;
            }
            """),
        ("LossNoCheck", """
            public static double LossNoCheck(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target) => Loss(w, x, target);

            // Bug: no length check (a short shadow throws IndexOutOfRangeException, or worse).
            public static double LossNoCheckGradient(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, Span<double> dW)
            {
                dW.Clear();
                LossNoCheckBackward(w, x, target, 1, dW);
                return Loss(w, x, target);
            }

            public static void LossNoCheckBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, double dResult, Span<double> dW)
            {
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
                double t = Math.Tanh(s);
                double dS = (1 - t * t) * 2 * (t - target) * dResult;
                for (int i = 0; i < w.Length; i++) dW[i] += x[i] * dS;
            }
            """),
        ("LossWrongParamName", """
            public static double LossWrongParamName(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target) => Loss(w, x, target);

            // Bug: the exception names the primal, not the adjoint.
            public static double LossWrongParamNameGradient(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, Span<double> dW)
            {
                if (dW.Length < w.Length) throw new ArgumentException("too short", nameof(w));
                return LossGradient(w, x, target, dW);
            }

            public static void LossWrongParamNameBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, double dResult, Span<double> dW)
            {
                if (dW.Length < w.Length) throw new ArgumentException("too short", nameof(w));
                LossBackward(w, x, target, dResult, dW);
            }
            """),
        ("LossBadSignature", """
            public static double LossBadSignature(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target) => Loss(w, x, target);

            // Bug: the adjoint is called 'dw' (the convention says dW) and Backward's seed 'seed'.
            public static double LossBadSignatureGradient(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, Span<double> dw) => LossGradient(w, x, target, dw);

            public static void LossBadSignatureBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, double seed, Span<double> dW) => LossBackward(w, x, target, seed, dW);
            """),
        ("LossAllocates", """
            public static double LossAllocates(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target) => Loss(w, x, target);

            public static double LossAllocatesGradient(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, Span<double> dW) => LossGradient(w, x, target, dW);

            // Bug (for the allocation check): a scratch array per call.
            public static void LossAllocatesBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, double dResult, Span<double> dW)
            {
                if (dW.Length < w.Length) throw new ArgumentException("dW is shorter than w.", nameof(dW));
                double[] g = new double[w.Length];
                LossGradient(w, x, target, g);
                for (int i = 0; i < w.Length; i++) dW[i] += g[i] * dResult;
            }
            """),
        ("DenseKeepsSeed", """
            public static void DenseKeepsSeed(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int nIn) => Dense(w, x, y, nIn);

            // Bug: the output's seed is not consumed (dY is left as it came in).
            public static void DenseKeepsSeedBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int nIn, Span<double> dW, Span<double> dX, Span<double> dY)
            {
                Span<double> seed = stackalloc double[y.Length];
                dY.Slice(0, y.Length).CopyTo(seed);
                DenseBackward(w, x, y, nIn, dW, dX, dY);
                seed.CopyTo(dY);
            }
            """),
        ("DenseNoPrimal", """
            public static void DenseNoPrimal(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int nIn) => Dense(w, x, y, nIn);

            // Bug: Backward computes the outputs in a scratch buffer and leaves y as it was.
            public static void DenseNoPrimalBackward(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y, int nIn, Span<double> dW, Span<double> dX, Span<double> dY)
            {
                Span<double> scratch = stackalloc double[y.Length];
                DenseBackward(w, x, scratch, nIn, dW, dX, dY);
            }
            """),
        ("SquarePlusCAsInput", """
            public static void SquarePlusCAsInput(Span<double> x, double c) => SquarePlusC(x, c);

            // Bug: treats the in-place buffer like a read-only one (accumulates onto the seed instead of replacing it).
            public static void SquarePlusCAsInputBackward(Span<double> x, double c, Span<double> dX, ref double dC)
            {
                Span<double> old = stackalloc double[x.Length];
                x.CopyTo(old);
                SquarePlusC(x, c);
                for (int i = 0; i < x.Length; i++)
                {
                    dC += dX[i];
                    dX[i] += 2 * old[i] * dX[i];
                }
            }
            """),
    };

    private static readonly SourceSet Set = new("LoopHarnessSelfTest",
        Methods.Select(m => new SourceMember(m.Name, ClassName, m.Code + "\n\n" + LoopSignature.Parse(m.Code, m.Name).Drivers(withAdjoints: true),
            m.Name == "Loss" || m.Name == "Dense" || m.Name == "SquarePlusC" ? Array.Empty<string>()
            : m.Name.StartsWith("Loss", StringComparison.Ordinal) ? new[] { "Loss" }
            : m.Name.StartsWith("Dense", StringComparison.Ordinal) ? new[] { "Dense" }
            : m.Name.StartsWith("SquarePlusC", StringComparison.Ordinal) ? new[] { "SquarePlusC" } : Array.Empty<string>())));

    private static object[] P(params object[] args) => args;

    private static double[] V(params double[] values) => values;

    private static readonly object[][] LossPoints =
    {
        P(V(0.3, -0.2, 0.5), V(1.0, 0.5, -1.5), 0.2),
        P(V(0.7), V(-1.2), -0.4),
        P(V(), V(), 0.5),
    };

    private static readonly LoopCase[] Cases =
    {
        new("Loss", LossPoints)
        {
            Hand = a =>
            {
                double[] w = a.Vec("w"), x = a.Vec("x");
                double s = 0;
                for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
                double t = Math.Tanh(s), e = t - a.Num("target");
                return x.Select(xi => 2 * e * (1 - t * t) * xi).ToArray();
            },
        },
        new("Horner", P(V(2.5), 0.7), P(V(1, -2, 0.5, 3), -1.3), P(V(), 1.7))
        {
            Hand = a =>
            {
                double[] c = a.Vec("c");
                double x = a.Num("x");
                double dx = 0;
                for (int i = 1; i < c.Length; i++) dx += i * c[i] * Math.Pow(x, i - 1);
                return HandArgs.Flat(c.Select((_, i) => Math.Pow(x, i)).ToArray(), dx);
            },
        },
        new("Dense", P(V(0.3, -0.5, 0.8, 0.1, 0.4, -0.9), V(0.7, -1.1, 0.2), V(9, 9), 3), P(V(0.6), V(-0.4), V(5), 1), P(V(), V(), V(7, 7), 0))
        {
            Outputs = new[] { "y" },
            HandVjp = (a, seeds) =>
            {
                double[] w = a.Vec("w"), x = a.Vec("x"), dy = seeds.Vec("y");
                int nIn = a.Int("nIn");
                var dw = new double[w.Length];
                var dx = new double[x.Length];
                for (int o = 0; o < dy.Length; o++)
                {
                    double s = 0;
                    for (int i = 0; i < nIn; i++) s += w[o * nIn + i] * x[i];
                    double t = Math.Tanh(s), ds = (1 - t * t) * dy[o];
                    for (int i = 0; i < nIn; i++) { dw[o * nIn + i] += x[i] * ds; dx[i] += w[o * nIn + i] * ds; }
                }
                return HandArgs.Flat(dw, dx, new double[dy.Length]);
            },
        },
        new("SquarePlusC", P(V(0.5, -1.5, 2.0), 0.3), P(V(1.25), -0.7), P(V(), 0.4))
        {
            InPlace = new[] { "x" },
            HandVjp = (a, seeds) =>
            {
                double[] x = a.Vec("x"), s = seeds.Vec("x");
                return HandArgs.Flat(x.Select((xi, i) => 2 * xi * s[i]).ToArray(), s.Sum());
            },
        },
        new("NormalizeInPlace", P(V(0.5, -1.5, 2.0)), P(V(1.25)), P(V(3, 4, -1, 0.5)))
        {
            InPlace = new[] { "x" },
            Hand = a =>
            {
                double[] x = a.Vec("x");
                double n = Math.Sqrt(x.Sum(v => v * v));
                return x.Select(v => v / n).ToArray();
            },
        },
        new("FloatDot", P(V(0.5, -1.5, 2.0), 0.75), P(V(1.25), -0.5), P(V(), 1.0))
        {
            Hand = a =>
            {
                double[] x = a.Vec("a");
                double s = a.Num("s");
                return HandArgs.Flat(x.Select(v => s * Math.Cos(v * s)).ToArray(), x.Sum(v => v * Math.Cos(v * s)));
            },
        },
        new("LossOverwrites", LossPoints),
        new("LossNoClear", LossPoints),
        new("LossWrongRule", LossPoints),
        new("LossNoCheck", LossPoints),
        new("LossWrongParamName", LossPoints),
        new("LossBadSignature", LossPoints),
        new("LossAllocates", LossPoints),
        new("DenseKeepsSeed", P(V(0.3, -0.5, 0.8, 0.1, 0.4, -0.9), V(0.7, -1.1, 0.2), V(9, 9), 3)) { Outputs = new[] { "y" } },
        new("DenseNoPrimal", P(V(0.3, -0.5, 0.8, 0.1, 0.4, -0.9), V(0.7, -1.1, 0.2), V(9, 9), 3)) { Outputs = new[] { "y" } },
        new("SquarePlusCAsInput", P(V(0.5, -1.5, 2.0), 0.3)) { InPlace = new[] { "x" } },
    };

    private static readonly string[] Correct = { "Loss", "Horner", "Dense", "SquarePlusC", "NormalizeInPlace", "FloatDot" };

    public static TheoryData<string> CorrectNames()
    {
        var data = new TheoryData<string>();
        foreach (var n in Correct) data.Add(n);
        return data;
    }

    private static LoopCase Case(string name) => Cases.Single(c => c.Name == name);

    private static LoopFunction Function(string name)
    {
        var compiled = GradientAssert.Compile(Set.FullSource);
        var member = Methods.Single(m => m.Name == name);
        return LoopFunction.Bind(compiled.Assembly, Set.TypeName(name), LoopSignature.Parse(member.Code, name), compiled.GeneratedText, withAdjoints: true);
    }

    [Fact]
    public void Signatures_and_drivers_are_read_from_the_declaration()
    {
        var sig = LoopSignature.Parse(Methods[0].Code, "Loss");
        Assert.Equal("double", sig.ReturnType);
        Assert.Equal(new[] { "w" }, sig.Active.Select(p => p.Name));
        Assert.Equal("dW", sig.Active[0].AdjointName);
        Assert.True(sig.Parameter("x").NoDiff);
        string drivers = sig.Drivers(withAdjoints: true);
        Assert.Contains("LossGradient((double[])args[0], (double[])args[1], (double)args[2], (double[])adj[0])", drivers);
        Assert.Contains("LossBackward((double[])args[0], (double[])args[1], (double)args[2], seed, (double[])adj[0])", drivers);

        var horner = LoopSignature.Parse(Methods[1].Code, "Horner").Drivers(withAdjoints: true);
        Assert.Contains("out ((double[])adj[1])[0]", horner);
        Assert.Contains("ref ((double[])adj[1])[0]", horner);
        var dense = LoopSignature.Parse(Methods[2].Code, "Dense");
        Assert.False(dense.ReturnsValue);
        Assert.DoesNotContain("DenseGradient", dense.Drivers(withAdjoints: true));
        Assert.Contains("(float)seed", LoopSignature.Parse(Methods[5].Code, "FloatDot").Drivers(withAdjoints: true));
    }

    [Theory, MemberData(nameof(CorrectNames))]
    public void Correct_adjoints_pass_every_check(string name)
    {
        var f = Function(name);
        var c = Case(name);
        LoopChecks.CheckSignatures(f.Assembly, Set.TypeName(name), f.Signature);
        LoopChecks.ForEachPoint(c, point =>
        {
            double[]? g = f.Signature.ReturnsValue ? LoopChecks.CheckGradient(f, c, point) : null;
            LoopChecks.CheckBackwardAccumulates(f, c, point, g);
            LoopChecks.CheckVectorJacobianProduct(f, c, point);
            LoopChecks.CheckShadowSemantics(f, c, point);
            LoopChecks.CheckShortShadows(f, c, point);
            if (c.Hand is not null) LoopChecks.CheckHand(f, c, point);
            if (c.HandVjp is not null) LoopChecks.CheckHandVjp(f, c, point);
        });
    }

    [Fact]
    public void The_short_shadow_check_sees_every_buffer()
    {
        var f = Function("Dense");
        Assert.Equal(3, LoopChecks.CheckShortShadows(f, Case("Dense"), Case("Dense").Points[0]));
        var loss = Function("Loss");
        Assert.Equal(2, LoopChecks.CheckShortShadows(loss, Case("Loss"), LossPoints[0])); // Gradient and Backward
        Assert.Equal(0, LoopChecks.CheckShortShadows(loss, Case("Loss"), LossPoints[2])); // empty: nothing to shorten
    }

    [Fact]
    public void An_overwriting_backward_is_caught() =>
        Fails("LossOverwrites", (f, c, p) => LoopChecks.CheckBackwardAccumulates(f, c, p, LoopChecks.CheckGradient(f, c, p)), "pre-filled");

    [Fact]
    public void A_gradient_that_does_not_clear_is_caught() =>
        Fails("LossNoClear", (f, c, p) => LoopChecks.CheckGradient(f, c, p), "finite differences");

    [Fact]
    public void A_wrong_derivative_is_caught()
    {
        Fails("LossWrongRule", (f, c, p) => LoopChecks.CheckGradient(f, c, p), "finite differences");
        Fails("LossWrongRule", (f, c, p) => LoopChecks.CheckVectorJacobianProduct(f, c, p), "finite differences");
    }

    [Fact]
    public void A_missing_length_check_is_caught() =>
        Fails("LossNoCheck", (f, c, p) => LoopChecks.CheckShortShadows(f, c, p), "expected ArgumentException naming 'dW'");

    [Fact]
    public void An_exception_naming_the_wrong_parameter_is_caught() =>
        Fails("LossWrongParamName", (f, c, p) => LoopChecks.CheckShortShadows(f, c, p), "ParamName 'w'");

    [Fact]
    public void A_signature_off_the_convention_is_caught()
    {
        var f = Function("LossBadSignature");
        var e = Assert.ThrowsAny<XunitException>(() => LoopChecks.CheckSignatures(f.Assembly, Set.TypeName("LossBadSignature"), f.Signature));
        Assert.Contains("Span<double> dW", e.Message);
        Assert.Contains("double dResult", e.Message);
    }

    [Fact]
    public void A_seed_that_is_not_consumed_is_caught()
    {
        Fails("DenseKeepsSeed", (f, c, p) => LoopChecks.CheckShadowSemantics(f, c, p), "pure output");
        Fails("DenseKeepsSeed", (f, c, p) => LoopChecks.CheckVectorJacobianProduct(f, c, p), "finite differences");
    }

    [Fact]
    public void A_backward_that_does_not_run_the_primal_is_caught() =>
        Fails("DenseNoPrimal", (f, c, p) => LoopChecks.CheckShadowSemantics(f, c, p), "run the primal");

    [Fact]
    public void An_in_place_buffer_treated_as_read_only_is_caught() =>
        Fails("SquarePlusCAsInput", (f, c, p) => LoopChecks.CheckVectorJacobianProduct(f, c, p), "finite differences");

    [Fact]
    public void The_allocation_measurement_sees_zero_and_nonzero()
    {
        foreach (string name in new[] { "Loss", "Horner", "Dense", "SquarePlusC", "NormalizeInPlace" })
        {
            var f = Function(name);
            var c = Case(name);
            long bytes = LoopRuntime.AllocatedBytes(f, c, c.Points[0], warmUp: 50, calls: 5000);
            Assert.True(bytes == 0, $"{name}: {bytes} bytes allocated");
        }
        var allocating = Function("LossAllocates");
        long allocated = LoopRuntime.AllocatedBytes(allocating, Case("LossAllocates"), LossPoints[0], warmUp: 50, calls: 1000);
        Assert.True(allocated >= 1000 * 24, $"LossAllocates: only {allocated} bytes measured");
    }

    [Fact]
    public void Parallel_results_equal_serial_ones_for_correct_adjoints()
    {
        foreach (string name in new[] { "Horner", "Dense", "NormalizeInPlace" })
        {
            var f = Function(name);
            var c = Case(name);
            LoopRuntime.AssertParallelMatchesSerial(f, c, LoopRuntime.DistinctPoints(f, c.Points[0], 500));
        }
    }

    [Fact]
    public void Finite_differences_are_accurate_on_a_known_gradient()
    {
        // d/dx sum(sin(x_i) * x_i) = cos(x_i) x_i + sin(x_i), in double and (probed in) float.
        double[] x = { 0.3, -1.2, 2.5, 7.0 };
        double F(double[] v) => v.Sum(t => Math.Sin(t) * t);
        var exact = x.Select(t => Math.Cos(t) * t + Math.Sin(t)).ToArray();
        var fd = LoopChecks.FiniteDifferences(F, x, new bool[x.Length]);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(fd[i] - exact[i]) < 1e-9, $"double {i}: {fd[i]} vs {exact[i]}");
        double[] xf = x.Select(t => (double)(float)t).ToArray();
        double Ff(double[] v) => v.Sum(t => (double)(MathF.Sin((float)t) * (float)t));
        var fdf = LoopChecks.FiniteDifferences(Ff, xf, Enumerable.Repeat(true, x.Length).ToArray());
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Cos(xf[i]) * xf[i] + Math.Sin(xf[i]);
            Assert.True(Math.Abs(fdf[i] - e) < 1e-4 * Math.Max(1, Math.Abs(e)), $"float {i}: {fdf[i]} vs {e}");
        }
    }

    private static void Fails(string name, Action<LoopFunction, LoopCase, object[]> check, string expectedText)
    {
        var f = Function(name);
        var c = Case(name);
        var e = Assert.ThrowsAny<XunitException>(() => check(f, c, c.Points[0]));
        Assert.Contains(expectedText, e.Message);
    }
}
