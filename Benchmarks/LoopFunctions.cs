using System;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// The loop kernels of <see cref="LoopGradientBenchmarks"/>. The generator writes <c>{Name}Gradient</c> and
    /// <c>{Name}Backward</c> for each one (DESIGN.md, calling convention); <see cref="LoopHandGradients"/> holds the
    /// hand-written gradients they are compared with.
    /// </summary>
    public static partial class LoopFunctions
    {
        /// <summary>
        /// Squared error of a tanh unit: <c>(tanh(Σ w[i]·x[i]) − target)²</c>, active in <paramref name="w"/>.
        /// The loop's reverse needs nothing stored (EXAMPLES.md 2). Generated:
        /// <c>double DotLossGradient(ReadOnlySpan&lt;double&gt; w, ReadOnlySpan&lt;double&gt; x, double target, Span&lt;double&gt; dW)</c>.
        /// </summary>
        [Differentiable]
        public static double DotLoss(ReadOnlySpan<double> w, [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target)
        {
            double s = 0;
            for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
            double e = Math.Tanh(s) - target;
            return e * e;
        }

        /// <summary>
        /// <c>log Σ exp(x[i])</c>, shifted by the maximum for range. The maximum is a constant for the derivative
        /// (<see cref="Grad.Stop(double)"/>): the shift cancels mathematically, so the gradient is softmax(x) either way,
        /// and stopping it leaves the max loop without a reverse. Generated:
        /// <c>double LogSumExpGradient(ReadOnlySpan&lt;double&gt; x, Span&lt;double&gt; dX)</c>.
        /// </summary>
        [Differentiable]
        public static double LogSumExp(ReadOnlySpan<double> x)
        {
            double m = double.NegativeInfinity;
            for (int i = 0; i < x.Length; i++) m = Math.Max(m, x[i]);
            double shift = Grad.Stop(m);
            double s = 0;
            for (int i = 0; i < x.Length; i++) s += Math.Exp(x[i] - shift);
            return shift + Math.Log(s);
        }

        /// <summary>
        /// The polynomial <c>Σ c[i]·x^i</c> by Horner's rule, active in <paramref name="c"/> and <paramref name="x"/>.
        /// The accumulator is overwritten and its reverse needs each old value (EXAMPLES.md 3). Generated:
        /// <c>double HornerGradient(ReadOnlySpan&lt;double&gt; c, double x, Span&lt;double&gt; dC, out double dX)</c>.
        /// </summary>
        [Differentiable]
        public static double Horner(ReadOnlySpan<double> c, double x)
        {
            double p = 0;
            for (int i = c.Length - 1; i >= 0; i--) p = p * x + c[i];
            return p;
        }

        /// <summary>
        /// Explicit Euler for <c>x' = a − x²</c> on t ∈ [0, 1] in <paramref name="steps"/> steps (h = 1/steps) from
        /// <paramref name="x0"/>: the iterate contracts towards √a and stays bounded for x0, a &gt; 0 and steps ≥ 2, and
        /// the derivatives stay of order one whatever the step count (no underflow). Each step overwrites x and its
        /// reverse needs the old value (EXAMPLES.md 5, with a trip count known on entry). Generated:
        /// <c>double RecurrenceGradient(double x0, double a, int steps, out double dX0, out double dA)</c>.
        /// </summary>
        [Differentiable]
        public static double Recurrence(double x0, double a, int steps)
        {
            double h = 1.0 / steps;
            double x = x0;
            for (int k = 0; k < steps; k++) x += h * (a - x * x);
            return x;
        }
    }
}
