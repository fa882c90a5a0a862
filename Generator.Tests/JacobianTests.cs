using System.Reflection;
using Differentiable.Generator.Tests.Infrastructure;
using Xunit;

namespace Differentiable.Generator.Tests;

/// <summary>
/// <c>{M}Jacobian</c>, generated for a void method that writes one buffer it never reads: each row of each block is the
/// gradient of one output element. Checked entry by entry against hand-derived Jacobians and central finite differences at
/// several points, against Backward seeded 1 in one element (bitwise), in double and float, for the one-pass form (one
/// forward, a reverse per row) and the form that calls Backward per row (a loop), with the analyses on and off. Also:
/// which methods get one, the checks (short and overlapping blocks throw, naming them), an empty output, outputs longer
/// than what the method writes, and no allocation once warm.
/// </summary>
public class JacobianTests
{
    private const string Source = LeanAdjointTests.Header + """
            // Straight line with a branch: one forward, one reverse per row.
            [Differentiable] public static void Polar(ReadOnlySpan<double> p, double s, Span<double> xy)
            {
                double r = s * p[0];
                double c = Math.Cos(p[1]), n = Math.Sin(p[1]);
                xy[0] = r * c;
                xy[1] = r * n;
                if (p[0] > 0) xy[2] = p[0] * p[0] + s;
                else xy[2] = -p[0] * s;
            }

            // A loop: its reverse pops what the forward recorded; the stacks are rewound before each row.
            [Differentiable] public static void Cumulative(ReadOnlySpan<double> x, double a, Span<double> y)
            {
                double acc = 0;
                for (int i = 0; i < y.Length; i++)
                {
                    acc = acc * a + x[i];
                    y[i] = acc;
                }
            }

            // A local buffer (whose shadow would keep one row's adjoints): each row calls Backward.
            [Differentiable] public static void Smooth(ReadOnlySpan<double> x, double a, Span<double> y)
            {
                double[] t = new double[y.Length];
                for (int i = 0; i < y.Length; i++) t[i] = a * x[i];
                for (int i = 0; i < y.Length; i++) y[i] = t[i] * t[i] + (i > 0 ? t[i - 1] : 0);
            }

            [Differentiable] public static void PolarF(ReadOnlySpan<float> p, float s, Span<float> xy)
            {
                xy[0] = s * p[0] * MathF.Cos(p[1]);
                xy[1] = s * p[0] * MathF.Sin(p[1]);
            }

            // Writes its first two elements only: the other rows are zero.
            [Differentiable] public static void Two(ReadOnlySpan<double> p, Span<double> y)
            {
                y[0] = p[0] * p[1];
                y[1] = p[0] / p[1];
            }

            // Names the generated member uses for itself (rows, row, a block jX), an array input and a float scalar.
            [Differentiable] public static void Odd(double[] x, float g, double rows, double jX, Span<double> row)
            {
                row[0] = x[0] * rows + jX;
                row[1] = x[1] * g;
            }

            public static object[] OddJ(double[] x, float g, double rows, double jX)
            {
                var row = new double[2];
                var jX1 = new double[4];
                var jG = new float[2];
                var jRows = new double[2];
                var jJX = new double[2];
                OddJacobian(x, g, rows, jX, row, jX1, jG, jRows, jJX);
                return new object[] { row, jX1, jG, jRows, jJX };
            }

            // No Jacobian: the output is read (its contents at entry reach the results).
            [Differentiable] public static void InPlace(ReadOnlySpan<double> p, Span<double> y) { y[0] = y[0] * p[0]; }

            // No Jacobian: two buffers written.
            [Differentiable] public static void TwoOutputs(ReadOnlySpan<double> p, Span<double> y, Span<double> z) { y[0] = p[0]; z[0] = p[0]; }

            // No Jacobian: a value, not a buffer.
            [Differentiable] public static double Value(ReadOnlySpan<double> p) => p[0] * p[0];

            // No Jacobian: the name is taken.
            [Differentiable] public static void Taken(ReadOnlySpan<double> p, Span<double> y) { y[0] = p[0] * p[0]; }
            public static void TakenJacobian(int unrelated) { }

            public static void PolarJ(double[] p, double s, double[] xy, double[] jp, double[] js) => PolarJacobian(p, s, xy, jp, js);
            // Backward of a method (x, a, y), its scalar adjoint returned in da[0]: what each row of the Jacobian must equal.
            public delegate void BackwardOf(ReadOnlySpan<double> x, double a, Span<double> y, Span<double> dx, ref double da, Span<double> dy);
            private static void Seeded(BackwardOf backward, double[] x, double a, double[] y, double[] dx, double[] da, double[] dy)
            {
                double d = 0;
                backward(x, a, y, dx, ref d, dy);
                da[0] = d;
            }
            public static void PolarB(double[] p, double s, double[] xy, double[] dp, double[] ds, double[] dxy) => Seeded(PolarBackward, p, s, xy, dp, ds, dxy);
            public static void CumulativeJ(double[] x, double a, double[] y, double[] jx, double[] ja) => CumulativeJacobian(x, a, y, jx, ja);
            public static void CumulativeB(double[] x, double a, double[] y, double[] dx, double[] da, double[] dy) => Seeded(CumulativeBackward, x, a, y, dx, da, dy);
            public static void SmoothJ(double[] x, double a, double[] y, double[] jx, double[] ja) => SmoothJacobian(x, a, y, jx, ja);
            public static void SmoothB(double[] x, double a, double[] y, double[] dx, double[] da, double[] dy) => Seeded(SmoothBackward, x, a, y, dx, da, dy);
            public static void PolarFJ(float[] p, float s, float[] xy, float[] jp, float[] js) => PolarFJacobian(p, s, xy, jp, js);
            public static void TwoJ(double[] p, double[] y, double[] jp) => TwoJacobian(p, y, jp);
            public static double[] PolarValue(double[] p, double s) { var o = new double[3]; Polar(p, s, o); return o; }

            // A block over the output, or two blocks over one array.
            public static string Overlap(int which)
            {
                var a = new double[20];
                try
                {
                    if (which == 0) PolarJacobian(new[] { 1.0, 2.0 }, 1, a.AsSpan(0, 3), a.AsSpan(2, 6), new double[3]);
                    else PolarJacobian(new[] { 1.0, 2.0 }, 1, new double[3], a.AsSpan(0, 6), a.AsSpan(5, 3));
                }
                catch (ArgumentException e) { return e.ParamName + ": " + e.Message; }
                return "no exception";
            }

            // x shares memory with its block: Cumulative's loop reads x again in its reverse, so that throws.
            public static string SharedLoopInput()
            {
                var a = new double[9];
                try { CumulativeJacobian(a.AsSpan(0, 3), 0.5, new double[3], a, new double[3]); }
                catch (ArgumentException e) { return e.ParamName + ": " + e.Message; }
                return "no exception";
            }

            // p shares memory with its own block: in one pass the forward reads p before any block is written, and the reverse
            // reads no buffer, so the Jacobian is p's. Returns the shared block and the one from separate buffers.
            public static double[][] SharedInput()
            {
                var a = new double[6];
                a[0] = 1.3; a[1] = 0.4;
                var separate = new double[6];
                PolarJacobian(new[] { 1.3, 0.4 }, 0.7, new double[3], separate, new double[3]);
                PolarJacobian(a.AsSpan(0, 2), 0.7, new double[3], a, new double[3]);
                return new[] { a, separate };
            }

            // Bytes allocated by 100 calls after 100 warm ones.
            public static long PolarAllocations(double[] p, double[] xy, double[] jp, double[] js)
            {
                for (int i = 0; i < 100; i++) PolarJacobian(p, 0.5, xy, jp, js);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 100; i++) PolarJacobian(p, 0.5, xy, jp, js);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }

            public static long CumulativeAllocations(double[] x, double[] y, double[] jx, double[] ja)
            {
                for (int i = 0; i < 20; i++) CumulativeJacobian(x, 0.9, y, jx, ja);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 20; i++) CumulativeJacobian(x, 0.9, y, jx, ja);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
        """;

