using Differentiable.Benchmarks;
using Differentiable.GradBench.Tape;

namespace Differentiable.GradBench.Tests;

/// <summary>
/// The C# tape of the benchmarks: its gradients against finite differences and against the generated gradients on
/// every benchmarked workload, its reuse between calls, and that a warm call allocates nothing.
/// </summary>
public class TapeTests
{
    [Fact]
    public void Records_one_entry_per_operation_and_sweeps_back()
    {
        Tape.Tape tape = Tape.Tape.Current;
        tape.Clear();
        Var x = tape.Input(3), y = tape.Input(4);
        // f = x·y + sin(x)/y: ∂x = y + cos(x)/y, ∂y = x − sin(x)/y²
        Var f = x * y + VarMath.Sin(x) / y;
        Assert.Equal(1 + 2 + 4, tape.Count); // sink, two inputs, ·, sin, /, +
        tape.Reverse(f);
        Assert.Equal(4 + Math.Cos(3) / 4, tape.Adjoint(x), 15);
        Assert.Equal(3 - Math.Sin(3) / 16, tape.Adjoint(y), 15);
    }

    [Fact]
    public void Lse_matches_generated_and_finite_differences()
    {
        double[] x = Inputs.Uniform(40, 1, -2, 2);
        var tape = new double[40];
        var generated = new double[40];
        double v = TapeWorkloads.LogSumExp(x, tape);
        Assert.Equal(Lse.LogSumExpGradient(x, generated), v, 14);
        Check.Same(generated, tape);
        Check.AgainstFiniteDifferences(s => Lse.LogSumExp(s), x, tape);
    }

    [Fact]
    public void Llsq_matches_generated()
    {
        double[] x = Inputs.Uniform(6, 2);
        var tape = new double[6];
        var generated = new double[6];
        Assert.Equal(Llsq.ObjectiveGradient(x, 30, generated), TapeWorkloads.Llsq(x, 30, tape), 12);
        Check.Same(generated, tape);
        Check.AgainstFiniteDifferences(s => Llsq.Objective(s, 30), x, tape);
    }

    [Theory]
    [InlineData(2, 3, 8)]
    [InlineData(4, 2, 5)]
    public void Gmm_matches_generated(int d, int k, int n)
    {
        Gmm.Input input = Inputs.Gmm(d, k, n, seed: 3);
        int lSize = d * (d - 1) / 2 * k;
        double[] ga = new double[k], gm = new double[d * k], gq = new double[d * k], gl = new double[lSize];
        double[] ta = new double[k], tm = new double[d * k], tq = new double[d * k], tl = new double[lSize];
        double generated = input.Gradient(ga, gm, gq, gl);
        double tape = TapeWorkloads.Gmm(input.Alpha, input.Mu, input.Q, input.L, input.X, d, k, n, input.Gamma, input.M, ta, tm, tq, tl);
        Assert.Equal(generated, tape, 10);
        Check.Same(Check.Concatenate(ga, gm, gq, gl), Check.Concatenate(ta, tm, tq, tl));
        double[] all = Check.Concatenate(input.Alpha, input.Mu, input.Q, input.L);
        Check.AgainstFiniteDifferences(v => Gmm.Objective(v.Slice(0, k), v.Slice(k, d * k), v.Slice(k + d * k, d * k),
            v.Slice(k + 2 * d * k), input.X, d, k, n, input.Gamma, input.M), all, Check.Concatenate(ta, tm, tq, tl));
    }

