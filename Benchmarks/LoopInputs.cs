using System;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// Deterministic inputs of the loop kernels (a fixed-seed <see cref="Random"/> per kernel and size), scaled so that
    /// every size N exercises the same regime: no saturated tanh, no overflowing or underflowing terms, and no
    /// subnormal adjoints (which would time the CPU's microcode assists instead of the code). The benchmarks and
    /// <see cref="LoopConsistency"/> draw from here, so the checks cover the exact inputs that are timed.
    /// </summary>
    public static class LoopInputs
    {
        /// <summary>The seed of the benchmarked inputs; <see cref="LoopConsistency"/> also checks other seeds.</summary>
        public const int BenchmarkSeed = 20261124;

        /// <summary>
        /// w[i] uniform in [-1, 1], x[i] uniform in [-1, 1]·√(3/n) (so Σ w·x has standard deviation about 0.58 at any n,
        /// and tanh is not saturated), target uniform in [-0.5, 0.5].
        /// </summary>
        public static void DotLoss(int n, int seed, out double[] w, out double[] x, out double target)
        {
            var r = new Random(seed);
            w = new double[n];
            x = new double[n];
            double scale = Math.Sqrt(3.0 / Math.Max(n, 1));
            for (int i = 0; i < n; i++)
            {
                w[i] = Uniform(r, -1, 1);
                x[i] = scale * Uniform(r, -1, 1);
            }
            target = Uniform(r, -0.5, 0.5);
        }

        /// <summary>x[i] uniform in [-10, 10]: the shifted exponentials lie in [e⁻²⁰, 1], the softmax spans 8 decades.</summary>
        public static double[] LogSumExp(int n, int seed)
        {
            var r = new Random(seed);
            var x = new double[n];
            for (int i = 0; i < n; i++) x[i] = Uniform(r, -10, 10);
            return x;
        }

        /// <summary>
        /// c[i] uniform in [-1, 1] and x = 1 − u/n with u uniform in [1.5, 2.5]: |x| &lt; 1 and x^n ≈ e^-u, so at every n
        /// all coefficients matter, the polynomial stays finite and its adjoints (dC[i] = x^i) stay normal numbers.
        /// (A fixed x = 0.999 would underflow x^i through the subnormals for n = 1,000,000.)
        /// </summary>
        public static void Horner(int n, int seed, out double[] c, out double x)
        {
            var r = new Random(seed);
            c = new double[n];
            for (int i = 0; i < n; i++) c[i] = Uniform(r, -1, 1);
            x = 1 - Uniform(r, 1.5, 2.5) / Math.Max(n, 3);
        }

        /// <summary>x0 uniform in [0.5, 1.5], a uniform in [0.5, 2]: the iterate stays in [0.5, 1.5] and approaches √a.</summary>
        public static void Recurrence(int seed, out double x0, out double a)
        {
            var r = new Random(seed);
            x0 = Uniform(r, 0.5, 1.5);
            a = Uniform(r, 0.5, 2);
        }

        private static double Uniform(Random r, double lo, double hi) => lo + (hi - lo) * r.NextDouble();
    }
}
