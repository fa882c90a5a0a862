using System.Collections.Concurrent;

namespace Differentiable.Generator.Tests.Runtime;

/// <summary>
/// The pooled LIFO stack generated reverse sweeps record overwritten values on: order, growth, reuse,
/// nesting, zero allocation once warm, concurrency, the large-array drop policy and misuse.
/// </summary>
public class ValueStackTests
{
    /// <summary>Arrays holding more than this many values are dropped on return (documented on <see cref="ValueStack{T}"/>).</summary>
    private const int MaxPooledCapacity = 1 << 24;

    [Fact]
    public void Doubles_come_back_in_reverse_order()
    {
        double[] values = { 1.5, -0.0, double.Epsilon, Math.PI, -1e300, double.PositiveInfinity, double.NaN, 42 };
        var stack = ValueStack<double>.Rent();
        try
        {
            foreach (double v in values) stack.Push(v);
            Assert.Equal(values.Length, stack.Count);
            for (int i = values.Length - 1; i >= 0; i--)
            {
                double popped = stack.Pop();
                Assert.Equal(BitConverter.DoubleToInt64Bits(values[i]), BitConverter.DoubleToInt64Bits(popped));
                Assert.Equal(i, stack.Count);
            }
        }
        finally { stack.Return(); }
    }

