using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests.Rules;

/// <summary>Which spellings of a rule exist: Math.X / double.X for double, MathF.X / float.X for float.</summary>
[Flags]
internal enum Spellings
{
    Math = 1,
    Double = 2,
    MathF = 4,
    Float = 8,
    DoubleOnly = Math | Double,
    FloatOnly = MathF | Float,
    TypeOnly = Double | Float,
    All = Math | Double | MathF | Float,
    AllButMathF = Math | Double | Float,
}

/// <summary>
/// The C# text the derivative-rule tests compile: one class with many small [Differentiable] methods, one per rule
/// and spelling (<c>Sin_Math</c>, <c>Sin_Double</c>, <c>Sin_MathF</c>, <c>Sin_Float</c>), compiled once.
/// </summary>
internal static class RuleSource
{
    public const string Namespace = "RuleSource";
    public const string ClassName = "Rules";

    public static readonly SourceSet Set = new(Namespace, Members());

    /// <summary>The variants of a rule, e.g. <c>Sin_Math</c>, <c>Sin_Double</c>, <c>Sin_MathF</c>, <c>Sin_Float</c>.</summary>
    public static IReadOnlyList<string> Variants(string rule)
    {
        var found = Set.Members.Select(m => m.Name).Where(n => n.StartsWith(rule + "_", StringComparison.Ordinal)
            && !n.Substring(rule.Length + 1).Contains('_')).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (found.Count == 0) throw new ArgumentException($"No rule '{rule}' in the rule source.");
        return found;
    }

