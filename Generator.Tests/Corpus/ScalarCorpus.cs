using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests.Corpus;

/// <summary>One corpus function and the points it is checked at.</summary>
/// <param name="Name">The method's name (in <see cref="ScalarCorpus.MainClass"/> unless <paramref name="ClassName"/> says otherwise).</param>
/// <param name="Points">3+ argument lists; doubles for active parameters, ints and bools for constants.</param>
internal sealed record CorpusCase(string Name, object[][] Points)
{
    /// <summary>
    /// A hand-derived gradient over the active parameters, or null. It receives every argument of the point as a
    /// double (constants included: ints as their value, bools as 1 or 0).
    /// </summary>
    public Func<double[], double[]>? Hand { get; init; }

    /// <summary>Float for double functions that round through float inside.</summary>
    public Precision Precision { get; init; } = Precision.Auto;

    /// <summary>False where the gradient is not the derivative by design (Grad.Stop): then <see cref="Hand"/> is the reference.</summary>
    public bool FiniteDifferences { get; init; } = true;

    public override string ToString() => Name;
}

/// <summary>
/// The scalar corpus: 40+ functions covering every construct this release supports, in two partial classes,
/// compiled once per mode (analyses on and off).
/// </summary>
internal static class ScalarCorpus
{
    public const string Namespace = "CorpusSource";
    public const string MainClass = "Scalar";
    public const string OtherClass = "ScalarOther";

    public static readonly SourceSet Set = new(Namespace, Members());

    public static readonly IReadOnlyList<CorpusCase> Cases = BuildCases();

    public static CorpusCase Case(string name) => Cases.Single(c => c.Name == name);

    private static SourceMember M(string name, string code, params string[] dependencies) =>
        new(name, MainClass, code, dependencies);

    private static SourceMember O(string name, string code, params string[] dependencies) =>
        new(name, OtherClass, code, dependencies);

