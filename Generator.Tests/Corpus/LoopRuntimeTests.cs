namespace Differentiable.Generator.Tests.Corpus;

/// <summary>
/// Run-time properties of the generated loop code: no GC allocation once warm (values a loop overwrites go to pooled
/// stacks, local buffers get stack or pooled adjoints), and thread safety (the same gradients from Parallel.For as
/// from a serial loop). The drivers take preallocated arrays and only cast and unbox, so they allocate nothing
/// themselves (LoopHarnessSelfTests measures 0 bytes for hand-written adjoints through the same drivers).
/// </summary>
public class LoopRuntimeTests
{
    private const int WarmUpCalls = 200;
    private const int MeasuredCalls = 5000;
    private const int ParallelIterations = 1000;

    /// <summary>Functions whose primal allocates by design (new double[n]); their gradients cannot be allocation-free.</summary>
    private static readonly string[] AllocatingPrimals = { "TwoLayerNewArray" };

    /// <summary>The point to measure at where the default (the point with the most active coordinates) is not the interesting one.</summary>
    private static readonly Dictionary<string, object[]> MeasuredAt = new()
    {
        ["NewtonSqrt"] = new object[] { 1e4 },   // the most iterations: the most recorded values
        ["NewtonSqrtF"] = new object[] { 1e4 },
        ["ShrinkWhile"] = new object[] { 100.0, 0.8 },
        ["DoWhileLoop"] = new object[] { 0.3, 20 },
    };

    public static TheoryData<string> AllocationFreeNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in LoopCorpus.Cases.Where(c => !AllocatingPrimals.Contains(c.Name))) data.Add(c.Name);
        return data;
    }

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in LoopCorpus.Cases) data.Add(c.Name);
        return data;
    }

    [Fact]
    public void The_functions_that_must_store_values_are_measured()
    {
        // Horner and Newton record a value per iteration; the two-layer network has a stackalloc hidden buffer.
        var names = LoopCorpus.Cases.Select(c => c.Name).Except(AllocatingPrimals).ToList();
        Assert.Contains("Horner", names);
        Assert.Contains("NewtonSqrt", names);
        Assert.Contains("TwoLayerStackalloc", names);
        Assert.Contains("Recurrence1000", names);
    }

    [Theory, MemberData(nameof(AllocationFreeNames))]
    public void Gradient_and_backward_allocate_nothing_after_warm_up(string name)
    {
        var c = LoopCorpus.Case(name);
        var f = LoopCorpus.Bind(name, analysesOff: false);
        var point = MeasuredPoint(f, c);
        long bytes = LoopRuntime.AllocatedBytes(f, c, point, WarmUpCalls, MeasuredCalls);
        Assert.True(bytes == 0,
            $"{LoopChecks.Where(f, point)}: {MeasuredCalls} rounds of {(f.Signature.ReturnsValue ? "Gradient + Backward" : "Backward")} allocated {bytes} bytes after warm-up"
            + f.GeneratedCode());
    }

    [Theory, MemberData(nameof(Names))]
    public void Parallel_gradients_equal_the_serial_ones(string name)
    {
        var c = LoopCorpus.Case(name);
        var f = LoopCorpus.Bind(name, analysesOff: false);
        var points = LoopRuntime.DistinctPoints(f, MeasuredPoint(f, c), ParallelIterations);
        LoopRuntime.AssertParallelMatchesSerial(f, c, points);
    }

    [Fact]
    public void Nested_stores_from_many_threads_do_not_mix()
    {
        // Functions that record values, called from one Parallel.For in an interleaved mix, so different functions'
        // pooled stacks are rented on the same threads at the same time.
        var names = new[] { "Horner", "NewtonSqrt", "Product", "ExpMovingAverage", "RnnScalar", "TwoLayerCalls", "SquareTwiceSum", "HornerF" };
        var work = names.SelectMany(n =>
        {
            var c = LoopCorpus.Case(n);
            var f = LoopCorpus.Bind(n, analysesOff: false);
            return LoopRuntime.DistinctPoints(f, MeasuredPoint(f, c), 200).Select(p => (F: f, C: c, Point: p));
        }).ToArray();
        var serial = work.Select(w => LoopChecks.Evaluate(w.F, w.C, w.Point)).ToArray();
        var order = Enumerable.Range(0, work.Length).OrderBy(i => (i * 7919) % work.Length).ToArray();
        var parallel = new (double Value, double[] Gradient, double[] Backward)[work.Length];
        Parallel.For(0, order.Length, k =>
        {
            int i = order[k];
            parallel[i] = LoopChecks.Evaluate(work[i].F, work[i].C, work[i].Point);
        });
        for (int i = 0; i < work.Length; i++)
        {
            Assert.True(serial[i].Value.Equals(parallel[i].Value) && serial[i].Gradient.SequenceEqual(parallel[i].Gradient)
                && serial[i].Backward.SequenceEqual(parallel[i].Backward),
                $"{LoopChecks.Where(work[i].F, work[i].Point)}: parallel results differ from serial ones");
        }
    }

    private static object[] MeasuredPoint(LoopFunction f, LoopCase c) =>
        MeasuredAt.TryGetValue(c.Name, out var point) ? point : c.Points.OrderByDescending(p => f.Dimension(f.Pack(p))).First();
}