    private static IEnumerable<SourceMember> Members()
    {
        // ---- 1. Trigonometric
        foreach (var m in Unary("Sin", "{0}.Sin(x)")) yield return m;
        foreach (var m in Unary("Cos", "{0}.Cos(x)")) yield return m;
        foreach (var m in Unary("Tan", "{0}.Tan(x)")) yield return m;
        foreach (var m in Unary("Asin", "{0}.Asin(x)")) yield return m;
        foreach (var m in Unary("Acos", "{0}.Acos(x)")) yield return m;
        foreach (var m in Unary("Atan", "{0}.Atan(x)")) yield return m;
        foreach (var m in Family("Atan2", "{1} y, {1} x", "{0}.Atan2(y, x)", Spellings.All)) yield return m;

        // ---- 2. Hyperbolic
        foreach (var m in Unary("Sinh", "{0}.Sinh(x)")) yield return m;
        foreach (var m in Unary("Cosh", "{0}.Cosh(x)")) yield return m;
        foreach (var m in Unary("Tanh", "{0}.Tanh(x)")) yield return m;
        foreach (var m in Unary("Asinh", "{0}.Asinh(x)")) yield return m;
        foreach (var m in Unary("Acosh", "{0}.Acosh(x)")) yield return m;
        foreach (var m in Unary("Atanh", "{0}.Atanh(x)")) yield return m;

        // ---- 3. Exponential and logarithmic (Math and MathF have no Exp2)
        foreach (var m in Unary("Exp", "{0}.Exp(x)")) yield return m;
        foreach (var m in Unary("Exp2", "{0}.Exp2(x)", Spellings.TypeOnly)) yield return m;
        foreach (var m in Unary("Log", "{0}.Log(x)")) yield return m;
        foreach (var m in Family("LogBase", "{1} x, {1} b", "{0}.Log(x, b)", Spellings.All)) yield return m;
        foreach (var m in Unary("Log10", "{0}.Log10(x)")) yield return m;
        foreach (var m in Unary("Log2", "{0}.Log2(x)")) yield return m;

        // ---- 4. Power functions (Math and MathF have no Hypot)
        foreach (var m in Unary("Sqrt", "{0}.Sqrt(x)")) yield return m;
        foreach (var m in Unary("Cbrt", "{0}.Cbrt(x)")) yield return m;
        foreach (var m in Family("Pow", "{1} x, {1} y", "{0}.Pow(x, y)", Spellings.All)) yield return m;
        foreach (var m in Unary("PowConstExponent", "{0}.Pow(x, 3)")) yield return m;
        foreach (var m in Unary("PowConstBase", "{0}.Pow(3, x)")) yield return m;
        foreach (var m in Family("Hypot", "{1} x, {1} y", "{0}.Hypot(x, y)", Spellings.TypeOnly)) yield return m;
        foreach (var m in Family("FusedMultiplyAdd", "{1} a, {1} b, {1} c", "{0}.FusedMultiplyAdd(a, b, c)", Spellings.All)) yield return m;

        // ---- 5. Piecewise (MathF has no Clamp)
        foreach (var m in Unary("Abs", "{0}.Abs(x)")) yield return m;
        foreach (var m in Family("Max", "{1} a, {1} b", "{0}.Max(a, b)", Spellings.All)) yield return m;
        foreach (var m in Family("Min", "{1} a, {1} b", "{0}.Min(a, b)", Spellings.All)) yield return m;
        foreach (var m in Family("Clamp", "{1} x, {1} lo, {1} hi", "{0}.Clamp(x, lo, hi)", Spellings.AllButMathF)) yield return m;

        // ---- 6. Zero derivative: x * F(x) has derivative F(x) exactly (the product rule with F' = 0).
        foreach (var m in Unary("Floor", "x * {0}.Floor(x)")) yield return m;
        foreach (var m in Unary("Ceiling", "x * {0}.Ceiling(x)")) yield return m;
        foreach (var m in Unary("Round", "x * {0}.Round(x)")) yield return m;
        foreach (var m in Unary("Truncate", "x * {0}.Truncate(x)")) yield return m;
        foreach (var m in Unary("Sign", "x * {0}.Sign(x)")) yield return m;
        foreach (var m in Unary("FloorOnly", "{0}.Floor(x)")) yield return m;
        foreach (var m in Unary("SignOnly", "{0}.Sign(x)")) yield return m;

        // ---- 7. Operators
        foreach (var m in Typed("Add", "{0} a, {0} b", "a + b")) yield return m;
        foreach (var m in Typed("Sub", "{0} a, {0} b", "a - b")) yield return m;
        foreach (var m in Typed("Mul", "{0} a, {0} b", "a * b")) yield return m;
        foreach (var m in Typed("Div", "{0} a, {0} b", "a / b")) yield return m;
        foreach (var m in Typed("Mod", "{0} a, {0} b", "a % b")) yield return m;
        foreach (var m in Typed("Neg", "{0} a, {0} b", "-a * b + -(b * b) - -a")) yield return m;
        foreach (var m in Typed("Square", "{0} a", "a * a")) yield return m;
        foreach (var m in Typed("Compound", "{0} a, {0} b", """
            {
                {0} r = a;
                r += b * a;
                r -= b;
                r *= a + 2;
                r /= b * b + 1;
                r %= 7;
                return r;
            }
            """)) yield return m;
        foreach (var m in Typed("IncDec", "{0} a, {0} b", """
            {
                {0} r = a * b;
                r++;
                r *= a;
                r--;
                ++r;
                --r;
                r--;
                return r * b;
            }
            """)) yield return m;
        foreach (var m in Typed("IncInExpression", "{0} a, {0} b", """
            {
                {0} r = a;
                {0} s = r++ * b;
                {0} t = ++r * b;
                {0} u = r-- + --r;
                return s + t * u + r;
            }
            """)) yield return m;

        // ---- 8. Casts, constants, literals
        yield return Member("CastRoundTrip_Double", """
            public static double CastRoundTrip_Double(double x)
            {
                float f = (float)x;
                double d = f;
                return d * x + f + (double)(float)(x * x);
            }
            """);
        yield return Member("CastUp_Float", """
            public static float CastUp_Float(float x)
            {
                double d = x;
                return (float)(d * d + Math.Sin(d));
            }
            """);
        yield return Member("MixedParams_Double", """
            public static double MixedParams_Double(float a, double b) => a * b + (double)a / b + MathF.Sin(a);
            """);
        yield return Member("MixedParams_Float", """
            public static float MixedParams_Float(double a, float b) => (float)a * b + (float)(a / b) + MathF.Cos(b);
            """);
        yield return Member("IntParam_Double", """
            public static double IntParam_Double(double x, int n) => x * n + n / 2 + Math.Pow(x, n) + n * n;
            """);
        yield return Member("IntParam_Float", """
            public static float IntParam_Float(float x, int n) => x * n + n / 2 + MathF.Pow(x, n) + (float)n;
            """);
        yield return Member("IntLocal_Double", """
            public static double IntLocal_Double(double x, int n)
            {
                int k = n * 2 + 1;
                double scaled = x * k;
                k = k - 3;
                return scaled + k * x * x;
            }
            """);
        yield return Member("BoolParam_Double", """
            public static double BoolParam_Double(double x, bool square) => square ? x * x : 3 * x;
            """);
        yield return Member("BoolParam_Float", """
            public static float BoolParam_Float(float x, bool square)
            {
                if (square) return x * x;
                return 3 * x;
            }
            """);
        yield return new SourceMember("Fields", RuleSource.ClassName, """
            public const double K = 2.5;
            public const float KF = 1.5f;
            public static readonly double Field = 0.75;
            public static readonly float FieldF = -0.25f;
            """);
        yield return new SourceMember("Consts_Double", ClassName, """
            [Differentiable]
            public static double Consts_Double(double x) => K * x + Field * x * x + 0.5 + 1e-3 * x + double.Pi * x;
            """, "Fields");
        yield return new SourceMember("Consts_Float", ClassName, """
            [Differentiable]
            public static float Consts_Float(float x) => KF * x + FieldF * x * x + 0.5f + 1e-3f * x + MathF.PI * x;
            """, "Fields");

        // ---- 9. Conventions (exact values)
        foreach (var m in Typed("Stop", "{0} x", "x * Grad.Stop(x)")) yield return m;
        foreach (var m in Typed("StopOnly", "{0} x", "Grad.Stop(x)")) yield return m;
        foreach (var m in Typed("StopInside", "{0} x, {0} y", "Grad.Stop(x * y) * y + x")) yield return m;
        foreach (var m in Unary("ZeroTimesSqrt", "0 * {0}.Sqrt(x)")) yield return m;
        foreach (var m in Unary("SqrtTimesZero", "{0}.Sqrt(x) * 0")) yield return m;
        foreach (var m in Family("YTimesSqrt", "{1} x, {1} y", "y * {0}.Sqrt(x)", Spellings.All)) yield return m;
        foreach (var m in Unary("ZeroTimesPow", "0 * {0}.Pow(x, 0.5f)")) yield return m;
        foreach (var m in Unary("ZeroTimesAsin", "0 * {0}.Asin(x)")) yield return m;
        foreach (var m in Unary("ZeroTimesAcosh", "0 * {0}.Acosh(x)")) yield return m;
        foreach (var m in Typed("Comparison", "{0} x", "x > 1 ? 1 : 0")) yield return m;
    }

