using System;
using System.IO;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// Checks, before any timing, that the benchmark compares like with like: at many random points the generated
    /// gradient equals the hand-written one to rounding and matches finite differences, <c>Backward</c> accumulates
    /// the seeded gradient, and the generated members allocate nothing.
    /// </summary>
    public static class Consistency
    {
        /// <summary>Generated vs hand-written: <c>|g - h| ≤ tol · max(|g|, |h|, 1)</c>.</summary>
        public const double HandTolerance = 1e-11;

        /// <summary>Generated vs <see cref="GradientCheck"/> (central differences with Richardson extrapolation).</summary>
        public const double GradientCheckTolerance = 1e-6;

        /// <summary>The benchmarked plain central differences vs generated (relative, floor 1e-3).</summary>
        public const double FiniteDifferenceTolerance = 1e-5;

        private const int RandomPoints = 2000;
        private const int FiniteDifferencePoints = 50;
        private const int AllocationCalls = 10_000;

        /// <summary>Runs every check, writes one line per check to <paramref name="log"/>, returns true when all pass.</summary>
        public static bool Run(TextWriter log)
        {
            bool ok = true;
            foreach (Case c in new Case[] { new RosenbrockCase(), new NeuronCase(), new PhysicsCase() })
                ok &= Check(c, log);
            log.WriteLine(ok ? "consistency: all checks passed" : "consistency: FAILED");
            return ok;
        }

        private static bool Check(Case c, TextWriter log)
        {
            var random = new Random(12345);
            int n = c.Arity;
            var p = new double[n];
            var generated = new double[n];
            var hand = new double[n];
            var fd = new double[n];
            var accumulated = new double[n];
            double worstHand = 0, worstValue = 0, worstCheck = 0, worstFd = 0, worstBackward = 0;

            for (int trial = 0; trial < RandomPoints; trial++)
            {
                c.Sample(random, p);
                double value = c.Generated(p, generated);
                double handValue = c.Hand(p, hand);
                double primal = c.Primal(p);
                worstValue = Math.Max(worstValue, Math.Max(Scaled(value, primal), Scaled(handValue, primal)));
                for (int i = 0; i < n; i++) worstHand = Math.Max(worstHand, Scaled(generated[i], hand[i]));

                // Backward accumulates seed × gradient onto what is already there.
                const double seed = -0.75;
                for (int i = 0; i < n; i++) accumulated[i] = 1.0 + i;
                c.Backward(p, seed, accumulated);
                for (int i = 0; i < n; i++) worstBackward = Math.Max(worstBackward, Scaled(accumulated[i], 1.0 + i + seed * generated[i]));

                if (trial < FiniteDifferencePoints)
                {
                    GradientCheckReport report = GradientCheck.Check(c.Primal, p, generated);
                    worstCheck = Math.Max(worstCheck, double.IsNaN(report.MaxRelativeError) ? double.PositiveInfinity : report.MaxRelativeError);
                    c.FiniteDifferences(p, fd);
                    for (int i = 0; i < n; i++) worstFd = Math.Max(worstFd, GradientCheck.RelativeError(generated[i], fd[i]));
                }
            }

            long allocated = c.MeasureAllocations(AllocationCalls);

            bool ok = worstHand <= HandTolerance && worstValue <= HandTolerance && worstBackward <= HandTolerance
                && worstCheck <= GradientCheckTolerance && worstFd <= FiniteDifferenceTolerance && allocated == 0;
            log.WriteLine(
                FormattableString.Invariant($"{c.Name,-10} generated vs hand-written {worstHand:0.00e+00} (value {worstValue:0.00e+00}), Backward accumulation {worstBackward:0.00e+00}, ") +
                FormattableString.Invariant($"vs GradientCheck {worstCheck:0.00e+00}, vs benchmarked finite differences {worstFd:0.00e+00}, allocated {allocated} B in {AllocationCalls} Gradient+Backward calls -> {(ok ? "ok" : "FAIL")}"));
            return ok;
        }

        private static double Scaled(double a, double b)
        {
            if (a.Equals(b)) return 0;
            double e = Math.Abs(a - b) / Math.Max(Math.Max(Math.Abs(a), Math.Abs(b)), 1.0);
            return double.IsNaN(e) ? double.PositiveInfinity : e;
        }

        private abstract class Case
        {
            public abstract string Name { get; }
            public abstract int Arity { get; }
            public abstract void Sample(Random r, double[] p);
            public abstract double Primal(ReadOnlySpan<double> p);
            public abstract double Generated(double[] p, double[] g);
            public abstract double Hand(double[] p, double[] g);
            public abstract void Backward(double[] p, double seed, double[] acc);
            public abstract void FiniteDifferences(double[] p, double[] g);

            /// <summary>Bytes allocated on this thread by <paramref name="calls"/> calls of the generated Gradient and Backward (after a warm-up).</summary>
            public long MeasureAllocations(int calls)
            {
                var p = new double[Arity];
                var g = new double[Arity];
                Sample(new Random(1), p);
                Generated(p, g);
                Backward(p, 1.0, g);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < calls; i++)
                {
                    Generated(p, g);
                    Backward(p, 1.0, g);
                }
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        private sealed class RosenbrockCase : Case
        {
            public override string Name => "Rosenbrock";
            public override int Arity => 2;

            public override void Sample(Random r, double[] p) => InputDomains.Rosenbrock(r, p);

            public override double Primal(ReadOnlySpan<double> p) => Functions.Rosenbrock(p[0], p[1]);

            public override double Generated(double[] p, double[] g) => Functions.RosenbrockGradient(p[0], p[1], out g[0], out g[1]);

            public override double Hand(double[] p, double[] g) => HandGradients.Rosenbrock(p[0], p[1], out g[0], out g[1]);

            public override void Backward(double[] p, double seed, double[] acc) => Functions.RosenbrockBackward(p[0], p[1], seed, ref acc[0], ref acc[1]);

            public override void FiniteDifferences(double[] p, double[] g) => Benchmarks.FiniteDifferences.Rosenbrock(p[0], p[1], out g[0], out g[1]);
        }

        private sealed class NeuronCase : Case
        {
            public override string Name => "Neuron";
            public override int Arity => 6;

            public override void Sample(Random r, double[] p) => InputDomains.Neuron(r, p);

            public override double Primal(ReadOnlySpan<double> p) => Functions.Neuron(p[0], p[1], p[2], p[3], p[4], p[5]);

            public override double Generated(double[] p, double[] g) =>
                Functions.NeuronGradient(p[0], p[1], p[2], p[3], p[4], p[5], out g[0], out g[1], out g[2], out g[3], out g[4], out g[5]);

            public override double Hand(double[] p, double[] g) =>
                HandGradients.Neuron(p[0], p[1], p[2], p[3], p[4], p[5], out g[0], out g[1], out g[2], out g[3], out g[4], out g[5]);

            public override void Backward(double[] p, double seed, double[] acc) =>
                Functions.NeuronBackward(p[0], p[1], p[2], p[3], p[4], p[5], seed, ref acc[0], ref acc[1], ref acc[2], ref acc[3], ref acc[4], ref acc[5]);

            public override void FiniteDifferences(double[] p, double[] g) =>
                Benchmarks.FiniteDifferences.Neuron(p[0], p[1], p[2], p[3], p[4], p[5], out g[0], out g[1], out g[2], out g[3], out g[4], out g[5]);
        }

        private sealed class PhysicsCase : Case
        {
            public override string Name => "Physics";
            public override int Arity => 6;

            public override void Sample(Random r, double[] p) => InputDomains.Physics(r, p);

            public override double Primal(ReadOnlySpan<double> p) => Functions.Physics(p[0], p[1], p[2], p[3], p[4], p[5]);

            public override double Generated(double[] p, double[] g) =>
                Functions.PhysicsGradient(p[0], p[1], p[2], p[3], p[4], p[5], out g[0], out g[1], out g[2], out g[3], out g[4], out g[5]);

            public override double Hand(double[] p, double[] g) =>
                HandGradients.Physics(p[0], p[1], p[2], p[3], p[4], p[5], out g[0], out g[1], out g[2], out g[3], out g[4], out g[5]);

            public override void Backward(double[] p, double seed, double[] acc) =>
                Functions.PhysicsBackward(p[0], p[1], p[2], p[3], p[4], p[5], seed, ref acc[0], ref acc[1], ref acc[2], ref acc[3], ref acc[4], ref acc[5]);

            public override void FiniteDifferences(double[] p, double[] g) =>
                Benchmarks.FiniteDifferences.Physics(p[0], p[1], p[2], p[3], p[4], p[5], out g[0], out g[1], out g[2], out g[3], out g[4], out g[5]);
        }
    }
}
