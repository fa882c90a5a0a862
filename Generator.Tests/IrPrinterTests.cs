using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Tests.Infrastructure;

namespace Differentiable.Generator.Tests;

/// <summary>Lowering and activity analysis, each read through its printed form.</summary>
public class IrPrinterTests
{
    private const string Source = """
        using System;
        using Differentiable;
        public static partial class M
        {
            [Differentiable]
            public static double Straight(double x, [NoDiff] double c, int n)
            {
                double unused = Math.Sin(x) * c;
                double y = x * x + c;
                y *= n;
                return y + Grad.Stop(x);
            }

            [Differentiable]
            public static double Branches(double x, double y)
            {
                double s = x;
                if (y > 0) s = s * y;
                if (s > 4) return s;
                return x > 1 && y < 2 ? s : -s;
            }

            [Differentiable]
            public static double Horner(ReadOnlySpan<double> c, double x)
            {
                double p = 0;
                for (int i = c.Length - 1; i >= 0; i--) p = p * x + c[i];
                return p;
            }
        }
        """;

    private static void AssertText(string expected, string actual) =>
        Assert.True(expected.Replace("\r\n", "\n") == actual, "Actual:\n" + actual);

    [Fact]
    public void Straight_line_code_lowers_to_ssa_with_activity()
    {
        var function = ModelHelper.ParseValid(Source, "Straight").Function;
        var activity = ActivityAnalysis.Run(function, enabled: true);
        AssertText("""
            func Straight(%0 x: f64 [active], %1 c: f64 const [useful], %2 n: i32 const [const]) -> f64
              %3 = intrinsic Sin(%0) : f64 [varied]
              %4 = binary %3 * %1 : f64 [varied]
              %5 = binary %0 * %0 : f64 [active]
              %6 = binary %5 + %1 : f64 [active]
              %7 = convert %2 : f64 [useful]
              %8 = binary %6 * %7 : f64 [active]
              %9 = stop %0 : f64 [useful]
              %10 = binary %8 + %9 : f64 [active]
              return %10

            """, IrPrinter.Print(function, v => activity.Annotate(v)));
    }

    [Fact]
    public void A_counted_loop_has_a_counter_and_carried_values_and_its_buffer_is_memory()
    {
        var function = ModelHelper.ParseValid(Source, "Horner").Function;
        var activity = ActivityAnalysis.Run(function, enabled: true);
        AssertText("""
            func Horner(%0 c: buf<f64> [active], %1 x: f64 [active]) -> f64
              %2 = const 0d : f64 [useful]
              %3 = length %0 : i32 [const]
              %4 = const 1 : i32 [const]
              %5 = binary %3 - %4 : i32 [const]
              %6 = const 0 : i32 [const]
              %12: f64 [active] = loop for %8 = %5 >= %6 step -1 trips %13 carry %7: f64 [active] <- %2
              body
                %9 = binary %7 * %1 : f64 [active]
                %10 = load %0[%8] : f64 [active]
                %11 = binary %9 + %10 : f64 [active]
                yield %11
              return %12

            """, IrPrinter.Print(function, v => activity.Annotate(v)));
    }

