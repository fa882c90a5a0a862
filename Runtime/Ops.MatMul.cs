using System;
using System.Numerics;
using System.Threading;

namespace Differentiable
{
    // Matrix products and their adjoints. Matrices are dense and row-major: element (i, j) of an r×s matrix x is
    // x[i·s + j]. Every product, forward or adjoint, runs on the one blocked kernel in Gemm<T>.
    //
    // Adjoints follow the Backward convention: the primal parameters, then one Span adjoint per span parameter.
    // c is a pure output, so on entry dC holds the seed (the adjoint of c's contents at return) and on exit the
    // adjoint of c's contents at entry, which is zero: dC is consumed (cleared). dA and dB accumulate.
#pragma warning disable CS1591 // Ops's summary is written once, on its element-wise part (Ops.cs); this part documents its members.
    public static partial class Ops
#pragma warning restore CS1591
    {
        private static int s_maxDegreeOfParallelism = 1;

        /// <summary>
        /// How many threads a large matrix product (forward or adjoint) may use; 1, the default, runs every product
        /// on the calling thread. Above 1, products of at least about four million multiply-adds are split over row
        /// blocks of the result and run on the thread pool. The result is bitwise the same for every setting: each
        /// element is summed in an order that depends only on the shared dimension. The split path allocates a
        /// little (the thread pool's work items); the single-thread path allocates nothing. Applies to every thread.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
        public static int MaxDegreeOfParallelism
        {
            get => Volatile.Read(ref s_maxDegreeOfParallelism);
            set
            {
                if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "The degree of parallelism must be at least 1.");
                Volatile.Write(ref s_maxDegreeOfParallelism, value);
            }
        }

        // ---- c = a · b,  a m×k, b k×n ----
        //   dA += dC · bᵀ    (m×n · n×k)
        //   dB += aᵀ · dC    (k×m · m×n)

        /// <summary>
        /// Matrix product <c>c = a · b</c>: <paramref name="a"/> is m×k, <paramref name="b"/> is k×n and
        /// <paramref name="c"/> (m×n) is overwritten; all row-major.
        /// </summary>
        /// <param name="a">The left matrix, m×k, row-major (at least m·k elements).</param>
        /// <param name="b">The right matrix, k×n, row-major (at least k·n elements).</param>
        /// <param name="c">The result, m×n, row-major (at least m·n elements); must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
        /// <param name="m">Rows of <paramref name="a"/> and <paramref name="c"/>.</param>
        /// <param name="k">Columns of <paramref name="a"/>, rows of <paramref name="b"/>.</param>
        /// <param name="n">Columns of <paramref name="b"/> and <paramref name="c"/>.</param>
        /// <exception cref="ArgumentException">A dimension is negative or a span is shorter than its matrix.</exception>
        public static void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
            => Products<float>.MatMul(a, b, c, m, k, n);

        /// <inheritdoc cref="MatMul(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>
        public static void MatMul(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n)
            => Products<double>.MatMul(a, b, c, m, k, n);

