using System.Reflection;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests.Rules;

/// <summary>
/// Every derivative rule, in every spelling (Math.X and double.X for double, MathF.X and float.X for float), against
/// finite differences at several points inside its domain; the documented conventions against exact values. Each
/// check also covers the value, Backward with a seed on pre-filled adjoints and Backward accumulating twice
/// (see <see cref="GradientAssert"/>). The methods live in <see cref="RuleSource"/>, compiled once.
/// </summary>
public class DerivativeRuleTests
{
    private static readonly SourceSet Set = RuleSource.Set;

    [Fact]
    public void Rule_source_compiles_without_diagnostics()
    {
        // When this fails, the other tests fall back to compiling only the methods they need.
        GradientAssert.Compile(Set.FullSource);
    }

    // ------------------------------------------------------------------ 1. Trigonometric

    [Theory, InlineData(-2.1), InlineData(-0.3), InlineData(0.7), InlineData(1.9), InlineData(4.0)]
    public void Sin(double x) => Rule("Sin", x);

    [Theory, InlineData(-2.1), InlineData(-0.3), InlineData(0.7), InlineData(1.9), InlineData(4.0)]
    public void Cos(double x) => Rule("Cos", x);

    [Theory, InlineData(-1.0), InlineData(-0.4), InlineData(0.3), InlineData(1.0)]
    public void Tan(double x) => Rule("Tan", x);

    [Theory, InlineData(-0.7), InlineData(-0.3), InlineData(0.2), InlineData(0.65)]
    public void Asin(double x) => Rule("Asin", x);

    [Theory, InlineData(-0.7), InlineData(-0.3), InlineData(0.2), InlineData(0.65)]
    public void Acos(double x) => Rule("Acos", x);

    [Theory, InlineData(-3.0), InlineData(-0.5), InlineData(0.4), InlineData(2.5)]
    public void Atan(double x) => Rule("Atan", x);

    [Theory]
    [InlineData(1.0, 2.0)]   // quadrant I
    [InlineData(1.5, -0.7)]  // quadrant II
    [InlineData(-0.8, -1.3)] // quadrant III
    [InlineData(-1.2, 0.9)]  // quadrant IV
    [InlineData(0.6, 0.0)]   // on the positive y axis
    public void Atan2(double y, double x) => Rule("Atan2", y, x);

    // ------------------------------------------------------------------ 2. Hyperbolic

    [Theory, InlineData(-2.0), InlineData(-0.5), InlineData(0.3), InlineData(1.7)]
    public void Sinh(double x) => Rule("Sinh", x);

    [Theory, InlineData(-2.0), InlineData(-0.5), InlineData(0.3), InlineData(1.7)]
    public void Cosh(double x) => Rule("Cosh", x);

    [Theory, InlineData(-2.0), InlineData(-0.5), InlineData(0.3), InlineData(1.7)]
    public void Tanh(double x) => Rule("Tanh", x);

    [Theory, InlineData(-3.0), InlineData(-0.4), InlineData(0.6), InlineData(2.2)]
    public void Asinh(double x) => Rule("Asinh", x);

    [Theory, InlineData(1.5), InlineData(2.0), InlineData(3.3), InlineData(7.5)]
    public void Acosh(double x) => Rule("Acosh", x);

    [Theory, InlineData(-0.7), InlineData(-0.2), InlineData(0.35), InlineData(0.6)]
    public void Atanh(double x) => Rule("Atanh", x);

    // ------------------------------------------------------------------ 3. Exponential and logarithmic

    [Theory, InlineData(-2.0), InlineData(-0.3), InlineData(0.8), InlineData(2.4)]
    public void Exp(double x) => Rule("Exp", x);

    [Theory, InlineData(-2.0), InlineData(-0.3), InlineData(0.8), InlineData(2.4)]
    public void Exp2(double x) => Rule("Exp2", x);

    [Theory, InlineData(0.5), InlineData(1.0), InlineData(2.7), InlineData(15.0)]
    public void Log(double x) => Rule("Log", x);

    [Theory]
    [InlineData(2.5, 3.0)]
    [InlineData(0.7, 10.0)]
    [InlineData(8.0, 2.0)]
    [InlineData(5.0, 0.5)]
    public void Log_with_base(double x, double newBase) => Rule("LogBase", x, newBase);

    [Theory, InlineData(0.5), InlineData(1.3), InlineData(4.0), InlineData(20.0)]
    public void Log10(double x) => Rule("Log10", x);

    [Theory, InlineData(0.5), InlineData(1.3), InlineData(4.0), InlineData(20.0)]
    public void Log2(double x) => Rule("Log2", x);

