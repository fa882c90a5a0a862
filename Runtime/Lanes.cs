using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Differentiable
{
    /// <summary>
    /// Vector loads and stores used by generated adjoints whose reverse loops run several iterations at once, one per
    /// lane of a <see cref="Vector{T}"/>: lane <c>k</c> holds element <c>index + k</c>. Every access is bounds-checked
    /// (the whole vector must fit), so a wrong index throws instead of touching memory outside the span.
    /// </summary>
    public static class Lanes
    {
        /// <summary>
        /// <see cref="Grad.Mul(double, double)"/> lane by lane: a lane whose adjoint is zero is zero, whatever its partial.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<double> Mul(Vector<double> adjoint, Vector<double> partial) =>
            Vector.ConditionalSelect(Vector.Equals(adjoint, Vector<double>.Zero), Vector<double>.Zero, adjoint * partial);

        /// <inheritdoc cref="Mul(Vector{double}, Vector{double})"/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Mul(Vector<float> adjoint, Vector<float> partial) =>
            Vector.ConditionalSelect(Vector.Equals(adjoint, Vector<float>.Zero), Vector<float>.Zero, adjoint * partial);

        /// <summary>
        /// <see cref="Grad.Div(double, double)"/> lane by lane: a lane whose adjoint is zero is zero, whatever its divisor.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<double> Div(Vector<double> adjoint, Vector<double> divisor) =>
            Vector.ConditionalSelect(Vector.Equals(adjoint, Vector<double>.Zero), Vector<double>.Zero, adjoint / divisor);

        /// <inheritdoc cref="Div(Vector{double}, Vector{double})"/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Div(Vector<float> adjoint, Vector<float> divisor) =>
            Vector.ConditionalSelect(Vector.Equals(adjoint, Vector<float>.Zero), Vector<float>.Zero, adjoint / divisor);

        /// <summary>Elements <c>index</c> to <c>index + Vector&lt;double&gt;.Count - 1</c> of <paramref name="values"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<double> Load(ReadOnlySpan<double> values, int index) => new Vector<double>(values.Slice(index));

        /// <inheritdoc cref="Load(ReadOnlySpan{double}, int)"/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Load(ReadOnlySpan<float> values, int index) => new Vector<float>(values.Slice(index));

        /// <summary>Adds each lane of <paramref name="lanes"/> to its element of <paramref name="values"/>, from <paramref name="index"/> on.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Add(Span<double> values, int index, Vector<double> lanes)
        {
            Span<double> target = values.Slice(index);
            (new Vector<double>(target) + lanes).CopyTo(target);
        }

        /// <inheritdoc cref="Add(Span{double}, int, Vector{double})"/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Add(Span<float> values, int index, Vector<float> lanes)
        {
            Span<float> target = values.Slice(index);
            (new Vector<float>(target) + lanes).CopyTo(target);
        }

        /// <summary>Writes each lane of <paramref name="lanes"/> to its element of <paramref name="values"/>, from <paramref name="index"/> on.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Span<double> values, int index, Vector<double> lanes) => lanes.CopyTo(values.Slice(index));

        /// <inheritdoc cref="Store(Span{double}, int, Vector{double})"/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Span<float> values, int index, Vector<float> lanes) => lanes.CopyTo(values.Slice(index));
    }
}