        /// <summary>
        /// Adjoint of <see cref="MatMul(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>:
        /// <c>dA += dC · bᵀ</c>, <c>dB += aᵀ · dC</c>, then <c>c = a · b</c> (the primal runs too) and
        /// <paramref name="dC"/> is cleared (c is a pure output: its adjoint is consumed).
        /// </summary>
        /// <param name="a">The left matrix, m×k.</param>
        /// <param name="b">The right matrix, k×n.</param>
        /// <param name="c">Receives <c>a · b</c>, m×n.</param>
        /// <param name="m">Rows of <paramref name="a"/> and <paramref name="c"/>.</param>
        /// <param name="k">Columns of <paramref name="a"/>, rows of <paramref name="b"/>.</param>
        /// <param name="n">Columns of <paramref name="b"/> and <paramref name="c"/>.</param>
        /// <param name="dA">Adjoint of <paramref name="a"/>, accumulated (at least as long as <paramref name="a"/>).</param>
        /// <param name="dB">Adjoint of <paramref name="b"/>, accumulated (at least as long as <paramref name="b"/>).</param>
        /// <param name="dC">On entry the seed (adjoint of c's result); cleared on exit (at least as long as <paramref name="c"/>).</param>
        /// <remarks>None of <paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/> and the three adjoints may overlap.</remarks>
        /// <exception cref="ArgumentException">A dimension is negative, a span is shorter than its matrix, or an adjoint is shorter than its primal (before any work is done).</exception>
        [DerivativeOf(typeof(Ops), nameof(MatMul))]
        public static void MatMulBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dB, Span<float> dC)
            => Products<float>.MatMulBackward(a, b, c, m, k, n, dA, dB, dC);

        /// <inheritdoc cref="MatMulBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(MatMul))]
        public static void MatMulBackward(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dB, Span<double> dC)
            => Products<double>.MatMulBackward(a, b, c, m, k, n, dA, dB, dC);

        // ---- c = a · bᵀ,  a m×k, b n×k (a dense layer y = x·Wᵀ with W out×in) ----
        //   dA += dC · b     (m×n · n×k)
        //   dB += dCᵀ · a    (n×m · m×k)

        /// <summary>
        /// Matrix product with the right operand transposed, <c>c = a · bᵀ</c>: <paramref name="a"/> is m×k,
        /// <paramref name="b"/> is stored n×k and <paramref name="c"/> (m×n) is overwritten; all row-major. A dense
        /// layer <c>y = x · Wᵀ</c> with W stored out×in.
        /// </summary>
        /// <param name="a">The left matrix, m×k, row-major (at least m·k elements).</param>
        /// <param name="b">The right matrix stored transposed, n×k, row-major (at least n·k elements).</param>
        /// <param name="c">The result, m×n, row-major (at least m·n elements); must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
        /// <param name="m">Rows of <paramref name="a"/> and <paramref name="c"/>.</param>
        /// <param name="k">Columns of <paramref name="a"/> and of <paramref name="b"/>.</param>
        /// <param name="n">Rows of <paramref name="b"/>, columns of <paramref name="c"/>.</param>
        /// <exception cref="ArgumentException">A dimension is negative or a span is shorter than its matrix.</exception>
        public static void MatMulTransposeB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
            => Products<float>.MatMulTransposeB(a, b, c, m, k, n);

        /// <inheritdoc cref="MatMulTransposeB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>
        public static void MatMulTransposeB(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n)
            => Products<double>.MatMulTransposeB(a, b, c, m, k, n);

        /// <summary>
        /// Adjoint of <see cref="MatMulTransposeB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>:
        /// <c>dA += dC · b</c>, <c>dB += dCᵀ · a</c>, then <c>c = a · bᵀ</c> (the primal runs too) and
        /// <paramref name="dC"/> is cleared (c is a pure output: its adjoint is consumed).
        /// </summary>
        /// <param name="a">The left matrix, m×k.</param>
        /// <param name="b">The right matrix stored transposed, n×k.</param>
        /// <param name="c">Receives <c>a · bᵀ</c>, m×n.</param>
        /// <param name="m">Rows of <paramref name="a"/> and <paramref name="c"/>.</param>
        /// <param name="k">Columns of <paramref name="a"/> and of <paramref name="b"/>.</param>
        /// <param name="n">Rows of <paramref name="b"/>, columns of <paramref name="c"/>.</param>
        /// <param name="dA">Adjoint of <paramref name="a"/>, accumulated (at least as long as <paramref name="a"/>).</param>
        /// <param name="dB">Adjoint of <paramref name="b"/>, accumulated (at least as long as <paramref name="b"/>).</param>
        /// <param name="dC">On entry the seed (adjoint of c's result); cleared on exit (at least as long as <paramref name="c"/>).</param>
        /// <remarks>None of <paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/> and the three adjoints may overlap.</remarks>
        /// <exception cref="ArgumentException">A dimension is negative, a span is shorter than its matrix, or an adjoint is shorter than its primal (before any work is done).</exception>
        [DerivativeOf(typeof(Ops), nameof(MatMulTransposeB))]
        public static void MatMulTransposeBBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dB, Span<float> dC)
            => Products<float>.MatMulTransposeBBackward(a, b, c, m, k, n, dA, dB, dC);

        /// <inheritdoc cref="MatMulTransposeBBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(MatMulTransposeB))]
        public static void MatMulTransposeBBackward(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dB, Span<double> dC)
            => Products<double>.MatMulTransposeBBackward(a, b, c, m, k, n, dA, dB, dC);

        // ---- c = aᵀ · b,  a k×m, b k×n ----
        //   dA += b · dCᵀ    (k×n · n×m)
        //   dB += a · dC     (k×m · m×n)

        /// <summary>
        /// Matrix product with the left operand transposed, <c>c = aᵀ · b</c>: <paramref name="a"/> is stored k×m,
        /// <paramref name="b"/> is k×n and <paramref name="c"/> (m×n) is overwritten; all row-major.
        /// </summary>
        /// <param name="a">The left matrix stored transposed, k×m, row-major (at least k·m elements).</param>
        /// <param name="b">The right matrix, k×n, row-major (at least k·n elements).</param>
        /// <param name="c">The result, m×n, row-major (at least m·n elements); must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
        /// <param name="m">Columns of <paramref name="a"/>, rows of <paramref name="c"/>.</param>
        /// <param name="k">Rows of <paramref name="a"/> and of <paramref name="b"/>.</param>
        /// <param name="n">Columns of <paramref name="b"/> and <paramref name="c"/>.</param>
        /// <exception cref="ArgumentException">A dimension is negative or a span is shorter than its matrix.</exception>
        public static void MatMulTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n)
            => Products<float>.MatMulTransposeA(a, b, c, m, k, n);

        /// <inheritdoc cref="MatMulTransposeA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>
        public static void MatMulTransposeA(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n)
            => Products<double>.MatMulTransposeA(a, b, c, m, k, n);

        /// <summary>
        /// Adjoint of <see cref="MatMulTransposeA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>:
        /// <c>dA += b · dCᵀ</c>, <c>dB += a · dC</c>, then <c>c = aᵀ · b</c> (the primal runs too) and
        /// <paramref name="dC"/> is cleared (c is a pure output: its adjoint is consumed).
        /// </summary>
        /// <param name="a">The left matrix stored transposed, k×m.</param>
        /// <param name="b">The right matrix, k×n.</param>
        /// <param name="c">Receives <c>aᵀ · b</c>, m×n.</param>
        /// <param name="m">Columns of <paramref name="a"/>, rows of <paramref name="c"/>.</param>
        /// <param name="k">Rows of <paramref name="a"/> and of <paramref name="b"/>.</param>
        /// <param name="n">Columns of <paramref name="b"/> and <paramref name="c"/>.</param>
        /// <param name="dA">Adjoint of <paramref name="a"/>, accumulated (at least as long as <paramref name="a"/>).</param>
        /// <param name="dB">Adjoint of <paramref name="b"/>, accumulated (at least as long as <paramref name="b"/>).</param>
        /// <param name="dC">On entry the seed (adjoint of c's result); cleared on exit (at least as long as <paramref name="c"/>).</param>
        /// <remarks>None of <paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/> and the three adjoints may overlap.</remarks>
        /// <exception cref="ArgumentException">A dimension is negative, a span is shorter than its matrix, or an adjoint is shorter than its primal (before any work is done).</exception>
        [DerivativeOf(typeof(Ops), nameof(MatMulTransposeA))]
        public static void MatMulTransposeABackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
            Span<float> dA, Span<float> dB, Span<float> dC)
            => Products<float>.MatMulTransposeABackward(a, b, c, m, k, n, dA, dB, dC);

        /// <inheritdoc cref="MatMulTransposeABackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(MatMulTransposeA))]
        public static void MatMulTransposeABackward(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
            Span<double> dA, Span<double> dB, Span<double> dC)
            => Products<double>.MatMulTransposeABackward(a, b, c, m, k, n, dA, dB, dC);

        /// <summary>
        /// The products for one element type, written once. Each maps its operands onto <see cref="Gemm{T}.Multiply"/>
        /// by strides: a row-major r×s matrix x read as itself has strides (s, 1), read transposed (1, s).
        /// </summary>
        private static class Products<T> where T : unmanaged, INumberBase<T>
        {
            public static void MatMul(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int k, int n)
            {
                CheckShapes(a.Length, b.Length, c.Length, m, k, n);
                Gemm<T>.MultiplyOnThreads(m, n, k, a, k, 1, b, n, 1, c, n, accumulate: false, MaxDegreeOfParallelism);
            }

            public static void MatMulBackward(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int k, int n,
                Span<T> dA, Span<T> dB, Span<T> dC, bool withA = true, bool withB = true, bool withPrimal = true)
            {
                CheckShapes(a.Length, b.Length, c.Length, m, k, n);
                CheckAdjoints(withA ? a.Length : 0, withB ? b.Length : 0, c.Length, dA.Length, dB.Length, dC.Length);
                // dA (m×k) += dC (m×n) · bᵀ, bᵀ[p, j] = b[j·n + p]
                if (withA) Gemm<T>.MultiplyOnThreads(m, k, n, dC, n, 1, b, 1, n, dA, k, accumulate: true, MaxDegreeOfParallelism);
                // dB (k×n) += aᵀ · dC, aᵀ[i, p] = a[p·k + i]
                if (withB) Gemm<T>.MultiplyOnThreads(k, n, m, a, 1, k, dC, n, 1, dB, n, accumulate: true, MaxDegreeOfParallelism);
                if (withPrimal) Gemm<T>.MultiplyOnThreads(m, n, k, a, k, 1, b, n, 1, c, n, accumulate: false, MaxDegreeOfParallelism);
                dC.Slice(0, m * n).Clear();
            }

            public static void MatMulTransposeB(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int k, int n)
            {
                CheckShapes(a.Length, b.Length, c.Length, m, k, n);
                Gemm<T>.MultiplyOnThreads(m, n, k, a, k, 1, b, 1, k, c, n, accumulate: false, MaxDegreeOfParallelism);
            }

            public static void MatMulTransposeBBackward(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int k, int n,
                Span<T> dA, Span<T> dB, Span<T> dC, bool withA = true, bool withB = true, bool withPrimal = true)
            {
                CheckShapes(a.Length, b.Length, c.Length, m, k, n);
                CheckAdjoints(withA ? a.Length : 0, withB ? b.Length : 0, c.Length, dA.Length, dB.Length, dC.Length);
                // dA (m×k) += dC (m×n) · b (n×k)
                if (withA) Gemm<T>.MultiplyOnThreads(m, k, n, dC, n, 1, b, k, 1, dA, k, accumulate: true, MaxDegreeOfParallelism);
                // dB (n×k) += dCᵀ · a, dCᵀ[i, p] = dC[p·n + i]
                if (withB) Gemm<T>.MultiplyOnThreads(n, k, m, dC, 1, n, a, k, 1, dB, k, accumulate: true, MaxDegreeOfParallelism);
                if (withPrimal) Gemm<T>.MultiplyOnThreads(m, n, k, a, k, 1, b, 1, k, c, n, accumulate: false, MaxDegreeOfParallelism);
                dC.Slice(0, m * n).Clear();
            }

            public static void MatMulTransposeA(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int k, int n)
            {
                CheckShapes(a.Length, b.Length, c.Length, m, k, n);
                Gemm<T>.MultiplyOnThreads(m, n, k, a, 1, m, b, n, 1, c, n, accumulate: false, MaxDegreeOfParallelism);
            }

            public static void MatMulTransposeABackward(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int k, int n,
                Span<T> dA, Span<T> dB, Span<T> dC, bool withA = true, bool withB = true, bool withPrimal = true)
            {
                CheckShapes(a.Length, b.Length, c.Length, m, k, n);
                CheckAdjoints(withA ? a.Length : 0, withB ? b.Length : 0, c.Length, dA.Length, dB.Length, dC.Length);
                // dA (k×m) += b (k×n) · dCᵀ, dCᵀ[p, j] = dC[j·n + p]
                if (withA) Gemm<T>.MultiplyOnThreads(k, m, n, b, n, 1, dC, 1, n, dA, m, accumulate: true, MaxDegreeOfParallelism);
                // dB (k×n) += a (k×m) · dC (m×n)
                if (withB) Gemm<T>.MultiplyOnThreads(k, n, m, a, m, 1, dC, n, 1, dB, n, accumulate: true, MaxDegreeOfParallelism);
                if (withPrimal) Gemm<T>.MultiplyOnThreads(m, n, k, a, 1, m, b, n, 1, c, n, accumulate: false, MaxDegreeOfParallelism);
                dC.Slice(0, m * n).Clear();
            }
        }

        /// <summary>
        /// Throws unless the dimensions are non-negative and a, b and c hold their matrices (m·k, k·n and m·n
        /// elements, whichever way each is stored). The sizes are computed in long so a huge shape cannot wrap.
        /// </summary>
        private static void CheckShapes(int aLength, int bLength, int cLength, int m, int k, int n)
        {
            if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "A matrix dimension cannot be negative.");
            if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "A matrix dimension cannot be negative.");
            if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "A matrix dimension cannot be negative.");
            if (aLength < (long)m * k) throw new ArgumentException($"a holds {aLength} elements; the matrix needs {(long)m * k}.", "a");
            if (bLength < (long)k * n) throw new ArgumentException($"b holds {bLength} elements; the matrix needs {(long)k * n}.", "b");
            if (cLength < (long)m * n) throw new ArgumentException($"c holds {cLength} elements; the matrix needs {(long)m * n}.", "c");
        }

        /// <summary>Throws, naming the adjoint, when an adjoint span is shorter than its primal.</summary>
        private static void CheckAdjoints(int aLength, int bLength, int cLength, int dALength, int dBLength, int dCLength)
        {
            if (dALength < aLength) throw new ArgumentException($"dA holds {dALength} elements; a holds {aLength}.", "dA");
            if (dBLength < bLength) throw new ArgumentException($"dB holds {dBLength} elements; b holds {bLength}.", "dB");
            if (dCLength < cLength) throw new ArgumentException($"dC holds {dCLength} elements; c holds {cLength}.", "dC");
        }
    }
}
