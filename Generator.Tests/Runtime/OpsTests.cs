using System.Numerics;
using static Differentiable.Generator.Tests.Runtime.OpsCheck;

namespace Differentiable.Generator.Tests.Runtime;

/// <summary>
/// <see cref="Ops"/>'s element-wise primitives and losses, each in float and double: forward results against plain
/// scalar references, every Backward against finite differences at several random points and against the hand-derived
/// formula, the Backward conventions of DESIGN.md (accumulation, consumed output seeds, primal results written,
/// zero seeds), extreme inputs, argument checks and zero allocation.
/// </summary>
public partial class OpsTests
{
    /// <summary>Random points per gradient check.</summary>
    private const int Points = 3;

    public static TheoryData<int> Sizes => new() { 1, 7, 33, 100, 257 };

    /// <summary>Sizes plus one longer than <c>OpKernels.ScratchLength</c>, where log-sum-exp works in blocks.</summary>
    public static TheoryData<int> SizesAndLong => new() { 1, 7, 33, 100, 257, 3000 };

    /// <summary>Rows × columns built from the sizes; 150 × 7 spans several narrow-row blocks (<c>NarrowRowBlocks</c>).</summary>
    public static TheoryData<int, int> Shapes => new() { { 1, 1 }, { 7, 1 }, { 1, 7 }, { 33, 7 }, { 7, 33 }, { 3, 100 }, { 2, 257 }, { 150, 7 } };

    /// <summary>Shapes plus rows longer than <c>OpKernels.ScratchLength</c>.</summary>
    public static TheoryData<int, int> ShapesAndLong
    {
        get
        {
            var data = Shapes;
            data.Add(2, 1500);
            return data;
        }
    }

    public static TheoryData<Activation, int> ActivationSizes
    {
        get
        {
            var data = new TheoryData<Activation, int>();
            foreach (Activation a in Enum.GetValues<Activation>())
                foreach (int n in Sizes) data.Add(a, n);
            return data;
        }
    }

    // ================================================================ Dot and Sum

    [Theory, MemberData(nameof(Sizes))]
    public void Dot_and_Sum_match_the_scalar_reference(int n)
    {
        DotAndSum<float, FloatOps>(n);
        DotAndSum<double, DoubleOps>(n);
    }

