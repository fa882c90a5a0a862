using System;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// Hand-derived gradients of <see cref="Functions"/>, written the way a careful engineer would: each shared
    /// subexpression computed once, each transcendental evaluated once, cheap identities used for derivatives
    /// (<c>d/dK K^1.5 = 1.5 √K</c>, <c>d/dz -log σ(z) = σ(z) - 1</c>). The primal value is computed exactly as in
    /// <see cref="Functions"/>, so the values agree to the last bit and the gradients to rounding.
    /// </summary>
    public static class HandGradients
    {
        /// <summary>Value and gradient of <see cref="Functions.Rosenbrock"/>.</summary>
        public static double Rosenbrock(double x, double y, out double dX, out double dY)
        {
            double a = 1 - x;
            double b = y - x * x;
            double hb = 100 * b;
            dX = -2 * a - 4 * hb * x;
            dY = 2 * hb;
            return a * a + hb * b;
        }

        /// <summary>Value and gradient of <see cref="Functions.Neuron"/>.</summary>
        public static double Neuron(double w0, double w1, double w2, double b, double x0, double x1,
            out double dW0, out double dW1, out double dW2, out double dB, out double dX0, out double dX1)
        {
            double h1 = Math.Tanh(w0 * x0 + w1 * x1 + b);
            double h2 = Math.Tanh(w1 * x0 - w2 * x1);
            double z = h1 * h2 + 0.5 * h1 - 0.25 * h2 + w2;
            double p = 1 / (1 + Math.Exp(-z));
            double dz = p - 1;                          // d/dz of -log σ(z)
            double ds1 = dz * (h2 + 0.5) * (1 - h1 * h1);
            double ds2 = dz * (h1 - 0.25) * (1 - h2 * h2);
            dW0 = ds1 * x0 + 0.02 * w0;
            dW1 = ds1 * x1 + ds2 * x0 + 0.02 * w1;
            dW2 = dz - ds2 * x1 + 0.02 * w2;
            dB = ds1;
            dX0 = ds1 * w0 + ds2 * w1;
            dX1 = ds1 * w1 - ds2 * w2;
            return -Math.Log(p) + 0.01 * (w0 * w0 + w1 * w1 + w2 * w2);
        }

        /// <summary>Value and gradient of <see cref="Functions.Physics"/>.</summary>
        public static double Physics(double x, double y, double vx, double vy, double k, double theta,
            out double dX, out double dY, out double dVx, out double dVy, out double dK, out double dTheta)
        {
            double r = Math.Sqrt(x * x + y * y);
            double phi = Math.Atan2(y, x);
            double kinetic = 0.5 * (vx * vx + vy * vy);
            double rm1 = r - 1.0;
            (double sinD, double cosD) = Math.SinCos(phi - theta);
            (double sinPhi, double cosPhi) = Math.SinCos(phi);
            double oneMinusCos = 1 - cosD;
            double pow = Math.Pow(kinetic, 1.5);
            double drag = 0.1 * pow;

            double gr = 9.81 * r;
            double dKinetic = 1 + 0.15 * Math.Sqrt(kinetic) * sinPhi;   // d/dK (K + 0.1 K^1.5 sin φ)
            double dR = k * rm1 + 9.81 * oneMinusCos;
            double gSin = gr * sinD;
            double dPhi = gSin + drag * cosPhi;
            double invR2 = 1 / (r * r);
            double dRr = dR / r;
            dX = dRr * x - dPhi * y * invR2;
            dY = dRr * y + dPhi * x * invR2;
            dVx = dKinetic * vx;
            dVy = dKinetic * vy;
            dK = 0.5 * rm1 * rm1;
            dTheta = -gSin;
            return kinetic + 0.5 * k * Math.Pow(rm1, 2) + gr * oneMinusCos + drag * sinPhi;
        }
    }
}
