using System.Numerics;
using static Differentiable.Generator.Tests.Runtime.OpsCheck;

namespace Differentiable.Generator.Tests.Runtime;

/// <summary>
/// The Backward conventions of DESIGN.md on <see cref="Ops"/> (accumulation, adjoint lengths, zero seeds), extreme and
/// empty inputs, argument checks, and zero allocation once warm.
/// </summary>
public partial class OpsTests
{
    // ================================================================ accumulation

    [Fact]
    public void Backward_called_twice_adds_twice()
    {
        Twice<float, FloatOps>();
        Twice<double, DoubleOps>();
    }

    private static void Twice<T, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        const int rows = 3, cols = 33, n = rows * cols;
        var rng = new Random(7);
        T[] x = Values<T>(rng, n), w = Values<T>(rng, n), bias = Values<T>(rng, cols), seed = Values<T>(rng, n);
        int[] labels = Labels(rng, rows, cols);
        T dr = Seed<T>(rng);

        // Each Backward runs once and twice on adjoints that start from the same nonzero values; output seeds are
        // supplied afresh before every call (the previous call consumed them).
        void Check(string what, Action<T[][]> backward, int[] lengths)
        {
            T[][] start = lengths.Select(length => Values<T>(rng, length)).ToArray();
            T[][] once = start.Select(a => (T[])a.Clone()).ToArray();
            T[][] twice = start.Select(a => (T[])a.Clone()).ToArray();
            backward(once);
            backward(twice);
            backward(twice);
            for (int k = 0; k < start.Length; k++)
                for (int i = 0; i < start[k].Length; i++)
                {
                    double step = D(once[k][i]) - D(start[k][i]);
                    Close(2 * step, D(twice[k][i]) - D(start[k][i]), 100 * TOps.ForwardTolerance, 1, $"{what} adjoint {k}");
                }
        }