    private static void DotAndSum<T, TOps>(int n) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        var rng = new Random(n);
        T[] a = Values<T>(rng, n), b = Values<T>(rng, n);
        double[] da = D<T>(a), db = D<T>(b);
        double dotScale = 0, sumScale = 0;
        for (int i = 0; i < n; i++)
        {
            dotScale += Math.Abs(da[i] * db[i]);
            sumScale += Math.Abs(da[i]);
        }
        Close(OpsReference.Dot(da, db), D(TOps.Dot(a, b)), TOps.ForwardTolerance, dotScale, "Dot");
        Close(OpsReference.Sum(da), D(TOps.Sum(a)), TOps.ForwardTolerance, sumScale, "Sum");
    }

    [Theory, MemberData(nameof(Sizes))]
    public void Dot_and_Sum_backward_match_finite_differences_and_the_formula(int n)
    {
        DotAndSumBackward<float, FloatOps>(n);
        DotAndSumBackward<double, DoubleOps>(n);
    }

    private static void DotAndSumBackward<T, TOps>(int n) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        for (int p = 0; p < Points; p++)
        {
            var rng = new Random(1000 * n + p);
            T[] a = Values<T>(rng, n), b = Values<T>(rng, n);
            T dr = Seed<T>(rng);
            var dA = new T[n];
            var dB = new T[n];
            TOps.DotBackward(a, b, dr, dA, dB);
            Gradient<T, TOps>(a, () => D(dr) * D(TOps.Dot(a, b)), dA, "Dot dA");
            Gradient<T, TOps>(b, () => D(dr) * D(TOps.Dot(a, b)), dB, "Dot dB");
            for (int i = 0; i < n; i++)
            {
                // dA = dr · b, dB = dr · a
                Close(D(dr) * D(b[i]), D(dA[i]), TOps.ForwardTolerance, 1, "Dot dA formula");
                Close(D(dr) * D(a[i]), D(dB[i]), TOps.ForwardTolerance, 1, "Dot dB formula");
            }

            var dX = new T[n];
            TOps.SumBackward(a, dr, dX);
            Gradient<T, TOps>(a, () => D(dr) * D(TOps.Sum(a)), dX, "Sum dX");
            Assert.All(dX, g => Assert.Equal(dr, g));
        }
    }

    // ================================================================ AddRowBias

    [Theory, MemberData(nameof(Shapes))]
    public void AddRowBias_matches_the_scalar_reference(int rows, int cols)
    {
        AddRowBiasForward<float, FloatOps>(rows, cols);
        AddRowBiasForward<double, DoubleOps>(rows, cols);
    }

    private static void AddRowBiasForward<T, TOps>(int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        var rng = new Random(rows * 1000 + cols);
        T[] x = Values<T>(rng, rows * cols), bias = Values<T>(rng, cols);
        double[] expected = OpsReference.AddRowBias(D<T>(x), D<T>(bias));
        TOps.AddRowBias(x, bias);
        Close(expected, D<T>(x), TOps.ForwardTolerance, 1, "AddRowBias");
    }

    [Theory, MemberData(nameof(Shapes))]
    public void AddRowBias_backward_matches_finite_differences_and_the_formula(int rows, int cols)
    {
        AddRowBiasBackward<float, FloatOps>(rows, cols);
        AddRowBiasBackward<double, DoubleOps>(rows, cols);
    }

    private static void AddRowBiasBackward<T, TOps>(int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        for (int p = 0; p < Points; p++)
        {
            var rng = new Random(rows * 1000 + cols * 10 + p);
            T[] x = Values<T>(rng, rows * cols), bias = Values<T>(rng, cols), seed = Values<T>(rng, rows * cols);
            double Loss()
            {
                T[] result = (T[])x.Clone();
                TOps.AddRowBias(result, bias);
                return Weighted<T>(seed, result);
            }

            T[] xRun = (T[])x.Clone();
            T[] dX = (T[])seed.Clone();
            var dBias = new T[cols];
            TOps.AddRowBiasBackward(xRun, bias, dX, dBias);

            // The primal ran (x + bias), and the identity map from x at entry to x at return leaves dX as it was.
            Close(OpsReference.AddRowBias(D<T>(x), D<T>(bias)), D<T>(xRun), TOps.ForwardTolerance, 1, "AddRowBias primal in Backward");
            Assert.Equal(seed, dX);
            Gradient<T, TOps>(x, Loss, dX, "AddRowBias dX");
            Gradient<T, TOps>(bias, Loss, dBias, "AddRowBias dBias");
            for (int j = 0; j < cols; j++)
            {
                // dBias_j = Σ_r seed[r, j]
                double column = 0, scale = 0;
                for (int r = 0; r < rows; r++)
                {
                    column += D(seed[r * cols + j]);
                    scale += Math.Abs(D(seed[r * cols + j]));
                }
                Close(column, D(dBias[j]), TOps.ForwardTolerance, scale, "AddRowBias dBias formula");
            }
        }
    }

    // ================================================================ Relu, Sigmoid, Tanh

    [Theory, MemberData(nameof(ActivationSizes))]
    public void Activation_matches_the_scalar_reference_also_in_place(Activation activation, int n)
    {
        ActivationForward<float, FloatOps>(activation, n);
        ActivationForward<double, DoubleOps>(activation, n);
    }

    private static void ActivationForward<T, TOps>(Activation activation, int n) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        var rng = new Random(n);
        T[] x = Values<T>(rng, n, scale: 6);
        var y = new T[n];
        OpsReference.Forward<T, TOps>(activation, x, y);
        for (int i = 0; i < n; i++)
            Close(OpsReference.Apply(activation, D(x[i])), D(y[i]), TOps.ForwardTolerance, 1e-2, $"{activation}[{i}]");

        T[] inPlace = (T[])x.Clone();
        OpsReference.Forward<T, TOps>(activation, inPlace, inPlace);
        Assert.Equal(y, inPlace);
    }

    [Theory, MemberData(nameof(ActivationSizes))]
    public void Activation_backward_matches_finite_differences_and_the_formula(Activation activation, int n)
    {
        ActivationBackward<float, FloatOps>(activation, n);
        ActivationBackward<double, DoubleOps>(activation, n);
    }

    private static void ActivationBackward<T, TOps>(Activation activation, int n) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        for (int p = 0; p < Points; p++)
        {
            var rng = new Random(1000 * n + 10 * p + (int)activation);
            // Kept away from ReLU's kink by more than the step.
            T[] x = AwayFromZero<T>(rng, n, gap: 0.25), seed = Values<T>(rng, n);
            double Loss()
            {
                var y = new T[n];
                OpsReference.Forward<T, TOps>(activation, x, y);
                return Weighted<T>(seed, y);
            }

            var expectedY = new T[n];
            OpsReference.Forward<T, TOps>(activation, x, expectedY);
            T[] yRun = Enumerable.Repeat(T.NaN, n).ToArray();
            var dX = new T[n];
            T[] dY = (T[])seed.Clone();
            OpsReference.Backward<T, TOps>(activation, x, yRun, dX, dY);

            Assert.Equal(expectedY, yRun);           // Backward ran the primal
            Assert.All(dY, g => Assert.Equal(T.Zero, g)); // y was overwritten: its seed is consumed
            Gradient<T, TOps>(x, Loss, dX, $"{activation} dX");
            for (int i = 0; i < n; i++)
            {
                double expected = D(seed[i]) * OpsReference.Derivative(activation, D(x[i]));
                Close(expected, D(dX[i]), 10 * TOps.ForwardTolerance, 1, $"{activation} dX formula");
            }
        }
    }

    [Fact]
    public void Relu_derivative_at_zero_is_zero()
    {
        ReluAtZero<float, FloatOps>();
        ReluAtZero<double, DoubleOps>();
    }

    private static void ReluAtZero<T, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        // Long enough for the vector loop and the scalar tail: the pattern 0, −0, 1, −1 repeats.
        const int n = 37;
        var x = new T[n];
        for (int i = 0; i < n; i++) x[i] = (i % 4) switch { 0 => T.Zero, 1 => T.NegativeZero, 2 => T.One, _ => -T.One };
        var y = new T[n];
        var dX = new T[n];
        T[] dY = Enumerable.Repeat(T.One, n).ToArray();
        TOps.ReluBackward(x, y, dX, dY);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(i % 4 == 2 ? T.One : T.Zero, dX[i]);
            Assert.Equal(i % 4 == 2 ? T.One : T.Zero, y[i]);
        }
    }

    // ================================================================ Softmax

    [Theory, MemberData(nameof(Shapes))]
    public void Softmax_matches_the_scalar_reference_also_in_place(int rows, int cols)
    {
        SoftmaxForward<float, FloatOps>(rows, cols);
        SoftmaxForward<double, DoubleOps>(rows, cols);
    }

    private static void SoftmaxForward<T, TOps>(int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        var rng = new Random(rows * 1000 + cols);
        T[] x = Values<T>(rng, rows * cols, scale: 8);
        var y = new T[x.Length];
        TOps.Softmax(x, y, cols);
        Close(OpsReference.Softmax(D<T>(x), cols), D<T>(y), TOps.ForwardTolerance, 1e-2, "Softmax");

        T[] inPlace = (T[])x.Clone();
        TOps.Softmax(inPlace, inPlace, cols);
        Assert.Equal(y, inPlace);
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Softmax_backward_matches_finite_differences_and_the_formula(int rows, int cols)
    {
        SoftmaxBackward<float, FloatOps>(rows, cols);
        SoftmaxBackward<double, DoubleOps>(rows, cols);
    }

    private static void SoftmaxBackward<T, TOps>(int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        int n = rows * cols;
        for (int p = 0; p < Points; p++)
        {
            var rng = new Random(rows * 1000 + cols * 10 + p);
            T[] x = Values<T>(rng, n), seed = Values<T>(rng, n);
            double Loss()
            {
                var y = new T[n];
                TOps.Softmax(x, y, cols);
                return Weighted<T>(seed, y);
            }

            T[] yRun = Enumerable.Repeat(T.NaN, n).ToArray();
            var dX = new T[n];
            T[] dY = (T[])seed.Clone();
            TOps.SoftmaxBackward(x, yRun, cols, dX, dY);

            var expectedY = new T[n];
            TOps.Softmax(x, expectedY, cols);
            Assert.Equal(expectedY, yRun);
            Assert.All(dY, g => Assert.Equal(T.Zero, g));
            Gradient<T, TOps>(x, Loss, dX, "Softmax dX");

            // dx_i = y_i (seed_i − Σ_j seed_j y_j), per row, from the double reference.
            double[] y = OpsReference.Softmax(D<T>(x), cols);
            for (int start = 0; start < n; start += cols)
            {
                double inner = 0;
                for (int j = 0; j < cols; j++) inner += D(seed[start + j]) * y[start + j];
                for (int j = 0; j < cols; j++)
                    Close(y[start + j] * (D(seed[start + j]) - inner), D(dX[start + j]), 10 * TOps.ForwardTolerance, 1, "Softmax dX formula");
            }
        }
    }

    // ================================================================ LogSumExp

    [Theory, MemberData(nameof(SizesAndLong))]
    public void LogSumExp_matches_the_reference_and_its_gradient_is_the_softmax(int n)
    {
        LogSumExpForwardAndFormula<float, FloatOps>(n);
        LogSumExpForwardAndFormula<double, DoubleOps>(n);
    }

    private static void LogSumExpForwardAndFormula<T, TOps>(int n) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        var rng = new Random(n);
        T[] x = Values<T>(rng, n, scale: 8);
        double[] dx = D<T>(x);
        double expected = OpsReference.LogSumExp(dx, 0, n);
        Close(expected, D(TOps.LogSumExp(x)), TOps.ForwardTolerance, 1, "LogSumExp");

        T dr = Seed<T>(rng);
        var grad = new T[n];
        TOps.LogSumExpBackward(x, dr, grad);
        double[] softmax = OpsReference.Softmax(dx, n);
        for (int i = 0; i < n; i++)
            Close(D(dr) * softmax[i], D(grad[i]), 10 * TOps.ForwardTolerance, 1e-2, "LogSumExp dX formula");
    }

    [Theory, MemberData(nameof(Sizes))]
    public void LogSumExp_backward_matches_finite_differences(int n)
    {
        LogSumExpBackward<float, FloatOps>(n);
        LogSumExpBackward<double, DoubleOps>(n);
    }

    private static void LogSumExpBackward<T, TOps>(int n) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        for (int p = 0; p < Points; p++)
        {
            var rng = new Random(1000 * n + p);
            T[] x = Values<T>(rng, n);
            T dr = Seed<T>(rng);
            var dX = new T[n];
            TOps.LogSumExpBackward(x, dr, dX);
            Gradient<T, TOps>(x, () => D(dr) * D(TOps.LogSumExp(x)), dX, "LogSumExp dX");
        }
    }

    // ================================================================ SoftmaxCrossEntropy

    [Theory, MemberData(nameof(ShapesAndLong))]
    public void SoftmaxCrossEntropy_matches_the_reference_and_its_gradient_is_softmax_minus_onehot(int rows, int classes)
    {
        CrossEntropyForwardAndFormula<float, FloatOps>(rows, classes);
        CrossEntropyForwardAndFormula<double, DoubleOps>(rows, classes);
    }

    private static void CrossEntropyForwardAndFormula<T, TOps>(int rows, int classes) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        var rng = new Random(rows * 1000 + classes);
        T[] logits = Values<T>(rng, rows * classes, scale: 8);
        int[] labels = Labels(rng, rows, classes);
        double[] z = D<T>(logits);
        Close(OpsReference.SoftmaxCrossEntropy(z, labels, classes), D(TOps.SoftmaxCrossEntropy(logits, labels, classes)),
            TOps.ForwardTolerance, 1, "SoftmaxCrossEntropy");

        // dz_r = dr · (softmax(z_r) − onehot(label_r)) / rows
        T dr = Seed<T>(rng);
        var grad = new T[logits.Length];
        TOps.SoftmaxCrossEntropyBackward(logits, labels, classes, dr, grad);
        double[] softmax = OpsReference.Softmax(z, classes);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < classes; j++)
            {
                int i = r * classes + j;
                double expected = D(dr) * (softmax[i] - (j == labels[r] ? 1 : 0)) / rows;
                Close(expected, D(grad[i]), 10 * TOps.ForwardTolerance, 1.0 / rows, "SoftmaxCrossEntropy dLogits formula");
            }
        }
    }

    [Theory, MemberData(nameof(Shapes))]
    public void SoftmaxCrossEntropy_backward_matches_finite_differences(int rows, int classes)
    {
        CrossEntropyBackward<float, FloatOps>(rows, classes);
        CrossEntropyBackward<double, DoubleOps>(rows, classes);
    }

    private static void CrossEntropyBackward<T, TOps>(int rows, int classes) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        for (int p = 0; p < Points; p++)
        {
            var rng = new Random(rows * 1000 + classes * 10 + p);
            T[] logits = Values<T>(rng, rows * classes);
            int[] labels = Labels(rng, rows, classes);
            T dr = Seed<T>(rng);
            var dLogits = new T[logits.Length];
            TOps.SoftmaxCrossEntropyBackward(logits, labels, classes, dr, dLogits);
            Gradient<T, TOps>(logits, () => D(dr) * D(TOps.SoftmaxCrossEntropy(logits, labels, classes)), dLogits, "SoftmaxCrossEntropy dLogits");
        }
    }

    // ================================================================ MeanSquaredError

    [Theory, MemberData(nameof(Sizes))]
    public void MeanSquaredError_matches_the_reference_finite_differences_and_the_formula(int n)
    {
        MeanSquaredError<float, FloatOps>(n);
        MeanSquaredError<double, DoubleOps>(n);
    }

    private static void MeanSquaredError<T, TOps>(int n) where T : unmanaged, IFloatingPointIeee754<T> where TOps : IOpSet<T>
    {
        for (int p = 0; p < Points; p++)
        {
            var rng = new Random(1000 * n + p);
            T[] prediction = Values<T>(rng, n), target = Values<T>(rng, n);
            double[] dp = D<T>(prediction), dt = D<T>(target);
            Close(OpsReference.MeanSquaredError(dp, dt), D(TOps.MeanSquaredError(prediction, target)), TOps.ForwardTolerance, 1, "MeanSquaredError");

            T dr = Seed<T>(rng);
            var dPrediction = new T[n];
            var dTarget = new T[n];
            TOps.MeanSquaredErrorBackward(prediction, target, dr, dPrediction, dTarget);
            double Loss() => D(dr) * D(TOps.MeanSquaredError(prediction, target));
            Gradient<T, TOps>(prediction, Loss, dPrediction, "MeanSquaredError dPrediction");
            Gradient<T, TOps>(target, Loss, dTarget, "MeanSquaredError dTarget");
            for (int i = 0; i < n; i++)
            {
                // dp = 2 dr (p − t) / n = −dt
                double expected = 2 * D(dr) * (dp[i] - dt[i]) / n;
                Close(expected, D(dPrediction[i]), TOps.ForwardTolerance, 1.0 / n, "MeanSquaredError dPrediction formula");
                Close(-expected, D(dTarget[i]), TOps.ForwardTolerance, 1.0 / n, "MeanSquaredError dTarget formula");
            }
        }
    }
}
