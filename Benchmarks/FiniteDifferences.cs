using System;
using System.Runtime.CompilerServices;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// Central finite differences of <see cref="Functions"/>: two primal evaluations per input, step
    /// <c>h = ∛ε · max(1, |v|)</c>, divided by the step actually taken (<c>(v + h) - (v - h)</c>). Written out per
    /// function, with no delegate, so the benchmark measures the evaluations and not an indirect call.
    /// </summary>
    public static class FiniteDifferences
    {
        private const double RelativeStep = 6.0555e-6; // ∛(2⁻⁵²)

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static double Step(double v) => RelativeStep * Math.Max(1.0, Math.Abs(v));

        /// <summary>The gradient of <see cref="Functions.Rosenbrock"/> by central differences (4 evaluations).</summary>
        public static void Rosenbrock(double x, double y, out double dX, out double dY)
        {
            double h = Step(x), p = x + h, m = x - h;
            dX = (Functions.Rosenbrock(p, y) - Functions.Rosenbrock(m, y)) / (p - m);
            h = Step(y); p = y + h; m = y - h;
            dY = (Functions.Rosenbrock(x, p) - Functions.Rosenbrock(x, m)) / (p - m);
        }

        /// <summary>The gradient of <see cref="Functions.Neuron"/> by central differences (12 evaluations).</summary>
        public static void Neuron(double w0, double w1, double w2, double b, double x0, double x1,
            out double dW0, out double dW1, out double dW2, out double dB, out double dX0, out double dX1)
        {
            double h = Step(w0), p = w0 + h, m = w0 - h;
            dW0 = (Functions.Neuron(p, w1, w2, b, x0, x1) - Functions.Neuron(m, w1, w2, b, x0, x1)) / (p - m);
            h = Step(w1); p = w1 + h; m = w1 - h;
            dW1 = (Functions.Neuron(w0, p, w2, b, x0, x1) - Functions.Neuron(w0, m, w2, b, x0, x1)) / (p - m);
            h = Step(w2); p = w2 + h; m = w2 - h;
            dW2 = (Functions.Neuron(w0, w1, p, b, x0, x1) - Functions.Neuron(w0, w1, m, b, x0, x1)) / (p - m);
            h = Step(b); p = b + h; m = b - h;
            dB = (Functions.Neuron(w0, w1, w2, p, x0, x1) - Functions.Neuron(w0, w1, w2, m, x0, x1)) / (p - m);
            h = Step(x0); p = x0 + h; m = x0 - h;
            dX0 = (Functions.Neuron(w0, w1, w2, b, p, x1) - Functions.Neuron(w0, w1, w2, b, m, x1)) / (p - m);
            h = Step(x1); p = x1 + h; m = x1 - h;
            dX1 = (Functions.Neuron(w0, w1, w2, b, x0, p) - Functions.Neuron(w0, w1, w2, b, x0, m)) / (p - m);
        }

        /// <summary>The gradient of <see cref="Functions.Physics"/> by central differences (12 evaluations).</summary>
        public static void Physics(double x, double y, double vx, double vy, double k, double theta,
            out double dX, out double dY, out double dVx, out double dVy, out double dK, out double dTheta)
        {
            double h = Step(x), p = x + h, m = x - h;
            dX = (Functions.Physics(p, y, vx, vy, k, theta) - Functions.Physics(m, y, vx, vy, k, theta)) / (p - m);
            h = Step(y); p = y + h; m = y - h;
            dY = (Functions.Physics(x, p, vx, vy, k, theta) - Functions.Physics(x, m, vx, vy, k, theta)) / (p - m);
            h = Step(vx); p = vx + h; m = vx - h;
            dVx = (Functions.Physics(x, y, p, vy, k, theta) - Functions.Physics(x, y, m, vy, k, theta)) / (p - m);
            h = Step(vy); p = vy + h; m = vy - h;
            dVy = (Functions.Physics(x, y, vx, p, k, theta) - Functions.Physics(x, y, vx, m, k, theta)) / (p - m);
            h = Step(k); p = k + h; m = k - h;
            dK = (Functions.Physics(x, y, vx, vy, p, theta) - Functions.Physics(x, y, vx, vy, m, theta)) / (p - m);
            h = Step(theta); p = theta + h; m = theta - h;
            dTheta = (Functions.Physics(x, y, vx, vy, k, p) - Functions.Physics(x, y, vx, vy, k, m)) / (p - m);
        }
    }
}