        Check("Dot", d => TOps.DotBackward(x, w, dr, d[0], d[1]), [n, n]);
        Check("Sum", d => TOps.SumBackward(x, dr, d[0]), [n]);
        Check("AddRowBias", d => TOps.AddRowBiasBackward((T[])x.Clone(), bias, seed, d[0]), [cols]);
        foreach (Activation activation in Enum.GetValues<Activation>())
            Check(activation.ToString(), d => OpsReference.Backward<T, TOps>(activation, x, new T[n], d[0], (T[])seed.Clone()), [n]);
        Check("Softmax", d => TOps.SoftmaxBackward(x, new T[n], cols, d[0], (T[])seed.Clone()), [n]);
        Check("LogSumExp", d => TOps.LogSumExpBackward(x, dr, d[0]), [n]);
        Check("SoftmaxCrossEntropy", d => TOps.SoftmaxCrossEntropyBackward(x, labels, cols, dr, d[0]), [n]);
        Check("MeanSquaredError", d => TOps.MeanSquaredErrorBackward(x, w, dr, d[0], d[1]), [n, n]);
    }

    [Fact]
    public void Adjoints_longer_than_their_primal_are_used_up_to_its_length()
    {
        LongerAdjoints<float, FloatOps>();
        LongerAdjoints<double, DoubleOps>();
    }

    private static void LongerAdjoints<T, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        const int n = 21, extra = 5;
        var rng = new Random(3);
        T[] x = Values<T>(rng, n), w = Values<T>(rng, n);
        T sentinel = T.CreateTruncating(42);
        T[] Long() => Enumerable.Repeat(sentinel, n + extra).ToArray();
        void TailUntouched(T[] adjoint) => Assert.All(adjoint[n..], v => Assert.Equal(sentinel, v));

        T[] dA = Long(), dB = Long();
        TOps.DotBackward(x, w, T.One, dA, dB);
        TailUntouched(dA);
        TailUntouched(dB);
        T[] dX = Long(), dY = Long();
        TOps.TanhBackward(x, new T[n], dX, dY);
        TailUntouched(dX);
        TailUntouched(dY);
        Assert.All(dY[..n], v => Assert.Equal(T.Zero, v));
        T[] dLogits = Long();
        TOps.SoftmaxCrossEntropyBackward(x, [1, 2, 0], 7, T.One, dLogits);
        TailUntouched(dLogits);
    }

    // ================================================================ extreme and special inputs

    [Fact]
    public void Extreme_logits_stay_finite_and_exact()
    {
        ExtremeLogits<float, FloatOps>();
        ExtremeLogits<double, DoubleOps>();
    }

    private static void ExtremeLogits<T, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        const int classes = 3;
        T[] logits = Of<T>([1000, -1000, 0, -1000, 1000, 999, -1000, -1000, -1000]);
        int[] labels = [0, 0, 2];
        var probabilities = new T[logits.Length];
        TOps.Softmax(logits, probabilities, classes);
        Close(OpsReference.Softmax(D<T>(logits), classes), D<T>(probabilities), TOps.ForwardTolerance, 1e-2, "Softmax at ±1000");

        // Row 0: label has 1000, the rest e^-1000 ≈ 0: loss 0. Row 1: label at −1000 against 1000 and 999: 2000 + log(1 + e^-1).
        // Row 2: all equal: log 3.
        double expected = (0 + 2000 + Math.Log(1 + Math.Exp(-1)) + Math.Log(3)) / 3;
        Close(expected, D(TOps.SoftmaxCrossEntropy(logits, labels, classes)), TOps.ForwardTolerance, 1, "SoftmaxCrossEntropy at ±1000");

        Close(1000 + Math.Log(2 + Math.Exp(-1)), D(TOps.LogSumExp(Of<T>([1000, 1000, 999, -1000]))), TOps.ForwardTolerance, 1, "LogSumExp at 1000");
        Close(-1000 + Math.Log(2), D(TOps.LogSumExp(Of<T>([-1000, -1000]))), TOps.ForwardTolerance, 1, "LogSumExp at -1000");

        var dLogits = new T[logits.Length];
        TOps.SoftmaxCrossEntropyBackward(logits, labels, classes, T.One, dLogits);
        var dLse = new T[logits.Length];
        TOps.LogSumExpBackward(logits, T.One, dLse);
        var dX = new T[logits.Length];
        TOps.SoftmaxBackward(logits, new T[logits.Length], classes, dX, Values<T>(new Random(1), logits.Length));
        foreach (T[] gradient in new[] { dLogits, dLse, dX })
            Assert.All(gradient, g => Assert.True(T.IsFinite(g)));
        double[] softmax = OpsReference.Softmax(D<T>(logits), classes);
        for (int i = 0; i < logits.Length; i++)
            Close((softmax[i] - (labels[i / classes] == i % classes ? 1 : 0)) / 3, D(dLogits[i]), TOps.ForwardTolerance, 1, "SoftmaxCrossEntropy dLogits at ±1000");
    }

    [Fact]
    public void A_zero_seed_adds_nothing_even_where_the_partials_are_infinite()
    {
        ZeroSeed<float, FloatOps>();
        ZeroSeed<double, DoubleOps>();
    }

    private static void ZeroSeed<T, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        T[] finite = Of<T>([1, 2, 3]);
        T[] infinite = [T.One, T.PositiveInfinity, T.NegativeInfinity];
        T[] start = Of<T>([0.5, -0.25, 4]);
        T[] dA = (T[])start.Clone(), dB = (T[])start.Clone(), dX = (T[])start.Clone(), dY = (T[])start.Clone();
        TOps.DotBackward(infinite, finite, T.Zero, dA, dB);
        TOps.MeanSquaredErrorBackward(infinite, finite, T.Zero, dX, dY);
        TOps.LogSumExpBackward(infinite, T.Zero, dX);
        TOps.SoftmaxCrossEntropyBackward(infinite, [1], 3, T.Zero, dY);
        TOps.SumBackward(infinite, T.Zero, dA);
        foreach (T[] adjoint in new[] { dA, dB, dX, dY })
            Assert.Equal(start, adjoint);
    }

    [Fact]
    public void Empty_inputs_give_the_empty_sum_and_product_or_throw_for_a_mean()
    {
        EmptyInputs<float, FloatOps>();
        EmptyInputs<double, DoubleOps>();
    }

    private static void EmptyInputs<T, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        T[] none = [];
        Assert.Equal(T.Zero, TOps.Dot(none, none));
        Assert.Equal(T.Zero, TOps.Sum(none));
        Assert.Equal(T.NegativeInfinity, TOps.LogSumExp(none));
        TOps.DotBackward(none, none, T.One, none, none);
        TOps.SumBackward(none, T.One, none);
        TOps.LogSumExpBackward(none, T.One, none);
        TOps.AddRowBias(none, Of<T>([1, 2]));
        TOps.AddRowBiasBackward(none, Of<T>([1, 2]), none, new T[2]);
        TOps.Relu(none, none);
        TOps.ReluBackward(none, none, none, none);
        TOps.Sigmoid(none, none);
        TOps.SigmoidBackward(none, none, none, none);
        TOps.Tanh(none, none);
        TOps.TanhBackward(none, none, none, none);
        TOps.Softmax(none, none, 3);
        TOps.SoftmaxBackward(none, none, 3, none, none);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => TOps.SoftmaxCrossEntropy(none, [], 3)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => TOps.SoftmaxCrossEntropyBackward(none, [], 3, T.One, none)).ParamName);
        Assert.Equal("prediction", Assert.Throws<ArgumentException>(() => TOps.MeanSquaredError(none, none)).ParamName);
        Assert.Equal("prediction", Assert.Throws<ArgumentException>(() => TOps.MeanSquaredErrorBackward(none, none, T.One, none, none)).ParamName);

        // Log-sum-exp of infinities is the infinity itself: no ∞ − ∞.
        Assert.Equal(T.NegativeInfinity, TOps.LogSumExp([T.NegativeInfinity, T.NegativeInfinity]));
        Assert.Equal(T.PositiveInfinity, TOps.LogSumExp([T.One, T.PositiveInfinity]));
    }

    // ================================================================ argument checks

    [Fact]
    public void Bad_arguments_throw_naming_the_parameter()
    {
        BadArguments<float, FloatOps>();
        BadArguments<double, DoubleOps>();
    }

    private static void BadArguments<T, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        T[] none = [], one = new T[1], two = new T[2], three = new T[3], four = new T[4], six = new T[6];
        T s = T.One;
        var cases = new List<(Action Call, string ParamName)>
        {
            (() => TOps.Dot(three, four), "b"),
            (() => TOps.DotBackward(three, four, s, three, four), "b"),
            (() => TOps.DotBackward(three, three, s, two, three), "dA"),
            (() => TOps.DotBackward(three, three, s, three, two), "dB"),
            (() => TOps.SumBackward(three, s, two), "dX"),
            (() => TOps.AddRowBias(three, two), "bias"),
            (() => TOps.AddRowBias(three, none), "bias"),
            (() => TOps.AddRowBiasBackward(three, two, three, two), "bias"),
            (() => TOps.AddRowBiasBackward(four, two, three, two), "dX"),
            (() => TOps.AddRowBiasBackward(four, two, four, one), "dBias"),
            (() => TOps.Softmax(four, three, 2), "y"),
            (() => TOps.Softmax(four, four, 0), "cols"),
            (() => TOps.Softmax(four, four, -2), "cols"),
            (() => TOps.Softmax(four, four, 3), "cols"),
            (() => TOps.SoftmaxBackward(four, three, 2, four, four), "y"),
            (() => TOps.SoftmaxBackward(four, four, 3, four, four), "cols"),
            (() => TOps.SoftmaxBackward(four, four, 2, three, four), "dX"),
            (() => TOps.SoftmaxBackward(four, four, 2, four, three), "dY"),
            (() => TOps.LogSumExpBackward(three, s, two), "dX"),
            (() => TOps.SoftmaxCrossEntropy(four, [0, 1], 3), "classes"),
            (() => TOps.SoftmaxCrossEntropy(four, [0, 1], 0), "classes"),
            (() => TOps.SoftmaxCrossEntropy(six, [0, 1], 2), "logits"),
            (() => TOps.SoftmaxCrossEntropy(four, [0, 2], 2), "labels"),
            (() => TOps.SoftmaxCrossEntropy(four, [-1, 0], 2), "labels"),
            (() => TOps.SoftmaxCrossEntropyBackward(six, [0, 1], 2, s, six), "logits"),
            (() => TOps.SoftmaxCrossEntropyBackward(four, [0, 2], 2, s, four), "labels"),
            (() => TOps.SoftmaxCrossEntropyBackward(four, [0, 1], 2, s, three), "dLogits"),
            (() => TOps.MeanSquaredError(three, four), "target"),
            (() => TOps.MeanSquaredErrorBackward(three, four, s, three, four), "target"),
            (() => TOps.MeanSquaredErrorBackward(three, three, s, two, three), "dPrediction"),
            (() => TOps.MeanSquaredErrorBackward(three, three, s, three, two), "dTarget"),
        };
        foreach (Activation a in Enum.GetValues<Activation>())
        {
            cases.Add((() => OpsReference.Forward<T, TOps>(a, three, four), "y"));
            cases.Add((() => OpsReference.Backward<T, TOps>(a, three, four, three, four), "y"));
            cases.Add((() => OpsReference.Backward<T, TOps>(a, three, three, two, three), "dX"));
            cases.Add((() => OpsReference.Backward<T, TOps>(a, three, three, three, two), "dY"));
        }
        foreach ((Action call, string paramName) in cases)
        {
            var ex = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(paramName, ex.ParamName);
        }
        // Labels outside [0, classes) are out of range, as are non-positive row lengths.
        Assert.Throws<ArgumentOutOfRangeException>(() => TOps.SoftmaxCrossEntropy(four, [0, 2], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => TOps.Softmax(four, four, 0));
    }

    [Fact]
    public void A_failed_check_leaves_every_buffer_untouched()
    {
        NothingWrittenOnThrow<float, FloatOps>();
        NothingWrittenOnThrow<double, DoubleOps>();
    }

    private static void NothingWrittenOnThrow<T, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        var rng = new Random(5);
        T[] x = Values<T>(rng, 8), y = Values<T>(rng, 8), dX = Values<T>(rng, 8), dY = Values<T>(rng, 8);
        T[][] buffers = [x, y, dX, dY];
        T[][] before = buffers.Select(b => (T[])b.Clone()).ToArray();

        Assert.ThrowsAny<ArgumentException>(() => TOps.SoftmaxBackward(x, y, 4, dX, dY.AsSpan(0, 7)));
        Assert.ThrowsAny<ArgumentException>(() => TOps.ReluBackward(x, y, dX, dY.AsSpan(0, 7)));
        Assert.ThrowsAny<ArgumentException>(() => TOps.AddRowBiasBackward(x, y.AsSpan(0, 4), dX, dY.AsSpan(0, 3)));
        Assert.ThrowsAny<ArgumentException>(() => TOps.SoftmaxCrossEntropyBackward(x, [0, 4], 4, T.One, dX));
        Assert.ThrowsAny<ArgumentException>(() => TOps.MeanSquaredErrorBackward(x, y, T.One, dX, dY.AsSpan(0, 7)));
        for (int k = 0; k < buffers.Length; k++) Assert.Equal(before[k], buffers[k]);
    }

    // ================================================================ allocation

    [Fact]
    public void No_op_or_backward_allocates_once_warm()
    {
        var floats = new Workspace<float>();
        var doubles = new Workspace<double>();
        RunAll<float, FloatOps>(floats);
        RunAll<double, DoubleOps>(doubles);

        // The fewest bytes of three windows of 50 rounds: the JIT tiering a method up mid-window (on a loaded machine)
        // allocates on this thread once, while an allocation per call shows in every window.
        long allocated = long.MaxValue;
        for (int window = 0; window < 3 && allocated != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++)
            {
                RunAll<float, FloatOps>(floats);
                RunAll<double, DoubleOps>(doubles);
            }
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, allocated);
    }

    /// <summary>Buffers for <see cref="RunAll{T, TOps}"/>: 7 rows × 33 columns, and 2 rows × 1500 (blocked log-sum-exp).</summary>
    private sealed class Workspace<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public const int Rows = 7, Cols = 33, N = Rows * Cols, LongRows = 2, LongCols = 1500;
        public readonly T[] X, W, Y, DX, DY, Bias, DBias, Long, DLong;
        public readonly int[] Labels, LongLabels;

        public Workspace()
        {
            var rng = new Random(11);
            X = Values<T>(rng, N);
            W = Values<T>(rng, N);
            Y = new T[N];
            DX = new T[N];
            DY = new T[N];
            Bias = Values<T>(rng, Cols);
            DBias = new T[Cols];
            Long = Values<T>(rng, LongRows * LongCols);
            DLong = new T[Long.Length];
            Labels = OpsCheck.Labels(rng, Rows, Cols);
            LongLabels = OpsCheck.Labels(rng, LongRows, LongCols);
        }
    }

    private static void RunAll<T, TOps>(Workspace<T> w) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        const int cols = Workspace<T>.Cols, longCols = Workspace<T>.LongCols;
        T s = T.One;
        TOps.Dot(w.X, w.W);
        TOps.DotBackward(w.X, w.W, s, w.DX, w.DY);
        TOps.Sum(w.X);
        TOps.SumBackward(w.X, s, w.DX);
        TOps.AddRowBias(w.Y, w.Bias);
        TOps.AddRowBiasBackward(w.Y, w.Bias, w.DX, w.DBias);
        TOps.Relu(w.X, w.Y);
        TOps.ReluBackward(w.X, w.Y, w.DX, w.DY);
        TOps.Sigmoid(w.X, w.Y);
        TOps.SigmoidBackward(w.X, w.Y, w.DX, w.DY);
        TOps.Tanh(w.X, w.Y);
        TOps.TanhBackward(w.X, w.Y, w.DX, w.DY);
        TOps.Softmax(w.X, w.Y, cols);
        TOps.SoftmaxBackward(w.X, w.Y, cols, w.DX, w.DY);
        TOps.Softmax(w.Long, w.DLong, longCols);
        TOps.LogSumExp(w.X);
        TOps.LogSumExpBackward(w.X, s, w.DX);
        TOps.LogSumExp(w.Long);
        TOps.LogSumExpBackward(w.Long, s, w.DLong);
        TOps.SoftmaxCrossEntropy(w.X, w.Labels, cols);
        TOps.SoftmaxCrossEntropyBackward(w.X, w.Labels, cols, s, w.DX);
        TOps.SoftmaxCrossEntropy(w.Long, w.LongLabels, longCols);
        TOps.SoftmaxCrossEntropyBackward(w.Long, w.LongLabels, longCols, s, w.DLong);
        TOps.MeanSquaredError(w.X, w.W);
        TOps.MeanSquaredErrorBackward(w.X, w.W, s, w.DX, w.DY);
    }
}
