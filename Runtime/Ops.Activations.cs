using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Differentiable
{
    public static partial class Ops
    {
        // ---- ReLU: y = max(x, 0);  dx += (x > 0) · dy,  dy = 0 ----

        /// <summary>
        /// Element-wise ReLU, <c>y = max(x, 0)</c>; NaN stays NaN. <paramref name="y"/> may be <paramref name="x"/>.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="y"/> differs in length from <paramref name="x"/>.</exception>
        public static void Relu(ReadOnlySpan<float> x, Span<float> y) => ReluCore(x, y);

        /// <inheritdoc cref="Relu(ReadOnlySpan{float}, Span{float})"/>
        public static void Relu(ReadOnlySpan<double> x, Span<double> y) => ReluCore(x, y);

        /// <summary>
        /// The adjoint of <see cref="Relu(ReadOnlySpan{float}, Span{float})"/>: writes y = ReLU(x), adds
        /// <c>dY</c> to <c>dX</c> where x &gt; 0 (ReLU'(0) = 0), and clears <c>dY</c>. No span may overlap another.
        /// </summary>
        /// <exception cref="ArgumentException">Mismatched lengths, or an adjoint shorter than its primal.</exception>
        [DerivativeOf(typeof(Ops), nameof(Relu))]
        public static void ReluBackward(ReadOnlySpan<float> x, Span<float> y, Span<float> dX, Span<float> dY) =>
            ReluBackwardCore(x, y, dX, dY);

        /// <inheritdoc cref="ReluBackward(ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(Relu))]
        public static void ReluBackward(ReadOnlySpan<double> x, Span<double> y, Span<double> dX, Span<double> dY) =>
            ReluBackwardCore(x, y, dX, dY);

        private static void ReluCore<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            OpChecks.SameLength(x.Length, y.Length, nameof(y));
            TensorPrimitives.Max(x, T.Zero, y);
        }

        private static void ReluBackwardCore<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> dX, Span<T> dY)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckElementwiseBackward(x, y, dX, dY);
            OpKernels.ReluBackward(x, y, dX.Slice(0, x.Length), dY.Slice(0, x.Length));
        }

        // ---- Sigmoid: y = 1 / (1 + e^-x);  dx += dy · y (1 − y),  dy = 0 ----

        /// <summary>Element-wise logistic sigmoid, <c>y = 1 / (1 + e^-x)</c>. <paramref name="y"/> may be <paramref name="x"/>.</summary>
        /// <exception cref="ArgumentException"><paramref name="y"/> differs in length from <paramref name="x"/>.</exception>
        public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => OutputActivationCore<float, OpKernels.SigmoidActivation<float>>(x, y);

        /// <inheritdoc cref="Sigmoid(ReadOnlySpan{float}, Span{float})"/>
        public static void Sigmoid(ReadOnlySpan<double> x, Span<double> y) => OutputActivationCore<double, OpKernels.SigmoidActivation<double>>(x, y);

        /// <summary>
        /// The adjoint of <see cref="Sigmoid(ReadOnlySpan{float}, Span{float})"/>: writes y = σ(x), adds
        /// <c>dY · y (1 − y)</c> to <c>dX</c>, and clears <c>dY</c>. No span may overlap another.
        /// </summary>
        /// <exception cref="ArgumentException">Mismatched lengths, or an adjoint shorter than its primal.</exception>
        [DerivativeOf(typeof(Ops), nameof(Sigmoid))]
        public static void SigmoidBackward(ReadOnlySpan<float> x, Span<float> y, Span<float> dX, Span<float> dY) =>
            OutputActivationBackwardCore<float, OpKernels.SigmoidActivation<float>>(x, y, dX, dY);

        /// <inheritdoc cref="SigmoidBackward(ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(Sigmoid))]
        public static void SigmoidBackward(ReadOnlySpan<double> x, Span<double> y, Span<double> dX, Span<double> dY) =>
            OutputActivationBackwardCore<double, OpKernels.SigmoidActivation<double>>(x, y, dX, dY);

        // ---- Tanh: y = tanh x;  dx += dy · (1 − y²),  dy = 0 ----

        /// <summary>Element-wise hyperbolic tangent. <paramref name="y"/> may be <paramref name="x"/>.</summary>
        /// <exception cref="ArgumentException"><paramref name="y"/> differs in length from <paramref name="x"/>.</exception>
        public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => OutputActivationCore<float, OpKernels.TanhActivation<float>>(x, y);

        /// <inheritdoc cref="Tanh(ReadOnlySpan{float}, Span{float})"/>
        public static void Tanh(ReadOnlySpan<double> x, Span<double> y) => OutputActivationCore<double, OpKernels.TanhActivation<double>>(x, y);

        /// <summary>
        /// The adjoint of <see cref="Tanh(ReadOnlySpan{float}, Span{float})"/>: writes y = tanh(x), adds
        /// <c>dY · (1 − y²)</c> to <c>dX</c>, and clears <c>dY</c>. No span may overlap another.
        /// </summary>
        /// <exception cref="ArgumentException">Mismatched lengths, or an adjoint shorter than its primal.</exception>
        [DerivativeOf(typeof(Ops), nameof(Tanh))]
        public static void TanhBackward(ReadOnlySpan<float> x, Span<float> y, Span<float> dX, Span<float> dY) =>
            OutputActivationBackwardCore<float, OpKernels.TanhActivation<float>>(x, y, dX, dY);

        /// <inheritdoc cref="TanhBackward(ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(Tanh))]
        public static void TanhBackward(ReadOnlySpan<double> x, Span<double> y, Span<double> dX, Span<double> dY) =>
            OutputActivationBackwardCore<double, OpKernels.TanhActivation<double>>(x, y, dX, dY);

        private static void OutputActivationCore<T, TActivation>(ReadOnlySpan<T> x, Span<T> y)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TActivation : struct, OpKernels.IOutputActivation<T>
        {
            OpChecks.SameLength(x.Length, y.Length, nameof(y));
            TActivation.Apply(x, y);
        }

        /// <summary>Sigmoid and tanh: write y = f(x), then dx += dy ⊙ f'(x) with f'(x) read off y, and dy = 0.</summary>
        private static void OutputActivationBackwardCore<T, TActivation>(ReadOnlySpan<T> x, Span<T> y, Span<T> dX, Span<T> dY)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TActivation : struct, OpKernels.IOutputActivation<T>
        {
            CheckElementwiseBackward(x, y, dX, dY);
            TActivation.Apply(x, y);
            OpKernels.AccumulateFromOutput<T, TActivation>(y, dX.Slice(0, x.Length), dY.Slice(0, x.Length));
        }

        private static void CheckElementwiseBackward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> dX, Span<T> dY)
        {
            OpChecks.SameLength(x.Length, y.Length, nameof(y));
            OpChecks.Adjoint(dX.Length, x.Length, nameof(dX));
            OpChecks.Adjoint(dY.Length, y.Length, nameof(dY));
        }

        // ---- Softmax per row: y = e^(x − max) / Σ e^(x − max);  dx += y ⊙ (dy − ⟨dy, y⟩),  dy = 0 ----

        /// <summary>
        /// Row-wise softmax: <paramref name="x"/> holds rows of <paramref name="cols"/> values, row-major, and each row of
        /// <paramref name="y"/> becomes <c>exp(x − max) / Σ exp(x − max)</c> (the row maximum is subtracted first, so
        /// large logits do not overflow). <paramref name="y"/> may be <paramref name="x"/>.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="y"/> differs in length from <paramref name="x"/>, or
        /// <paramref name="cols"/> is not positive or does not divide <c>x.Length</c>.</exception>
        public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int cols) => SoftmaxCore(x, y, cols);

        /// <inheritdoc cref="Softmax(ReadOnlySpan{float}, Span{float}, int)"/>
        public static void Softmax(ReadOnlySpan<double> x, Span<double> y, int cols) => SoftmaxCore(x, y, cols);

        /// <summary>
        /// The adjoint of <see cref="Softmax(ReadOnlySpan{float}, Span{float}, int)"/>: writes y = softmax(x) row by row,
        /// adds <c>y ⊙ (dY − ⟨dY, y⟩_row)</c> to <c>dX</c>, and clears <c>dY</c>. No span may overlap another.
        /// </summary>
        /// <exception cref="ArgumentException">Mismatched lengths, a bad <paramref name="cols"/>, or an adjoint shorter than its primal.</exception>
        [DerivativeOf(typeof(Ops), nameof(Softmax))]
        public static void SoftmaxBackward(ReadOnlySpan<float> x, Span<float> y, int cols, Span<float> dX, Span<float> dY) =>
            SoftmaxBackwardCore(x, y, cols, dX, dY);

        /// <inheritdoc cref="SoftmaxBackward(ReadOnlySpan{float}, Span{float}, int, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(Softmax))]
        public static void SoftmaxBackward(ReadOnlySpan<double> x, Span<double> y, int cols, Span<double> dX, Span<double> dY) =>
            SoftmaxBackwardCore(x, y, cols, dX, dY);

        private static void SoftmaxCore<T>(ReadOnlySpan<T> x, Span<T> y, int cols) where T : unmanaged, IFloatingPointIeee754<T>
        {
            OpChecks.SameLength(x.Length, y.Length, nameof(y));
            OpChecks.Rows(x.Length, cols, nameof(cols));
            if (cols < NarrowRowBlocks<T>.NarrowRow)
            {
                SoftmaxNarrowRows(x, y, cols, default, default, backward: false);
                return;
            }
            for (int start = 0; start < x.Length; start += cols)
                OpKernels.SoftmaxRow(x.Slice(start, cols), y.Slice(start, cols));
        }

        private static void SoftmaxBackwardCore<T>(ReadOnlySpan<T> x, Span<T> y, int cols, Span<T> dX, Span<T> dY)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckElementwiseBackward(x, y, dX, dY);
            OpChecks.Rows(x.Length, cols, nameof(cols));
            if (cols < NarrowRowBlocks<T>.NarrowRow)
            {
                SoftmaxNarrowRows(x, y, cols, dX, dY, backward: true);
                return;
            }
            // Row by row, so each row's y is still in cache when its adjoint reads it.
            for (int start = 0; start < x.Length; start += cols)
            {
                Span<T> yRow = y.Slice(start, cols);
                OpKernels.SoftmaxRow(x.Slice(start, cols), yRow);
                OpKernels.SoftmaxRowAdjoint<T>(yRow, dX.Slice(start, cols), dY.Slice(start, cols));
            }
        }

        /// <summary>
        /// Softmax of rows shorter than <see cref="NarrowRowBlocks{T}.NarrowRow"/>, a block of rows per exp call; with
        /// <paramref name="backward"/>, each row's adjoint follows while the row is in cache.
        /// </summary>
        private static void SoftmaxNarrowRows<T>(ReadOnlySpan<T> x, Span<T> y, int cols, Span<T> dX, Span<T> dY, bool backward)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var blocks = new NarrowRowBlocks<T>(x, cols, stackalloc T[NarrowRowBlocks<T>.ScratchLength(x.Length, cols)]);
            while (blocks.MoveNext())
            {
                for (int r = 0; r < blocks.Rows; r++)
                {
                    int start = (blocks.FirstRow + r) * cols;
                    ReadOnlySpan<T> exps = blocks.Exp(r);
                    Span<T> yRow = y.Slice(start, cols);
                    T inverse = T.One / blocks.Sum(r);
                    for (int j = 0; j < yRow.Length; j++) yRow[j] = exps[j] * inverse;
                    if (backward) OpKernels.SoftmaxRowAdjoint<T>(yRow, dX.Slice(start, cols), dY.Slice(start, cols));
                }
            }
        }
    }
}
