using System;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>
    /// GradBench's <c>ode</c> (from cmpad): the system <c>y₀' = x₀</c>, <c>yᵢ' = xᵢ·yᵢ₋₁</c> with y(0) = 0, integrated
    /// to t = 2 by s steps of the classical fourth-order Runge-Kutta method. <c>primal</c> is y(2); <c>gradient</c> is
    /// the gradient of its last element in x, differentiated through the integrator's time loop.
    /// </summary>
    public static partial class Ode
    {
        /// <summary>The right-hand side: <c>z = f(x, y)</c>.</summary>
        [Differentiable]
        public static void Derivative(ReadOnlySpan<double> x, ReadOnlySpan<double> y, Span<double> z)
        {
            z[0] = x[0];
            for (int i = 1; i < x.Length; i++) z[i] = x[i] * y[i - 1];
        }

        /// <summary>y(2), into <paramref name="y"/>, from s Runge-Kutta steps.</summary>
        [Differentiable]
        public static void Integrate(ReadOnlySpan<double> x, int s, Span<double> y)
        {
            int n = x.Length;
            double h = 2.0 / s;
            Span<double> k1 = new double[n];
            Span<double> k2 = new double[n];
            Span<double> k3 = new double[n];
            Span<double> k4 = new double[n];
            Span<double> next = new double[n];
            for (int i = 0; i < n; i++) y[i] = 0;
            for (int step = 0; step < s; step++)
            {
                Derivative(x, y, k1);
                for (int i = 0; i < n; i++) next[i] = y[i] + h * k1[i] / 2;
                Derivative(x, next, k2);
                for (int i = 0; i < n; i++) next[i] = y[i] + h * k2[i] / 2;
                Derivative(x, next, k3);
                for (int i = 0; i < n; i++) next[i] = y[i] + h * k3[i];
                Derivative(x, next, k4);
                for (int i = 0; i < n; i++) y[i] += h * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) / 6;
            }
        }

        /// <summary>The gradient of y(2)'s last element in x: one reverse sweep seeded 1 in that element.</summary>
        public static void Gradient(ReadOnlySpan<double> x, int s, Span<double> y, Span<double> dY, Span<double> dX)
        {
            dX.Clear();
            dY.Clear();
            dY[dY.Length - 1] = 1;
            IntegrateBackward(x, s, y, dX, dY);
        }

        public static Evaluation Prepare(string function, JsonElement input)
        {
            double[] x = Json.Doubles(input.GetProperty("x"));
            int s = input.GetProperty("s").GetInt32();
            double[] y = new double[x.Length], dY = new double[x.Length];
            return function switch
            {
                "primal" => new VectorEvaluation(x.Length, r => Integrate(x, s, r)),
                "gradient" => new VectorEvaluation(x.Length, r => Gradient(x, s, y, dY, r)),
                _ => throw Modules.UnknownFunction("ode", function),
            };
        }
    }
}