    // ------------------------------------------------------------------ 4. Power functions

    [Theory, InlineData(0.25), InlineData(1.0), InlineData(2.5), InlineData(9.0)]
    public void Sqrt(double x) => Rule("Sqrt", x);

    [Theory, InlineData(-8.0), InlineData(-0.7), InlineData(0.5), InlineData(3.0)]
    public void Cbrt(double x) => Rule("Cbrt", x);

    [Theory]
    [InlineData(1.5, 2.3)]
    [InlineData(0.7, -1.4)]
    [InlineData(3.0, 0.5)]
    [InlineData(2.0, 3.0)]
    public void Pow_both_arguments_active(double x, double y) => Rule("Pow", x, y);

    [Theory, InlineData(-1.5), InlineData(-0.4), InlineData(0.6), InlineData(2.0)]
    public void Pow_constant_exponent(double x) => Rule("PowConstExponent", x);

    [Theory, InlineData(-1.0), InlineData(0.3), InlineData(2.0)]
    public void Pow_constant_base(double y) => Rule("PowConstBase", y);

    [Theory]
    [InlineData(3.0, 4.0)]
    [InlineData(-1.0, 2.0)]
    [InlineData(0.5, -0.2)]
    [InlineData(-2.5, -1.5)]
    public void Hypot(double x, double y) => Rule("Hypot", x, y);

    [Theory]
    [InlineData(1.5, -2.0, 0.3)]
    [InlineData(0.2, 0.7, -1.0)]
    [InlineData(-3.0, 0.5, 2.0)]
    public void FusedMultiplyAdd(double a, double b, double c) => Rule("FusedMultiplyAdd", a, b, c);

    // ------------------------------------------------------------------ 5. Piecewise

    [Theory, InlineData(-2.0), InlineData(-0.3), InlineData(0.4), InlineData(3.0)]
    public void Abs(double x) => Rule("Abs", x);

    [Theory]
    [InlineData(1.0, 2.0)]
    [InlineData(2.0, 1.0)]
    [InlineData(-0.5, 0.3)]
    [InlineData(0.3, -0.5)]
    [InlineData(-3.0, -2.5)]
    public void Max(double a, double b) => Rule("Max", a, b);

    [Theory]
    [InlineData(1.0, 2.0)]
    [InlineData(2.0, 1.0)]
    [InlineData(-0.5, 0.3)]
    [InlineData(0.3, -0.5)]
    [InlineData(-3.0, -2.5)]
    public void Min(double a, double b) => Rule("Min", a, b);

    [Theory]
    [InlineData(-2.0, -1.0, 1.0)] // below
    [InlineData(0.3, -1.0, 1.0)]  // inside
    [InlineData(2.0, -1.0, 1.0)]  // above
    [InlineData(0.1, 0.5, 1.5)]   // below, other bounds
    [InlineData(1.2, 0.5, 1.5)]   // inside, other bounds
    public void Clamp(double x, double lo, double hi) => Rule("Clamp", x, lo, hi);

    // ------------------------------------------------------------------ 6. Zero-derivative functions (x * F(x))

    [Theory, InlineData(-1.7), InlineData(-0.3), InlineData(0.4), InlineData(2.6)]
    public void Floor(double x) => Rule("Floor", x);

    [Theory, InlineData(-1.7), InlineData(-0.3), InlineData(0.4), InlineData(2.6)]
    public void Ceiling(double x) => Rule("Ceiling", x);

    [Theory, InlineData(-1.7), InlineData(-0.3), InlineData(0.4), InlineData(2.6)]
    public void Round(double x) => Rule("Round", x);

    [Theory, InlineData(-1.7), InlineData(-0.3), InlineData(0.4), InlineData(2.6)]
    public void Truncate(double x) => Rule("Truncate", x);

    [Theory, InlineData(-1.7), InlineData(-0.3), InlineData(0.4), InlineData(2.6)]
    public void Sign(double x) => Rule("Sign", x);

    [Theory, InlineData(-1.7), InlineData(0.4), InlineData(2.6)]
    public void Floor_alone(double x) => Rule("FloorOnly", x);

    [Theory, InlineData(-1.7), InlineData(0.4)]
    public void Sign_alone(double x) => Rule("SignOnly", x);

    // ------------------------------------------------------------------ 7. Operators

    [Theory, InlineData(1.5, -2.0), InlineData(0.3, 0.7), InlineData(-4.0, 2.5)]
    public void Add(double a, double b) => Rule("Add", a, b);

