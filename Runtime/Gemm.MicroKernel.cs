using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Differentiable
{
    // The micro-kernel: one MR×NR tile of C from a packed strip of A (MR values per step) and one of B (NR values per
    // step, two vectors):
    //   C[i, j] (+)= Σ_p a[p·MR + i] · b[p·NR + j]
    // summed in p order in 12 vector accumulators that stay in registers, then added to (or stored into) C once.
    // It is written once, generic over the vector type; each instantiation (Vector512, Vector256 with FMA,
    // Vector<T>) is compiled on its own, with the operations below inlined.
    internal static partial class Gemm<T>
    {
        /// <summary>Computes one tile with the widest vectors the hardware runs fast (see <see cref="NR"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Kernel(int kc, ref T a, ref T b, ref T c, int ldc, bool addToC)
        {
            if (UseAvx512) Kernel<Vector512<T>, Avx512Vectors>(kc, ref a, ref b, ref c, ldc, addToC);
            else if (UseFma) Kernel<Vector256<T>, FmaVectors>(kc, ref a, ref b, ref c, ldc, addToC);
            else Kernel<Vector<T>, PortableVectors>(kc, ref a, ref b, ref c, ldc, addToC);
        }

        // Never inlined: inside the loop nest of Multiply the register allocator has the loop variables to keep too,
        // and spilled accumulators halve the speed (seen with tiered PGO, which inlines large hot callees).
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Kernel<TVector, TOps>(int kc, ref T a, ref T b, ref T c, int ldc, bool addToC)
            where TVector : struct
            where TOps : struct, IVectorOps<TVector>
        {
            nuint w = TOps.Count;
            TVector c00 = TOps.Zero, c01 = TOps.Zero;
            TVector c10 = TOps.Zero, c11 = TOps.Zero;
            TVector c20 = TOps.Zero, c21 = TOps.Zero;
            TVector c30 = TOps.Zero, c31 = TOps.Zero;
            TVector c40 = TOps.Zero, c41 = TOps.Zero;
            TVector c50 = TOps.Zero, c51 = TOps.Zero;
            for (int p = 0; p < kc; p++)
            {
                TVector b0 = TOps.Load(ref b, 0);
                TVector b1 = TOps.Load(ref b, w);
                TVector ai = TOps.Broadcast(a);
                c00 = TOps.MultiplyAdd(ai, b0, c00); c01 = TOps.MultiplyAdd(ai, b1, c01);
                ai = TOps.Broadcast(Unsafe.Add(ref a, 1));
                c10 = TOps.MultiplyAdd(ai, b0, c10); c11 = TOps.MultiplyAdd(ai, b1, c11);
                ai = TOps.Broadcast(Unsafe.Add(ref a, 2));
                c20 = TOps.MultiplyAdd(ai, b0, c20); c21 = TOps.MultiplyAdd(ai, b1, c21);
                ai = TOps.Broadcast(Unsafe.Add(ref a, 3));
                c30 = TOps.MultiplyAdd(ai, b0, c30); c31 = TOps.MultiplyAdd(ai, b1, c31);
                ai = TOps.Broadcast(Unsafe.Add(ref a, 4));
                c40 = TOps.MultiplyAdd(ai, b0, c40); c41 = TOps.MultiplyAdd(ai, b1, c41);
                ai = TOps.Broadcast(Unsafe.Add(ref a, 5));
                c50 = TOps.MultiplyAdd(ai, b0, c50); c51 = TOps.MultiplyAdd(ai, b1, c51);
                a = ref Unsafe.Add(ref a, MR);
                b = ref Unsafe.Add(ref b, 2 * w);
            }
            StoreRow<TVector, TOps>(ref c, c00, c01, addToC);
            StoreRow<TVector, TOps>(ref Unsafe.Add(ref c, ldc), c10, c11, addToC);
            StoreRow<TVector, TOps>(ref Unsafe.Add(ref c, 2 * (nint)ldc), c20, c21, addToC);
            StoreRow<TVector, TOps>(ref Unsafe.Add(ref c, 3 * (nint)ldc), c30, c31, addToC);
            StoreRow<TVector, TOps>(ref Unsafe.Add(ref c, 4 * (nint)ldc), c40, c41, addToC);
            StoreRow<TVector, TOps>(ref Unsafe.Add(ref c, 5 * (nint)ldc), c50, c51, addToC);
        }

        /// <summary>One row of the tile: <c>row[0 .. 2w) (+)= (v0, v1)</c>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow<TVector, TOps>(ref T row, TVector v0, TVector v1, bool addToC)
            where TVector : struct
            where TOps : struct, IVectorOps<TVector>
        {
            if (addToC)
            {
                v0 = TOps.Add(v0, TOps.Load(ref row, 0));
                v1 = TOps.Add(v1, TOps.Load(ref row, TOps.Count));
            }
            TOps.Store(v0, ref row, 0);
            TOps.Store(v1, ref row, TOps.Count);
        }

        /// <summary>The vector operations the micro-kernel needs, for one vector type.</summary>
        private interface IVectorOps<TVector> where TVector : struct
        {
            static abstract nuint Count { get; }

            static abstract TVector Zero { get; }

            static abstract TVector Load(ref T source, nuint offset);

            static abstract void Store(TVector value, ref T destination, nuint offset);

            static abstract TVector Broadcast(T value);

            static abstract TVector Add(TVector x, TVector y);

            /// <summary><c>x · y + addend</c>, fused (one rounding) where the hardware has it.</summary>
            static abstract TVector MultiplyAdd(TVector x, TVector y, TVector addend);
        }

        private readonly struct Avx512Vectors : IVectorOps<Vector512<T>>
        {
            public static nuint Count => (nuint)Vector512<T>.Count;

            public static Vector512<T> Zero => Vector512<T>.Zero;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector512<T> Load(ref T source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static void Store(Vector512<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector512<T> Add(Vector512<T> x, Vector512<T> y) => x + y;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector512<T> MultiplyAdd(Vector512<T> x, Vector512<T> y, Vector512<T> addend)
            {
                if (typeof(T) == typeof(float))
                    return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), addend.AsSingle()).As<float, T>();
                return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), addend.AsDouble()).As<double, T>();
            }
        }

        private readonly struct FmaVectors : IVectorOps<Vector256<T>>
        {
            public static nuint Count => (nuint)Vector256<T>.Count;

            public static Vector256<T> Zero => Vector256<T>.Zero;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector256<T> Load(ref T source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static void Store(Vector256<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector256<T> Add(Vector256<T> x, Vector256<T> y) => x + y;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector256<T> MultiplyAdd(Vector256<T> x, Vector256<T> y, Vector256<T> addend)
            {
                if (typeof(T) == typeof(float))
                    return Fma.MultiplyAdd(x.AsSingle(), y.AsSingle(), addend.AsSingle()).As<float, T>();
                return Fma.MultiplyAdd(x.AsDouble(), y.AsDouble(), addend.AsDouble()).As<double, T>();
            }
        }

        /// <summary><see cref="Vector{T}"/> of any width, multiply then add (two roundings): for hardware without AVX2 and FMA.</summary>
        private readonly struct PortableVectors : IVectorOps<Vector<T>>
        {
            public static nuint Count => (nuint)Vector<T>.Count;

            public static Vector<T> Zero => Vector<T>.Zero;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector<T> Load(ref T source, nuint offset) => Vector.LoadUnsafe(ref source, offset);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static void Store(Vector<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector<T> Broadcast(T value) => new Vector<T>(value);

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector<T> Add(Vector<T> x, Vector<T> y) => x + y;

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector<T> MultiplyAdd(Vector<T> x, Vector<T> y, Vector<T> addend) => x * y + addend;
        }
    }
}
