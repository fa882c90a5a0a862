using System.Reflection;
using System.Runtime.CompilerServices;
using Differentiable.Generator.Tests.Infrastructure;
using static Differentiable.Generator.Tests.Infrastructure.BufferGradients;

namespace Differentiable.Generator.Tests;

/// <summary>
/// <see cref="Workspace"/>: the arena itself (zeroed memory, scopes giving memory back, exceptions, misuse,
/// no allocation once warm), and layer buffers declared with <c>Workspace.Rent</c> inside <c>[Differentiable]</c>
/// methods: gradients against finite differences, the generated scope and adjoint buffers, zero allocation.
/// </summary>
public class WorkspaceTests
{
    // ---- the arena ----

    [Fact]
    public void Rent_without_a_scope_throws_and_says_what_to_do()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Workspace.Rent<float>(4));
        Assert.Contains("Workspace.Scope()", error.Message);
    }

    [Fact]
    public void Rented_memory_is_zeroed_and_disjoint_and_reused_after_the_scope()
    {
        ref float first = ref Unsafe.NullRef<float>();
        using (Workspace.Scope())
        {
            Span<float> a = Workspace.Rent<float>(100);
            Span<float> b = Workspace.Rent<float>(7);
            Assert.True(a.ToArray().All(v => v == 0) && b.ToArray().All(v => v == 0));
            a.Fill(1);
            b.Fill(2);
            Assert.True(a.ToArray().All(v => v == 1)); // b does not overlap a
            first = ref a[0];
        }
        using (Workspace.Scope())
        {
            Span<float> again = Workspace.Rent<float>(100);
            Assert.True(Unsafe.AreSame(ref first, ref again[0]));
            Assert.True(again.ToArray().All(v => v == 0)); // zeroed again, though it held ones
        }
    }

    [Fact]
    public void An_inner_scope_gives_back_only_what_it_rented()
    {
        using (Workspace.Scope())
        {
            Span<double> outer = Workspace.Rent<double>(10);
            outer.Fill(5);
            ref double inner1 = ref Unsafe.NullRef<double>();
            using (Workspace.Scope())
            {
                inner1 = ref Workspace.Rent<double>(10)[0];
            }
            ref double inner2 = ref Workspace.Rent<double>(10)[0];
            Assert.True(Unsafe.AreSame(ref inner1, ref inner2));
            Assert.True(outer.ToArray().All(v => v == 5));
        }
    }

    [Fact]
    public void An_exception_inside_a_using_scope_gives_the_memory_back()
    {
        ref int before = ref Unsafe.NullRef<int>();
        using (Workspace.Scope()) before = ref Workspace.Rent<int>(3)[0];
        try
        {
            using (Workspace.Scope())
            {
                Workspace.Rent<int>(1000);
                throw new FormatException("boom");
            }
        }
        catch (FormatException)
        {
        }
        using (Workspace.Scope()) Assert.True(Unsafe.AreSame(ref before, ref Workspace.Rent<int>(3)[0]));
    }

    [Fact]
    public void Misuse_is_refused()
    {
        var outer = Workspace.Scope();
        var inner = Workspace.Scope();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose()); // out of order
        inner.Dispose();
        Assert.Throws<InvalidOperationException>(() => inner.Dispose()); // twice
        outer.Dispose();
        Assert.Throws<ArgumentOutOfRangeException>(() => { using (Workspace.Scope()) Workspace.Rent<float>(-1); });

        WorkspaceScope other = default;
        var thread = new Thread(() => other = Workspace.Scope());
        thread.Start();
        thread.Join();
        Assert.Throws<InvalidOperationException>(() => other.Dispose()); // another thread's scope
    }

    [Fact]
    public void Growing_past_the_block_keeps_earlier_buffers_and_the_next_round_allocates_nothing()
    {
        // On a thread of its own, so the arena starts cold whatever ran before on the test thread.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { Rounds(); }
            catch (Exception e) { failure = e; }
        });
        static void Rounds()
        {
            static void Round(int n, bool check)
            {
                using (Workspace.Scope())
                {
                    Span<float> a = Workspace.Rent<float>(n);
                    a.Fill(3);
                    Span<float> b = Workspace.Rent<float>(4 * n); // does not fit the first block
                    b.Fill(4);
                    Span<double> c = Workspace.Rent<double>(n);
                    if (check) Assert.True(a.ToArray().All(v => v == 3) && b.ToArray().All(v => v == 4) && c.ToArray().All(v => v == 0));
                }
            }
            Round(50_000, check: true);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int r = 0; r < 20; r++) Round(50_000, check: false);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.True(Workspace.CapacityBytes >= 50_000 * (4 + 16 + 8));
        }
        thread.Start();
        thread.Join();
        Assert.Null(failure);
    }

    // ---- layer buffers in [Differentiable] methods ----

    private const string Source = """
        using System;
        using Differentiable;

        public static partial class Net
        {
            // logits = relu(x·W1ᵀ + b1)·W2ᵀ + b2, with its buffers rented from the workspace, as a user writes them.
            [Differentiable]
            public static double Loss(ReadOnlySpan<double> w1, ReadOnlySpan<double> b1, ReadOnlySpan<double> w2, ReadOnlySpan<double> b2,
                [NoDiff] ReadOnlySpan<double> x, [NoDiff] ReadOnlySpan<int> labels, int batch, int inputs, int hidden, int classes)
            {
                Span<double> h = Workspace.Rent<double>(batch * hidden);
                Ops.MatMulTransposeB(x, w1, h, batch, inputs, hidden);
                Ops.AddRowBias(h, b1);
                Span<double> a = Workspace.Rent<double>(batch * hidden);
                Ops.Tanh(h, a);
                Span<double> logits = Workspace.Rent<double>(batch * classes);
                Ops.MatMulTransposeB(a, w2, logits, batch, hidden, classes);
                Ops.AddRowBias(logits, b2);
                return Ops.SoftmaxCrossEntropy(logits, labels, classes);
            }

            // Any number of layers in one buffer, by offsets: sizes[0] inputs, then each layer's width.
            [Differentiable]
            public static double Deep(ReadOnlySpan<double> parameters, [NoDiff] ReadOnlySpan<double> x, [NoDiff] ReadOnlySpan<int> labels,
                [NoDiff] ReadOnlySpan<int> sizes, int batch)
            {
                int total = 0;
                for (int l = 0; l < sizes.Length; l++) total += batch * sizes[l];
                Span<double> activations = Workspace.Rent<double>(total); // the input, then each layer's output
                Span<double> z = Workspace.Rent<double>(total);
                x.CopyTo(activations);
                int p = 0;
                int inputAt = 0;
                int outputAt = batch * sizes[0];
                for (int l = 1; l < sizes.Length; l++)
                {
                    int fanIn = sizes[l - 1], fanOut = sizes[l];
                    ReadOnlySpan<double> w = parameters.Slice(p, fanOut * fanIn);
                    ReadOnlySpan<double> b = parameters.Slice(p + fanOut * fanIn, fanOut);
                    Span<double> y = z.Slice(outputAt, batch * fanOut);
                    Ops.MatMulTransposeB(activations.Slice(inputAt, batch * fanIn), w, y, batch, fanIn, fanOut);
                    Ops.AddRowBias(y, b);
                    Ops.Tanh(y, activations.Slice(outputAt, batch * fanOut));
                    p += fanOut * fanIn + fanOut;
                    inputAt = outputAt;
                    outputAt += batch * fanOut;
                }
                return Ops.SoftmaxCrossEntropy(z.Slice(inputAt, batch * sizes[sizes.Length - 1]), labels, sizes[sizes.Length - 1]);
            }
        }

        public static class Driver
        {
            public static double Loss(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, int[] labels, int batch, int inputs, int hidden, int classes)
            {
                using (Workspace.Scope()) return Net.Loss(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes);
            }

            public static double LossWithoutScope(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, int[] labels, int batch, int inputs, int hidden, int classes) =>
                Net.Loss(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes);

            // No scope: the generated member opens its own.
            public static double Gradient(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, int[] labels, int batch, int inputs, int hidden, int classes,
                double[] dW1, double[] dB1, double[] dW2, double[] dB2) =>
                Net.LossGradient(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2);

            public static double Deep(double[] parameters, double[] x, int[] labels, int[] sizes, int batch)
            {
                using (Workspace.Scope()) return Net.Deep(parameters, x, labels, sizes, batch);
            }

            public static double DeepGradient(double[] parameters, double[] x, int[] labels, int[] sizes, int batch, double[] dParameters) =>
                Net.DeepGradient(parameters, x, labels, sizes, batch, dParameters);

            /// <summary>Bytes allocated by <paramref name="rounds"/> Loss and Gradient calls after one warm-up call, inside a caller's scope: the last of up to 4 such windows.</summary>
            public static long Allocated(double[] w1, double[] b1, double[] w2, double[] b2, double[] x, int[] labels, int batch, int inputs, int hidden, int classes,
                double[] dW1, double[] dB1, double[] dW2, double[] dB2, int rounds)
            {
                using (Workspace.Scope()) Net.LossGradient(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2);
                // The last of up to 4 windows of rounds: one that allocates nothing ends the search. The runtime may
                // allocate once on this thread while the calls warm up (a method compiled on stack replacement is compiled
                // by the thread that runs it); an allocation per call shows in every window.
                long allocated = 0;
                for (int window = 0; window < 4 && (window == 0 || allocated != 0); window++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int r = 0; r < rounds; r++)
                    {
                        using (Workspace.Scope())
                        {
                            Net.Loss(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes);
                            Net.LossGradient(w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2);
                        }
                    }
                    allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                }
                return allocated;
            }
        }
        """;

    private static MethodInfo Driver(string name) => GradientAssert.Load(Source).GetType("Driver")!.GetMethod(name)!;

    [Theory]
    [InlineData(1, 1, 1, 2, 1)]
    [InlineData(3, 4, 5, 3, 2)]
    [InlineData(17, 9, 6, 4, 3)]
    public void Workspace_layers_match_finite_differences(int batch, int inputs, int hidden, int classes, int seed)
    {
        var random = new Random(seed);
        double[] w1 = Random(random, hidden * inputs), b1 = Random(random, hidden), w2 = Random(random, classes * hidden), b2 = Random(random, classes);
        double[] x = Random(random, batch * inputs, 2);
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();
        double[] dW1 = new double[w1.Length], dB1 = new double[b1.Length], dW2 = new double[w2.Length], dB2 = new double[b2.Length];

        double value = (double)Driver("Gradient").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2 })!;
        double Loss() => (double)Driver("Loss").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes })!;
        Assert.Equal(Loss(), value, 14);
        AssertFiniteDifferences(Loss, (w1, dW1), (b1, dB1), (w2, dW2), (b2, dB2));
    }

    [Theory]
    [InlineData(new[] { 5, 3 }, 2, 1)]
    [InlineData(new[] { 6, 4, 3 }, 3, 2)]
    [InlineData(new[] { 7, 5, 4, 6, 3 }, 4, 3)]
    public void Any_number_of_layers_by_offsets_into_one_buffer_matches_finite_differences(int[] sizes, int batch, int seed)
    {
        var random = new Random(seed);
        int count = 0;
        for (int l = 1; l < sizes.Length; l++) count += sizes[l] * sizes[l - 1] + sizes[l];
        double[] parameters = Random(random, count), x = Random(random, batch * sizes[0], 2), dParameters = new double[count];
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(sizes[^1])).ToArray();

        double value = (double)Driver("DeepGradient").Invoke(null, new object[] { parameters, x, labels, sizes, batch, dParameters })!;
        double Loss() => (double)Driver("Deep").Invoke(null, new object[] { parameters, x, labels, sizes, batch })!;
        Assert.Equal(Loss(), value, 14);
        AssertFiniteDifferences(Loss, (parameters, dParameters));
    }

    [Fact]
    public void The_generated_members_rent_the_adjoints_from_the_workspace_inside_their_own_scope()
    {
        string text = GradientAssert.Compile(Source).GeneratedText;
        Assert.Contains("global::System.Span<double> h = global::Differentiable.Workspace.Rent<double>(", text);
        Assert.Contains("global::System.Span<double> dH = global::Differentiable.Workspace.Rent<double>(", text);
        Assert.Contains("var workspace = global::Differentiable.Workspace.Scope();", text);
        Assert.Contains("workspace.Dispose();", text);
        Assert.Contains("global::Differentiable.Ops.CopyBackwardConstantSource(x, activations, dActivations);", text);
        Assert.DoesNotContain("ArrayPool", text);
    }

    [Fact]
    public void Rent_lowers_to_a_workspace_allocation_and_only_the_differentiable_one()
    {
        const string source = """
            using System;
            using Differentiable;
            public static partial class M
            {
                [Differentiable]
                public static double F(ReadOnlySpan<double> w)
                {
                    Span<double> h = Workspace.Rent<double>(w.Length);
                    Span<int> counts = Workspace.Rent<int>(2);
                    for (int i = 0; i < w.Length; i++) h[i] = w[i] * w[i];
                    counts[0] = 1;
                    return Ops.Sum(h);
                }
            }
            """;
        string ir = Differentiable.Generator.Ir.IrPrinter.Print(ModelHelper.ParseValid(source, "F").Function);
        Assert.Equal(2, ir.Split("workspace ").Length - 1);
        var result = GradientAssert.Compile(source);
        Assert.Contains("global::System.Span<int> counts = global::Differentiable.Workspace.Rent<int>(2);", result.GeneratedText);
        Assert.DoesNotContain("dCounts", result.GeneratedText); // an int buffer is constant: no adjoint
    }

    [Fact]
    public void The_plain_method_outside_a_scope_is_refused_with_the_fix()
    {
        var random = new Random(1);
        var error = Assert.Throws<TargetInvocationException>(() => Driver("LossWithoutScope").Invoke(null, new object[]
        {
            Random(random, 6), Random(random, 2), Random(random, 6), Random(random, 3), Random(random, 3), new[] { 0 }, 1, 3, 2, 3,
        }));
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Fact]
    public void Workspace_layers_allocate_nothing_once_warm()
    {
        const int batch = 64, inputs = 40, hidden = 32, classes = 10; // 64 × 32 doubles: too big for a sensible stackalloc
        var random = new Random(3);
        double[] w1 = Random(random, hidden * inputs), b1 = Random(random, hidden), w2 = Random(random, classes * hidden), b2 = Random(random, classes);
        double[] x = Random(random, batch * inputs);
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();
        double[] dW1 = new double[w1.Length], dB1 = new double[b1.Length], dW2 = new double[w2.Length], dB2 = new double[b2.Length];
        long allocated = (long)Driver("Allocated").Invoke(null, new object[] { w1, b1, w2, b2, x, labels, batch, inputs, hidden, classes, dW1, dB1, dW2, dB2, 200 })!;
        Assert.Equal(0, allocated);
    }
}
