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
