using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Differentiable
{
    /// <summary>
    /// The vector loops behind <see cref="Ops"/>, written once for <see cref="float"/> and <see cref="double"/>: the JIT
    /// compiles a generic method over a value type separately for each, so the type parameter costs nothing.
    /// Where <see cref="TensorPrimitives"/> already does a pass (exp, max, sum, dot, scaled add) it is used; the loops
    /// here are the fused passes it lacks. Each loop runs <see cref="Vector{T}"/> blocks, then a scalar tail.
    /// Callers have checked the lengths: every data and adjoint span is exactly as long as the first (scratch spans aside).
    /// </summary>
    internal static class OpKernels
    {
        /// <summary>
        /// Values exponentiated per block by the log-sum-exp kernels. Their scratch lives on the stack, sized
        /// <c>min(length, ScratchLength)</c>; a row that fits keeps its exponentials there for the gradient pass.
        /// </summary>
        public const int ScratchLength = 1024;

        /// <summary><c>a * b + c</c>, fused where the hardware has FMA (.NET 9 and later), else a multiply and an add.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<T> MultiplyAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
#if NET9_0_OR_GREATER
            if (typeof(T) == typeof(float))
                return Vector.MultiplyAddEstimate(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
            if (typeof(T) == typeof(double))
                return Vector.MultiplyAddEstimate(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
#endif
            return a * b + c;
        }

        /// <summary>True when <paramref name="length"/> values fill at least one hardware-accelerated vector.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool UseVectors<T>(int length) where T : unmanaged =>
            Vector.IsHardwareAccelerated && length >= Vector<T>.Count;

        // ---- ReLU ----

        /// <summary>
        /// ReLU's primal and adjoint in one pass. y = x &lt; 0 ? 0 : x (NaN stays NaN, as in
        /// <see cref="TensorPrimitives.Max{T}(ReadOnlySpan{T}, T, Span{T})"/>); dx += x &gt; 0 ? dy : 0 (ReLU'(0) = 0);
        /// dy = 0 (y is overwritten, its adjoint is consumed).
        /// </summary>
        public static void ReluBackward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> dX, Span<T> dY)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int i = 0;
            if (UseVectors<T>(x.Length))
            {
                ReadOnlySpan<Vector<T>> xv = MemoryMarshal.Cast<T, Vector<T>>(x);
                Span<Vector<T>> yv = MemoryMarshal.Cast<T, Vector<T>>(y);
                Span<Vector<T>> dxv = MemoryMarshal.Cast<T, Vector<T>>(dX);
                Span<Vector<T>> dyv = MemoryMarshal.Cast<T, Vector<T>>(dY);
                for (int k = 0; k < xv.Length; k++)
                {
                    Vector<T> v = xv[k];
                    dxv[k] += Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<T>.Zero), dyv[k], Vector<T>.Zero);
                    yv[k] = Vector.ConditionalSelect(Vector.LessThan(v, Vector<T>.Zero), Vector<T>.Zero, v);
                    dyv[k] = Vector<T>.Zero;
                }
                i = xv.Length * Vector<T>.Count;
            }
            for (; i < x.Length; i++)
            {
                T v = x[i];
                if (v > T.Zero) dX[i] += dY[i];
                y[i] = v < T.Zero ? T.Zero : v;
                dY[i] = T.Zero;
            }
        }

        // ---- derivatives read off the output: dx += dy * f'(y), dy = 0 ----

        /// <summary>An element-wise function whose derivative is a function of its output.</summary>
        public interface IOutputActivation<T> where T : unmanaged, IFloatingPointIeee754<T>
        {
            /// <summary>y = f(x), element-wise; y may be x.</summary>
            static abstract void Apply(ReadOnlySpan<T> x, Span<T> y);

            /// <summary>f'(x) expressed through y = f(x).</summary>
            static abstract T Derivative(T y);

            /// <inheritdoc cref="Derivative(T)"/>
            static abstract Vector<T> Derivative(Vector<T> y);
        }

        /// <summary>σ(x) = 1 / (1 + e^−x), σ'(x) = y (1 − y).</summary>
        public readonly struct SigmoidActivation<T> : IOutputActivation<T> where T : unmanaged, IFloatingPointIeee754<T>
        {
            /// <inheritdoc />
            public static void Apply(ReadOnlySpan<T> x, Span<T> y)
            {
                if (!x.IsEmpty) TensorPrimitives.Sigmoid(x, y); // it rejects empty spans
            }

            /// <inheritdoc />
            public static T Derivative(T y) => y * (T.One - y);

            /// <inheritdoc />
            public static Vector<T> Derivative(Vector<T> y) => y * (Vector<T>.One - y);
        }

        /// <summary>tanh, tanh'(x) = 1 − y².</summary>
        public readonly struct TanhActivation<T> : IOutputActivation<T> where T : unmanaged, IFloatingPointIeee754<T>
        {
            /// <inheritdoc />
            public static void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Tanh(x, y);

            /// <inheritdoc />
            public static T Derivative(T y) => T.One - y * y;

            /// <inheritdoc />
            public static Vector<T> Derivative(Vector<T> y) => MultiplyAdd(-y, y, Vector<T>.One);
        }

        /// <summary>dx += dy ⊙ f'(y), then dy = 0, for an element-wise y = f(x) whose output is already in <paramref name="y"/>.</summary>
        public static void AccumulateFromOutput<T, TActivation>(ReadOnlySpan<T> y, Span<T> dX, Span<T> dY)
            where T : unmanaged, IFloatingPointIeee754<T>
            where TActivation : struct, IOutputActivation<T>
        {
            int i = 0;
            if (UseVectors<T>(y.Length))
            {
                ReadOnlySpan<Vector<T>> yv = MemoryMarshal.Cast<T, Vector<T>>(y);
                Span<Vector<T>> dxv = MemoryMarshal.Cast<T, Vector<T>>(dX);
                Span<Vector<T>> dyv = MemoryMarshal.Cast<T, Vector<T>>(dY);
                for (int k = 0; k < yv.Length; k++)
                {
                    dxv[k] = MultiplyAdd(dyv[k], TActivation.Derivative(yv[k]), dxv[k]);
                    dyv[k] = Vector<T>.Zero;
                }
                i = yv.Length * Vector<T>.Count;
            }
            for (; i < y.Length; i++)
            {
                dX[i] += dY[i] * TActivation.Derivative(y[i]);
                dY[i] = T.Zero;
            }
        }

        // ---- softmax ----

        /// <summary>
        /// One softmax row: y = exp(x − max x) / Σ exp(x − max x). Subtracting the maximum keeps every exponent ≤ 0,
        /// so nothing overflows and the largest term is exactly 1. <paramref name="y"/> may be <paramref name="x"/>.
        /// </summary>
        public static void SoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T max = TensorPrimitives.Max(x);
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Multiply(y, T.One / TensorPrimitives.Sum<T>(y), y);
        }

        /// <summary>
        /// The adjoint of one softmax row, y already computed: ∂y_j/∂x_i = y_j (δ_ij − y_i), so
        /// dx_i += y_i (dy_i − Σ_j dy_j y_j); then dy = 0.
        /// </summary>
        public static void SoftmaxRowAdjoint<T>(ReadOnlySpan<T> y, Span<T> dX, Span<T> dY)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T inner = T.Zero;
            if (y.Length < NarrowRowBlocks<T>.NarrowRow)
            {
                for (int j = 0; j < y.Length; j++) inner += dY[j] * y[j];
            }
            else
            {
                inner = TensorPrimitives.Dot<T>(dY, y);
            }
            int i = 0;
            if (UseVectors<T>(y.Length))
            {
                var innerV = new Vector<T>(inner);
                ReadOnlySpan<Vector<T>> yv = MemoryMarshal.Cast<T, Vector<T>>(y);
                Span<Vector<T>> dxv = MemoryMarshal.Cast<T, Vector<T>>(dX);
                Span<Vector<T>> dyv = MemoryMarshal.Cast<T, Vector<T>>(dY);
                for (int k = 0; k < yv.Length; k++)
                {
                    dxv[k] = MultiplyAdd(yv[k], dyv[k] - innerV, dxv[k]);
                    dyv[k] = Vector<T>.Zero;
                }
                i = yv.Length * Vector<T>.Count;
            }
            for (; i < y.Length; i++)
            {
                dX[i] += y[i] * (dY[i] - inner);
                dY[i] = T.Zero;
            }
        }

        // ---- log-sum-exp ----

        /// <summary>
        /// Σ exp(x − <paramref name="shift"/>), a block of <paramref name="scratch"/> at a time. When x fits in the scratch,
        /// the scratch's first x.Length values hold the exponentials on return.
        /// </summary>
        public static T SumOfShiftedExp<T>(ReadOnlySpan<T> x, T shift, Span<T> scratch)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T sum = T.Zero;
            for (int start = 0; start < x.Length; start += scratch.Length)
            {
                Span<T> block = scratch.Slice(0, Math.Min(scratch.Length, x.Length - start));
                TensorPrimitives.Subtract(x.Slice(start, block.Length), shift, block);
                TensorPrimitives.Exp<T>(block, block);
                sum += TensorPrimitives.Sum<T>(block);
            }
            return sum;
        }

        /// <summary>
        /// dx += <paramref name="scale"/> · exp(x − <paramref name="shift"/>). When x fitted in the scratch of the
        /// preceding <see cref="SumOfShiftedExp{T}"/> (same shift), its exponentials are reused; otherwise they are
        /// recomputed a block at a time.
        /// </summary>
        public static void AddScaledShiftedExp<T>(ReadOnlySpan<T> x, T shift, T scale, Span<T> dX, Span<T> scratch)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (x.Length <= scratch.Length)
            {
                Span<T> exps = scratch.Slice(0, x.Length);
                TensorPrimitives.MultiplyAdd(exps, scale, dX, dX);
                return;
            }
            for (int start = 0; start < x.Length; start += scratch.Length)
            {
                Span<T> block = scratch.Slice(0, Math.Min(scratch.Length, x.Length - start));
                Span<T> dBlock = dX.Slice(start, block.Length);
                TensorPrimitives.Subtract(x.Slice(start, block.Length), shift, block);
                TensorPrimitives.Exp<T>(block, block);
                TensorPrimitives.MultiplyAdd(block, scale, dBlock, dBlock);
            }
        }

        // ---- squared error ----

        /// <summary>Σ (p − t)².</summary>
        public static T SumOfSquaredDifferences<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> t)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T sum = T.Zero;
            int i = 0;
            if (UseVectors<T>(p.Length))
            {
                ReadOnlySpan<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(p);
                ReadOnlySpan<Vector<T>> tv = MemoryMarshal.Cast<T, Vector<T>>(t);
                // Two accumulators hide the latency of the dependent fused multiply-adds.
                Vector<T> acc0 = Vector<T>.Zero, acc1 = Vector<T>.Zero;
                int k = 0;
                for (; k + 1 < pv.Length; k += 2)
                {
                    Vector<T> d0 = pv[k] - tv[k];
                    Vector<T> d1 = pv[k + 1] - tv[k + 1];
                    acc0 = MultiplyAdd(d0, d0, acc0);
                    acc1 = MultiplyAdd(d1, d1, acc1);
                }
                if (k < pv.Length)
                {
                    Vector<T> d = pv[k] - tv[k];
                    acc0 = MultiplyAdd(d, d, acc0);
                }
                sum = Vector.Sum(acc0 + acc1);
                i = pv.Length * Vector<T>.Count;
            }
            for (; i < p.Length; i++)
            {
                T d = p[i] - t[i];
                sum += d * d;
            }
            return sum;
        }

        /// <summary>dp += g (p − t) and dt −= g (p − t).</summary>
        public static void AccumulateScaledDifference<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> t, T g, Span<T> dP, Span<T> dT)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int i = 0;
            if (UseVectors<T>(p.Length))
            {
                var gv = new Vector<T>(g);
                ReadOnlySpan<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(p);
                ReadOnlySpan<Vector<T>> tv = MemoryMarshal.Cast<T, Vector<T>>(t);
                Span<Vector<T>> dpv = MemoryMarshal.Cast<T, Vector<T>>(dP);
                Span<Vector<T>> dtv = MemoryMarshal.Cast<T, Vector<T>>(dT);
                for (int k = 0; k < pv.Length; k++)
                {
                    Vector<T> step = gv * (pv[k] - tv[k]);
                    dpv[k] += step;
                    dtv[k] -= step;
                }
                i = pv.Length * Vector<T>.Count;
            }
            for (; i < p.Length; i++)
            {
                T step = g * (p[i] - t[i]);
                dP[i] += step;
                dT[i] -= step;
            }
        }
    }
}
