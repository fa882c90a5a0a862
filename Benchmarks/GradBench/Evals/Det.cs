using System;
using System.Numerics;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>
    /// GradBench's <c>det</c> (from cmpad): the determinant of an ℓ×ℓ matrix (row-major) by cofactor expansion along
    /// the first row of each minor, recursively, with alternating signs. <c>gradient</c> is the gradient in A (the
    /// cofactor matrix), differentiated through the recursion.
    /// <para>
    /// cmpad describes the minor by two linked lists over its rows and columns, unlinked before each recursive call
    /// and linked back after; here the minor is the set of its rows and the set of its columns as bit masks (ℓ ≤ 31),
    /// the same expansion in the same order. The linked lists would be <c>Span&lt;int&gt;</c> buffers written by the
    /// recursive call, and the generator rejects a call to a [Differentiable] method that may write a constant
    /// buffer while another argument is active (DIFF0017), even when the buffer holds integers.
    /// </para>
    /// </summary>
    public static partial class Det
    {
        /// <summary>The determinant of the m×m minor of the n×n matrix <paramref name="a"/> on the given rows and columns.</summary>
        [Differentiable]
        public static double Minor(ReadOnlySpan<double> a, int n, int m, int rows, int columns)
        {
            int row = BitOperations.TrailingZeroCount(rows);
            if (m == 1) return a[row * n + BitOperations.TrailingZeroCount(columns)];

            int subRows = rows & ~(1 << row);
            double det = 0;
            int sign = 1;
            for (int column = 0; column < n; column++)
            {
                if ((columns & (1 << column)) == 0) continue;
                double sub = Minor(a, n, m - 1, subRows, columns & ~(1 << column));
                det += sign * a[row * n + column] * sub;
                sign = -sign;
            }
            return det;
        }

        [Differentiable]
        public static double Determinant(ReadOnlySpan<double> a, int ell)
        {
            int all = (1 << ell) - 1;
            return Minor(a, ell, ell, all, all);
        }

        public static Evaluation Prepare(string function, JsonElement input)
        {
            double[] a = Json.Doubles(input.GetProperty("A"));
            int ell = input.GetProperty("ell").GetInt32();
            return function switch
            {
                "primal" => new ScalarEvaluation(() => Determinant(a, ell)),
                "gradient" => new VectorEvaluation(a.Length, g => DeterminantGradient(a, ell, g)),
                _ => throw Modules.UnknownFunction("det", function),
            };
        }
    }
}