    private static IEnumerable<SourceMember> Members()
    {
        // ---------------------------------------------------------------- classic test functions
        yield return M("Rosenbrock", """
            [Differentiable]
            public static double Rosenbrock(double x, double y)
                => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
            """);
        yield return M("Himmelblau", """
            [Differentiable]
            public static double Himmelblau(double x, double y)
            {
                double a = x * x + y - 11;
                double b = x + y * y - 7;
                return a * a + b * b;
            }
            """);
        yield return M("Beale", """
            [Differentiable]
            public static double Beale(double x, double y)
            {
                double t1 = 1.5 - x + x * y;
                double t2 = 2.25 - x + x * y * y;
                double t3 = 2.625 - x + x * y * y * y;
                return t1 * t1 + t2 * t2 + t3 * t3;
            }
            """);
        yield return M("Booth", """
            [Differentiable]
            public static double Booth(double x, double y) => (x + 2 * y - 7) * (x + 2 * y - 7) + (2 * x + y - 5) * (2 * x + y - 5);
            """);

        // ---------------------------------------------------------------- small ML pieces
        yield return M("LogisticLoss", """
            [Differentiable]
            public static double LogisticLoss(double w, double b, [NoDiff] double x, [NoDiff] double label)
            {
                double z = w * x + b;
                double p = 1 / (1 + Math.Exp(-z));
                return -(label * Math.Log(p) + (1 - label) * Math.Log(1 - p));
            }
            """);
        yield return M("Softplus", """
            [Differentiable]
            public static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
            """);
        yield return M("TwoNeuronNet", """
            [Differentiable]
            public static double TwoNeuronNet(double x1, double x2, double w11, double w12, double w21, double w22, double v1, double v2, double b)
            {
                double h1 = Math.Tanh(w11 * x1 + w12 * x2);
                double h2 = Math.Tanh(w21 * x1 + w22 * x2);
                double o = v1 * h1 + v2 * h2 + b;
                return 1 / (1 + Math.Exp(-o));
            }
            """);
        yield return M("Fields", """
            public const double InvSqrt2Pi = 0.3989422804014327;
            public const double Scale = 2.5;
            public static readonly double Offset = 0.75;
            public static readonly float FloatField = 1.25f;
            """);
        yield return M("GaussianPdf", """
            [Differentiable]
            public static double GaussianPdf(double x, double mu, double sigma)
            {
                double z = (x - mu) / sigma;
                return InvSqrt2Pi / sigma * Math.Exp(-0.5 * z * z);
            }
            """, "Fields");
        yield return M("LogSumExp3", """
            [Differentiable]
            public static double LogSumExp3(double a, double b, double c)
            {
                double m = Math.Max(a, Math.Max(b, c));
                return m + Math.Log(Math.Exp(a - m) + Math.Exp(b - m) + Math.Exp(c - m));
            }
            """);
        yield return M("HuberLoss", """
            [Differentiable]
            public static double HuberLoss(double r, [NoDiff] double delta)
            {
                double a = Math.Abs(r);
                if (a <= delta) return 0.5 * r * r;
                return delta * (a - 0.5 * delta);
            }
            """);
        yield return M("ReluNeuron", """
            [Differentiable]
            public static double ReluNeuron(double x, double w, double b) => Math.Max(0, w * x + b) + 0.01 * Math.Min(0, w * x + b);
            """);

        // ---------------------------------------------------------------- locals, reassignment, compound assignment
        yield return M("Polynomial", """
            [Differentiable]
            public static double Polynomial(double x)
            {
                double p = 3;
                p = p * x + 2;
                p = p * x - 1;
                p = p * x + 0.5;
                return p;
            }
            """);
        yield return M("CompoundAssignments", """
            [Differentiable]
            public static double CompoundAssignments(double x, double y)
            {
                double r = x;
                r += y * x;
                r -= 0.5 * y;
                r *= x - y;
                r /= 1 + y * y;
                r += 3;
                return r;
            }
            """);
        yield return M("IncrementDecrement", """
            [Differentiable]
            public static double IncrementDecrement(double x)
            {
                double a = x;
                a++;
                double b = a * a;
                b--;
                ++a;
                --b;
                a--;
                double c = a++ * b;
                return c + a;
            }
            """);
        yield return M("RationalFunction", """
            [Differentiable]
            public static double RationalFunction(double x, double y) => (x * x - y) / (1 + x * x + y * y);
            """);
        yield return M("TrigMix", """
            [Differentiable]
            public static double TrigMix(double x) => Math.Sin(x) * Math.Cos(2 * x) + Math.Tan(x / 4) + double.Atan(x * x);
            """);
        yield return M("PolarRadiusAngle", """
            [Differentiable]
            public static double PolarRadiusAngle(double x, double y) => Math.Sqrt(x * x + y * y) + 2 * Math.Atan2(y, x);
            """);

        // ---------------------------------------------------------------- casts and float
        yield return M("CastChain", """
            [Differentiable]
            public static double CastChain(double x)
            {
                float f = (float)x;
                double g = f * f;
                float h = (float)(g + x);
                return h * x + (double)h;
            }
            """);
        yield return M("MixedFloatDouble", """
            [Differentiable]
            public static double MixedFloatDouble(float a, double b)
            {
                double s = a * b;
                float t = a * a;
                return s + t / b + Math.Exp((double)a * 0.5);
            }
            """);
        yield return M("FloatOnly", """
            [Differentiable]
            public static float FloatOnly(float a, float b)
            {
                float s = MathF.Sin(a) * b;
                s += float.Sqrt(b * b + 1);
                return s / (1 + a * a);
            }
            """);
        yield return M("FloatExpressionBodied", """
            [Differentiable]
            public static float FloatExpressionBodied(float x, float y) => float.Tanh(x * y) + MathF.Exp(-x * x);
            """);
        yield return M("FloatBranchesAndIncrements", """
            [Differentiable]
            public static float FloatBranchesAndIncrements(float x)
            {
                float r = x;
                r++;
                if (r > 2) r *= r; else r -= x * x;
                r--;
                return r;
            }
            """);
        yield return M("FloatSquare", """
            [Differentiable]
            public static float FloatSquare(float x) => x * x;
            """);
        yield return M("FloatCaller", """
            [Differentiable]
            public static float FloatCaller(float x, float y) => FloatSquare(x) * y + FloatSquare(y - x);
            """, "FloatSquare");

        // ---------------------------------------------------------------- constants: int, bool, const, static readonly
        yield return M("IntArithmetic", """
            [Differentiable]
            public static double IntArithmetic(double x, int n) => x * n + Math.Pow(x, n) - n / 2 * x + n;
            """);
        yield return M("IntLocal", """
            [Differentiable]
            public static double IntLocal(double x, int n)
            {
                int k = n * 2;
                double r = x * k;
                k += 1;
                k++;
                return r + k * x * x;
            }
            """);
        yield return M("BoolBranches", """
            [Differentiable]
            public static double BoolBranches(double x, double y, bool useProduct, bool negate)
            {
                double r;
                if (useProduct) r = x * y; else r = x + y;
                if (negate) r = -r;
                return negate && useProduct ? r * x : r;
            }
            """);
        yield return M("ConstsAndStatics", """
            [Differentiable]
            public static double ConstsAndStatics(double x) => Scale * x * x + Offset * x - Scale / Offset + FloatField * x;
            """, "Fields");
        yield return M("LocalConst", """
            [Differentiable]
            public static double LocalConst(double x)
            {
                const double Half = 0.5;
                return Half * x * x + Half;
            }
            """);

        // ---------------------------------------------------------------- control flow
        yield return M("IfElse", """
            [Differentiable]
            public static double IfElse(double x, double y)
            {
                double r;
                if (x > y)
                {
                    r = x * x - y;
                }
                else
                {
                    r = y * y + x;
                }
                return r * 2;
            }
            """);
        yield return M("ElseIfChain", """
            [Differentiable]
            public static double ElseIfChain(double x)
            {
                double r;
                if (x < -1) r = -x * x;
                else if (x < 0) r = x * 3 + 1;
                else if (x < 1) r = Math.Sin(x);
                else r = Math.Log(x) + 1;
                return r;
            }
            """);
        yield return M("NestedBlocks", """
            [Differentiable]
            public static double NestedBlocks(double x, double y)
            {
                double total = 0;
                {
                    double t = x * y;
                    {
                        double u = t + x;
                        total += u * u;
                    }
                    total -= t;
                }
                if (x > 0)
                {
                    {
                        total *= y;
                    }
                }
                return total;
            }
            """);
        yield return M("Ternary", """
            [Differentiable]
            public static double Ternary(double x, double y) => x > y ? x * y : (y > 0 ? y - x : x * x * y);
            """);
        yield return M("EarlyReturn", """
            [Differentiable]
            public static double EarlyReturn(double x)
            {
                if (x < 0) return -x * x;
                double y = x * 3;
                if (y > 6) return y * y;
                return y + x;
            }
            """);
        yield return M("EarlyReturnNested", """
            [Differentiable]
            public static double EarlyReturnNested(double x, double y)
            {
                if (x > 0)
                {
                    if (y > 0)
                    {
                        return x * y;
                    }
                    double t = x - y;
                    if (t > 3) return t * t;
                    return Math.Exp(t);
                }
                else if (y > 1)
                {
                    return y / (1 - x);
                }
                return x + y;
            }
            """);
        yield return M("LogicalConditions", """
            [Differentiable]
            public static double LogicalConditions(double x, double y)
            {
                double r = x * y;
                if (x > 0 && y > 0) r += x;
                if (x < -1 || y > 2) r *= 2;
                if (!(x > y)) r -= y * y;
                if (!(x > 0) && !(y < -3) || x > 5) r += Math.Sin(x);
                return r;
            }
            """);
        yield return M("ExpressionBodied", """
            [Differentiable]
            public static double ExpressionBodied(double x, double y) => Math.Exp(x) * Math.Cos(y) + x / (1 + y * y);
            """);
        yield return M("Shadowing", """
            [Differentiable]
            public static double Shadowing(double x)
            {
                double r;
                if (x > 0)
                {
                    double t = x * x;
                    r = t + 1;
                }
                else
                {
                    double t = -3 * x;
                    r = t * t;
                }
                {
                    double t = r * x;
                    r = t - r;
                }
                return r;
            }
            """);
        yield return M("BranchCompound", """
            [Differentiable]
            public static double BranchCompound(double x, double y)
            {
                double r = x;
                if (y > 0) r += y * y; else r *= y;
                if (r > 1) r /= y; else r -= x;
                return r;
            }
            """);

        // ---------------------------------------------------------------- operators
        yield return M("Modulo", """
            [Differentiable]
            public static double Modulo(double x, double y) => x % y + (x * y) % 2.5;
            """);
        yield return M("UnaryMinus", """
            [Differentiable]
            public static double UnaryMinus(double x, double y) => -x * -(y - x) + -Math.Sin(-x) - -y;
            """);
        yield return M("UnusedValue", """
            [Differentiable]
            public static double UnusedValue(double x, double y)
            {
                double unused = Math.Exp(x * y) * 100;
                double alsoUnused = unused + Math.Log(y * y + 1);
                return x * y + y;
            }
            """);
        yield return M("SixParams", """
            [Differentiable]
            public static double SixParams(double a, double b, double c, double d, double e, double f)
                => a * b + c * Math.Sin(d) + Math.Exp(e * 0.1) * f - a * f / (1 + c * c);
            """);
        yield return M("StopInExpression", """
            [Differentiable]
            public static double StopInExpression(double x, double y) => x * y + Grad.Stop(x * x) * y + Grad.Stop(y);
            """);

        yield return M("ParameterReassigned", """
            [Differentiable]
            public static double ParameterReassigned(double x, double y)
            {
                x = x * y;
                y += x;
                x++;
                return x * y;
            }
            """);
        yield return M("TruncatingCast", """
            [Differentiable]
            public static double TruncatingCast(double x, double y) => (int)x * y + x;
            """);
        yield return M("LongParameter", """
            [Differentiable]
            public static double LongParameter(double x, long n) => x * n + Math.Pow(x, n);
            """);
        yield return M("TernaryInArguments", """
            [Differentiable]
            public static double TernaryInArguments(double x, double y) => Math.Sin(x > 0 ? x : y) * (y > 1 ? x : 2.0);
            """);
        yield return M("FanOut", """
            [Differentiable]
            public static double FanOut(double x) => x * x * x * x + x * Math.Sin(x) * x - x / (x * x + 1);
            """);
        yield return M("EarlyReturnAfterCompound", """
            [Differentiable]
            public static double EarlyReturnAfterCompound(double x, double y)
            {
                double r = x * y;
                r += x;
                if (r > 2)
                {
                    r *= y;
                    if (y > 1) return r;
                    r -= 1;
                }
                else
                {
                    return r * r;
                }
                return r + y;
            }
            """);
        yield return M("FloatMixedCompound", """
            [Differentiable]
            public static float FloatMixedCompound(float x, double d)
            {
                float r = x;
                r += (float)(d * 2);
                r *= x;
                double back = r;
                return (float)(back * d + Math.Cos(back));
            }
            """);

        // ---------------------------------------------------------------- calls
        yield return M("Square", """
            [Differentiable]
            public static double Square(double x) => x * x;
            """);
        yield return M("Logistic", """
            [Differentiable]
            public static double Logistic(double z) => 1 / (1 + Math.Exp(-z));
            """);
        yield return M("CallsSameClass", """
            [Differentiable]
            public static double CallsSameClass(double x, double y) => Square(x) + 3 * Square(x * y) + Logistic(y);
            """, "Square", "Logistic");
        yield return O("Cube", """
            [Differentiable]
            public static double Cube(double x) => x * x * x;
            """);
        yield return M("CallsOtherClass", """
            [Differentiable]
            public static double CallsOtherClass(double x, double y) => ScalarOther.Cube(x) * y + ScalarOther.Cube(y);
            """, "Cube");
        yield return M("ChainC", """
            [Differentiable]
            public static double ChainC(double x) => Math.Exp(x) - x;
            """);
        yield return O("ChainB", """
            [Differentiable]
            public static double ChainB(double x, double y) => Scalar.ChainC(x * y) * x;
            """, "ChainC");
        yield return M("ChainA", """
            [Differentiable]
            public static double ChainA(double x, double y) => Math.Sin(ScalarOther.ChainB(x, y)) + y;
            """, "ChainB");
        yield return M("ChainTop", """
            [Differentiable]
            public static double ChainTop(double x, double y)
            {
                double a = ChainA(x, y);
                return a * a + ChainA(y, x);
            }
            """, "ChainA");
        yield return M("ScaleBy", """
            [Differentiable]
            public static double ScaleBy(double v, [NoDiff] double k) => v * k + Math.Sin(v);
            """);
        yield return M("CallWithNoDiffArgument", """
            [Differentiable]
            public static double CallWithNoDiffArgument(double x, [NoDiff] double k) => ScaleBy(x * x, k) + ScaleBy(x, 2.0);
            """, "ScaleBy");
        yield return M("CallInBranchCondition", """
            [Differentiable]
            public static double CallInBranchCondition(double x) => Square(x) > 2 ? x * 3 : -x;
            """, "Square");
        yield return M("PowerRecursive", """
            [Differentiable]
            public static double PowerRecursive(double x, int n) => n <= 0 ? 1 : x * PowerRecursive(x, n - 1);
            """);
        yield return M("PlainHelper", """
            // Not differentiable: fine to call on constants, or under Grad.Stop.
            public static double PlainHelper(double v) => v * 2 + 1;
            """);
        yield return M("CallOnInactiveArguments", """
            [Differentiable]
            public static double CallOnInactiveArguments(double x, [NoDiff] double k, int n) => x * PlainHelper(k) + PlainHelper(n) * x * x;
            """, "PlainHelper");
        yield return M("StopAroundPlainCall", """
            [Differentiable]
            public static double StopAroundPlainCall(double x, double y) => Grad.Stop(PlainHelper(x * y)) * x + y;
            """, "PlainHelper");
        yield return O("OtherClassCallsBack", """
            [Differentiable]
            public static double OtherClassCallsBack(double x) => Scalar.Square(x) + Cube(x);
            """, "Square", "Cube");
    }