    [Fact]
    public void Lstm_matches_generated()
    {
        Lstm.Input input = Inputs.Lstm(2, 6, 3, seed: 4);
        var generated = new double[input.MainParams.Length + input.ExtraParams.Length];
        input.Jacobian(generated);
        var tape = new double[generated.Length];
        int main = input.MainParams.Length;
        double value = TapeWorkloads.Lstm(input.MainParams, input.ExtraParams, input.State, input.Sequence, 2, 6, 3,
            tape.AsSpan(0, main), tape.AsSpan(main));
        Assert.Equal(input.Objective(), value, 14);
        Check.Same(generated, tape);
        Check.AgainstFiniteDifferences(v => Lstm.Objective(v.Slice(0, main), v.Slice(main), input.State, input.Sequence, 2, 6, 3),
            Check.Concatenate(input.MainParams, input.ExtraParams), tape);
    }

    [Fact]
    public void Loop_kernels_match_generated()
    {
        LoopInputs.DotLoss(30, 5, out double[] w, out double[] x, out double target);
        double[] tw = new double[30], gw = new double[30];
        Assert.Equal(LoopFunctions.DotLossGradient(w, x, target, gw), TapeWorkloads.DotLoss(w, x, target, tw), 14);
        Check.Same(gw, tw);

        double[] c = Inputs.Uniform(25, 6, -1, 1);
        double[] tc = new double[25], gc = new double[25];
        Assert.Equal(LoopFunctions.HornerGradient(c, 0.7, gc, out double gx), TapeWorkloads.Horner(c, 0.7, tc, out double tx), 14);
        Check.Same(gc, tc);
        Check.Same([gx], [tx]);

        Assert.Equal(LoopFunctions.RecurrenceGradient(0.5, 2, 40, out double g0, out double ga),
            TapeWorkloads.Recurrence(0.5, 2, 40, out double t0, out double ta), 14);
        Check.Same([g0, ga], [t0, ta]);
        Check.AgainstFiniteDifferences(v => LoopFunctions.Recurrence(v[0], v[1], 40), [0.5, 2], [t0, ta]);
    }

    [Fact]
    public void A_warm_tape_is_reused_and_allocates_nothing()
    {
        Gmm.Input input = Inputs.Gmm(3, 4, 50, seed: 8);
        double[] a = new double[4], m = new double[12], q = new double[12], l = new double[12];
        double first = TapeWorkloads.Gmm(input.Alpha, input.Mu, input.Q, input.L, input.X, 3, 4, 50, 1, 0, a, m, q, l);
        double[] firstGradient = Check.Concatenate(a, m, q, l);
        for (int i = 0; i < 3; i++) TapeWorkloads.Gmm(input.Alpha, input.Mu, input.Q, input.L, input.X, 3, 4, 50, 1, 0, a, m, q, l);
        long before = GC.GetAllocatedBytesForCurrentThread();
        double again = TapeWorkloads.Gmm(input.Alpha, input.Mu, input.Q, input.L, input.X, 3, 4, 50, 1, 0, a, m, q, l);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(first, again);
        Assert.Equal(firstGradient, Check.Concatenate(a, m, q, l));
    }
}

/// <summary>Every <see cref="VarMath"/> function's derivative against finite differences and the generator's conventions.</summary>
public class VarMathTests
{
    private static double[] TapeGradient(Func<Var[], Var> f, double[] x)
    {
        Tape.Tape tape = Tape.Tape.Current;
        tape.Clear();
        Var[] v = x.Select(tape.Input).ToArray();
        tape.Reverse(f(v));
        return v.Select(tape.Adjoint).ToArray();
    }

    public static TheoryData<string, double[]> Points => new()
    {
        { "Sin", [0.7] }, { "Cos", [0.7] }, { "Tan", [0.7] }, { "Asin", [0.3] }, { "Acos", [0.3] }, { "Atan", [0.7] },
        { "Atan2", [0.7, -1.3] }, { "Sinh", [0.7] }, { "Cosh", [0.7] }, { "Tanh", [0.7] }, { "Asinh", [0.7] },
        { "Acosh", [1.7] }, { "Atanh", [0.3] }, { "Exp", [0.7] }, { "Exp2", [0.7] }, { "Log", [1.7] },
        { "LogBase", [1.7, 3.1] }, { "Log10", [1.7] }, { "Log2", [1.7] }, { "Sqrt", [1.7] }, { "Cbrt", [1.7] },
        { "PowConstant", [1.7] }, { "Pow", [1.7, 0.6] }, { "Hypot", [0.7, -1.3] }, { "Abs", [-0.7] },
        { "Max", [0.7, 0.2] }, { "Min", [0.7, 0.2] }, { "Clamp", [0.7, 0.2, 0.9] }, { "Fma", [0.7, -1.3, 0.4] },
        { "Arithmetic", [0.7, -1.3] },
    };

