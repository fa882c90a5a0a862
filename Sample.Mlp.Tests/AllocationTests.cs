namespace Sample.Mlp.Tests;

/// <summary>A training step allocates nothing once warm: on one thread, and with long-lived workers (process-wide count, so run alone).</summary>
[Collection(nameof(Alone))]
public class AllocationTests
{
    [Theory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("adam")]
    public void A_step_on_one_thread_allocates_nothing(string optimizer)
    {
        var source = Shared.Embedded;
        using var trainer = Shared.NewTrainer(new[] { 784, 64, 32, 10 }, optimizer, 1e-3f, 64, 1, 5);
        var order = Enumerable.Range(0, source.Train.Count).ToArray();
        // The measured loop runs twice and only the second run counts: the first takes the JIT's tiering and
        // on-stack replacement of this very loop, which allocate on this thread (7,856 B once, under load).
        Steps(trainer, source.Train, order);
        Assert.Equal(0, Steps(trainer, source.Train, order));
    }

    /// <summary>Bytes this thread allocates during 50 steps.</summary>
    private static long Steps(Trainer trainer, DataSet train, int[] order)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 0; s < 50; s++) trainer.Step(train, order.AsSpan(s * 64, 64));
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void A_step_with_long_lived_worker_threads_allocates_nothing_on_any_of_them(int threads)
    {
        // Every thread that works on a step counts its own bytes (GC.GetAllocatedBytesForCurrentThread around each
        // block). GC.GetTotalAllocatedBytes(true) cannot be used inside the test host: with no step running, its own
        // threads allocate about 168 bytes every few milliseconds (measured: 0 to 1,576 bytes per 50 steps on one
        // thread, with this thread allocating 0). docs/benchmarks.md gives the process-wide figure of the sample run.
        var source = Shared.Embedded;
        using var trainer = Shared.NewTrainer(new[] { 784, 128, 10 }, "adam", 1e-3f, 64, threads, 5);
        var order = Enumerable.Range(0, source.Train.Count).ToArray();
        Steps(trainer, source.Train, order); // warms the measured loop itself (see above)
        long workersBefore = trainer.WorkerAllocatedBytes;
        Assert.Equal(0, Steps(trainer, source.Train, order));
        Assert.Equal(0, trainer.WorkerAllocatedBytes - workersBefore);
    }
}
