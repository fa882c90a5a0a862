using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// For each function: the primal alone, the generated <c>{Name}Gradient</c>, the hand-derived gradient (the baseline
    /// of its category, so the Ratio column reads generated / hand-written) and central finite differences.
    /// <para>
    /// Each invocation sweeps the same <see cref="Points"/> fixed random inputs (arrays filled in <see cref="Setup"/>)
    /// and reports the time per point (<c>OperationsPerInvoke</c>). With a single point held in fields, the JIT
    /// inlines a function as small as Rosenbrock and hoists it out of the measuring loop, leaving nothing to measure.
    /// Every method returns a sum that depends on all outputs (value + Σ gradient; for finite differences Σ gradient,
    /// since they do not produce the value), so nothing is dead code. The loop and the loads cost the same in every
    /// variant.
    /// </para>
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
    [CategoriesColumn]
    public class ScalarGradientBenchmarks
    {
        /// <summary>The number of input points each invocation sweeps.</summary>
        public const int Points = 256;

        private double[] _rosenbrock = System.Array.Empty<double>();
        private double[] _neuron = System.Array.Empty<double>();
        private double[] _physics = System.Array.Empty<double>();

        /// <summary>Draws the inputs (deterministic seeds) from <see cref="InputDomains"/>.</summary>
        [GlobalSetup]
        public void Setup()
        {
            _rosenbrock = InputDomains.Points(Points, InputDomains.RosenbrockArity, (r, p) => InputDomains.Rosenbrock(r, p), 1);
            _neuron = InputDomains.Points(Points, InputDomains.NeuronArity, (r, p) => InputDomains.Neuron(r, p), 2);
            _physics = InputDomains.Points(Points, InputDomains.PhysicsArity, (r, p) => InputDomains.Physics(r, p), 3);
        }

        // ---- Rosenbrock ----

        [Benchmark(OperationsPerInvoke = Points), BenchmarkCategory("Rosenbrock")]
        public double Rosenbrock_Primal()
        {
            double[] a = _rosenbrock;
            double sum = 0;
            for (int i = 0; i + 1 < a.Length; i += 2)
                sum += Functions.Rosenbrock(a[i], a[i + 1]);
            return sum;
        }

        [Benchmark(OperationsPerInvoke = Points), BenchmarkCategory("Rosenbrock")]
        public double Rosenbrock_Generated()
        {
            double[] a = _rosenbrock;
            double sum = 0;
            for (int i = 0; i + 1 < a.Length; i += 2)
            {
                double v = Functions.RosenbrockGradient(a[i], a[i + 1], out double dX, out double dY);
                sum += v + dX + dY;
            }
            return sum;
        }

        [Benchmark(Baseline = true, OperationsPerInvoke = Points), BenchmarkCategory("Rosenbrock")]
        public double Rosenbrock_HandWritten()
        {
            double[] a = _rosenbrock;
            double sum = 0;
            for (int i = 0; i + 1 < a.Length; i += 2)
            {
                double v = HandGradients.Rosenbrock(a[i], a[i + 1], out double dX, out double dY);
                sum += v + dX + dY;
            }
            return sum;
        }

        [Benchmark(OperationsPerInvoke = Points), BenchmarkCategory("Rosenbrock")]
        public double Rosenbrock_FiniteDifferences()
        {
            double[] a = _rosenbrock;
            double sum = 0;
            for (int i = 0; i + 1 < a.Length; i += 2)
            {
                FiniteDifferences.Rosenbrock(a[i], a[i + 1], out double dX, out double dY);
                sum += dX + dY;
            }
            return sum;
        }

        // ---- Neuron ----

        [Benchmark(OperationsPerInvoke = Points), BenchmarkCategory("Neuron")]
        public double Neuron_Primal()
        {
            double[] a = _neuron;
            double sum = 0;
            for (int i = 0; i + 5 < a.Length; i += 6)
                sum += Functions.Neuron(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5]);
            return sum;
        }

        [Benchmark(OperationsPerInvoke = Points), BenchmarkCategory("Neuron")]
        public double Neuron_Generated()
        {
            double[] a = _neuron;
            double sum = 0;
            for (int i = 0; i + 5 < a.Length; i += 6)
            {
                double v = Functions.NeuronGradient(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5],
                    out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
                sum += v + d0 + d1 + d2 + d3 + d4 + d5;
            }
            return sum;
        }

        [Benchmark(Baseline = true, OperationsPerInvoke = Points), BenchmarkCategory("Neuron")]
        public double Neuron_HandWritten()
        {
            double[] a = _neuron;
            double sum = 0;
            for (int i = 0; i + 5 < a.Length; i += 6)
            {
                double v = HandGradients.Neuron(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5],
                    out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
                sum += v + d0 + d1 + d2 + d3 + d4 + d5;
            }
            return sum;
        }

        [Benchmark(OperationsPerInvoke = Points), BenchmarkCategory("Neuron")]
        public double Neuron_FiniteDifferences()
        {
            double[] a = _neuron;
            double sum = 0;
            for (int i = 0; i + 5 < a.Length; i += 6)
            {
                FiniteDifferences.Neuron(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5],
                    out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
                sum += d0 + d1 + d2 + d3 + d4 + d5;
            }
            return sum;
        }

        // ---- Physics ----

        [Benchmark(OperationsPerInvoke = Points), BenchmarkCategory("Physics")]
        public double Physics_Primal()
        {
            double[] a = _physics;
            double sum = 0;
            for (int i = 0; i + 5 < a.Length; i += 6)
                sum += Functions.Physics(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5]);
            return sum;
        }

        [Benchmark(OperationsPerInvoke = Points), BenchmarkCategory("Physics")]
        public double Physics_Generated()
        {
            double[] a = _physics;
            double sum = 0;
            for (int i = 0; i + 5 < a.Length; i += 6)
            {
                double v = Functions.PhysicsGradient(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5],
                    out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
                sum += v + d0 + d1 + d2 + d3 + d4 + d5;
            }
            return sum;
        }

        [Benchmark(Baseline = true, OperationsPerInvoke = Points), BenchmarkCategory("Physics")]
        public double Physics_HandWritten()
        {
            double[] a = _physics;
            double sum = 0;
            for (int i = 0; i + 5 < a.Length; i += 6)
            {
                double v = HandGradients.Physics(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5],
                    out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
                sum += v + d0 + d1 + d2 + d3 + d4 + d5;
            }
            return sum;
        }

        [Benchmark(OperationsPerInvoke = Points), BenchmarkCategory("Physics")]
        public double Physics_FiniteDifferences()
        {
            double[] a = _physics;
            double sum = 0;
            for (int i = 0; i + 5 < a.Length; i += 6)
            {
                FiniteDifferences.Physics(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5],
                    out double d0, out double d1, out double d2, out double d3, out double d4, out double d5);
                sum += d0 + d1 + d2 + d3 + d4 + d5;
            }
            return sum;
        }
    }
}
