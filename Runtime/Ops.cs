using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Differentiable
{
    /// <summary>
    /// SIMD building blocks callable from <see cref="DifferentiableAttribute"/> code, each with its adjoint registered
    /// via <see cref="DerivativeOfAttribute"/>, in <see cref="float"/> and <see cref="double"/>.
    /// <para>
    /// Every <c>{Op}Backward</c> has the generated <c>Backward</c> signature: the primal parameters, then
    /// <c>dResult</c> when the op returns a value, then one <see cref="Span{T}"/> adjoint per floating-point span
    /// parameter. Adjoints accumulate (<c>+=</c>) with Enzyme's shadow semantics: on entry an adjoint holds the adjoint
    /// of its buffer's contents at return (the seed, for an output), on exit the adjoint of its contents at entry. So a
    /// read-only input's adjoint accumulates and an overwritten output's adjoint is consumed (left zero).
    /// <c>Backward</c> also runs the primal: written buffers end holding the primal's results.
    /// </para>
    /// <para>
    /// Checks, all before any work: lengths that must agree (otherwise <see cref="ArgumentException"/> naming the
    /// parameter), row lengths that must be positive and divide the data, and adjoint spans at least as long as their
    /// primal (otherwise <see cref="ArgumentException"/> with <c>paramName</c> <c>"dX"</c> etc.). An adjoint longer
    /// than its primal is used up to the primal's length. A <c>Backward</c> whose seed <c>dResult</c> is zero adds
    /// nothing, not even NaN from an infinite input (Enzyme's checked multiply).
    /// </para>
    /// <para>
    /// Aliasing: an element-wise forward op may write in place (<c>y</c> the same span as <c>x</c>). In a
    /// <c>Backward</c>, inputs, outputs and adjoints must not overlap one another, except that the same span may be
    /// passed as two read-only inputs (e.g. <c>Dot(x, x)</c>).
    /// </para>
    /// <para>
    /// Inputs are meant to be finite. Infinite or NaN inputs give what the math gives (NaN or ±∞), never an exception.
    /// </para>
    /// </summary>
    public static partial class Ops
    {
        // ---- Dot: r = Σ a_i b_i;  da += dr · b,  db += dr · a ----

        /// <summary>The inner product Σ a_i b_i; 0 for empty spans.</summary>
        /// <exception cref="ArgumentException"><paramref name="b"/> differs in length from <paramref name="a"/>.</exception>
        public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => DotCore(a, b);

        /// <inheritdoc cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
        public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => DotCore(a, b);

        /// <summary>The adjoint of <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>: <c>dA += dResult · b</c>, <c>dB += dResult · a</c>.</summary>
        /// <exception cref="ArgumentException">Mismatched lengths, or an adjoint shorter than its primal.</exception>
        [DerivativeOf(typeof(Ops), nameof(Dot))]
        public static void DotBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float dResult, Span<float> dA, Span<float> dB) =>
            DotBackwardCore(a, b, dResult, dA, dB);

        /// <inheritdoc cref="DotBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, float, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(Dot))]
        public static void DotBackward(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double dResult, Span<double> dA, Span<double> dB) =>
            DotBackwardCore(a, b, dResult, dA, dB);

        private static T DotCore<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        {
            OpChecks.SameLength(a.Length, b.Length, nameof(b));
            return TensorPrimitives.Dot(a, b);
        }

        private static void DotBackwardCore<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, T dResult, Span<T> dA, Span<T> dB)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            OpChecks.SameLength(a.Length, b.Length, nameof(b));
            OpChecks.Adjoint(dA.Length, a.Length, nameof(dA));
            OpChecks.Adjoint(dB.Length, b.Length, nameof(dB));
            if (dResult == T.Zero) return;
            dA = dA.Slice(0, a.Length);
            dB = dB.Slice(0, b.Length);
            TensorPrimitives.MultiplyAdd(b, dResult, dA, dA);
            TensorPrimitives.MultiplyAdd(a, dResult, dB, dB);
        }

        // ---- Sum: r = Σ x_i;  dx += dr ----

        /// <summary>The sum Σ x_i; 0 for an empty span.</summary>
        public static float Sum(ReadOnlySpan<float> x) => TensorPrimitives.Sum(x);

        /// <inheritdoc cref="Sum(ReadOnlySpan{float})"/>
        public static double Sum(ReadOnlySpan<double> x) => TensorPrimitives.Sum(x);

        /// <summary>The adjoint of <see cref="Sum(ReadOnlySpan{float})"/>: <c>dX += dResult</c> element-wise.</summary>
        /// <exception cref="ArgumentException"><paramref name="dX"/> is shorter than <paramref name="x"/>.</exception>
        [DerivativeOf(typeof(Ops), nameof(Sum))]
        public static void SumBackward(ReadOnlySpan<float> x, float dResult, Span<float> dX) => SumBackwardCore(x, dResult, dX);

        /// <inheritdoc cref="SumBackward(ReadOnlySpan{float}, float, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(Sum))]
        public static void SumBackward(ReadOnlySpan<double> x, double dResult, Span<double> dX) => SumBackwardCore(x, dResult, dX);

        private static void SumBackwardCore<T>(ReadOnlySpan<T> x, T dResult, Span<T> dX) where T : unmanaged, IFloatingPointIeee754<T>
        {
            OpChecks.Adjoint(dX.Length, x.Length, nameof(dX));
            if (dResult == T.Zero) return;
            dX = dX.Slice(0, x.Length);
            TensorPrimitives.Add(dX, dResult, dX);
        }

        // ---- AddRowBias: x[r, j] += bias[j] in place;  dx unchanged (identity),  dbias[j] += Σ_r dx[r, j] ----

        /// <summary>
        /// Adds <paramref name="bias"/> to each row of <paramref name="x"/> in place: <paramref name="x"/> holds
        /// <c>x.Length / bias.Length</c> rows of <c>bias.Length</c> values, row-major.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="bias"/> is empty or its length does not divide <c>x.Length</c>.</exception>
        public static void AddRowBias(Span<float> x, ReadOnlySpan<float> bias) => AddRowBiasCore(x, bias);

        /// <inheritdoc cref="AddRowBias(Span{float}, ReadOnlySpan{float})"/>
        public static void AddRowBias(Span<double> x, ReadOnlySpan<double> bias) => AddRowBiasCore(x, bias);

        /// <summary>
        /// The adjoint of <see cref="AddRowBias(Span{float}, ReadOnlySpan{float})"/>. Runs the primal again
        /// (<paramref name="x"/> must hold its contents at the forward call; it ends holding x + bias). The map from x at
        /// entry to x at return is the identity, so <paramref name="dX"/> is left unchanged; <paramref name="dBias"/>
        /// accumulates the column sums of <paramref name="dX"/>.
        /// </summary>
        /// <exception cref="ArgumentException">A bad <paramref name="bias"/> length, or an adjoint shorter than its primal.</exception>
        [DerivativeOf(typeof(Ops), nameof(AddRowBias))]
        public static void AddRowBiasBackward(Span<float> x, ReadOnlySpan<float> bias, Span<float> dX, Span<float> dBias) =>
            AddRowBiasBackwardCore(x, bias, dX, dBias);

        /// <inheritdoc cref="AddRowBiasBackward(Span{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(AddRowBias))]
        public static void AddRowBiasBackward(Span<double> x, ReadOnlySpan<double> bias, Span<double> dX, Span<double> dBias) =>
            AddRowBiasBackwardCore(x, bias, dX, dBias);

        private static void AddRowBiasCore<T>(Span<T> x, ReadOnlySpan<T> bias) where T : unmanaged, IFloatingPointIeee754<T>
        {
            OpChecks.Rows(x.Length, bias.Length, nameof(bias));
            AddRowBiasUnchecked(x, bias);
        }

        private static void AddRowBiasBackwardCore<T>(Span<T> x, ReadOnlySpan<T> bias, Span<T> dX, Span<T> dBias)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            OpChecks.Rows(x.Length, bias.Length, nameof(bias));
            OpChecks.Adjoint(dX.Length, x.Length, nameof(dX));
            OpChecks.Adjoint(dBias.Length, bias.Length, nameof(dBias));
            AddRowBiasUnchecked(x, bias);
            ReadOnlySpan<T> seed = dX.Slice(0, x.Length);
            dBias = dBias.Slice(0, bias.Length);
            if (bias.Length == 1)
            {
                dBias[0] += TensorPrimitives.Sum(seed);
                return;
            }
            for (int start = 0; start < seed.Length; start += bias.Length)
                TensorPrimitives.Add(dBias, seed.Slice(start, bias.Length), dBias);
        }

        private static void AddRowBiasUnchecked<T>(Span<T> x, ReadOnlySpan<T> bias) where T : unmanaged, IFloatingPointIeee754<T>
        {
            // One column: a single broadcast add instead of one call per row.
            if (bias.Length == 1)
            {
                TensorPrimitives.Add(x, bias[0], x);
                return;
            }
            for (int start = 0; start < x.Length; start += bias.Length)
            {
                Span<T> row = x.Slice(start, bias.Length);
                TensorPrimitives.Add(row, bias, row);
            }
        }
    }
}