    /// <summary>One variant per spelling of a one-argument function of x.</summary>
    private static IEnumerable<SourceMember> Unary(string rule, string body, Spellings spellings = Spellings.All) =>
        Family(rule, "{1} x", body, spellings);

    /// <summary>
    /// One variant per spelling. In <paramref name="parameters"/> and <paramref name="body"/>, {0} is the class
    /// (Math, double, MathF, float) and {1} the type.
    /// </summary>
    private static IEnumerable<SourceMember> Family(string rule, string parameters, string body, Spellings spellings)
    {
        foreach (var (flag, owner, type) in new[]
        {
            (Spellings.Math, "Math", "double"), (Spellings.Double, "double", "double"),
            (Spellings.MathF, "MathF", "float"), (Spellings.Float, "float", "float"),
        })
        {
            if ((spellings & flag) == 0) continue;
            string name = rule + "_" + flag;
            string ps = parameters.Replace("{1}", type);
            string b = body.Replace("{0}", owner).Replace("{1}", type);
            // Literals written as 0.5f stay float in float code and widen exactly in double code.
            yield return Member(name, $"public static {type} {name}({ps}) => {b};");
        }
    }

    /// <summary>A double and a float variant of operator code; {0} is the type. A body starting with '{' is a block.</summary>
    private static IEnumerable<SourceMember> Typed(string rule, string parameters, string body)
    {
        foreach (var (suffix, type) in new[] { ("Double", "double"), ("Float", "float") })
        {
            string name = rule + "_" + suffix;
            string ps = parameters.Replace("{0}", type);
            string b = body.Replace("{0}", type);
            string code = b.TrimStart().StartsWith("{", StringComparison.Ordinal)
                ? $"public static {type} {name}({ps})\n{b}"
                : $"public static {type} {name}({ps}) => {b};";
            yield return Member(name, code);
        }
    }

    private static SourceMember Member(string name, string code) =>
        new(name, ClassName, "[Differentiable]\n" + code);
}