    private static Assembly Load(bool analysesOff) => GradientAssert.Load(Source, analysesOff);

    private static MethodInfo Method(Assembly assembly, string name) => assembly.GetType("T.C")!.GetMethod(name)!;

    private static double[] Random(int seed, int n, double offset = 0)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => offset + 2 * random.NextDouble() - 1).ToArray();
    }

    private static double Fd(Func<double[], double> f, double[] at, int i)
    {
        var p = (double[])at.Clone();
        double o = p[i], h = 1e-6 * Math.Max(1, Math.Abs(o));
        p[i] = o + h; double a = f(p);
        p[i] = o - h; double b = f(p);
        return (a - b) / (2 * h);
    }

    private static void Near(double actual, double expected, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: {actual:R}, expected {expected:R}");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Polar_rows_are_the_gradients_of_each_output(bool analysesOff)
    {
        var assembly = Load(analysesOff);
        var jacobian = Method(assembly, "PolarJ");
        var primal = Method(assembly, "PolarValue");
        foreach (var (p0, p1, s) in new[] { (1.3, 0.4, 0.7), (-0.8, 2.1, -1.5), (0.2, -3.0, 2.0) })
        {
            var p = new[] { p0, p1 };
            var xy = new double[3];
            var jp = new double[6];
            var js = new double[3];
            Array.Fill(jp, 99.0); // overwritten, not added to
            Array.Fill(js, 99.0);
            jacobian.Invoke(null, new object[] { p, s, xy, jp, js });
            double c = Math.Cos(p1), n = Math.Sin(p1);
            Near(xy[0], s * p0 * c, 1e-15, "xy[0]");
            Near(xy[2], p0 > 0 ? p0 * p0 + s : -p0 * s, 1e-15, "xy[2]");
            double[] expectedP = { s * c, -s * p0 * n, s * n, s * p0 * c, p0 > 0 ? 2 * p0 : -s, 0 };
            double[] expectedS = { p0 * c, p0 * n, p0 > 0 ? 1 : -p0 };
            for (int k = 0; k < 6; k++) Near(jp[k], expectedP[k], 1e-14, $"jp[{k}] at {p0}, {p1}, {s}");
            for (int k = 0; k < 3; k++) Near(js[k], expectedS[k], 1e-14, $"js[{k}] at {p0}, {p1}, {s}");
            // Finite differences of each output.
            for (int row = 0; row < 3; row++)
            {
                int r = row;
                double Output(double[] q, double sv) => ((double[])primal.Invoke(null, new object[] { q, sv })!)[r];
                for (int k = 0; k < 2; k++) Near(jp[row * 2 + k], Fd(q => Output(q, s), p, k), 1e-6, $"jp[{row},{k}] against finite differences");
                Near(js[row], Fd(q => Output(p, q[0]), new[] { s }, 0), 1e-6, $"js[{row}] against finite differences");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Each_row_equals_Backward_seeded_in_that_element(bool analysesOff)
    {
        var assembly = Load(analysesOff);
        foreach (var (name, inputs, outputs) in new[] { ("Polar", 2, 3), ("Cumulative", 5, 5), ("Cumulative", 9, 9), ("Smooth", 5, 5) })
        {
            var p = Random(7, inputs, 0.5);
            double s = name == "Polar" ? 0.9 : 0.8;
            var y = new double[outputs];
            var jp = new double[outputs * inputs];
            var js = new double[outputs];
            Method(assembly, name + "J").Invoke(null, new object[] { p, s, y, jp, js });
            for (int row = 0; row < outputs; row++)
            {
                var dp = new double[inputs];
                var ds = new double[1];
                var seed = new double[outputs];
                seed[row] = 1;
                Method(assembly, name + "B").Invoke(null, new object[] { p, s, new double[outputs], dp, ds, seed });
                for (int k = 0; k < inputs; k++) Assert.Equal(dp[k], jp[row * inputs + k]);
                Assert.Equal(ds[0], js[row]);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_loop_runs_in_one_pass_and_matches_the_formula(bool analysesOff)
    {
        var assembly = Load(analysesOff);
        var jacobian = Method(assembly, "CumulativeJ");
        foreach (int n in new[] { 1, 2, 5, 9 })
        {
            foreach (double a in new[] { 0.7, -1.3 })
            {
                var x = Random(n, n);
                var y = new double[n];
                var jx = new double[n * n];
                var ja = new double[n];
                Array.Fill(jx, -5.0);
                jacobian.Invoke(null, new object[] { x, a, y, jx, ja });
                for (int i = 0; i < n; i++)
                {
                    double yi = 0, dA = 0;
                    for (int k = 0; k <= i; k++)
                    {
                        yi += Math.Pow(a, i - k) * x[k];
                        if (i > k) dA += (i - k) * Math.Pow(a, i - k - 1) * x[k];
                    }
                    Near(y[i], yi, 1e-13, $"y[{i}]");
                    Near(ja[i], dA, 1e-12, $"ja[{i}] at n = {n}, a = {a}");
                    for (int k = 0; k < n; k++) Near(jx[i * n + k], k <= i ? Math.Pow(a, i - k) : 0, 1e-13, $"jx[{i},{k}]");
                }
            }
        }
    }

    [Fact]
    public void Names_the_member_uses_do_not_collide_and_each_block_has_its_parameters_type()
    {
        var result = (object[])Method(Load(analysesOff: false), "OddJ").Invoke(null, new object[] { new[] { 1.5, -2.0 }, 0.25f, 3.0, 0.5 })!;
        Assert.Equal(new[] { 1.5 * 3 + 0.5, -2.0 * 0.25 }, (double[])result[0]);
        Assert.Equal(new[] { 3.0, 0, 0, 0.25 }, (double[])result[1]);
        Assert.Equal(new[] { 0f, -2f }, (float[])result[2]);
        Assert.Equal(new[] { 1.5, 0 }, (double[])result[3]);
        Assert.Equal(new[] { 1.0, 0 }, (double[])result[4]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_local_buffer_calls_Backward_per_row_and_matches_the_formula(bool analysesOff)
    {
        var jacobian = Method(Load(analysesOff), "SmoothJ");
        foreach (int n in new[] { 1, 2, 6 })
        {
            var x = Random(n + 10, n);
            double a = 0.8;
            var y = new double[n];
            var jx = new double[n * n];
            var ja = new double[n];
            Array.Fill(jx, -5.0);
            jacobian.Invoke(null, new object[] { x, a, y, jx, ja });
            for (int i = 0; i < n; i++)
            {
                double before = i > 0 ? x[i - 1] : 0;
                Near(y[i], a * a * x[i] * x[i] + a * before, 1e-14, $"y[{i}]");
                Near(ja[i], 2 * a * x[i] * x[i] + before, 1e-14, $"ja[{i}]");
                for (int k = 0; k < n; k++) Near(jx[i * n + k], k == i ? 2 * a * a * x[i] : k == i - 1 ? a : 0, 1e-14, $"jx[{i},{k}]");
            }
        }
    }

    [Fact]
    public void Float_rows_match_the_formula()
    {
        var assembly = Load(analysesOff: false);
        var p = new[] { 1.5f, 0.3f };
        var xy = new float[2];
        var jp = new float[4];
        var js = new float[2];
        Method(assembly, "PolarFJ").Invoke(null, new object[] { p, 2f, xy, jp, js });
        double c = Math.Cos(0.3f), n = Math.Sin(0.3f);
        double[] expected = { 2 * c, -2 * 1.5f * n, 2 * n, 2 * 1.5f * c };
        for (int k = 0; k < 4; k++) Near(jp[k], expected[k], 1e-6, $"jp[{k}]");
        Near(js[0], 1.5f * c, 1e-6, "js[0]");
        Near(js[1], 1.5f * n, 1e-6, "js[1]");
    }

    [Fact]
    public void Rows_beyond_what_the_method_writes_are_zero_and_long_outputs_use_a_rented_seed()
    {
        var assembly = Load(analysesOff: false);
        foreach (int rows in new[] { 2, 3, 129, 300 })
        {
            var p = new[] { 1.5, -0.5 };
            var y = new double[rows];
            var jp = new double[2 * rows];
            Array.Fill(jp, 7.0);
            Method(assembly, "TwoJ").Invoke(null, new object[] { p, y, jp });
            double[] first = { -0.5, 1.5, 1 / -0.5, -1.5 / 0.25 };
            for (int k = 0; k < 4; k++) Near(jp[k], first[k], 1e-15, $"jp[{k}] with {rows} rows");
            for (int k = 4; k < 2 * rows; k++) Assert.Equal(0.0, jp[k]);
            Assert.Equal(-0.75, y[0]);
        }
    }

    [Fact]
    public void An_empty_output_runs_the_primal_and_writes_nothing()
    {
        var assembly = Load(analysesOff: false);
        var jx = new[] { 3.0 };
        var ja = new[] { 4.0 };
        Method(assembly, "CumulativeJ").Invoke(null, new object[] { new double[0], 0.5, new double[0], jx, ja });
        Method(assembly, "SmoothJ").Invoke(null, new object[] { new double[0], 0.5, new double[0], jx, ja });
        Assert.Equal(3.0, jx[0]);
        Assert.Equal(4.0, ja[0]);
        // Smooth's rows call Backward; with none, the method itself runs once: its x[0] throws for y longer than x.
        Assert.Throws<TargetInvocationException>(() => Method(assembly, "SmoothJ").Invoke(null, new object[] { new double[0], 0.5, new double[1], new double[0], new double[1] }));
        // Polar's primal reads p[0] whatever the output's length: an empty p throws from the primal, as the method does.
        var e = Assert.Throws<TargetInvocationException>(() => Method(assembly, "PolarJ").Invoke(null, new object[] { new double[0], 1.0, new double[0], new double[0], new double[0] }));
        Assert.IsType<IndexOutOfRangeException>(e.InnerException);
    }

    [Fact]
    public void Only_methods_that_write_one_buffer_they_never_read_get_a_Jacobian()
    {
        var compiled = GradientAssert.Compile(Source);
        var type = compiled.Assembly.GetType("T.C")!;
        foreach (var name in new[] { "Polar", "Cumulative", "Smooth", "PolarF", "Two" }) Assert.NotNull(type.GetMethod(name + "Jacobian"));
        foreach (var name in new[] { "InPlace", "TwoOutputs", "Value" }) Assert.Null(type.GetMethod(name + "Jacobian"));
        Assert.Single(type.GetMethods(), m => m.Name == "TakenJacobian");
        // Polar's and Cumulative's reverse runs once per row on one forward; Smooth's local buffer makes each row call Backward.
        Assert.DoesNotContain("PolarBackward(", Member(compiled.GeneratedText, "PolarJacobian"));
        Assert.Contains("PolarFBackward(", compiled.GeneratedText);
        Assert.DoesNotContain("PolarFBackward(", Member(compiled.GeneratedText, "PolarFJacobian"));
        Assert.DoesNotContain("CumulativeBackward(", Member(compiled.GeneratedText, "CumulativeJacobian"));
        Assert.Contains(".Rewind(", Member(compiled.GeneratedText, "CumulativeJacobian"));
        Assert.Contains("SmoothBackward(x, a, y, dX, ref dA, dY);", Member(compiled.GeneratedText, "SmoothJacobian"));
        Assert.Contains("public static void PolarJacobian(global::System.ReadOnlySpan<double> p, double s, global::System.Span<double> xy, global::System.Span<double> jP, global::System.Span<double> jS)",
            compiled.GeneratedText);
    }

    /// <summary>One generated member's text, from its signature to its closing brace.</summary>
    private static string Member(string generated, string name)
    {
        int start = generated.IndexOf(" " + name + "(", StringComparison.Ordinal);
        Assert.True(start >= 0, name + " is not in the generated code");
        return generated.Substring(start, generated.IndexOf("\n        }\n", start, StringComparison.Ordinal) - start);
    }

    [Fact]
    public void The_decision_is_printed_on_the_output()
    {
        string Printed(string name)
        {
            var function = ModelHelper.ParseValid(Source, name).Function;
            var program = Differentiable.Generator.Differentiation.ReverseModeBuilder.Build(function, Differentiable.Generator.Analysis.ActivityAnalysis.Run(function, enabled: true));
            return Differentiable.Generator.Ir.IrPrinter.Print(function, program.Annotate);
        }
        Assert.StartsWith("func Polar(%0 p: buf<f64>, %1 s: f64, %2 xy: buf<f64> [jacobian rows, one forward]) -> void", Printed("Polar"));
        Assert.StartsWith("func Cumulative(%0 x: buf<f64>, %1 a: f64, %2 y: buf<f64> [jacobian rows, one forward]) -> void", Printed("Cumulative"));
        Assert.StartsWith("func Smooth(%0 x: buf<f64>, %1 a: f64, %2 y: buf<f64> [jacobian rows, Backward per row]) -> void", Printed("Smooth"));
        Assert.DoesNotContain("jacobian", Printed("InPlace"));
        Assert.DoesNotContain("jacobian", Printed("TwoOutputs"));
    }

    [Fact]
    public void Short_and_overlapping_blocks_throw_naming_them()
    {
        var assembly = Load(analysesOff: false);
        var jacobian = Method(assembly, "PolarJ");
        var p = new[] { 1.0, 2.0 };
        ArgumentException Throws(object[] args) =>
            Assert.IsAssignableFrom<ArgumentException>(Assert.Throws<TargetInvocationException>(() => jacobian.Invoke(null, args)).InnerException);
        Assert.Equal("jP", Throws(new object[] { p, 1.0, new double[3], new double[5], new double[3] }).ParamName);
        Assert.Equal("jS", Throws(new object[] { p, 1.0, new double[3], new double[6], new double[2] }).ParamName);
        var overlap = Method(assembly, "Overlap");
        Assert.StartsWith("jP: The Jacobian block 'jP' overlaps the buffer 'xy'", (string)overlap.Invoke(null, new object[] { 0 })!);
        Assert.StartsWith("jS: The Jacobian block 'jS' overlaps the block 'jP'", (string)overlap.Invoke(null, new object[] { 1 })!);
    }

    [Fact]
    public void Without_loops_an_input_may_share_memory_with_a_block()
    {
        var result = (double[][])Method(Load(analysesOff: false), "SharedInput").Invoke(null, null)!;
        Assert.Equal(result[1], result[0]);
        Assert.NotEqual(0.0, result[1][0]);
        // With a loop, whose reverse reads its inputs again, the block may not share them.
        Assert.StartsWith("jX: The Jacobian block 'jX' overlaps the buffer 'x'", (string)Method(Load(analysesOff: false), "SharedLoopInput").Invoke(null, null)!);
    }

    [Fact]
    public void Warm_calls_allocate_nothing()
    {
        var assembly = Load(analysesOff: false);
        long polar = (long)Method(assembly, "PolarAllocations").Invoke(null, new object[] { new[] { 1.0, 2.0 }, new double[3], new double[6], new double[3] })!;
        Assert.Equal(0, polar);
        // 200 rows: the seed is rented, and returned.
        long cumulative = (long)Method(assembly, "CumulativeAllocations").Invoke(null, new object[] { Random(3, 200), new double[200], new double[40000], new double[200] })!;
        Assert.Equal(0, cumulative);
    }
}

/// <summary>
/// Random methods in the one-pass form (one forward, a reverse per row, the stacks rewound before each): branches, locals
/// reassigned in them, loops that record, sum (in lanes, over 6 inputs) or write outputs, and outputs written in a random
/// order, some twice and some never. Each row of the Jacobian must equal Backward seeded 1 in that element, bitwise (the
/// same reverse, run again on the same forward), and the finite differences.
/// </summary>
public class JacobianRandomTests
{
    /// <summary>Inputs p (this many), one scalar s, outputs y (4; the methods write y[0..2] and never y[3]).</summary>
    private const int Inputs = 6;

    private static string Program(int seed, int methods)
    {
        var random = new Random(seed);
        var sb = new System.Text.StringBuilder(LeanAdjointTests.Header);
        string[] unary = { "Math.Sin({0})", "Math.Cos({0})", "Math.Exp(0.3 * {0})", "Math.Sqrt(1 + {0} * {0})", "Math.Tanh({0})", "(-{0})" };
        string[] binary = { "{0} + {1}", "{0} - {1}", "{0} * {1}", "{0} / (2 + Math.Abs({1}))" };
        for (int m = 0; m < methods; m++)
        {
            var values = new List<string> { "s", "0.75" };
            for (int i = 0; i < Inputs; i++) values.Add($"p[{i}]");
            string Expr(int depth, List<string> from) =>
                depth == 0 || random.Next(3) == 0 ? from[random.Next(from.Count)]
                : random.Next(3) == 0 ? string.Format(unary[random.Next(unary.Length)], Expr(depth - 1, from))
                : "(" + string.Format(binary[random.Next(binary.Length)], Expr(depth - 1, from), Expr(depth - 1, from)) + ")";
            string P() => $"p[{random.Next(Inputs)}]";
            sb.Append($"    [Differentiable] public static void R{m}(ReadOnlySpan<double> p, double s, Span<double> y)\n    {{\n");
            int locals = 0;
            // Every fourth method is a straight line (its block may share p); the one after starts with a sum in lanes.
            bool straight = m % 4 == 0;
            if (m % 4 == 1)
            {
                sb.Append($"        double a0 = s;\n        for (int i = 0; i < p.Length; i++) a0 += (s * p[i] - 0.75) * p[i];\n");
                values.Add("a" + locals++);
            }
            for (int k = 0; k < 4 + random.Next(5); k++)
            {
                switch (straight ? random.Next(2) * 4 + random.Next(2) : random.Next(6))
                {
                    case 0 when locals > 0:
                        string v = "a" + random.Next(locals);
                        sb.Append($"        if ({P()} > {Expr(1, values)}) {v} = 0.5 * {v} + {Expr(2, values)}; else {{ {v} *= {Expr(1, values)}; y[{random.Next(3)}] = {Expr(2, values)}; }}\n");
                        break;
                    case 1:
                        sb.Append($"        y[{random.Next(3)}] = {Expr(3, values)};\n");
                        break;
                    case 2:
                    {
                        // A loop over p carrying a sum or a recurrence (its reverse records, or sums in lanes), maybe with a
                        // branch, maybe starting at 1.
                        var inner = new List<string>(values) { "p[i]", "p[i]" };
                        string a = "a" + locals;
                        sb.Append($"        double {a} = {Expr(1, values)} + {P()};\n");
                        inner.Add(a);
                        string update = random.Next(2) == 0 ? $"{a} += {Expr(2, inner)} * p[i];" : $"{a} = 0.5 * {a} * {Expr(1, inner)} + p[i];";
                        if (random.Next(3) == 0) update = $"if (p[i] > {Expr(1, values)}) {update} else {a} -= {Expr(1, inner)};";
                        sb.Append($"        for (int i = {random.Next(2)}; i < p.Length; i++) {{ {update} }}\n");
                        values.Add(a);
                        locals++;
                        break;
                    }
                    case 3:
                    {
                        // A loop that writes an output at a counter it bounds.
                        var inner = new List<string>(values) { "p[i]", "p[i]" };
                        sb.Append($"        for (int i = 0; i < 3; i++) y[i] = {Expr(2, inner)};\n");
                        break;
                    }
                    default:
                        sb.Append($"        double a{locals} = {Expr(3, values)} + {P()};\n");
                        values.Add("a" + locals++);
                        break;
                }
            }
            sb.Append($"        y[{random.Next(3)}] = {Expr(2, values)};\n    }}\n");
            sb.Append($"    public static void R{m}J(double[] p, double s, double[] y, double[] jp, double[] js) => R{m}Jacobian(p, s, y, jp, js);\n");
            sb.Append($"    public static void R{m}B(double[] p, double s, double[] y, double[] dp, double[] ds, double[] dy) {{ double d = 0; R{m}Backward(p, s, y, dp, ref d, dy); ds[0] = d; }}\n");
            sb.Append($"    public static double[] R{m}V(double[] p, double s) {{ var y = new double[4]; R{m}(p, s, y); return y; }}\n");
            // p in the first elements of its own block.
            sb.Append($"    public static double[] R{m}Shared(double[] p, double s) {{ var big = new double[4 * {Inputs}]; p.CopyTo(big, 0); R{m}Jacobian(big.AsSpan(0, {Inputs}), s, new double[4], big, new double[4]); return big; }}\n");
        }
        return sb.Append("}\n").ToString();
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Rows_equal_Backward_bitwise_and_finite_differences(int seed, bool analysesOff) => Check(seed, 40, analysesOff);

    /// <summary>The long run, with the fuzzer's <c>Fuzz_Long</c>: FUZZ_COUNT methods from FUZZ_SEED, 40 per compilation.</summary>
    [Fuzz.FuzzLongFact]
    public void Fuzz_Long_Jacobians()
    {
        int seed = int.Parse(Environment.GetEnvironmentVariable("FUZZ_SEED") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        int count = int.Parse(Environment.GetEnvironmentVariable("FUZZ_COUNT")!, System.Globalization.CultureInfo.InvariantCulture);
        bool off = Environment.GetEnvironmentVariable("FUZZ_ANALYSES") == "off";
        for (int k = 0; k < (count + 39) / 40; k++) Check(seed + k, 40, off);
    }

    private static void Check(int seed, int methods, bool analysesOff)
    {
        var compiled = GradientAssert.Compile(Program(seed, methods), analysesOff);
        var type = compiled.Assembly.GetType("T.C")!;
        var random = new Random(seed);
        int rewound = 0, inLanes = 0, shared = 0, absorbed = 0;
        for (int m = 0; m < methods; m++)
        {
            // One pass: the reverse runs again on one forward (the stacks rewound), no Backward call.
            int start = compiled.GeneratedText.IndexOf($" R{m}Jacobian(", StringComparison.Ordinal);
            string member = compiled.GeneratedText.Substring(start, compiled.GeneratedText.IndexOf("\n        }\n", start, StringComparison.Ordinal) - start);
            Assert.DoesNotContain($"R{m}Backward(", member);
            if (member.Contains(".Rewind(", StringComparison.Ordinal)) rewound++;
            if (member.Contains("Vector.Sum(", StringComparison.Ordinal)) inLanes++;
            for (int point = 0; point < 3; point++)
            {
                var p = Enumerable.Range(0, Inputs).Select(_ => 2 * random.NextDouble() - 1).ToArray();
                double s = 2 * random.NextDouble() - 1;
                var y = new double[4];
                var jp = Enumerable.Repeat(double.NaN, 4 * Inputs).ToArray();
                var js = Enumerable.Repeat(double.NaN, 4).ToArray();
                type.GetMethod($"R{m}J")!.Invoke(null, new object[] { p, s, y, jp, js });
                var value = (double[])type.GetMethod($"R{m}V")!.Invoke(null, new object[] { p, s })!;
                Assert.Equal(value, y);
                // Where the block may share the input (no check for it: no loop reads the inputs again), it gives the same.
                if (!member.Contains("overlaps the buffer 'p'", StringComparison.Ordinal))
                {
                    shared++;
                    Assert.Equal(jp, (double[])type.GetMethod($"R{m}Shared")!.Invoke(null, new object[] { p, s })!);
                }
                else
                {
                    var e = Assert.Throws<TargetInvocationException>(() => type.GetMethod($"R{m}Shared")!.Invoke(null, new object[] { p, s }));
                    Assert.Equal("jP", Assert.IsType<ArgumentException>(e.InnerException).ParamName);
                }
                for (int row = 0; row < 4; row++)
                {
                    var dp = new double[Inputs];
                    var ds = new double[1];
                    var seedRow = new double[4];
                    seedRow[row] = 1;
                    type.GetMethod($"R{m}B")!.Invoke(null, new object[] { p, s, new double[4], dp, ds, seedRow });
                    for (int k = 0; k < Inputs; k++) Assert.True(dp[k].Equals(jp[row * Inputs + k]), $"R{m} at point {point}: jp[{row},{k}] = {jp[row * Inputs + k]:R}, Backward {dp[k]:R}");
                    Assert.True(ds[0].Equals(js[row]), $"R{m} at point {point}: js[{row}] = {js[row]:R}, Backward {ds[0]:R}");
                    int r = row;
                    double Output(double[] q, double sv) => ((double[])type.GetMethod($"R{m}V")!.Invoke(null, new object[] { q, sv })!)[r];
                    for (int k = 0; k < Inputs; k++)
                    {
                        var q = (double[])p.Clone();
                        double h = 1e-6;
                        q[k] = p[k] + h; double a = Output(q, s);
                        q[k] = p[k] - h; double b = Output(q, s);
                        double fd = (a - b) / (2 * h);
                        // A branch flipped inside the step makes the difference quotient meaningless: skip, as the fuzzer does.
                        if (Math.Abs(fd - jp[row * Inputs + k]) > 1e-5 * Math.Max(1, Math.Abs(fd)) && Math.Abs(fd) > 1e3) continue;
                        // So does an output so large that its rounding hides the step (a recurrence squaring a local
                        // reaches 1e19, and the quotient reads 0): the same rule as the fuzzer's, on the output's size.
                        if (2.3e-16 * Math.Max(Math.Abs(a), Math.Abs(b)) / h > 1e-5 * Math.Max(1, Math.Abs(jp[row * Inputs + k]))) { absorbed++; continue; }
                        Assert.True(Math.Abs(fd - jp[row * Inputs + k]) <= 1e-5 * Math.Max(1, Math.Abs(fd)), $"R{m} at point {point}: jp[{row},{k}] = {jp[row * Inputs + k]:R}, finite differences {fd:R}\n{Program(seed, methods)}");
                    }
                }
            }
        }
        // The shapes are there: loops whose records are rewound for each row, and (with the analyses) reverse lanes.
        Assert.True(rewound >= methods / 8, $"{rewound} of {methods} Jacobians rewind stacks");
        if (!analysesOff) Assert.True(inLanes > 0, "no Jacobian runs a reverse loop in lanes");
        Assert.True(shared > 0, "no Jacobian let its input share its block");
        // Absorbed steps are rare: most entries are checked against finite differences.
        Assert.True(absorbed < methods * 3 * 4 * Inputs / 4, $"{absorbed} finite differences absorbed by their outputs' rounding");
    }
}
