using System;
using System.Collections.Generic;
using System.IO;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// The loop benchmarks' counterpart of <see cref="Consistency"/>, run by <see cref="Program"/> before any timing
    /// (and by <c>--check</c>). For each kernel of <see cref="LoopFunctions"/>, at N = 100 and 10,000, on the benchmarked
    /// inputs and on three more seeds:
    /// <list type="bullet">
    /// <item>generated <c>{Name}Gradient</c> vs <see cref="LoopHandGradients"/>, every coordinate and the value:
    /// <c>|g − h| ≤ 1e-9 · max(|g|, |h|, floor)</c>, floor = 1e-12 × the largest |h| of that parameter;</item>
    /// <item>both values vs the primal (same tolerance), with the adjoint spans filled with NaN before the call, so a
    /// <c>Gradient</c> that does not overwrite them fails;</item>
    /// <item><c>{Name}Backward</c> with a seed adds seed × gradient onto adjoints that already hold values;</item>
    /// <item>the hand-written gradient vs central differences (Richardson, as <see cref="GradientCheck"/>) on up to 15
    /// coordinates per parameter (first, last, largest, random), relative error with floor 1e-2 × the parameter's
    /// largest |h|, limit 1e-6;</item>
    /// <item>bytes allocated by 1,000 generated Gradient + Backward calls at N = 100 after a warm-up (reported, not
    /// enforced: the Allocated column of the benchmark shows it too).</item>
    /// </list>
    /// </summary>
    public static class LoopConsistency
    {
        /// <summary>Generated vs hand-written, and both values vs the primal.</summary>
        public const double HandTolerance = 1e-9;

        /// <summary>Hand-written vs central differences on the sampled coordinates.</summary>
        public const double FiniteDifferenceTolerance = 1e-6;

        /// <summary>The sizes checked (the benchmark's third size, 1,000,000, runs the same code).</summary>
        public static readonly int[] Sizes = { 100, 10_000 };

        private static readonly int[] Seeds = { LoopInputs.BenchmarkSeed, 1, 2, 3 };
        private const int RandomCoordinates = 12;
        private const int AllocationCalls = 1_000;

        /// <summary>Runs every check, writes one line per kernel and size to <paramref name="log"/>, returns true when all pass.</summary>
        public static bool Run(TextWriter log)
        {
            bool ok = true;
            foreach (LoopCase c in new LoopCase[] { new DotLossCase(), new LogSumExpCase(), new HornerCase(), new RecurrenceCase() })
            {
                foreach (int n in Sizes) ok &= Check(c, n, log);
            }
            log.WriteLine(ok ? "loop consistency: all checks passed" : "loop consistency: FAILED");
            return ok;
        }

        private static bool Check(LoopCase c, int n, TextWriter log)
        {
            double worstHand = 0, worstValue = 0, worstBackward = 0, worstFd = 0;
            string worstFdWhere = "";
            foreach (int seed in Seeds)
            {
                double[] p = c.Setup(n, seed);
                int m = p.Length;
                var generated = new double[m];
                var hand = new double[m];
                Array.Fill(generated, double.NaN);
                Array.Fill(hand, double.NaN);
                double primal = c.Primal(p);
                double value = c.Generated(p, generated);
                double handValue = c.Hand(p, hand);
                worstValue = Math.Max(worstValue, Math.Max(Relative(value, primal, 0), Relative(handValue, primal, 0)));

                foreach (Segment s in c.Segments(n))
                {
                    double largest = LargestMagnitude(hand, s);
                    for (int i = s.Offset; i < s.Offset + s.Length; i++)
                        worstHand = Math.Max(worstHand, Relative(generated[i], hand[i], 1e-12 * largest));

                    foreach (int i in SampledCoordinates(hand, s, seed))
                    {
                        double fd = CentralDifference(c, p, i, c.Step(p, i, n));
                        double error = Relative(hand[i], fd, 1e-2 * largest);
                        if (error > worstFd || double.IsNaN(error))
                        {
                            worstFd = double.IsNaN(error) ? double.PositiveInfinity : error;
                            worstFdWhere = FormattableString.Invariant($" ({s.Name}[{i - s.Offset}] seed {seed}: hand {hand[i]:R}, fd {fd:R})");
                        }
                    }
                }

                // Backward accumulates seed × gradient onto what is already there.
                const double dResult = -0.75;
                var accumulated = new double[m];
                for (int i = 0; i < m; i++) accumulated[i] = 1.0 + 0.001 * i;
                c.Backward(p, dResult, accumulated);
                for (int i = 0; i < m; i++)
                    worstBackward = Math.Max(worstBackward, Relative(accumulated[i], 1.0 + 0.001 * i + dResult * generated[i], 1.0));
            }

            long allocated = MeasureAllocations(c);
            bool ok = worstHand <= HandTolerance && worstValue <= HandTolerance && worstBackward <= HandTolerance
                && worstFd <= FiniteDifferenceTolerance;
            log.WriteLine(
                FormattableString.Invariant($"{c.Name,-10} N={n,-6} generated vs hand-written {worstHand:0.00e+00} (value {worstValue:0.00e+00}), Backward accumulation {worstBackward:0.00e+00}, ") +
                FormattableString.Invariant($"hand-written vs finite differences {worstFd:0.00e+00}{(worstFd > FiniteDifferenceTolerance ? worstFdWhere : "")}, allocated {allocated} B in {AllocationCalls} generated Gradient+Backward calls at N=100 -> {(ok ? "ok" : "FAIL")}"));
            return ok;
        }

        /// <summary><c>|a − b| / max(|a|, |b|, floor)</c>, 0 when equal, +∞ when either is NaN or infinite and they differ.</summary>
        private static double Relative(double a, double b, double floor)
        {
            if (a.Equals(b)) return 0;
            if (!double.IsFinite(a) || !double.IsFinite(b)) return double.PositiveInfinity;
            double scale = Math.Max(Math.Max(Math.Abs(a), Math.Abs(b)), floor);
            return scale == 0 ? 0 : Math.Abs(a - b) / scale;
        }

        private static double LargestMagnitude(double[] g, Segment s)
        {
            double largest = 0;
            for (int i = s.Offset; i < s.Offset + s.Length; i++) largest = Math.Max(largest, Math.Abs(g[i]));
            return largest;
        }

        /// <summary>The first, the last and the largest coordinate of the segment, and random ones; all of a short segment.</summary>
        private static IEnumerable<int> SampledCoordinates(double[] g, Segment s, int seed)
        {
            var picked = new SortedSet<int>();
            if (s.Length <= RandomCoordinates + 3)
            {
                for (int i = 0; i < s.Length; i++) picked.Add(s.Offset + i);
                return picked;
            }
            int largest = s.Offset;
            for (int i = s.Offset; i < s.Offset + s.Length; i++)
                if (Math.Abs(g[i]) > Math.Abs(g[largest])) largest = i;
            picked.Add(s.Offset);
            picked.Add(s.Offset + s.Length - 1);
            picked.Add(largest);
            var r = new Random(seed ^ s.Length);
            while (picked.Count < RandomCoordinates + 3) picked.Add(s.Offset + r.Next(s.Length));
            return picked;
        }

        /// <summary>Central differences at h and h/2 combined by Richardson extrapolation; p is restored.</summary>
        private static double CentralDifference(LoopCase c, double[] p, int i, double h)
        {
            double v = p[i];
            double d1 = Central(c, p, i, v, h);
            double d2 = Central(c, p, i, v, h / 2);
            return (4 * d2 - d1) / 3;
        }

        private static double Central(LoopCase c, double[] p, int i, double v, double h)
        {
            double up = v + h, down = v - h;
            p[i] = up;
            double plus = c.Primal(p);
            p[i] = down;
            double minus = c.Primal(p);
            p[i] = v;
            return (plus - minus) / (up - down);
        }

        private static long MeasureAllocations(LoopCase c)
        {
            double[] p = c.Setup(100, 1);
            var g = new double[p.Length];
            c.Generated(p, g);
            c.Backward(p, 1.0, g);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < AllocationCalls; i++)
            {
                c.Generated(p, g);
                c.Backward(p, 1.0, g);
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        /// <summary>An active parameter's coordinates in the flat vector of a <see cref="LoopCase"/>.</summary>
        private readonly record struct Segment(string Name, int Offset, int Length);

        /// <summary>
        /// A kernel seen as a function of one flat vector of its active inputs (spans first, scalars after, in
        /// parameter order); its constant inputs are drawn by <see cref="Setup"/> and kept in fields.
        /// </summary>
        private abstract class LoopCase
        {
            public abstract string Name { get; }

            /// <summary>Draws the inputs of size <paramref name="n"/>; returns the active ones as a fresh flat vector.</summary>
            public abstract double[] Setup(int n, int seed);

            public abstract IEnumerable<Segment> Segments(int n);

            public abstract double Primal(double[] p);

            public abstract double Generated(double[] p, double[] g);

            public abstract double Hand(double[] p, double[] g);

            public abstract void Backward(double[] p, double dResult, double[] acc);

            /// <summary>The finite-difference step of coordinate <paramref name="i"/>: 1e-3 · max(1, |p[i]|) unless overridden.</summary>
            public virtual double Step(double[] p, int i, int n) => 1e-3 * Math.Max(1.0, Math.Abs(p[i]));
        }

        private sealed class DotLossCase : LoopCase
        {
            private double[] _x = Array.Empty<double>();
            private double _target;

            public override string Name => "DotLoss";

            public override double[] Setup(int n, int seed)
            {
                LoopInputs.DotLoss(n, seed, out double[] w, out _x, out _target);
                return w;
            }

            public override IEnumerable<Segment> Segments(int n) => new[] { new Segment("dW", 0, n) };

            public override double Primal(double[] p) => LoopFunctions.DotLoss(p, _x, _target);

            public override double Generated(double[] p, double[] g) => LoopFunctions.DotLossGradient(p, _x, _target, g);

            public override double Hand(double[] p, double[] g) => LoopHandGradients.DotLoss(p, _x, _target, g);

            public override void Backward(double[] p, double dResult, double[] acc) => LoopFunctions.DotLossBackward(p, _x, _target, dResult, acc);
        }

        private sealed class LogSumExpCase : LoopCase
        {
            public override string Name => "LogSumExp";

            public override double[] Setup(int n, int seed) => LoopInputs.LogSumExp(n, seed);

            public override IEnumerable<Segment> Segments(int n) => new[] { new Segment("dX", 0, n) };

            public override double Primal(double[] p) => LoopFunctions.LogSumExp(p);

            public override double Generated(double[] p, double[] g) => LoopFunctions.LogSumExpGradient(p, g);

            public override double Hand(double[] p, double[] g) => LoopHandGradients.LogSumExp(p, g);

            public override void Backward(double[] p, double dResult, double[] acc) => LoopFunctions.LogSumExpBackward(p, dResult, acc);

            /// <summary>
            /// An absolute step of 1e-2: every derivative of the value in one coordinate is at most 1, but the value
            /// (about 10) is large next to a coordinate's gradient (about 1/N), so a smaller step drowns in rounding.
            /// </summary>
            public override double Step(double[] p, int i, int n) => 1e-2;
        }

        /// <summary>Flat vector: c[0..n), then x.</summary>
        private sealed class HornerCase : LoopCase
        {
            public override string Name => "Horner";

            public override double[] Setup(int n, int seed)
            {
                LoopInputs.Horner(n, seed, out double[] c, out double x);
                var p = new double[n + 1];
                c.CopyTo(p, 0);
                p[n] = x;
                return p;
            }

            public override IEnumerable<Segment> Segments(int n) => new[] { new Segment("dC", 0, n), new Segment("dX", n, 1) };

            public override double Primal(double[] p) => LoopFunctions.Horner(C(p), p[^1]);

            public override double Generated(double[] p, double[] g) => LoopFunctions.HornerGradient(C(p), p[^1], g.AsSpan(0, p.Length - 1), out g[^1]);

            public override double Hand(double[] p, double[] g) => LoopHandGradients.Horner(C(p), p[^1], g.AsSpan(0, p.Length - 1), out g[^1]);

            public override void Backward(double[] p, double dResult, double[] acc) =>
                LoopFunctions.HornerBackward(C(p), p[^1], dResult, acc.AsSpan(0, p.Length - 1), ref acc[^1]);

            /// <summary>
            /// For x, a step on the scale at which x^n changes (1e-2 / n): with 1e-3 the polynomial of degree n - 1 is
            /// far from linear across the step. For the coefficients, in which it is linear, the default.
            /// </summary>
            public override double Step(double[] p, int i, int n) => i == n ? 1e-2 / n : base.Step(p, i, n);

            private static ReadOnlySpan<double> C(double[] p) => p.AsSpan(0, p.Length - 1);
        }

        /// <summary>Flat vector: x0, a; the step count is N.</summary>
        private sealed class RecurrenceCase : LoopCase
        {
            private int _steps;

            public override string Name => "Recurrence";

            public override double[] Setup(int n, int seed)
            {
                _steps = n;
                LoopInputs.Recurrence(seed, out double x0, out double a);
                return new[] { x0, a };
            }

            public override IEnumerable<Segment> Segments(int n) => new[] { new Segment("dX0", 0, 1), new Segment("dA", 1, 1) };

            public override double Primal(double[] p) => LoopFunctions.Recurrence(p[0], p[1], _steps);

            public override double Generated(double[] p, double[] g) => LoopFunctions.RecurrenceGradient(p[0], p[1], _steps, out g[0], out g[1]);

            public override double Hand(double[] p, double[] g) => LoopHandGradients.Recurrence(p[0], p[1], _steps, out g[0], out g[1]);

            public override void Backward(double[] p, double dResult, double[] acc) =>
                LoopFunctions.RecurrenceBackward(p[0], p[1], _steps, dResult, ref acc[0], ref acc[1]);
        }
    }
}
