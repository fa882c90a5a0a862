using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// For each function: the primal alone, the generated <c>{Name}Gradient</c>, the hand-derived gradient (the baseline
    /// of its category, so the Ratio column reads generated / hand-written) and central finite differences.
    /// Inputs live in instance fields set in <see cref="Setup"/>, so the JIT cannot fold them; every method returns a
    /// value that depends on all its outputs (value + Σ gradient; finite differences: Σ gradient, as they do not
    /// produce the value), so nothing is dead code.
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
    [CategoriesColumn]
    public class ScalarGradientBenchmarks
    {
        private double _rx, _ry;
        private double _w0, _w1, _w2, _b, _x0, _x1;
        private double _px, _py, _vx, _vy, _k, _theta;

        /// <summary>Sets the inputs: a generic point of each function, away from every kink and branch cut.</summary>
        [GlobalSetup]
        public void Setup()
        {
            _rx = -1.2; _ry = 1.0;
            _w0 = 0.4; _w1 = -0.7; _w2 = 0.3; _b = 0.1; _x0 = 1.2; _x1 = -0.8;
            _px = 0.8; _py = 0.6; _vx = 0.3; _vy = -0.5; _k = 2.0; _theta = 0.4;
        }

        // ---- Rosenbrock ----

        [Benchmark, BenchmarkCategory("Rosenbrock")]
        public double Rosenbrock_Primal() => Functions.Rosenbrock(_rx, _ry);

        [Benchmark, BenchmarkCategory("Rosenbrock")]
        public double Rosenbrock_Generated()
        {
            double v = Functions.RosenbrockGradient(_rx, _ry, out double dX, out double dY);
            return v + dX + dY;
        }

        [Benchmark(Baseline = true), BenchmarkCategory("Rosenbrock")]
        public double Rosenbrock_HandWritten()
        {
            double v = HandGradients.Rosenbrock(_rx, _ry, out double dX, out double dY);
            return v + dX + dY;
        }

        [Benchmark, BenchmarkCategory("Rosenbrock")]
        public double Rosenbrock_FiniteDifferences()
        {
            FiniteDifferences.Rosenbrock(_rx, _ry, out double dX, out double dY);
            return dX + dY;
        }

        // ---- Neuron ----

        [Benchmark, BenchmarkCategory("Neuron")]
        public double Neuron_Primal() => Functions.Neuron(_w0, _w1, _w2, _b, _x0, _x1);

        [Benchmark, BenchmarkCategory("Neuron")]
        public double Neuron_Generated()
        {
            double v = Functions.NeuronGradient(_w0, _w1, _w2, _b, _x0, _x1,
                out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
            return v + d0 + d1 + d2 + d3 + d4 + d5;
        }

        [Benchmark(Baseline = true), BenchmarkCategory("Neuron")]
        public double Neuron_HandWritten()
        {
            double v = HandGradients.Neuron(_w0, _w1, _w2, _b, _x0, _x1,
                out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
            return v + d0 + d1 + d2 + d3 + d4 + d5;
        }

        [Benchmark, BenchmarkCategory("Neuron")]
        public double Neuron_FiniteDifferences()
        {
            FiniteDifferences.Neuron(_w0, _w1, _w2, _b, _x0, _x1,
                out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
            return d0 + d1 + d2 + d3 + d4 + d5;
        }

        // ---- Physics ----

        [Benchmark, BenchmarkCategory("Physics")]
        public double Physics_Primal() => Functions.Physics(_px, _py, _vx, _vy, _k, _theta);

        [Benchmark, BenchmarkCategory("Physics")]
        public double Physics_Generated()
        {
            double v = Functions.PhysicsGradient(_px, _py, _vx, _vy, _k, _theta,
                out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
            return v + d0 + d1 + d2 + d3 + d4 + d5;
        }

        [Benchmark(Baseline = true), BenchmarkCategory("Physics")]
        public double Physics_HandWritten()
        {
            double v = HandGradients.Physics(_px, _py, _vx, _vy, _k, _theta,
                out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
            return v + d0 + d1 + d2 + d3 + d4 + d5;
        }

        [Benchmark, BenchmarkCategory("Physics")]
        public double Physics_FiniteDifferences()
        {
            FiniteDifferences.Physics(_px, _py, _vx, _vy, _k, _theta,
                out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
            return d0 + d1 + d2 + d3 + d4 + d5;
        }
    }
}