    private static Var Apply(string name, Var[] v) => name switch
    {
        "Sin" => VarMath.Sin(v[0]), "Cos" => VarMath.Cos(v[0]), "Tan" => VarMath.Tan(v[0]),
        "Asin" => VarMath.Asin(v[0]), "Acos" => VarMath.Acos(v[0]), "Atan" => VarMath.Atan(v[0]),
        "Atan2" => VarMath.Atan2(v[0], v[1]), "Sinh" => VarMath.Sinh(v[0]), "Cosh" => VarMath.Cosh(v[0]),
        "Tanh" => VarMath.Tanh(v[0]), "Asinh" => VarMath.Asinh(v[0]), "Acosh" => VarMath.Acosh(v[0]),
        "Atanh" => VarMath.Atanh(v[0]), "Exp" => VarMath.Exp(v[0]), "Exp2" => VarMath.Exp2(v[0]),
        "Log" => VarMath.Log(v[0]), "LogBase" => VarMath.Log(v[0], v[1]), "Log10" => VarMath.Log10(v[0]),
        "Log2" => VarMath.Log2(v[0]), "Sqrt" => VarMath.Sqrt(v[0]), "Cbrt" => VarMath.Cbrt(v[0]),
        "PowConstant" => VarMath.Pow(v[0], 2.5), "Pow" => VarMath.Pow(v[0], v[1]), "Hypot" => VarMath.Hypot(v[0], v[1]),
        "Abs" => VarMath.Abs(v[0]), "Max" => VarMath.Max(v[0], v[1]), "Min" => VarMath.Min(v[0], v[1]),
        "Clamp" => VarMath.Clamp(v[0], v[1], v[2]), "Fma" => VarMath.FusedMultiplyAdd(v[0], v[1], v[2]),
        "Arithmetic" => (v[0] * v[1] - v[0] / v[1] + 2.0 / v[0] - -v[1]) * 3 - 1,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Points))]
    public void Derivative_matches_finite_differences(string name, double[] x)
    {
        double[] g = TapeGradient(v => Apply(name, v), x);
        Check.AgainstFiniteDifferences(p =>
        {
            Tape.Tape.Current.Clear();
            return Apply(name, p.ToArray().Select(Tape.Tape.Current.Input).ToArray()).Value;
        }, x, g);
    }

    [Fact]
    public void Conventions_match_the_generator()
    {
        Assert.Equal([0.0], TapeGradient(v => VarMath.Abs(v[0]), [0]));
        Assert.Equal([1.0, 0.0], TapeGradient(v => VarMath.Max(v[0], v[1]), [2, 2]));   // a tie: the first
        Assert.Equal([1.0, 0.0], TapeGradient(v => VarMath.Min(v[0], v[1]), [2, 2]));
        Assert.Equal([0.0, 0.0], TapeGradient(v => VarMath.Hypot(v[0], v[1]), [0, 0]));
        Assert.Equal(0.0, TapeGradient(v => VarMath.Pow(v[0], v[1]), [0, 2])[1]);
        Assert.Equal([0.0, 1.0, 0.0], TapeGradient(v => VarMath.Clamp(v[0], v[1], v[2]), [-1, 0, 1]));
        Assert.Equal([0.0], TapeGradient(v => VarMath.Stop(v[0]) * 2, [3]));
    }
}
