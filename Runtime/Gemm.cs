using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Differentiable
{
    /// <summary>
    /// The one matrix-product kernel behind every <see cref="Ops"/> product and adjoint product:
    /// <c>C (m×n) = [C +] op(A) · op(B)</c>, where the operands are read through a row stride and a column stride,
    /// so a transposed operand is just the same buffer with its strides swapped.
    /// </summary>
    /// <remarks>
    /// <para>
    /// <b>Blocking</b> (the usual GotoBLAS/BLIS layering). The loops, outside in: columns of C in blocks of
    /// <see cref="NC"/>; the shared dimension in equal blocks of at most <see cref="KC"/>, for each of which a
    /// KC×NC panel of B is packed into <see cref="NR"/>-wide column strips (a strip, KC×NR, stays in L1 while it is
    /// used); rows of C in equal blocks of at most <see cref="MC"/> (rounded up to a multiple of MR), for each of
    /// which an MC×KC block of A is packed into <see cref="MR"/>-tall
    /// row strips (the block stays in L2); then the micro-kernel for each MR×NR tile of C. Packing zero-pads
    /// the last strips, so the micro-kernel always runs a full tile; a partial tile is written to a scratch tile
    /// and its valid part merged into C.
    /// </para>
    /// <para>
    /// <b>Micro-kernel.</b> MR = 6 rows by NR = two vectors of columns, 12 vector accumulators held in
    /// registers for the whole KC loop: per step, two loads of the B strip, six broadcasts of the A strip and
    /// twelve fused multiply-adds. With AVX-512, where the runtime reports 512-bit vectors as fast
    /// (<see cref="Vector512.IsHardwareAccelerated"/>; <c>DOTNET_PreferredVectorBitWidth=256</c> turns it off), the
    /// vectors are <see cref="Vector512{T}"/> (6×32 for <see cref="float"/>, 6×16 for <see cref="double"/>); with
    /// AVX2 and FMA, <see cref="Vector256{T}"/> (6×16, 6×8); otherwise <see cref="Vector{T}"/> with a separate
    /// multiply and add. The kernel is chosen by the hardware, so results can differ between machines (in the
    /// last bits), never between calls on one machine.
    /// </para>
    /// <para>
    /// <b>Determinism.</b> Each element of C is summed in the same order on every call: along the shared
    /// dimension, in ⌈k / KC⌉ blocks of equal size, each summed in a register and added to C. The order depends on k
    /// only, never on m, n, the tile an element falls in, or the thread.
    /// </para>
    /// <para>
    /// <b>Memory.</b> The packing buffer is per thread (<see cref="ThreadStaticAttribute"/>) and grows to the
    /// largest blocks seen, at most KC·(MC + NC) + MR·NR elements (about 2.2 MB of floats, 4.3 MB of doubles)
    /// whatever the problem size; it is then reused, so a warm call allocates nothing. It is a pinned array
    /// (never moved) whose used part starts on a 64-byte boundary.
    /// </para>
    /// <para>The operands must not overlap C.</para>
    /// </remarks>
    internal static partial class Gemm<T> where T : unmanaged, INumberBase<T>
    {
        /// <summary>Rows of a micro-tile.</summary>
        internal const int MR = 6;

        /// <summary>Block of the shared dimension: a KC×NR strip of B (16 KB of floats with AVX2, 32 KB with AVX-512) stays in L1.</summary>
        internal const int KC = 256;

        /// <summary>Whether the micro-kernel uses <see cref="Vector256{T}"/> with fused multiply-add (a JIT-time constant).</summary>
        private static bool UseFma => Fma.IsSupported && Avx2.IsSupported;

        /// <summary>Whether the micro-kernel uses <see cref="Vector512{T}"/> (AVX-512 where the runtime deems it fast; a JIT-time constant).</summary>
        private static bool UseAvx512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

        /// <summary>Columns of a micro-tile: two vectors.</summary>
        internal static int NR => 2 * (UseAvx512 ? Vector512<T>.Count : UseFma ? Vector256<T>.Count : Vector<T>.Count);

        /// <summary>Rows of a packed block of A: MC×KC elements (144 KB of floats or 192 KB of doubles) stay in L2.</summary>
        internal static int MC => Unsafe.SizeOf<T>() == 4 ? 144 : 96;

        /// <summary>Columns of a packed panel of B.</summary>
        internal const int NC = 2048;

        private const int AlignBytes = 64;

        [ThreadStatic] private static T[]? t_buffer;
        [ThreadStatic] private static int t_bufferOffset;

        /// <summary>
        /// <c>C = op(A) · op(B)</c> (or <c>C += …</c> when <paramref name="accumulate"/>), where
        /// <c>op(A)[i, p] = a[i·rsA + p·csA]</c> (m×k), <c>op(B)[p, j] = b[p·rsB + j·csB]</c> (k×n) and
        /// <c>C[i, j] = c[i·ldc + j]</c>. The caller has checked the lengths.
        /// </summary>
        internal static void Multiply(
            int m, int n, int k,
            ReadOnlySpan<T> a, int rsA, int csA,
            ReadOnlySpan<T> b, int rsB, int csB,
            Span<T> c, int ldc, bool accumulate)
        {
            if (m == 0 || n == 0) return;
            ref T cRef = ref MemoryMarshal.GetReference(c);
            if (k == 0)
            {
                if (!accumulate)
                {
                    for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
                }
                return;
            }

            int nr = NR;
            // Blocks of equal size rather than full blocks and a remainder: k = 784 runs as 4 × 196, not
            // 3 × 256 + 16 (a 16-step block pays the C tile's load and store for little work).
            int kcMax = DivideUp(k, DivideUp(k, KC));
            int mcMax = RoundUp(DivideUp(m, DivideUp(m, MC)), MR);
            int ncMax = Math.Min(NC, RoundUp(n, nr));
            // B's panel starts on a 64-byte boundary too, so every load of a B strip (a whole number of vectors per
            // step) stays within one cache line.
            int packALength = RoundUp(mcMax * kcMax, AlignBytes / Unsafe.SizeOf<T>());
            int packBLength = kcMax * ncMax;
            int tileLength = MR * nr;

            ref T buffer = ref Buffer(packALength + packBLength + tileLength);
            ref T packA = ref buffer;
            ref T packB = ref Unsafe.Add(ref buffer, packALength);
            ref T tile = ref Unsafe.Add(ref packB, packBLength);
            ref T aRef = ref MemoryMarshal.GetReference(a);
            ref T bRef = ref MemoryMarshal.GetReference(b);

            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                for (int pc = 0; pc < k; pc += kcMax)
                {
                    int kc = Math.Min(kcMax, k - pc);
                    bool addToC = accumulate || pc > 0;
                    Pack(ref Unsafe.Add(ref bRef, (nint)pc * rsB + (nint)jc * csB), csB, rsB, nc, kc, nr, ref packB);
                    for (int ic = 0; ic < m; ic += mcMax)
                    {
                        int mc = Math.Min(mcMax, m - ic);
                        Pack(ref Unsafe.Add(ref aRef, (nint)ic * rsA + (nint)pc * csA), rsA, csA, mc, kc, MR, ref packA);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int nrValid = Math.Min(nr, nc - jr);
                            ref T bStrip = ref Unsafe.Add(ref packB, (nint)jr * kc);
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                int mrValid = Math.Min(MR, mc - ir);
                                ref T aStrip = ref Unsafe.Add(ref packA, (nint)ir * kc);
                                ref T cTile = ref Unsafe.Add(ref cRef, (nint)(ic + ir) * ldc + jc + jr);
                                if (mrValid == MR && nrValid == nr)
                                {
                                    Kernel(kc, ref aStrip, ref bStrip, ref cTile, ldc, addToC);
                                }
                                else
                                {
                                    Kernel(kc, ref aStrip, ref bStrip, ref tile, nr, false);
                                    MergeTile(ref tile, nr, ref cTile, ldc, mrValid, nrValid, addToC);
                                }
                            }
                        }
                    }
                }
            }
        }

        private static int RoundUp(int value, int multiple) => DivideUp(value, multiple) * multiple;

        private static int DivideUp(int value, int divisor) => (value + divisor - 1) / divisor;

        /// <summary>The calling thread's packing buffer, at least <paramref name="length"/> elements from a 64-byte boundary.</summary>
        private static ref T Buffer(int length)
        {
            T[]? buffer = t_buffer;
            if (buffer is null || buffer.Length - t_bufferOffset < length) buffer = Grow(length);
            return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buffer), t_bufferOffset);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static T[] Grow(int length)
        {
            int slack = AlignBytes / Unsafe.SizeOf<T>();
            var buffer = GC.AllocateUninitializedArray<T>(length + slack, pinned: true);
            // A pinned-heap array never moves, so the address read once stays valid for the array's life.
            GCHandle handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            long address = handle.AddrOfPinnedObject().ToInt64();
            handle.Free();
            int misalignment = (int)(address & (AlignBytes - 1));
            t_bufferOffset = misalignment == 0 ? 0 : (AlignBytes - misalignment) / Unsafe.SizeOf<T>();
            t_buffer = buffer;
            return buffer;
        }

        // ---- Packing ----

        /// <summary>
        /// Packs <paramref name="count"/> lines of kc elements into strips of <paramref name="w"/> lines, each strip
        /// stored step after step: <c>dest[s·w·kc + p·w + r] = src[(s·w + r)·across + p·along]</c>, lines past
        /// count zero. A block of A is packed with lines = rows (w = MR, across = rsA, along = csA), a panel of B
        /// with lines = columns (w = NR, across = csB, along = rsB).
        /// </summary>
        private static void Pack(ref T src, nint across, nint along, int count, int kc, int w, ref T dest)
        {
            for (int s0 = 0; s0 < count; s0 += w)
            {
                int lines = Math.Min(w, count - s0);
                ref T strip = ref Unsafe.Add(ref src, s0 * across);
                if (lines < w) PackPartialStrip(ref strip, across, along, lines, kc, w, ref dest);
                else if (across == 1) PackContiguousStrip(ref strip, along, kc, w, ref dest);
                else if (along == 1) PackTransposedStrip(ref strip, across, kc, w, ref dest);
                else
                {
                    for (int p = 0; p < kc; p++)
                        for (int r = 0; r < w; r++)
                            Unsafe.Add(ref dest, p * w + r) = Unsafe.Add(ref strip, r * across + p * along);
                }
                dest = ref Unsafe.Add(ref dest, w * kc);
            }
        }

        /// <summary>The last strip, fewer than w lines: the missing lines are zero, so the micro-kernel adds nothing for them.</summary>
        private static void PackPartialStrip(ref T src, nint across, nint along, int lines, int kc, int w, ref T dest)
        {
            for (int p = 0; p < kc; p++)
            {
                ref T d = ref Unsafe.Add(ref dest, p * w);
                for (int r = 0; r < lines; r++) Unsafe.Add(ref d, r) = Unsafe.Add(ref src, r * across + p * along);
                for (int r = lines; r < w; r++) Unsafe.Add(ref d, r) = T.Zero;
            }
        }

        /// <summary>The w lines of each step are adjacent in the source (B as stored, or A transposed): copy them.</summary>
        private static void PackContiguousStrip(ref T src, nint along, int kc, int w, ref T dest)
        {
            if (w % Vector<T>.Count == 0)
            {
                for (int p = 0; p < kc; p++)
                {
                    ref T s = ref Unsafe.Add(ref src, p * along);
                    ref T d = ref Unsafe.Add(ref dest, p * w);
                    for (int j = 0; j < w; j += Vector<T>.Count)
                        Vector.StoreUnsafe(Vector.LoadUnsafe(ref s, (nuint)j), ref d, (nuint)j);
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    ref T s = ref Unsafe.Add(ref src, p * along);
                    ref T d = ref Unsafe.Add(ref dest, p * w);
                    for (int r = 0; r < w; r++) Unsafe.Add(ref d, r) = Unsafe.Add(ref s, r);
                }
            }
        }

        /// <summary>
        /// Each line is contiguous in the source (A as stored, or B transposed): <c>dest[p·w + r] = src[r·across + p]</c>.
        /// With AVX, blocks of V lines by V steps (V = 8 floats or 4 doubles) are transposed in registers, lines past w
        /// read as zero, and each transposed step stored as one vector at <c>dest[p·w + r0]</c>. When V does not
        /// divide w (A's strips of 6), such a store spills V − (w − r0) junk elements into the next step; the stores
        /// go in increasing p, and the line blocks in decreasing r0, so every junk element is overwritten by a later,
        /// correct store. That is why the vector loop leaves at least one step to the scalar tail: the junk of its
        /// last store lands there.
        /// </summary>
        private static void PackTransposedStrip(ref T src, nint across, int kc, int w, ref T dest)
        {
            int p = 0;
            if (Avx.IsSupported)
            {
                int v = Vector256<T>.Count;
                for (; p + v < kc; p += v)
                {
                    for (int r0 = (w - 1) / v * v; r0 >= 0; r0 -= v)
                    {
                        TransposeBlock(ref Unsafe.Add(ref src, r0 * across + p), across, w - r0,
                            ref Unsafe.Add(ref dest, p * w + r0), w);
                    }
                }
            }
            for (int r = 0; r < w; r++)
            {
                ref T line = ref Unsafe.Add(ref src, r * across);
                for (int q = p; q < kc; q++) Unsafe.Add(ref dest, q * w + r) = Unsafe.Add(ref line, q);
            }
        }

        /// <summary>
        /// Transposes a V×V block: row q of the result (<c>src[i·across + q]</c> for i &lt; V, zero for i ≥
        /// <paramref name="lines"/>) is stored at <c>dest[q·w]</c>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void TransposeBlock(ref T src, nint across, int lines, ref T dest, int w)
        {
            if (typeof(T) == typeof(float))
            {
                ref float s = ref Unsafe.As<T, float>(ref src);
                ref float d = ref Unsafe.As<T, float>(ref dest);
                Vector256<float> r0 = Line(ref s, across, 0, lines), r1 = Line(ref s, across, 1, lines);
                Vector256<float> r2 = Line(ref s, across, 2, lines), r3 = Line(ref s, across, 3, lines);
                Vector256<float> r4 = Line(ref s, across, 4, lines), r5 = Line(ref s, across, 5, lines);
                Vector256<float> r6 = Line(ref s, across, 6, lines), r7 = Line(ref s, across, 7, lines);
                // Interleave pairs of lines, then pairs of pairs: u_q holds step q of lines 0-3 in its low half and
                // step q + 4 in its high half (likewise v_q for lines 4-7); the 128-bit halves then meet.
                Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
                Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
                Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
                Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
                Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
                Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
                Vector256<float> v0 = Avx.Shuffle(t4, t6, 0x44), v1 = Avx.Shuffle(t4, t6, 0xEE);
                Vector256<float> v2 = Avx.Shuffle(t5, t7, 0x44), v3 = Avx.Shuffle(t5, t7, 0xEE);
                Avx.Permute2x128(u0, v0, 0x20).StoreUnsafe(ref d);
                Avx.Permute2x128(u1, v1, 0x20).StoreUnsafe(ref d, (nuint)w);
                Avx.Permute2x128(u2, v2, 0x20).StoreUnsafe(ref d, (nuint)(2 * w));
                Avx.Permute2x128(u3, v3, 0x20).StoreUnsafe(ref d, (nuint)(3 * w));
                Avx.Permute2x128(u0, v0, 0x31).StoreUnsafe(ref d, (nuint)(4 * w));
                Avx.Permute2x128(u1, v1, 0x31).StoreUnsafe(ref d, (nuint)(5 * w));
                Avx.Permute2x128(u2, v2, 0x31).StoreUnsafe(ref d, (nuint)(6 * w));
                Avx.Permute2x128(u3, v3, 0x31).StoreUnsafe(ref d, (nuint)(7 * w));
            }
            else
            {
                ref double s = ref Unsafe.As<T, double>(ref src);
                ref double d = ref Unsafe.As<T, double>(ref dest);
                Vector256<double> r0 = Line(ref s, across, 0, lines), r1 = Line(ref s, across, 1, lines);
                Vector256<double> r2 = Line(ref s, across, 2, lines), r3 = Line(ref s, across, 3, lines);
                // t0 = (r0[0], r1[0] | r0[2], r1[2]), t1 = (r0[1], r1[1] | r0[3], r1[3]); likewise t2, t3 for lines 2-3.
                Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
                Vector256<double> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
                Avx.Permute2x128(t0, t2, 0x20).StoreUnsafe(ref d);
                Avx.Permute2x128(t1, t3, 0x20).StoreUnsafe(ref d, (nuint)w);
                Avx.Permute2x128(t0, t2, 0x31).StoreUnsafe(ref d, (nuint)(2 * w));
                Avx.Permute2x128(t1, t3, 0x31).StoreUnsafe(ref d, (nuint)(3 * w));
            }
        }

        /// <summary>Line <paramref name="i"/> of a block (V steps), or zero past the strip's lines.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<TElement> Line<TElement>(ref TElement src, nint across, int i, int lines)
            where TElement : unmanaged
            => i < lines ? Vector256.LoadUnsafe(ref Unsafe.Add(ref src, i * across)) : Vector256<TElement>.Zero;

        /// <summary><c>C[i, j] (+)= tile[i, j]</c> for the valid part of a partial tile.</summary>
        private static void MergeTile(ref T tile, int ldTile, ref T c, int ldc, int rows, int cols, bool addToC)
        {
            for (int i = 0; i < rows; i++)
            {
                ref T t = ref Unsafe.Add(ref tile, i * ldTile);
                ref T row = ref Unsafe.Add(ref c, (nint)i * ldc);
                if (addToC)
                {
                    for (int j = 0; j < cols; j++) Unsafe.Add(ref row, j) += Unsafe.Add(ref t, j);
                }
                else
                {
                    for (int j = 0; j < cols; j++) Unsafe.Add(ref row, j) = Unsafe.Add(ref t, j);
                }
            }
        }
    }
}