    // The to-be-recorded analysis, read the same way: Horner records the old accumulator (its reverse multiplies by it)
    // and nothing else; the strided sum records the sine (a transcendental), re-reads w[k] and recomputes the product
    // (cheap, their operands still there), and computes k from the counter.
    [Fact]
    public void Loop_plans_print_what_each_iteration_records_and_recomputes()
    {
        const string source = """
            using System;
            using Differentiable;
            public static partial class M
            {
                [Differentiable]
                public static double Horner(ReadOnlySpan<double> c, double x)
                {
                    double p = 0;
                    for (int i = c.Length - 1; i >= 0; i--) p = p * x + c[i];
                    return p;
                }

                [Differentiable]
                public static double Strided(ReadOnlySpan<double> w, double x, int stride)
                {
                    double s = 0;
                    int k = 0;
                    for (int i = 0; i < 4; i++) { s += Math.Sin(w[k] * x) * w[k]; k += stride; }
                    return s;
                }

                [Differentiable]
                public static double Kept(ReadOnlySpan<double> w, double x)
                {
                    double s = 0;
                    for (int i = 0; i < w.Length; i++) { if (w[i] < 0) continue; s += Math.Sin(w[i] * x) * w[i]; }
                    return s;
                }
            }
            """;
        string Printed(string name)
        {
            var function = ModelHelper.ParseValid(source, name).Function;
            var program = Differentiable.Generator.Differentiation.ReverseModeBuilder.Build(function, ActivityAnalysis.Run(function, enabled: true));
            return IrPrinter.Print(function, program.Annotate);
        }
        AssertText("""
            func Horner(%0 c: buf<f64>, %1 x: f64) -> f64
              %2 = const 0d : f64
              %3 = length %0 : i32
              %4 = const 1 : i32
              %5 = binary %3 - %4 : i32
              %6 = const 0 : i32
              %12: f64 = loop for %8 = %5 >= %6 step -1 trips %13 carry %7: f64 [recorded] <- %2
              body
                %9 = binary %7 * %1 : f64
                %10 = load %0[%8] : f64
                %11 = binary %9 + %10 : f64
                yield %11
              return %12

            """, Printed("Horner"));
        AssertText("""
            func Strided(%0 w: buf<f64>, %1 x: f64, %2 stride: i32 const) -> f64
              %3 = const 0d : f64
              %4 = const 0 : i32
              %5 = const 4 : i32
              %15: f64, %16: i32 = loop for %8 = %4 < %5 step 1 trips %17 carry %6: f64 <- %3, %7: i32 [from counter] <- %4
              body
                %9 = load %0[%7] : f64 [recomputed]
                %10 = binary %9 * %1 : f64 [recomputed]
                %11 = intrinsic Sin(%10) : f64 [recorded]
                %12 = binary %11 * %9 : f64
                %13 = binary %6 + %12 : f64
                %14 = binary %7 + %2 : i32
                yield %13, %14
              return %15

            """, Printed("Strided"));
        AssertText("""
            func Kept(%0 w: buf<f64>, %1 x: f64) -> f64
              %2 = const 0d : f64
              %3 = const 0 : i32
              %4 = length %0 : i32
              %16: f64 = loop for %6 = %3 < %4 step 1 trips %17 carry %5: f64 <- %2
              body
                %7 = const false : bool
                %8 = load %0[%6] : f64 [recomputed]
                %9 = binary %8 < %2 : bool [recomputed]
                %15: f64 = if %9
                  yield %5
                else
                  %11 = binary %8 * %1 : f64 [recomputed in its branch]
                  %12 = intrinsic Sin(%11) : f64 [recorded]
                  %13 = binary %12 * %8 : f64
                  %14 = binary %5 + %13 : f64
                  yield %14
                yield %15
              return %16

            """, Printed("Kept"));
    }

    [Fact]
    public void Analyses_off_makes_every_floating_value_active_except_language_constants()
    {
        var function = ModelHelper.ParseValid(Source, "Straight").Function;
        var activity = ActivityAnalysis.Run(function, enabled: false);
        Assert.True(activity.IsActive(new ValueId(4)));   // Sin(x) * c: unused, active with the analysis off
        Assert.True(activity.IsActive(new ValueId(7)));   // (double)n
        Assert.False(activity.IsActive(new ValueId(1)));  // [NoDiff] c has no adjoint
        Assert.False(activity.IsActive(new ValueId(9)));  // Grad.Stop(x)
    }

    [Fact]
    public void Branches_merge_or_split_and_short_circuit_becomes_a_branch()
    {
        var function = ModelHelper.ParseValid(Source, "Branches").Function;
        var activity = ActivityAnalysis.Run(function, enabled: true);
        AssertText("""
            func Branches(%0 x: f64 [active], %1 y: f64 [active]) -> f64
              %2 = const 0d : f64 [const]
              %3 = binary %1 > %2 : bool [const]
              %5: f64 [active] = if %3
                %4 = binary %0 * %1 : f64 [active]
                yield %4
              else
                yield %0
              %6 = const 4d : f64 [const]
              %7 = binary %5 > %6 : bool [const]
              split %7
                return %5
              otherwise
                %8 = const 1d : f64 [const]
                %9 = binary %0 > %8 : bool [const]
                %13: bool [const] = if %9
                  %10 = const 2d : f64 [const]
                  %11 = binary %1 < %10 : bool [const]
                  yield %11
                else
                  %12 = const false : bool [const]
                  yield %12
                %15: f64 [active] = if %13
                  yield %5
                else
                  %14 = unary - %5 : f64 [active]
                  yield %14
                return %15

            """, IrPrinter.Print(function, v => activity.Annotate(v)));
    }
}
