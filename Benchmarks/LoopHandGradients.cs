using System;
using System.Buffers;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// Hand-written gradients of <see cref="LoopFunctions"/>, with the signatures of the generated <c>{Name}Gradient</c>
    /// (value returned, adjoints overwritten). Written the way a careful engineer writes reverse mode by hand
    /// (EXAMPLES.md 2, 3 and 5): the primal loop as in <see cref="LoopFunctions"/>, so the value agrees with the primal
    /// to the last bit, then one reverse loop that reads back what it needs. Plain scalar C#: no <c>Vector&lt;T&gt;</c>,
    /// no unsafe code, no reassociated sums, the same argument check on the adjoint spans as the generated code.
    /// Where a hand writer can store less than the generator will, it does, so this is the bar to reach:
    /// <list type="bullet">
    /// <item><see cref="LogSumExp"/> keeps each <c>exp</c> in the adjoint span (N exponentials, not 2N).</item>
    /// <item><see cref="Horner"/> keeps each old accumulator in <c>dC</c> until the reverse loop replaces it by the
    /// adjoint: no stack at all.</item>
    /// <item><see cref="Recurrence"/> keeps the step's partial <c>1 − 2h·x</c> (not x) in a buffer from
    /// <see cref="ArrayPool{T}.Shared"/>, and multiplies by h once at the end.</item>
    /// </list>
    /// Not used: forward-mode rewrites that store nothing (Horner's derivative by a second Horner recurrence, the
    /// recurrence's two tangents carried along). They are faster still at large N, but they are a different algorithm,
    /// not reverse mode written well.
    /// </summary>
    public static class LoopHandGradients
    {
        /// <summary>Value and gradient (w.r.t. <paramref name="w"/>) of <see cref="LoopFunctions.DotLoss"/>.</summary>
        public static double DotLoss(ReadOnlySpan<double> w, ReadOnlySpan<double> x, double target, Span<double> dW)
        {
            if (dW.Length < w.Length) throw new ArgumentException("The adjoint span is shorter than w.", nameof(dW));
            int n = w.Length;
            double s = 0;
            for (int i = 0; i < n; i++) s += w[i] * x[i];
            double t = Math.Tanh(s);
            double e = t - target;

            // d/ds (tanh(s) - target)² = 2e · (1 - tanh²(s))
            double dS = 2 * e * (1 - t * t);
            // s += w[i] * x[i]: independent iterations, written in memory order
            dW = dW.Slice(0, n);
            for (int i = 0; i < dW.Length; i++) dW[i] = x[i] * dS;
            return e * e;
        }

        /// <summary>Value and gradient (softmax) of <see cref="LoopFunctions.LogSumExp"/>.</summary>
        public static double LogSumExp(ReadOnlySpan<double> x, Span<double> dX)
        {
            if (dX.Length < x.Length) throw new ArgumentException("The adjoint span is shorter than x.", nameof(dX));
            dX = dX.Slice(0, x.Length);
            double m = double.NegativeInfinity;
            for (int i = 0; i < x.Length; i++) m = Math.Max(m, x[i]);
            double s = 0;
            for (int i = 0; i < dX.Length; i++)
            {
                double e = Math.Exp(x[i] - m);
                dX[i] = e;
                s += e;
            }

            // return m + log(s), m constant: d/dx[i] = exp(x[i] - m) / s
            double r = 1 / s;
            for (int i = 0; i < dX.Length; i++) dX[i] *= r;
            return m + Math.Log(s);
        }

        /// <summary>Value and gradient (w.r.t. <paramref name="c"/> and <paramref name="x"/>) of <see cref="LoopFunctions.Horner"/>.</summary>
        public static double Horner(ReadOnlySpan<double> c, double x, Span<double> dC, out double dX)
        {
            if (dC.Length < c.Length) throw new ArgumentException("The adjoint span is shorter than c.", nameof(dC));
            dC = dC.Slice(0, c.Length);
            double p = 0;
            for (int i = dC.Length - 1; i >= 0; i--)
            {
                dC[i] = p; // the p that step i multiplies by x, until the reverse loop needs it
                p = p * x + c[i];
            }

            // p = p * x + c[i], run back (i goes up): dC[i] = dP, dX += pOld · dP, dP *= x
            double dP = 1;
            double dx = 0;
            for (int i = 0; i < dC.Length; i++)
            {
                dx += dC[i] * dP;
                dC[i] = dP;
                dP *= x;
            }
            dX = dx;
            return p;
        }

        /// <summary>Value and gradient (w.r.t. <paramref name="x0"/> and <paramref name="a"/>) of <see cref="LoopFunctions.Recurrence"/>.</summary>
        public static double Recurrence(double x0, double a, int steps, out double dX0, out double dA)
        {
            double h = 1.0 / steps;
            double twoH = 2 * h;
            int n = Math.Max(steps, 0);
            double[] rented = ArrayPool<double>.Shared.Rent(n);
            try
            {
                Span<double> partial = rented.AsSpan(0, n);
                double x = x0;
                for (int k = 0; k < partial.Length; k++)
                {
                    partial[k] = 1 - twoH * x; // ∂x_{k+1}/∂x_k
                    x += h * (a - x * x);
                }

                // x += h * (a - x * x), run back: dA += h · dx, dx *= 1 - 2h·x_old
                double dx = 1;
                double sum = 0;
                for (int k = partial.Length - 1; k >= 0; k--)
                {
                    sum += dx;
                    dx *= partial[k];
                }
                dX0 = dx;
                dA = n > 0 ? h * sum : 0; // no steps: x = x0, and h = 1/0 must not turn 0 into NaN
                return x;
            }
            finally
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        }
    }
}