    [Fact]
    public void Rewind_puts_popped_values_back_for_another_reverse_sweep()
    {
        var stack = ValueStack<double>.Rent();
        try
        {
            stack.Push(-1);
            for (int i = 0; i < 100; i++) stack.Push(i * 0.5); // grows past the first array
            int height = stack.Count;
            for (int sweep = 0; sweep < 3; sweep++)
            {
                stack.Rewind(height);
                for (int i = 99; i >= 0; i--) Assert.Equal(i * 0.5, stack.Pop());
                Assert.Equal(1, stack.Count);
                var block = stack.PopSpan(1);
                Assert.Equal(-1.0, block[0]);
            }
            stack.Rewind(0);
            Assert.Equal(0, stack.Count);
            Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => stack.Rewind(-1)).ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => stack.Rewind(int.MaxValue));
        }
        finally { stack.Return(); }
        Assert.Throws<InvalidOperationException>(() => stack.Rewind(0));
    }

    [Fact]
    public void Floats_come_back_in_reverse_order()
    {
        float[] values = { 0.1f, -2.5f, float.MaxValue, float.MinValue, 1e-45f, 3f };
        var stack = ValueStack<float>.Rent();
        try
        {
            foreach (float v in values) stack.Push(v);
            for (int i = values.Length - 1; i >= 0; i--) Assert.Equal(values[i], stack.Pop());
            Assert.Equal(0, stack.Count);
        }
        finally { stack.Return(); }
    }

    [Fact]
    public void Ints_come_back_in_reverse_order()
    {
        int[] values = { 0, 1, -1, int.MaxValue, int.MinValue, 123456789 };
        var stack = ValueStack<int>.Rent();
        try
        {
            foreach (int v in values) stack.Push(v);
            for (int i = values.Length - 1; i >= 0; i--) Assert.Equal(values[i], stack.Pop());
            Assert.Equal(0, stack.Count);
        }
        finally { stack.Return(); }
    }

    [Fact]
    public void Bools_come_back_in_reverse_order()
    {
        bool[] values = { true, false, false, true, true, false, true };
        var stack = ValueStack<bool>.Rent();
        try
        {
            foreach (bool v in values) stack.Push(v);
            for (int i = values.Length - 1; i >= 0; i--) Assert.Equal(values[i], stack.Pop());
            Assert.Equal(0, stack.Count);
        }
        finally { stack.Return(); }
    }

    [Fact]
    public void Interleaved_pushes_and_pops_follow_lifo()
    {
        // The Newton loop's pattern and more: push some, pop some, push again.
        var stack = ValueStack<double>.Rent();
        var model = new Stack<double>();
        var random = new Random(7);
        try
        {
            for (int step = 0; step < 20_000; step++)
            {
                if (model.Count == 0 || random.Next(3) != 0)
                {
                    double v = random.NextDouble() * 1000 - 500;
                    stack.Push(v);
                    model.Push(v);
                }
                else
                {
                    Assert.Equal(model.Pop(), stack.Pop());
                }
                Assert.Equal(model.Count, stack.Count);
            }
            while (model.Count > 0) Assert.Equal(model.Pop(), stack.Pop());
        }
        finally { stack.Return(); }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    public void Growth_past_the_initial_capacity_keeps_every_value(int capacityHint)
    {
        const int n = 100_003; // many doublings, not a power of two
        var stack = ValueStack<double>.Rent(capacityHint);
        try
        {
            for (int i = 0; i < n; i++) stack.Push(i * 0.5 - 7);
            Assert.Equal(n, stack.Count);
            for (int i = n - 1; i >= 0; i--) Assert.Equal(i * 0.5 - 7, stack.Pop());
            Assert.Equal(0, stack.Count);
        }
        finally { stack.Return(); }
    }

    [Fact]
    public void Pop_on_an_empty_stack_throws()
    {
        var stack = ValueStack<double>.Rent();
        try
        {
            Assert.Throws<InvalidOperationException>(() => stack.Pop());
            stack.Push(3);
            Assert.Equal(3, stack.Pop());
            Assert.Throws<InvalidOperationException>(() => stack.Pop());
            Assert.Equal(0, stack.Count); // a failed Pop changes nothing
            stack.Push(4);
            Assert.Equal(4, stack.Pop());
        }
        finally { stack.Return(); }

        // Also after growth (the array is larger than what was pushed) and with a capacity hint (nothing pushed yet).
        var hinted = ValueStack<int>.Rent(1000);
        try
        {
            Assert.Throws<InvalidOperationException>(() => hinted.Pop());
            for (int i = 0; i < 40; i++) hinted.Push(i);
            for (int i = 39; i >= 0; i--) Assert.Equal(i, hinted.Pop());
            Assert.Throws<InvalidOperationException>(() => hinted.Pop());
        }
        finally { hinted.Return(); }
    }

    [Fact]
    public void Rent_rejects_a_negative_capacity_hint()
        => Assert.Throws<ArgumentOutOfRangeException>(() => ValueStack<double>.Rent(-1));

    [Fact]
    public void A_rented_stack_starts_empty_even_if_returned_with_values()
    {
        var stack = ValueStack<double>.Rent();
        stack.Push(1);
        stack.Push(2);
        stack.Return();
        var again = ValueStack<double>.Rent();
        try
        {
            Assert.Same(stack, again);
            Assert.Equal(0, again.Count);
            Assert.Throws<InvalidOperationException>(() => again.Pop());
        }
        finally { again.Return(); }
    }

    [Fact]
    public void Return_then_rent_reuses_the_grown_stack_without_growing()
    {
        const int n = 50_000;
        var first = ValueStack<double>.Rent();
        for (int i = 0; i < n; i++) first.Push(i);
        first.Return();

        long before = GC.GetAllocatedBytesForCurrentThread();
        var second = ValueStack<double>.Rent();
        for (int i = 0; i < n; i++) second.Push(-i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        try
        {
            Assert.Same(first, second);
            Assert.Equal(0, allocated);
            for (int i = n - 1; i >= 0; i--) Assert.Equal(-i, second.Pop());
        }
        finally { second.Return(); }
    }

    [Fact]
    public void A_capacity_hint_allocates_up_front_so_pushes_do_not_grow()
    {
        const int n = 30_000;
        var stack = ValueStack<float>.Rent(n);
        try
        {
            // One round first: this test method runs once, in tier-0 code, and the runtime's switch to optimized
            // code in the middle of a long loop (on-stack replacement) can allocate on this thread. Pushing and
            // popping n values never grows the stack, so the warm-up changes nothing the test checks.
            for (int i = 0; i < n; i++) stack.Push(i);
            for (int i = 0; i < n; i++) stack.Pop();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < n; i++) stack.Push(i);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            for (int i = n - 1; i >= 0; i--) Assert.Equal(i, stack.Pop());
        }
        finally { stack.Return(); }

        // A warm stack rented again with a hint it already satisfies allocates nothing at all.
        long beforeRent = GC.GetAllocatedBytesForCurrentThread();
        var again = ValueStack<float>.Rent(n);
        for (int i = 0; i < n; i++) again.Push(i);
        for (int i = 0; i < n; i++) again.Pop();
        again.Return();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - beforeRent);
    }

    [Fact]
    public void Nested_rentals_on_one_thread_are_distinct_and_independent()
    {
        const int depth = 12; // more than the per-thread cache holds, so the shared pool takes part
        var stacks = new ValueStack<double>[depth];
        try
        {
            for (int d = 0; d < depth; d++)
            {
                stacks[d] = ValueStack<double>.Rent(d);
                for (int k = 0; k < d; k++) Assert.NotSame(stacks[k], stacks[d]);
            }
            // Interleave pushes across all stacks; each must hold only its own values.
            for (int i = 0; i < 1000; i++)
                for (int d = 0; d < depth; d++)
                    stacks[d].Push(d * 1_000_000 + i);
            for (int d = 0; d < depth; d++) Assert.Equal(1000, stacks[d].Count);
            for (int i = 999; i >= 0; i--)
                for (int d = depth - 1; d >= 0; d--)
                    Assert.Equal(d * 1_000_000 + i, stacks[d].Pop());
        }
        finally
        {
            for (int d = depth - 1; d >= 0; d--) stacks[d]?.Return();
        }

        // One stack per element type, as a method with double, float, int and bool records would rent.
        var ds = ValueStack<double>.Rent();
        var fs = ValueStack<float>.Rent();
        var @is = ValueStack<int>.Rent();
        var bs = ValueStack<bool>.Rent();
        try
        {
            for (int i = 0; i < 100; i++) { ds.Push(i + 0.25); fs.Push(i - 0.5f); @is.Push(-i); bs.Push(i % 3 == 0); }
            for (int i = 99; i >= 0; i--)
            {
                Assert.Equal(i % 3 == 0, bs.Pop());
                Assert.Equal(-i, @is.Pop());
                Assert.Equal(i - 0.5f, fs.Pop());
                Assert.Equal(i + 0.25, ds.Pop());
            }
        }
        finally { bs.Return(); @is.Return(); fs.Return(); ds.Return(); }
    }

    [Fact]
    public void Returned_stacks_are_handed_out_again_to_one_renter_at_a_time()
    {
        // Return many stacks (overflowing the thread's cache into the shared pool), then rent as many again:
        // every rental is a distinct object, whichever pool it came from.
        const int count = 40;
        var first = new ValueStack<int>[count];
        for (int i = 0; i < count; i++) first[i] = ValueStack<int>.Rent();
        for (int i = 0; i < count; i++) first[i].Return();

        var second = new ValueStack<int>[count];
        var seen = new HashSet<ValueStack<int>>(ReferenceEqualityComparer.Instance);
        try
        {
            for (int i = 0; i < count; i++)
            {
                second[i] = ValueStack<int>.Rent();
                Assert.True(seen.Add(second[i]), "a stack was rented twice at once");
                Assert.Equal(0, second[i].Count);
            }
        }
        finally
        {
            foreach (var s in second) s?.Return();
        }
    }

    [Fact]
    public void Warm_rent_push_pop_return_cycles_allocate_nothing()
    {
        // Warm up: the whole measured loop, so every stack has grown to every size it needs and been pooled. The
        // loops are compiled fully optimized from the start (AggressiveOptimization: no tier-0 code, no on-stack
        // replacement, which allocates on this thread; CI runs under load saw 6,576 B and 5,208 B from tiering), and
        // the loop runs three times, so the runtime's own methods they call have reached their final tier as well.
        for (int warm = 0; warm < 3; warm++) Loop();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Loop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        static void Loop()
        {
            for (int cycle = 0; cycle < 10_000; cycle++) Cycle(cycle);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        static void Cycle(int cycle)
        {
            // An outer Backward with a double and a bool record calls an inner one (twice), which rents its own
            // double stack and an int stack; sizes vary up to what the warm-up used.
            var outer = ValueStack<double>.Rent(64);
            var flags = ValueStack<bool>.Rent();
            try
            {
                int n = 40 + cycle % 25;
                for (int i = 0; i < n; i++) { outer.Push(i * 1.5); flags.Push((i & 1) == 0); }
                Inner(cycle % 300 + 1);
                Inner(cycle % 7);
                for (int i = n - 1; i >= 0; i--)
                {
                    if (outer.Pop() != i * 1.5 || flags.Pop() != ((i & 1) == 0)) throw new InvalidOperationException("wrong value");
                }
                var floats = ValueStack<float>.Rent(); // a rental that pushes nothing
                floats.Return();
            }
            finally { flags.Return(); outer.Return(); }
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        static void Inner(int n)
        {
            var inner = ValueStack<double>.Rent();
            var counters = ValueStack<int>.Rent(n);
            try
            {
                for (int i = 0; i < n; i++) { inner.Push(-i); counters.Push(i); }
                while (inner.Count > 0)
                {
                    int c = counters.Pop();
                    if (inner.Pop() != -c) throw new InvalidOperationException("wrong value");
                }
            }
            finally { counters.Return(); inner.Return(); }
        }
    }

    [Fact]
    public void Parallel_workers_each_get_back_their_own_sequences()
    {
        const int workers = 16;
        const int rounds = 300;
        var failures = new ConcurrentQueue<string>();
        var owners = new ConcurrentDictionary<object, int>(ReferenceEqualityComparer.Instance);
        var threads = new ConcurrentDictionary<int, bool>();

        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            threads.TryAdd(Environment.CurrentManagedThreadId, true);
            for (int round = 0; round < rounds && failures.IsEmpty; round++)
            {
                // Nested rentals deeper than the thread cache, so stacks also move through the shared pool.
                int depth = 1 + (worker + round) % 11;
                var stacks = new ValueStack<double>[depth];
                try
                {
                    for (int d = 0; d < depth; d++)
                    {
                        stacks[d] = ValueStack<double>.Rent(round % 3 == 0 ? 0 : 50);
                        if (!owners.TryAdd(stacks[d], worker)) failures.Enqueue($"worker {worker}: got a stack another renter holds");
                    }
                    int length = 10 + (worker * 37 + round * 11) % 500;
                    for (int i = 0; i < length; i++)
                        for (int d = 0; d < depth; d++)
                            stacks[d].Push(Value(worker, round, d, i));
                    for (int i = length - 1; i >= 0; i--)
                        for (int d = depth - 1; d >= 0; d--)
                        {
                            double got = stacks[d].Pop();
                            if (got != Value(worker, round, d, i))
                                failures.Enqueue($"worker {worker} round {round} stack {d} index {i}: {got}");
                        }
                    for (int d = 0; d < depth; d++)
                        if (stacks[d].Count != 0) failures.Enqueue($"worker {worker}: stack {d} not empty");
                }
                finally
                {
                    for (int d = depth - 1; d >= 0; d--)
                    {
                        if (stacks[d] is null) continue;
                        owners.TryRemove(stacks[d], out _);
                        stacks[d].Return();
                    }
                }
            }
        });

        Assert.Empty(failures);
        Assert.True(threads.Count >= 1);

        static double Value(int worker, int round, int d, int i) => worker * 1e9 + round * 1e6 + d * 1e4 + i;
    }

    [Fact]
    public void Dedicated_threads_renting_at_once_never_share_a_stack()
    {
        // Eight real threads released together, so the shared pool's lock is contended.
        const int threadCount = 8;
        var failures = new ConcurrentQueue<string>();
        var owners = new ConcurrentDictionary<object, int>(ReferenceEqualityComparer.Instance);
        using var start = new ManualResetEventSlim(false);
        var threads = new Thread[threadCount];
        for (int t = 0; t < threadCount; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                start.Wait();
                var held = new ValueStack<int>[20];
                for (int round = 0; round < 500; round++)
                {
                    int depth = 1 + (id + round) % held.Length;
                    for (int d = 0; d < depth; d++)
                    {
                        held[d] = ValueStack<int>.Rent();
                        if (!owners.TryAdd(held[d], id)) failures.Enqueue($"thread {id}: shared stack");
                        held[d].Push(id * 1000 + d);
                    }
                    for (int d = depth - 1; d >= 0; d--)
                    {
                        int got = held[d].Pop();
                        if (got != id * 1000 + d) failures.Enqueue($"thread {id}: got {got}");
                        owners.TryRemove(held[d], out _);
                        held[d].Return();
                    }
                }
            });
            threads[t].Start();
        }
        start.Set();
        foreach (var thread in threads) thread.Join();
        Assert.Empty(failures);
    }

    [Fact]
    public void A_stack_whose_array_grew_past_the_limit_drops_it_on_return()
    {
        // bool keeps the big arrays small in bytes: 2^24 + 1 values is 16 MB.
        var big = ValueStack<bool>.Rent(MaxPooledCapacity + 1);
        big.Push(true);
        big.Return();

        // Same object back (the thread's last return), but its array is gone: asking for the size again allocates it again.
        long before = GC.GetAllocatedBytesForCurrentThread();
        var again = ValueStack<bool>.Rent(MaxPooledCapacity + 1);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        try
        {
            Assert.Same(big, again);
            Assert.True(allocated > MaxPooledCapacity, $"allocated {allocated} bytes; the dropped array should be allocated anew");
            again.Push(false);
            Assert.False(again.Pop());
        }
        finally { again.Return(); }

        // And a rental that asks for nothing does not hold on to 16 MB either: pushing a few values allocates a small array.
        var small = ValueStack<bool>.Rent();
        try
        {
            Assert.Same(big, small);
            long beforePush = GC.GetAllocatedBytesForCurrentThread();
            small.Push(true);
            long pushAllocated = GC.GetAllocatedBytesForCurrentThread() - beforePush;
            Assert.InRange(pushAllocated, 1, 1024);
        }
        finally { small.Return(); }
    }

    [Fact]
    public void A_stack_at_the_limit_keeps_its_array()
    {
        var stack = ValueStack<bool>.Rent(MaxPooledCapacity);
        stack.Return();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var again = ValueStack<bool>.Rent(MaxPooledCapacity);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        try
        {
            Assert.Same(stack, again);
            Assert.Equal(0, allocated);
        }
        finally { again.Return(); }
    }

    [Fact]
    public void A_second_return_throws_and_leaves_the_pool_intact()
    {
        var stack = ValueStack<double>.Rent();
        stack.Push(1);
        stack.Return();
        Assert.Throws<InvalidOperationException>(() => stack.Return());
        Assert.Throws<InvalidOperationException>(() => stack.Return());

        // The stack is in the pool once: two rentals get two different objects.
        var a = ValueStack<double>.Rent();
        var b = ValueStack<double>.Rent();
        try
        {
            Assert.Same(stack, a);
            Assert.NotSame(a, b);
            a.Push(10);
            b.Push(20);
            Assert.Equal(20, b.Pop());
            Assert.Equal(10, a.Pop());
        }
        finally { b.Return(); a.Return(); }
    }

    [Fact]
    public void Using_a_returned_stack_throws_and_leaves_the_pool_intact()
    {
        var stack = ValueStack<double>.Rent();
        stack.Push(5);
        stack.Return();

        Assert.Equal(0, stack.Count);
        var push = Assert.Throws<InvalidOperationException>(() => stack.Push(1));
        var pop = Assert.Throws<InvalidOperationException>(() => stack.Pop());
        Assert.Contains("returned", push.Message);
        Assert.Contains("returned", pop.Message);

        var again = ValueStack<double>.Rent();
        try
        {
            Assert.Same(stack, again);
            Assert.Equal(0, again.Count);
            again.Push(7);
            Assert.Equal(7, again.Pop());
        }
        finally { again.Return(); }
    }

    [Fact]
    public void A_block_pushed_as_a_span_comes_back_as_a_span_between_single_values()
    {
        var stack = ValueStack<double>.Rent();
        try
        {
            stack.Push(-1.5);
            var block = stack.PushSpan(1000); // past the initial capacity: the block must survive growth
            for (int j = 0; j < block.Length; j++) block[j] = j * 0.25;
            stack.Push(42.0);
            Assert.Equal(1002, stack.Count);

            Assert.Equal(42.0, stack.Pop());
            var back = stack.PopSpan(1000);
            Assert.Equal(1000, back.Length);
            for (int j = 0; j < back.Length; j++) Assert.Equal(j * 0.25, back[j]);
            Assert.Equal(-1.5, stack.Pop());
            Assert.Equal(0, stack.Count);
            Assert.Equal(0, stack.PushSpan(0).Length);
            Assert.Equal(0, stack.PopSpan(0).Length);
        }
        finally { stack.Return(); }
    }

    [Fact]
    public void PopSpan_of_more_than_the_stack_holds_throws_and_changes_nothing()
    {
        var stack = ValueStack<int>.Rent();
        try
        {
            stack.Push(1);
            stack.Push(2);
            Assert.Throws<InvalidOperationException>(() => stack.PopSpan(3));
            Assert.Throws<ArgumentOutOfRangeException>(() => stack.PushSpan(-1));
            Assert.Equal(2, stack.Count);
            Assert.Equal(2, stack.Pop());
        }
        finally { stack.Return(); }
    }

    [Fact]
    public void Blocks_allocate_nothing_once_warm()
    {
        var warm = ValueStack<float>.Rent(4096);
        warm.Return();
        float sum = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 1000; round++)
        {
            var stack = ValueStack<float>.Rent();
            var block = stack.PushSpan(4000);
            block[3999] = round;
            sum += stack.PopSpan(4000)[3999];
            stack.Return();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(999 * 1000 / 2, sum);
    }
}

