using System;
using System.Threading.Tasks;

namespace Differentiable
{
    internal static partial class Gemm<T>
    {
        /// <summary>Below this many multiply-adds a product runs on the calling thread whatever the setting (a fork costs more).</summary>
        internal const long ParallelThreshold = 1L << 22;

        /// <summary>
        /// <see cref="Multiply(int, int, int, ReadOnlySpan{T}, int, int, ReadOnlySpan{T}, int, int, Span{T}, int, bool)"/>, split over row blocks of C when <paramref name="degreeOfParallelism"/> &gt; 1 and the
        /// product is large. Each thread computes whole rows of C with the same kernel, and the summation order of an
        /// element depends on k only, so the result is bitwise the same as on one thread. The split path allocates
        /// (the thread pool's work items); the single-thread path does not.
        /// </summary>
        internal static void MultiplyOnThreads(
            int m, int n, int k,
            ReadOnlySpan<T> a, int rsA, int csA,
            ReadOnlySpan<T> b, int rsB, int csB,
            Span<T> c, int ldc, bool accumulate, int degreeOfParallelism)
        {
            int chunks = Math.Min(degreeOfParallelism, m / (4 * MR));
            if (chunks < 2 || (long)m * n * k < ParallelThreshold)
            {
                Multiply(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, accumulate);
                return;
            }
            Split(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, accumulate, degreeOfParallelism, chunks);
        }

        // Apart from the check above: the lambda's captured parameters would make every call allocate its closure.
        private static unsafe void Split(
            int m, int n, int k,
            ReadOnlySpan<T> a, int rsA, int csA,
            ReadOnlySpan<T> b, int rsB, int csB,
            Span<T> c, int ldc, bool accumulate, int degreeOfParallelism, int chunks)
        {
            int rowsPerChunk = RoundUp(DivideUp(m, chunks), MR);
            int aLength = a.Length, bLength = b.Length, cLength = c.Length;
            fixed (T* pa = a, pb = b, pc = c)
            {
                nint aAddress = (nint)pa, bAddress = (nint)pb, cAddress = (nint)pc;
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = degreeOfParallelism }, chunk =>
                {
                    int first = chunk * rowsPerChunk;
                    if (first >= m) return;
                    int rows = Math.Min(rowsPerChunk, m - first);
                    var aAll = new ReadOnlySpan<T>((void*)aAddress, aLength);
                    var bAll = new ReadOnlySpan<T>((void*)bAddress, bLength);
                    var cAll = new Span<T>((void*)cAddress, cLength);
                    Multiply(rows, n, k, aAll.Slice(first * rsA), rsA, csA, bAll, rsB, csB, cAll.Slice(first * ldc), ldc, accumulate);
                });
            }
        }
    }
}
