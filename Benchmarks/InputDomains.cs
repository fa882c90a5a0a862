using System;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// Where the benchmarks and the consistency checks draw their inputs: generic points of each function, away from
    /// every kink and branch cut, so finite differences are meaningful there too.
    /// </summary>
    public static class InputDomains
    {
        /// <summary>The number of inputs of each function.</summary>
        public const int RosenbrockArity = 2, NeuronArity = 6, PhysicsArity = 6;

        /// <summary>x in [-2, 2], y in [-1, 3].</summary>
        public static void Rosenbrock(Random r, Span<double> p)
        {
            p[0] = Uniform(r, -2, 2);
            p[1] = Uniform(r, -1, 3);
        }

        /// <summary>Every input in [-1.5, 1.5].</summary>
        public static void Neuron(Random r, Span<double> p)
        {
            for (int i = 0; i < NeuronArity; i++) p[i] = Uniform(r, -1.5, 1.5);
        }

        /// <summary>|y| ≥ 0.1 (away from Atan2's branch cut and from r = 0), |vx| ≥ 0.1 (kinetic energy &gt; 0), k in [0.5, 5], θ in [-π, π].</summary>
        public static void Physics(Random r, Span<double> p)
        {
            p[0] = Uniform(r, -2, 2);
            p[1] = AwayFromZero(r, 0.1, 2);
            p[2] = AwayFromZero(r, 0.1, 2);
            p[3] = Uniform(r, -2, 2);
            p[4] = Uniform(r, 0.5, 5);
            p[5] = Uniform(r, -Math.PI, Math.PI);
        }

        /// <summary><paramref name="count"/> points of <paramref name="arity"/> coordinates each, stored one after the other.</summary>
        public static double[] Points(int count, int arity, Action<Random, double[]> sample, int seed)
        {
            var random = new Random(seed);
            var all = new double[count * arity];
            var p = new double[arity];
            for (int i = 0; i < count; i++)
            {
                sample(random, p);
                p.CopyTo(all, i * arity);
            }
            return all;
        }

        private static double Uniform(Random r, double lo, double hi) => lo + (hi - lo) * r.NextDouble();

        private static double AwayFromZero(Random r, double lo, double hi) => (r.Next(2) == 0 ? -1 : 1) * Uniform(r, lo, hi);
    }
}