public class CheckedArithmeticTests
{
    // Grad.Mul and Grad.Div: +0 for a zero adjoint of either sign, whatever the other operand (∞, NaN, 0); otherwise
    // exactly the IEEE product or quotient, NaN and infinities included. Both precisions.
    [Fact]
    public void A_zero_adjoint_gives_zero_and_anything_else_the_plain_result()
    {
        double[] values = { 0.0, -0.0, 1.5, -2.25, 1e-310, double.MaxValue, double.PositiveInfinity, double.NegativeInfinity, double.NaN, double.Epsilon };
        foreach (double a in values)
        {
            foreach (double b in values)
            {
                double mul = a == 0 ? 0.0 : a * b, div = a == 0 ? 0.0 : a / b;
                Assert.Equal(BitConverter.DoubleToInt64Bits(mul), BitConverter.DoubleToInt64Bits(Grad.Mul(a, b)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(div), BitConverter.DoubleToInt64Bits(Grad.Div(a, b)));
                float af = (float)a, bf = (float)b;
                float mulf = af == 0 ? 0f : af * bf, divf = af == 0 ? 0f : af / bf;
                Assert.Equal(BitConverter.SingleToInt32Bits(mulf), BitConverter.SingleToInt32Bits(Grad.Mul(af, bf)));
                Assert.Equal(BitConverter.SingleToInt32Bits(divf), BitConverter.SingleToInt32Bits(Grad.Div(af, bf)));
            }
        }
    }
}
