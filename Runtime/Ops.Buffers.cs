using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Differentiable
{
    // Buffer operations with derivatives. The generator lowers span.CopyTo(destination), span.Clear() and
    // span.Fill(value) in [Differentiable] code to these, so their adjoints come from the rules below.
    public static partial class Ops
    {
        /// <summary>Copies <paramref name="source"/> into the start of <paramref name="destination"/> (<c>source.CopyTo(destination)</c>).</summary>
        /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
        public static void Copy(ReadOnlySpan<float> source, Span<float> destination) => CopyCore(source, destination);

        /// <inheritdoc cref="Copy(ReadOnlySpan{float}, Span{float})"/>
        public static void Copy(ReadOnlySpan<double> source, Span<double> destination) => CopyCore(source, destination);

        /// <summary>
        /// The adjoint of <see cref="Copy(ReadOnlySpan{float}, Span{float})"/>: <c>dSource += dDestination[..n]</c>, then
        /// <c>dDestination[..n]</c> is cleared (those elements were overwritten) and the copy is made again;
        /// n = <c>source.Length</c>. The rest of <paramref name="dDestination"/> is left as it is.
        /// </summary>
        /// <exception cref="ArgumentException">A span is too short (before any work).</exception>
        [DerivativeOf(typeof(Ops), nameof(Copy))]
        public static void CopyBackward(ReadOnlySpan<float> source, Span<float> destination, Span<float> dSource, Span<float> dDestination) =>
            CopyBackwardCore(source, destination, dSource, dDestination);

        /// <inheritdoc cref="CopyBackward(ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(Copy))]
        public static void CopyBackward(ReadOnlySpan<double> source, Span<double> destination, Span<double> dSource, Span<double> dDestination) =>
            CopyBackwardCore(source, destination, dSource, dDestination);

        /// <summary>
        /// <see cref="CopyBackward(ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/> for a constant source (an
        /// input batch copied into a layer buffer): <c>dDestination[..n]</c> is cleared and the copy made again.
        /// </summary>
        public static void CopyBackwardConstantSource(ReadOnlySpan<float> source, Span<float> destination, Span<float> dDestination) =>
            CopyBackwardConstantSourceCore(source, destination, dDestination);

        /// <inheritdoc cref="CopyBackwardConstantSource(ReadOnlySpan{float}, Span{float}, Span{float})"/>
        public static void CopyBackwardConstantSource(ReadOnlySpan<double> source, Span<double> destination, Span<double> dDestination) =>
            CopyBackwardConstantSourceCore(source, destination, dDestination);

        /// <summary>Sets every element of <paramref name="x"/> to zero (<c>x.Clear()</c>).</summary>
        public static void Clear(Span<float> x) => x.Clear();

        /// <inheritdoc cref="Clear(Span{float})"/>
        public static void Clear(Span<double> x) => x.Clear();

        /// <summary>The adjoint of <see cref="Clear(Span{float})"/>: the old contents do not reach the result, so <paramref name="dX"/> is cleared; x is cleared again.</summary>
        /// <exception cref="ArgumentException"><paramref name="dX"/> is shorter than <paramref name="x"/>.</exception>
        [DerivativeOf(typeof(Ops), nameof(Clear))]
        public static void ClearBackward(Span<float> x, Span<float> dX) => ClearBackwardCore(x, dX);

        /// <inheritdoc cref="ClearBackward(Span{float}, Span{float})"/>
        [DerivativeOf(typeof(Ops), nameof(Clear))]
        public static void ClearBackward(Span<double> x, Span<double> dX) => ClearBackwardCore(x, dX);

        /// <summary>Sets every element of <paramref name="x"/> to <paramref name="value"/> (<c>x.Fill(value)</c>).</summary>
        public static void Fill(Span<float> x, float value) => x.Fill(value);

        /// <inheritdoc cref="Fill(Span{float}, float)"/>
        public static void Fill(Span<double> x, double value) => x.Fill(value);

        /// <summary>
        /// The adjoint of <see cref="Fill(Span{float}, float)"/>: <c>dValue += Σ dX</c>, then <paramref name="dX"/> is
        /// cleared (the old contents were overwritten) and x is filled again.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="dX"/> is shorter than <paramref name="x"/>.</exception>
        [DerivativeOf(typeof(Ops), nameof(Fill))]
        public static void FillBackward(Span<float> x, float value, Span<float> dX, ref float dValue) => FillBackwardCore(x, value, dX, ref dValue);

        /// <inheritdoc cref="FillBackward(Span{float}, float, Span{float}, ref float)"/>
        [DerivativeOf(typeof(Ops), nameof(Fill))]
        public static void FillBackward(Span<double> x, double value, Span<double> dX, ref double dValue) => FillBackwardCore(x, value, dX, ref dValue);

        private static void CopyCore<T>(ReadOnlySpan<T> source, Span<T> destination)
        {
            if (destination.Length < source.Length) OpChecks.Throw($"destination holds {destination.Length} elements; source holds {source.Length}.", nameof(destination));
            source.CopyTo(destination);
        }

        private static void CopyBackwardCore<T>(ReadOnlySpan<T> source, Span<T> destination, Span<T> dSource, Span<T> dDestination)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (destination.Length < source.Length) OpChecks.Throw($"destination holds {destination.Length} elements; source holds {source.Length}.", nameof(destination));
            OpChecks.Adjoint(dSource.Length, source.Length, nameof(dSource));
            OpChecks.Adjoint(dDestination.Length, destination.Length, nameof(dDestination));
            int n = source.Length;
            TensorPrimitives.Add(dSource.Slice(0, n), dDestination.Slice(0, n), dSource.Slice(0, n));
            dDestination.Slice(0, n).Clear();
            source.CopyTo(destination);
        }

        private static void CopyBackwardConstantSourceCore<T>(ReadOnlySpan<T> source, Span<T> destination, Span<T> dDestination) where T : unmanaged
        {
            if (destination.Length < source.Length) OpChecks.Throw($"destination holds {destination.Length} elements; source holds {source.Length}.", nameof(destination));
            OpChecks.Adjoint(dDestination.Length, destination.Length, nameof(dDestination));
            dDestination.Slice(0, source.Length).Clear();
            source.CopyTo(destination);
        }

        private static void ClearBackwardCore<T>(Span<T> x, Span<T> dX) where T : unmanaged
        {
            OpChecks.Adjoint(dX.Length, x.Length, nameof(dX));
            dX.Slice(0, x.Length).Clear();
            x.Clear();
        }

        private static void FillBackwardCore<T>(Span<T> x, T value, Span<T> dX, ref T dValue)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            OpChecks.Adjoint(dX.Length, x.Length, nameof(dX));
            dValue += TensorPrimitives.Sum<T>(dX.Slice(0, x.Length));
            dX.Slice(0, x.Length).Clear();
            x.Fill(value);
        }
    }
}