    private static object[] P(params object[] args) => args;

    private static IReadOnlyList<CorpusCase> BuildCases() => new[]
    {
        new CorpusCase("Rosenbrock", new[] { P(-1.2, 1.0), P(0.5, -0.3), P(1.5, 2.2), P(1.0, 1.0) })
        {
            Hand = a =>
            {
                double x = a[0], y = a[1];
                return new[] { -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x) };
            },
        },
        new CorpusCase("Himmelblau", new[] { P(3.0, 2.0), P(-1.5, 0.7), P(0.2, -2.5) })
        {
            Hand = a =>
            {
                double x = a[0], y = a[1];
                return new[] { 4 * x * (x * x + y - 11) + 2 * (x + y * y - 7), 2 * (x * x + y - 11) + 4 * y * (x + y * y - 7) };
            },
        },
        new CorpusCase("Beale", new[] { P(3.0, 0.5), P(1.0, 1.0), P(-0.5, 1.5) }),
        new CorpusCase("Booth", new[] { P(1.0, 3.0), P(0.0, 0.0), P(-2.5, 4.0) })
        {
            Hand = a =>
            {
                double x = a[0], y = a[1];
                return new[] { 2 * (x + 2 * y - 7) + 4 * (2 * x + y - 5), 4 * (x + 2 * y - 7) + 2 * (2 * x + y - 5) };
            },
        },
        new CorpusCase("LogisticLoss", new[] { P(0.5, -0.2, 1.5, 1.0), P(-1.2, 0.3, 0.7, 0.0), P(2.0, 1.0, -0.4, 1.0) })
        {
            Hand = a =>
            {
                double w = a[0], b = a[1], x = a[2], label = a[3];
                double p = 1 / (1 + Math.Exp(-(w * x + b)));
                return new[] { (p - label) * x, p - label };
            },
        },
        new CorpusCase("Softplus", new[] { P(-3.0), P(-0.4), P(0.7), P(5.0) })
        {
            Hand = a => new[] { 1 / (1 + Math.Exp(-a[0])) },
        },
        new CorpusCase("TwoNeuronNet", new[]
        {
            P(0.5, -1.0, 0.3, -0.7, 1.1, 0.4, -0.6, 0.9, 0.1),
            P(-1.5, 2.0, -0.2, 0.5, 0.8, -1.3, 1.4, -0.3, -0.5),
            P(2.0, 0.3, 0.6, 0.6, -0.9, 0.2, 0.7, 1.2, 0.0),
        }),
        new CorpusCase("GaussianPdf", new[] { P(0.3, 0.0, 1.0), P(1.5, 0.5, 0.8), P(-2.0, 1.0, 2.5) }),
        new CorpusCase("LogSumExp3", new[] { P(1.0, 2.0, 3.0), P(-0.5, 0.3, -2.0), P(4.0, 4.5, 1.0) })
        {
            Hand = a =>
            {
                double ea = Math.Exp(a[0]), eb = Math.Exp(a[1]), ec = Math.Exp(a[2]), s = ea + eb + ec;
                return new[] { ea / s, eb / s, ec / s };
            },
        },
        new CorpusCase("HuberLoss", new[] { P(0.3, 1.0), P(-2.5, 1.0), P(3.0, 1.5), P(-0.2, 0.5) }),
        new CorpusCase("ReluNeuron", new[] { P(1.5, 0.8, -0.3), P(-1.0, 2.0, 0.5), P(0.7, -1.2, 0.1) }),
        new CorpusCase("Polynomial", new[] { P(-1.3), P(0.4), P(2.0) })
        {
            Hand = a => new[] { 9 * a[0] * a[0] + 4 * a[0] - 1 },
        },
        new CorpusCase("CompoundAssignments", new[] { P(1.5, -0.5), P(0.3, 0.8), P(-2.0, 1.2) }),
        new CorpusCase("IncrementDecrement", new[] { P(0.5), P(-1.7), P(2.2) }),
        new CorpusCase("RationalFunction", new[] { P(0.5, -0.3), P(-1.2, 2.0), P(2.0, 0.7) }),
        new CorpusCase("TrigMix", new[] { P(-1.1), P(0.4), P(2.3) }),
        new CorpusCase("PolarRadiusAngle", new[] { P(1.0, 2.0), P(-1.5, 0.5), P(-0.7, -1.2), P(2.0, -0.4) }),
        new CorpusCase("CastChain", new[] { P(-1.25), P(0.375), P(2.5) }) { Precision = Precision.Float },
        new CorpusCase("MixedFloatDouble", new[] { P(0.5, 1.5), P(-1.25, 0.75), P(2.0, -3.0) }),
        new CorpusCase("FloatOnly", new[] { P(0.5, 1.5), P(-1.25, 0.75), P(2.0, -3.0) }),
        new CorpusCase("FloatExpressionBodied", new[] { P(0.5, 1.5), P(-1.25, 0.75), P(2.0, -0.5) }),
        new CorpusCase("FloatBranchesAndIncrements", new[] { P(0.5), P(1.8), P(-1.0) }),
        new CorpusCase("FloatSquare", new[] { P(0.5), P(-1.25), P(3.0) }),
        new CorpusCase("FloatCaller", new[] { P(0.5, 1.5), P(-1.25, 0.75), P(2.0, -3.0) }),
        new CorpusCase("IntArithmetic", new[] { P(1.5, 3), P(-0.8, 2), P(2.2, -2), P(0.7, 0) }),
        new CorpusCase("IntLocal", new[] { P(1.5, 3), P(-0.8, 2), P(2.2, -2) }),
        new CorpusCase("BoolBranches", new[]
        {
            P(1.5, -0.5, true, false), P(1.5, -0.5, false, true), P(0.3, 2.0, true, true), P(0.3, 2.0, false, false),
        }),
        new CorpusCase("ConstsAndStatics", new[] { P(-1.5), P(0.3), P(2.0) })
        {
            Hand = a => new[] { 2 * 2.5 * a[0] + 0.75 + 1.25 },
        },
        new CorpusCase("LocalConst", new[] { P(-1.5), P(0.3), P(2.0) }),
        new CorpusCase("IfElse", new[] { P(2.0, 1.0), P(0.5, 1.5), P(-1.0, -2.0) }),
        new CorpusCase("ElseIfChain", new[] { P(-2.0), P(-0.5), P(0.5), P(3.0) }),
        new CorpusCase("NestedBlocks", new[] { P(1.5, 0.5), P(-0.7, 2.0), P(0.3, -1.0) }),
        new CorpusCase("Ternary", new[] { P(2.0, 1.0), P(0.5, 1.5), P(-1.0, -0.5) }),
        new CorpusCase("EarlyReturn", new[] { P(-1.5), P(0.5), P(3.0) }),
        new CorpusCase("EarlyReturnNested", new[] { P(1.0, 2.0), P(1.0, -1.0), P(2.0, -2.0), P(-1.0, 2.0), P(-1.0, 0.5) }),
        new CorpusCase("LogicalConditions", new[] { P(1.0, 1.5), P(-2.0, 0.5), P(0.5, 3.0), P(6.0, -1.0), P(-0.5, -4.0) }),
        new CorpusCase("ExpressionBodied", new[] { P(0.3, -0.8), P(-1.2, 2.0), P(1.0, 0.4) }),
        new CorpusCase("Shadowing", new[] { P(1.5), P(-0.5), P(0.3) }),
        new CorpusCase("BranchCompound", new[] { P(1.5, 0.5), P(0.3, -2.0), P(0.2, 0.3) }),
        new CorpusCase("Modulo", new[] { P(5.3, 2.0), P(-3.7, 1.6), P(2.2, -0.9) }),
        new CorpusCase("UnaryMinus", new[] { P(0.5, -1.0), P(-1.3, 0.2), P(2.0, 1.5) }),
        new CorpusCase("UnusedValue", new[] { P(0.5, -1.0), P(-1.3, 0.2), P(2.0, 1.5) })
        {
            Hand = a => new[] { a[1], a[0] + 1 },
        },
        new CorpusCase("SixParams", new[]
        {
            P(0.5, -1.0, 0.3, 1.2, -0.4, 2.0), P(-1.3, 0.2, 1.5, -0.6, 1.0, -0.7), P(2.0, 1.5, -0.8, 2.5, 0.3, 0.9),
        }),
        new CorpusCase("StopInExpression", new[] { P(0.5, -1.0), P(-1.3, 0.2), P(2.0, 1.5) })
        {
            FiniteDifferences = false,
            Hand = a => new[] { a[1], a[0] + a[0] * a[0] },
        },
        new CorpusCase("ParameterReassigned", new[] { P(0.5, -1.0), P(-1.3, 0.2), P(2.0, 1.5) })
        {
            // (xy + 1)(y + xy)
            Hand = a =>
            {
                double x = a[0], y = a[1];
                return new[] { y * (y + x * y) + (x * y + 1) * y, x * (y + x * y) + (x * y + 1) * (1 + x) };
            },
        },
        new CorpusCase("TruncatingCast", new[] { P(2.5, 1.5), P(-1.7, 0.4), P(0.3, -2.0) })
        {
            Hand = a => new[] { 1.0, Math.Truncate(a[0]) },
        },
        new CorpusCase("LongParameter", new[] { P(1.5, 3L), P(-0.8, 2L), P(2.2, -1L) })
        {
            Hand = a => new[] { a[1] + a[1] * Math.Pow(a[0], a[1] - 1) },
        },
        new CorpusCase("TernaryInArguments", new[] { P(0.5, 1.5), P(-1.3, 0.2), P(2.0, 0.5), P(-0.4, 2.5) }),
        new CorpusCase("FanOut", new[] { P(-1.3), P(0.4), P(2.0) }),
        new CorpusCase("EarlyReturnAfterCompound", new[] { P(1.0, 2.0), P(2.0, 0.5), P(0.5, 0.5), P(3.0, -0.5) }),
        new CorpusCase("FloatMixedCompound", new[] { P(0.5, 1.5), P(-1.25, 0.75), P(2.0, -0.5) }),
        new CorpusCase("Square", new[] { P(-1.5), P(0.3), P(2.0) }) { Hand = a => new[] { 2 * a[0] } },
        new CorpusCase("Logistic", new[] { P(-1.5), P(0.3), P(2.0) }),
        new CorpusCase("CallsSameClass", new[] { P(0.5, -1.0), P(-1.3, 0.2), P(2.0, 1.5) }),
        new CorpusCase("Cube", new[] { P(-1.5), P(0.3), P(2.0) }) { Hand = a => new[] { 3 * a[0] * a[0] } },
        new CorpusCase("CallsOtherClass", new[] { P(0.5, -1.0), P(-1.3, 0.2), P(2.0, 1.5) })
        {
            Hand = a => new[] { 3 * a[0] * a[0] * a[1], a[0] * a[0] * a[0] + 3 * a[1] * a[1] },
        },
        new CorpusCase("ChainC", new[] { P(-1.5), P(0.3), P(2.0) }),
        new CorpusCase("ChainB", new[] { P(0.5, -1.0), P(-1.3, 0.2), P(1.2, 0.5) }),
        new CorpusCase("ChainA", new[] { P(0.5, -1.0), P(-1.3, 0.2), P(1.2, 0.5) }),
        new CorpusCase("ChainTop", new[] { P(0.5, -1.0), P(-1.3, 0.2), P(1.2, 0.5) }),
        new CorpusCase("ScaleBy", new[] { P(0.5, 2.0), P(-1.3, 0.3), P(2.5, -1.0) }),
        new CorpusCase("CallWithNoDiffArgument", new[] { P(1.5, 2.0), P(-0.5, 0.3), P(2.5, -1.0) })
        {
            Hand = a =>
            {
                double x = a[0], k = a[1];
                return new[] { 2 * x * k + 2 * x * Math.Cos(x * x) + 2 + Math.Cos(x) };
            },
        },
        new CorpusCase("CallInBranchCondition", new[] { P(-2.0), P(0.5), P(1.8) }),
        new CorpusCase("PowerRecursive", new[] { P(1.5, 3), P(-0.8, 2), P(2.2, 0), P(0.7, 5) })
        {
            Hand = a => new[] { a[1] <= 0 ? 0 : a[1] * Math.Pow(a[0], a[1] - 1) },
        },
        new CorpusCase("CallOnInactiveArguments", new[] { P(1.5, 2.0, 3), P(-0.5, 0.3, -1), P(2.5, -1.0, 0) })
        {
            Hand = a => new[] { (a[1] * 2 + 1) + 2 * a[0] * (a[2] * 2 + 1) },
        },
        new CorpusCase("StopAroundPlainCall", new[] { P(1.5, 2.0), P(-0.5, 0.3), P(2.5, -1.0) })
        {
            // d/dx = Stop(...) = 2xy + 1 (the stopped factor is a constant), d/dy = 1.
            FiniteDifferences = false,
            Hand = a => new[] { a[0] * a[1] * 2 + 1, 1.0 },
        },
        new CorpusCase("OtherClassCallsBack", new[] { P(-1.5), P(0.3), P(2.0) })
        {
            Hand = a => new[] { 2 * a[0] + 3 * a[0] * a[0] },
        },
    };
}