    [Theory, InlineData(1.5, -2.0), InlineData(0.3, 0.7), InlineData(-4.0, 2.5)]
    public void Subtract(double a, double b) => Rule("Sub", a, b);

    [Theory, InlineData(1.5, -2.0), InlineData(0.3, 0.7), InlineData(-4.0, 2.5)]
    public void Multiply(double a, double b) => Rule("Mul", a, b);

    [Theory, InlineData(1.5, -2.0), InlineData(0.3, 0.7), InlineData(-4.0, 2.5)]
    public void Divide(double a, double b) => Rule("Div", a, b);

    [Theory, InlineData(5.3, 2.0), InlineData(-7.1, 3.0), InlineData(4.5, -1.6), InlineData(0.7, 2.5)]
    public void Remainder(double a, double b) => Rule("Mod", a, b);

    [Theory, InlineData(1.5, -2.0), InlineData(0.3, 0.7), InlineData(-4.0, 2.5)]
    public void Unary_minus(double a, double b) => Rule("Neg", a, b);

    [Theory, InlineData(-1.5), InlineData(0.3), InlineData(2.0)]
    public void Self_product(double a) => Rule("Square", a);

    [Theory, InlineData(1.5, -2.0), InlineData(0.3, 0.7), InlineData(-1.2, 0.4)]
    public void Compound_assignment(double a, double b) => Rule("Compound", a, b);

    [Theory, InlineData(1.5, -2.0), InlineData(0.3, 0.7), InlineData(-4.0, 2.5)]
    public void Increment_and_decrement(double a, double b) => Rule("IncDec", a, b);

    [Theory, InlineData(1.5, -2.0), InlineData(0.3, 0.7), InlineData(-4.0, 2.5)]
    public void Increment_inside_expressions(double a, double b) => Rule("IncInExpression", a, b);

    // ------------------------------------------------------------------ 8. Casts and constants

    [Theory, InlineData(-1.25), InlineData(0.375), InlineData(2.5)]
    public void Cast_double_to_float_and_back(double x) => Rule("CastRoundTrip", Precision.Float, x);

    [Theory, InlineData(-1.25), InlineData(0.375), InlineData(2.5)]
    public void Cast_float_to_double_and_back(double x) => Rule("CastUp", x);

    [Theory, InlineData(-1.25, 0.5), InlineData(0.375, -2.0), InlineData(2.5, 3.0)]
    public void Float_and_double_parameters_mixed(double a, double b) => Rule("MixedParams", a, b);

    [Theory, InlineData(1.5, 3), InlineData(-0.7, 2), InlineData(2.0, -1), InlineData(0.8, 0)]
    public void Int_parameter_is_a_constant(double x, int n) => Rule("IntParam", x, n);

    [Theory, InlineData(1.5, 3), InlineData(-0.7, 2), InlineData(2.0, -1)]
    public void Int_local_is_a_constant(double x, int n) => Rule("IntLocal", x, n);

    [Theory, InlineData(1.5, true), InlineData(1.5, false), InlineData(-0.7, true), InlineData(-0.7, false)]
    public void Bool_parameter_is_a_constant(double x, bool square) => Rule("BoolParam", x, square);

    [Theory, InlineData(-1.5), InlineData(0.3), InlineData(2.0)]
    public void Literals_consts_and_static_readonly_fields(double x) => Rule("Consts", x);

    [Theory, InlineData(0.5), InlineData(2.0)]
    public void Comparison_has_zero_derivative(double x) => Exact("Comparison", new object[] { x }, 0.0);

    // ------------------------------------------------------------------ 9. Conventions, exact

    [Fact]
    public void Abs_derivative_at_zero_is_zero() => Exact("Abs", new object[] { 0.0 }, 0.0);

    [Theory, InlineData(1.5), InlineData(-2.0), InlineData(0.0)]
    public void Max_tie_sends_the_whole_adjoint_to_the_first_argument(double a) => Exact("Max", new object[] { a, a }, 1.0, 0.0);

    [Theory, InlineData(1.5), InlineData(-2.0), InlineData(0.0)]
    public void Min_tie_sends_the_whole_adjoint_to_the_first_argument(double a) => Exact("Min", new object[] { a, a }, 1.0, 0.0);

    [Fact]
    public void Sqrt_derivative_at_zero_is_positive_infinity() => Exact("Sqrt", new object[] { 0.0 }, double.PositiveInfinity);

