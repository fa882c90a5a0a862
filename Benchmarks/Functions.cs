using System;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// The benchmarked functions. The generator writes <c>{Name}Gradient</c> and <c>{Name}Backward</c> for each one;
    /// <see cref="HandGradients"/> holds the hand-derived gradients they are compared with.
    /// </summary>
    public static partial class Functions
    {
        /// <summary>The Rosenbrock function, minimum 0 at (1, 1). 9 operations.</summary>
        [Differentiable]
        public static double Rosenbrock(double x, double y)
            => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);

        /// <summary>
        /// A two-unit neural cell: two tanh units of a 2-vector input, a bilinear mix, then the log-loss of a sigmoid
        /// output plus L2 weight decay. Six active inputs (weights, bias and input), about 28 operations.
        /// </summary>
        [Differentiable]
        public static double Neuron(double w0, double w1, double w2, double b, double x0, double x1)
        {
            double s1 = w0 * x0 + w1 * x1 + b;
            double s2 = w1 * x0 - w2 * x1;
            double h1 = Math.Tanh(s1);
            double h2 = Math.Tanh(s2);
            double z = h1 * h2 + 0.5 * h1 - 0.25 * h2 + w2;
            double p = 1 / (1 + Math.Exp(-z));
            return -Math.Log(p) + 0.01 * (w0 * w0 + w1 * w1 + w2 * w2);
        }

        /// <summary>
        /// The energy of a point on a spring in a tilted gravity field, with a drag-like term: polar coordinates of the
        /// position (Sqrt, Atan2), kinetic energy, spring energy, gravity (Cos), drag (Pow) modulated by the angle (Sin).
        /// Six active inputs, about 26 operations.
        /// </summary>
        [Differentiable]
        public static double Physics(double x, double y, double vx, double vy, double k, double theta)
        {
            double r = Math.Sqrt(x * x + y * y);
            double phi = Math.Atan2(y, x);
            double kinetic = 0.5 * (vx * vx + vy * vy);
            double spring = 0.5 * k * Math.Pow(r - 1.0, 2);
            double gravity = 9.81 * r * (1 - Math.Cos(phi - theta));
            double drag = 0.1 * Math.Pow(kinetic, 1.5);
            return kinetic + spring + gravity + drag * Math.Sin(phi);
        }
    }
}
