using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Differentiable
{
    public static partial class Ops
    {
        // ---- LogSumExp: r = m + log Σ e^(x − m), m = max x;  dx += dr · e^(x − r) (the softmax) ----

        /// <summary>
        /// <c>log Σ exp(x_i)</c>, computed as <c>m + log Σ exp(x_i − m)</c> with <c>m = max x</c> so that it neither
        /// overflows nor underflows. Negative infinity for an empty span (the log of an empty sum); +∞ when an x_i is +∞.
        /// </summary>
        public static float LogSumExp(ReadOnlySpan<float> x) => LogSumExpCore(x);

        /// <inheritdoc cref="LogSumExp(ReadOnlySpan{float})"/>
        public static double LogSumExp(ReadOnlySpan<double> x) => LogSumExpCore(x);

        /// <summary>
        /// The adjoint of <see cref="LogSumExp(ReadOnlySpan{float})"/>: <c>dX += dResult · softmax(x)</c>.
        /// Nothing to do for an empty <paramref name="x"/>.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="dX"/> is shorter than <paramref name="x"/>.</exception>
        [DerivativeOf(typeof(Ops), nameof(LogSumExp))]
        public static void LogSumExpBackward(ReadOnlySpan<float> x, float dResult, Span<float> dX) =>
            LogSumExpBackwardCore(x, dResult, dX);

        /// <inheritdoc cref="LogSumExpBackward(ReadOnlySpan{float}, float, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(LogSumExp))]
        public static void LogSumExpBackward(ReadOnlySpan<double> x, double dResult, Span<double> dX) =>
            LogSumExpBackwardCore(x, dResult, dX);

        private static T LogSumExpCore<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (x.IsEmpty) return T.NegativeInfinity;
            T max = TensorPrimitives.Max(x);
            // All −∞ (the sum is 0), some +∞, or a NaN: the shift would give NaN, the answer is max itself.
            if (!T.IsFinite(max)) return max;
            Span<T> scratch = stackalloc T[Math.Min(x.Length, OpKernels.ScratchLength)];
            return max + T.Log(OpKernels.SumOfShiftedExp(x, max, scratch));
        }

        private static void LogSumExpBackwardCore<T>(ReadOnlySpan<T> x, T dResult, Span<T> dX)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            OpChecks.Adjoint(dX.Length, x.Length, nameof(dX));
            if (x.IsEmpty || dResult == T.Zero) return;
            T max = TensorPrimitives.Max(x);
            Span<T> scratch = stackalloc T[Math.Min(x.Length, OpKernels.ScratchLength)];
            T sum = OpKernels.SumOfShiftedExp(x, max, scratch);
            // softmax_i = e^(x_i − m) / Σ: the exponentials are the ones just summed.
            OpKernels.AddScaledShiftedExp(x, max, dResult / sum, dX.Slice(0, x.Length), scratch);
        }

        // ---- SoftmaxCrossEntropy: r = (1/R) Σ_r [lse(z_r) − z_r[label_r]];  dz_r += (dr/R) (softmax(z_r) − onehot(label_r)) ----

        /// <summary>
        /// The mean softmax cross-entropy of <c>labels.Length</c> rows of <paramref name="classes"/> logits (row-major):
        /// <c>(1/rows) Σ_r [logsumexp(logits_r) − logits_r[labels[r]]]</c>, stable for large logits.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a label is
        /// outside <c>[0, classes)</c>.</exception>
        /// <exception cref="ArgumentException"><paramref name="labels"/> is empty (the mean of no rows), or
        /// <c>logits.Length != labels.Length · classes</c>.</exception>
        public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes) =>
            SoftmaxCrossEntropyCore(logits, labels, classes);

        /// <inheritdoc cref="SoftmaxCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/>
        public static double SoftmaxCrossEntropy(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes) =>
            SoftmaxCrossEntropyCore(logits, labels, classes);

        /// <summary>
        /// The adjoint of <see cref="SoftmaxCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/>:
        /// <c>dLogits_r += (dResult / rows) · (softmax(logits_r) − onehot(labels[r]))</c>, one pass over each row
        /// (maximum, exponentials and their sum, then the gradient from the same exponentials).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive, or a label is
        /// outside <c>[0, classes)</c>.</exception>
        /// <exception cref="ArgumentException">Mismatched lengths, empty <paramref name="labels"/>, or
        /// <paramref name="dLogits"/> shorter than <paramref name="logits"/>.</exception>
        [DerivativeOf(typeof(Ops), nameof(SoftmaxCrossEntropy))]
        public static void SoftmaxCrossEntropyBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, float dResult, Span<float> dLogits) =>
            SoftmaxCrossEntropyBackwardCore(logits, labels, classes, dResult, dLogits);

        /// <inheritdoc cref="SoftmaxCrossEntropyBackward(ReadOnlySpan{float}, ReadOnlySpan{int}, int, float, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(SoftmaxCrossEntropy))]
        public static void SoftmaxCrossEntropyBackward(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes, double dResult, Span<double> dLogits) =>
            SoftmaxCrossEntropyBackwardCore(logits, labels, classes, dResult, dLogits);

        private static T SoftmaxCrossEntropyCore<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckSoftmaxCrossEntropy(logits.Length, labels, classes);
            T total = T.Zero;
            if (classes < NarrowRowBlocks<T>.NarrowRow)
            {
                var blocks = new NarrowRowBlocks<T>(logits, classes, stackalloc T[NarrowRowBlocks<T>.ScratchLength(logits.Length, classes)]);
                while (blocks.MoveNext())
                {
                    for (int r = 0; r < blocks.Rows; r++)
                    {
                        int row = blocks.FirstRow + r;
                        total += (blocks.Max(r) - logits[row * classes + labels[row]]) + T.Log(blocks.Sum(r));
                    }
                }
                return total / T.CreateTruncating(labels.Length);
            }
            Span<T> scratch = stackalloc T[Math.Min(classes, OpKernels.ScratchLength)];
            for (int r = 0; r < labels.Length; r++)
            {
                ReadOnlySpan<T> row = logits.Slice(r * classes, classes);
                T max = TensorPrimitives.Max(row);
                // lse − z[label] = (m − z[label]) + log Σ e^(z − m): both terms are small, so no cancellation at ±1000.
                total += (max - row[labels[r]]) + T.Log(OpKernels.SumOfShiftedExp(row, max, scratch));
            }
            return total / T.CreateTruncating(labels.Length);
        }

        private static void SoftmaxCrossEntropyBackwardCore<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes, T dResult, Span<T> dLogits)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckSoftmaxCrossEntropy(logits.Length, labels, classes);
            OpChecks.Adjoint(dLogits.Length, logits.Length, nameof(dLogits));
            if (dResult == T.Zero) return;
            T scale = dResult / T.CreateTruncating(labels.Length);
            if (classes < NarrowRowBlocks<T>.NarrowRow)
            {
                var blocks = new NarrowRowBlocks<T>(logits, classes, stackalloc T[NarrowRowBlocks<T>.ScratchLength(logits.Length, classes)]);
                while (blocks.MoveNext())
                {
                    for (int r = 0; r < blocks.Rows; r++)
                    {
                        int row = blocks.FirstRow + r;
                        ReadOnlySpan<T> exps = blocks.Exp(r);
                        Span<T> dRow = dLogits.Slice(row * classes, classes);
                        T factor = scale / blocks.Sum(r);
                        for (int j = 0; j < dRow.Length; j++) dRow[j] += factor * exps[j];
                        dRow[labels[row]] -= scale;
                    }
                }
                return;
            }
            Span<T> scratch = stackalloc T[Math.Min(classes, OpKernels.ScratchLength)];
            for (int r = 0; r < labels.Length; r++)
            {
                ReadOnlySpan<T> row = logits.Slice(r * classes, classes);
                Span<T> dRow = dLogits.Slice(r * classes, classes);
                T max = TensorPrimitives.Max(row);
                T sum = OpKernels.SumOfShiftedExp(row, max, scratch);
                OpKernels.AddScaledShiftedExp(row, max, scale / sum, dRow, scratch);
                dRow[labels[r]] -= scale;
            }
        }

        private static void CheckSoftmaxCrossEntropy(int logitsLength, ReadOnlySpan<int> labels, int classes)
        {
            OpChecks.Rows(logitsLength, classes, nameof(classes));
            if (labels.IsEmpty) OpChecks.Throw("The mean cross-entropy of no rows is undefined.", nameof(labels));
            if ((long)labels.Length * classes != logitsLength)
                OpChecks.Throw("logits.Length must equal labels.Length * classes.", "logits");
            // Validated up front so that Backward throws before touching dLogits.
            foreach (int label in labels)
            {
                if ((uint)label >= (uint)classes)
                    throw new ArgumentOutOfRangeException(nameof(labels), label, "A label is outside [0, classes).");
            }
        }

        // ---- MeanSquaredError: r = (1/n) Σ (p − t)²;  dp += (2 dr/n)(p − t),  dt −= (2 dr/n)(p − t) ----

        /// <summary>The mean of the squared differences, <c>(1/n) Σ (prediction_i − target_i)²</c>.</summary>
        /// <exception cref="ArgumentException"><paramref name="target"/> differs in length from
        /// <paramref name="prediction"/>, or both are empty (the mean of nothing).</exception>
        public static float MeanSquaredError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target) =>
            MeanSquaredErrorCore(prediction, target);

        /// <inheritdoc cref="MeanSquaredError(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
        public static double MeanSquaredError(ReadOnlySpan<double> prediction, ReadOnlySpan<double> target) =>
            MeanSquaredErrorCore(prediction, target);

        /// <summary>
        /// The adjoint of <see cref="MeanSquaredError(ReadOnlySpan{float}, ReadOnlySpan{float})"/>:
        /// <c>dPrediction += (2 dResult / n)(prediction − target)</c> and <c>dTarget −= </c> the same.
        /// </summary>
        /// <exception cref="ArgumentException">Mismatched or zero lengths, or an adjoint shorter than its primal.</exception>
        [DerivativeOf(typeof(Ops), nameof(MeanSquaredError))]
        public static void MeanSquaredErrorBackward(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, float dResult, Span<float> dPrediction, Span<float> dTarget) =>
            MeanSquaredErrorBackwardCore(prediction, target, dResult, dPrediction, dTarget);

        /// <inheritdoc cref="MeanSquaredErrorBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, float, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(MeanSquaredError))]
        public static void MeanSquaredErrorBackward(ReadOnlySpan<double> prediction, ReadOnlySpan<double> target, double dResult, Span<double> dPrediction, Span<double> dTarget) =>
            MeanSquaredErrorBackwardCore(prediction, target, dResult, dPrediction, dTarget);

        private static T MeanSquaredErrorCore<T>(ReadOnlySpan<T> prediction, ReadOnlySpan<T> target)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckMeanSquaredError(prediction.Length, target.Length);
            return OpKernels.SumOfSquaredDifferences(prediction, target) / T.CreateTruncating(prediction.Length);
        }

        private static void MeanSquaredErrorBackwardCore<T>(ReadOnlySpan<T> prediction, ReadOnlySpan<T> target, T dResult, Span<T> dPrediction, Span<T> dTarget)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            CheckMeanSquaredError(prediction.Length, target.Length);
            OpChecks.Adjoint(dPrediction.Length, prediction.Length, nameof(dPrediction));
            OpChecks.Adjoint(dTarget.Length, target.Length, nameof(dTarget));
            if (dResult == T.Zero) return;
            T g = (dResult + dResult) / T.CreateTruncating(prediction.Length);
            OpKernels.AccumulateScaledDifference(prediction, target, g,
                dPrediction.Slice(0, prediction.Length), dTarget.Slice(0, target.Length));
        }

        private static void CheckMeanSquaredError(int predictionLength, int targetLength)
        {
            OpChecks.SameLength(predictionLength, targetLength, "target");
            if (predictionLength == 0) OpChecks.Throw("The mean squared error of no values is undefined.", "prediction");
        }
    }
}
