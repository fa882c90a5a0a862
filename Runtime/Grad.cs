using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Differentiable
{
    /// <summary>Helpers used inside differentiable code and by the generated adjoints.</summary>
    public static class Grad
    {
        /// <summary>Identity on the value, zero derivative: cuts gradient flow through <paramref name="x"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static double Stop(double x) => x;

        /// <summary>Identity on the value, zero derivative: cuts gradient flow through <paramref name="x"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Stop(float x) => x;

        /// <summary>
        /// Checked multiply used by generated adjoints (Enzyme's convention): a zero adjoint times any
        /// partial derivative, even an infinite or NaN one, is zero. An inactive path cannot poison a gradient.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static double Mul(double adjoint, double partial) => adjoint == 0.0 ? 0.0 : adjoint * partial;

        /// <inheritdoc cref="Mul(double, double)"/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Mul(float adjoint, float partial) => adjoint == 0f ? 0f : adjoint * partial;

        /// <summary>
        /// Checked divide used by generated adjoints of a division: a zero adjoint divided by anything, zero included,
        /// is zero.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static double Div(double adjoint, double divisor) => adjoint == 0.0 ? 0.0 : adjoint / divisor;

        /// <inheritdoc cref="Div(double, double)"/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Div(float adjoint, float divisor) => adjoint == 0f ? 0f : adjoint / divisor;

        /// <summary>
        /// True when every element is finite (no infinity, no NaN); true for an empty span. Generated adjoints test a
        /// read-only input once per call with it: while its elements are finite, a checked multiply by one of them
        /// (<see cref="Mul(double, double)"/>) equals the plain product (up to the sign of a zero), and loops that multiply by them run plain.
        /// </summary>
        public static bool AllFinite(ReadOnlySpan<double> values) => TensorPrimitives.IsFiniteAll(values);

        /// <inheritdoc cref="AllFinite(ReadOnlySpan{double})"/>
        public static bool AllFinite(ReadOnlySpan<float> values) => TensorPrimitives.IsFiniteAll(values);
    }
}
