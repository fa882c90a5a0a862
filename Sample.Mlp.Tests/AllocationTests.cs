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
        for (int s = 0; s < 5; s++) trainer.Step(source.Train, order.AsSpan(s * 64, 64));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 5; s < 55; s++) trainer.Step(source.Train, order.AsSpan(s * 64, 64));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
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
        for (int s = 0; s < 20; s++) trainer.Step(source.Train, order.AsSpan(s * 64, 64));
        long before = GC.GetAllocatedBytesForCurrentThread(), workersBefore = trainer.WorkerAllocatedBytes;
        for (int s = 20; s < 70; s++) trainer.Step(source.Train, order.AsSpan(s * 64, 64));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, trainer.WorkerAllocatedBytes - workersBefore);
    }
}
