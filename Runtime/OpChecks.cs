using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Differentiable
{
    /// <summary>
    /// Argument checks shared by <see cref="Ops"/>. Each check is a compare and a branch; the throw lives in a separate
    /// method so the check inlines and the message is only formatted when it fails.
    /// </summary>
    internal static class OpChecks
    {
        /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/>, naming <paramref name="paramName"/>.</summary>
        public static void SameLength(int expected, int actual, string paramName)
        {
            if (actual != expected) ThrowLength(expected, actual, paramName);
        }

        /// <summary>Throws when the adjoint span <paramref name="paramName"/> is shorter than its primal.</summary>
        public static void Adjoint(int adjointLength, int primalLength, string paramName)
        {
            if (adjointLength < primalLength) ThrowAdjoint(adjointLength, primalLength, paramName);
        }

        /// <summary>
        /// Throws unless <paramref name="length"/> is a whole number of rows of <paramref name="rowLength"/> values, with
        /// <paramref name="rowLength"/> positive; names the parameter that holds the row length.
        /// </summary>
        public static void Rows(int length, int rowLength, string rowLengthName)
        {
            if (rowLength <= 0) ThrowNotPositive(rowLength, rowLengthName);
            if (length % rowLength != 0) ThrowNotMultiple(length, rowLength, rowLengthName);
        }

        [DoesNotReturn]
        private static void ThrowLength(int expected, int actual, string paramName) =>
            throw new ArgumentException(
                string.Format(CultureInfo.InvariantCulture, "Expected length {0}, got {1}.", expected, actual), paramName);

        [DoesNotReturn]
        private static void ThrowAdjoint(int adjointLength, int primalLength, string paramName) =>
            throw new ArgumentException(
                string.Format(CultureInfo.InvariantCulture,
                    "The adjoint span has length {0}, shorter than its primal ({1}).", adjointLength, primalLength),
                paramName);

        [DoesNotReturn]
        private static void ThrowNotPositive(int rowLength, string paramName) =>
            throw new ArgumentOutOfRangeException(paramName, rowLength, "The row length must be positive.");

        [DoesNotReturn]
        private static void ThrowNotMultiple(int length, int rowLength, string paramName) =>
            throw new ArgumentException(
                string.Format(CultureInfo.InvariantCulture,
                    "The data length {0} is not a multiple of the row length {1}.", length, rowLength),
                paramName);

        /// <summary>Throws an <see cref="ArgumentException"/> with <paramref name="message"/> naming <paramref name="paramName"/>.</summary>
        [DoesNotReturn]
        public static void Throw(string message, string paramName) => throw new ArgumentException(message, paramName);
    }
}
