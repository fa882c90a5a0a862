namespace Differentiable.GradBench.Tests;

/// <summary>
/// The generated gradients allocate what the user's method allocates (its <c>new double[n]</c> locals) and
/// nothing more: recorded values live on the pooled ValueStack and adjoint buffers come from the ArrayPool.
/// </summary>
public class AllocationTests
{
    /// <summary>Bytes one call allocates on this thread, after three warm-up calls (JIT, pools, stacks at their size).</summary>
    internal static long Allocated(Action action)
    {
        for (int i = 0; i < 3; i++) action(); // warm: JIT, pools, stacks at their size
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Gmm_gradient_allocates_what_the_objective_allocates()
    {
        Gmm.Input input = Inputs.Gmm(4, 3, 40, seed: 1);
        double[] a = new double[3], m = new double[12], q = new double[12], l = new double[18];
        long primal = Allocated(() => input.Objective());
        long gradient = Allocated(() => input.Gradient(a, m, q, l));
        Assert.True(primal > 0); // five new double[] locals
        Assert.Equal(primal, gradient);
    }

    [Fact]
    public void Lstm_gradient_allocates_what_the_objective_allocates()
    {
        Lstm.Input input = Inputs.Lstm(2, 20, 4, seed: 2);
        var g = new double[input.MainParams.Length + input.ExtraParams.Length];
        Assert.Equal(Allocated(() => input.Objective()), Allocated(() => input.Jacobian(g)));
    }

    [Fact]
    public void Lse_llsq_and_det_gradients_allocate_nothing()
    {
        double[] x = Inputs.Uniform(100, 1);
        var g = new double[100];
        Assert.Equal(0, Allocated(() => Lse.LogSumExpGradient(x, g)));
        double[] c = Inputs.Uniform(8, 2);
        var gc = new double[8];
        Assert.Equal(0, Allocated(() => Llsq.ObjectiveGradient(c, 50, gc)));
        double[] a = Inputs.Uniform(25, 3);
        var ga = new double[25];
        Assert.Equal(0, Allocated(() => Det.DeterminantGradient(a, 5, ga)));
    }
}