    [Theory]
    [InlineData("Floor", 2.0)]
    [InlineData("Floor", -3.0)]
    [InlineData("Ceiling", 2.0)]
    [InlineData("Ceiling", -3.0)]
    [InlineData("Round", 2.0)]
    [InlineData("Round", 2.5)]
    [InlineData("Round", -1.5)]
    [InlineData("Truncate", 2.0)]
    [InlineData("Truncate", -3.0)]
    [InlineData("Sign", 0.0)]
    [InlineData("Sign", 2.0)]
    public void Rounding_functions_have_zero_derivative_even_at_their_jumps(string rule, double x)
    {
        // d/dx (x * F(x)) = F(x) + x * F'(x) = F(x) exactly when F' = 0.
        double f = rule switch
        {
            "Floor" => Math.Floor(x),
            "Ceiling" => Math.Ceiling(x),
            "Round" => Math.Round(x),
            "Truncate" => Math.Truncate(x),
            "Sign" => Math.Sign(x),
            _ => throw new ArgumentException(rule),
        };
        Exact(rule, new object[] { x }, f);
    }

    [Theory, InlineData(2.0), InlineData(-3.0)]
    public void Floor_alone_has_zero_derivative_at_an_integer(double x) => Exact("FloorOnly", new object[] { x }, 0.0);

    [Theory, InlineData(0.0), InlineData(2.0)]
    public void Sign_alone_has_zero_derivative(double x) => Exact("SignOnly", new object[] { x }, 0.0);

    [Theory, InlineData(3.0), InlineData(-0.5)]
    public void Grad_Stop_cuts_the_gradient_of_one_factor(double x) => Exact("Stop", new object[] { x }, x);

    [Theory, InlineData(3.0), InlineData(-0.5)]
    public void Grad_Stop_alone_has_zero_derivative(double x) => Exact("StopOnly", new object[] { x }, 0.0);

    [Theory, InlineData(2.0, 3.0), InlineData(-0.5, 1.5)]
    public void Grad_Stop_inside_an_expression(double x, double y) => Exact("StopInside", new object[] { x, y }, 1.0, x * y);

    [Fact]
    public void Checked_multiply_zero_times_sqrt_at_zero_is_zero_not_NaN() => Exact("ZeroTimesSqrt", new object[] { 0.0 }, 0.0);

    [Fact]
    public void Checked_multiply_sqrt_times_zero_at_zero_is_zero_not_NaN() => Exact("SqrtTimesZero", new object[] { 0.0 }, 0.0);

    [Fact]
    public void Checked_multiply_zero_factor_times_sqrt_at_zero() => Exact("YTimesSqrt", new object[] { 0.0, 0.0 }, 0.0, 0.0);

    [Fact]
    public void Checked_multiply_zero_times_pow_half_at_zero() => Exact("ZeroTimesPow", new object[] { 0.0 }, 0.0);

    [Fact]
    public void Checked_multiply_zero_times_asin_at_one() => Exact("ZeroTimesAsin", new object[] { 1.0 }, 0.0);

    [Fact]
    public void Checked_multiply_zero_times_acosh_at_one() => Exact("ZeroTimesAcosh", new object[] { 1.0 }, 0.0);

    [Theory, InlineData(0.25), InlineData(4.0)]
    public void Sqrt_times_a_zero_factor_elsewhere(double x) => Exact("YTimesSqrt", new object[] { x, 0.0 }, 0.0, Math.Sqrt(x));

    // ------------------------------------------------------------------ helpers

    /// <summary>Every spelling of <paramref name="rule"/> against finite differences at <paramref name="args"/>.</summary>
    private static void Rule(string rule, params object[] args) => Rule(rule, Precision.Auto, args);

    private static void Rule(string rule, Precision precision, params object[] args) =>
        ForEachVariant(rule, (assembly, type, name) => GradientAssert.Check(assembly, type, name, precision, args));

    /// <summary>Every spelling of <paramref name="rule"/> against an exact gradient.</summary>
    private static void Exact(string rule, object[] args, params double[] expected) =>
        ForEachVariant(rule, (assembly, type, name) => GradientAssert.CheckExact(assembly, type, name, args, expected));

    private static void ForEachVariant(string rule, Action<Assembly, string, string> check)
    {
        var failures = new List<string>();
        foreach (var variant in RuleSource.Variants(rule))
        {
            try
            {
                check(Set.AssemblyFor(variant), Set.TypeName(variant), variant);
            }
            catch (Exception e)
            {
                var inner = e is TargetInvocationException { InnerException: { } ie } ? ie : e;
                failures.Add($"[{variant}] {inner.GetType().Name}: {inner.Message}");
            }
        }
        if (failures.Count > 0) Assert.Fail(string.Join("\n\n", failures));
    }
}
