using System;
using System.Globalization;

namespace Differentiable
{
    /// <summary>A scalar function of a vector of <see cref="double"/>, as <see cref="GradientCheck"/> evaluates it.</summary>
    public delegate double ScalarFunction(ReadOnlySpan<double> x);

    /// <summary>A scalar function of a vector of <see cref="float"/>, as <see cref="GradientCheck"/> evaluates it.</summary>
    public delegate float ScalarFunctionF(ReadOnlySpan<float> x);

    /// <summary>
    /// Compares a gradient with central finite differences. Each coordinate gets its own step,
    /// <c>h = step * max(1, |x_i|)</c>, and the central differences at <c>h</c> and <c>h/2</c> are combined by
    /// Richardson extrapolation, <c>(4 D(h/2) - D(h)) / 3</c>, whose truncation error is O(h⁴).
    /// The error of a coordinate is <c>|analytic - numeric| / max(|analytic|, |numeric|, floor)</c>.
    /// </summary>
    public static class GradientCheck
    {
        /// <summary>Default relative step for double-precision functions.</summary>
        public const double DefaultStep = 1e-3;

        /// <summary>Default relative step for single-precision functions (their rounding error is larger).</summary>
        public const double DefaultStepF = 2e-2;

        /// <summary>Default floor of the error's denominator: below it, the error is absolute.</summary>
        public const double DefaultFloor = 1e-3;

        /// <summary>Estimates the gradient of <paramref name="f"/> at <paramref name="x"/> by central finite differences with Richardson extrapolation.</summary>
        public static void FiniteDifference(ScalarFunction f, ReadOnlySpan<double> x, Span<double> gradient, double step = DefaultStep)
        {
            if (f is null) throw new ArgumentNullException(nameof(f));
            if (gradient.Length < x.Length) throw new ArgumentException("The gradient is shorter than x.", nameof(gradient));
            double[] probe = x.ToArray();
            for (int i = 0; i < probe.Length; i++)
            {
                double xi = probe[i];
                double h = step * Math.Max(1.0, Math.Abs(xi));
                double d1 = Central(f, probe, i, xi, h);
                double d2 = Central(f, probe, i, xi, h / 2);
                gradient[i] = (4 * d2 - d1) / 3;
            }
        }

        /// <summary>Estimates the gradient of a single-precision function; the function is evaluated in <see cref="float"/>.</summary>
        public static void FiniteDifference(ScalarFunctionF f, ReadOnlySpan<float> x, Span<double> gradient, double step = DefaultStepF)
        {
            if (f is null) throw new ArgumentNullException(nameof(f));
            if (gradient.Length < x.Length) throw new ArgumentException("The gradient is shorter than x.", nameof(gradient));
            float[] probe = x.ToArray();
            for (int i = 0; i < probe.Length; i++)
            {
                float xi = probe[i];
                double d1 = CentralF(f, probe, i, xi, step * Math.Max(1.0, Math.Abs(xi)));
                double d2 = CentralF(f, probe, i, xi, step * Math.Max(1.0, Math.Abs(xi)) / 2);
                gradient[i] = (4 * d2 - d1) / 3;
            }
        }

        /// <summary>Compares <paramref name="gradient"/> with the finite-difference gradient of <paramref name="f"/> at <paramref name="x"/>.</summary>
        public static GradientCheckReport Check(ScalarFunction f, ReadOnlySpan<double> x, ReadOnlySpan<double> gradient, double step = DefaultStep, double floor = DefaultFloor)
        {
            var numeric = new double[x.Length];
            FiniteDifference(f, x, numeric, step);
            return Compare(gradient, numeric, floor);
        }

        /// <summary>Compares a single-precision <paramref name="gradient"/> with the finite-difference gradient of <paramref name="f"/>.</summary>
        public static GradientCheckReport Check(ScalarFunctionF f, ReadOnlySpan<float> x, ReadOnlySpan<float> gradient, double step = DefaultStepF, double floor = DefaultFloor)
        {
            var numeric = new double[x.Length];
            FiniteDifference(f, x, numeric, step);
            var analytic = new double[gradient.Length];
            for (int i = 0; i < analytic.Length; i++) analytic[i] = gradient[i];
            return Compare(analytic, numeric, floor);
        }

        /// <summary>Compares two gradients coordinate by coordinate and reports the worst one.</summary>
        public static GradientCheckReport Compare(ReadOnlySpan<double> analytic, ReadOnlySpan<double> numeric, double floor = DefaultFloor)
        {
            if (analytic.Length != numeric.Length)
                throw new ArgumentException($"The gradients differ in length ({analytic.Length} and {numeric.Length}).", nameof(numeric));
            int worst = -1;
            double worstError = 0;
            for (int i = 0; i < analytic.Length; i++)
            {
                double error = RelativeError(analytic[i], numeric[i], floor);
                if (worst < 0 || error > worstError || double.IsNaN(error))
                {
                    worst = i;
                    worstError = error;
                    if (double.IsNaN(error)) break;
                }
            }
            return new GradientCheckReport(analytic.ToArray(), numeric.ToArray(), worst, worstError);
        }

        /// <summary><c>|a - b| / max(|a|, |b|, floor)</c>; NaN when either is NaN and they are not both NaN, infinite values compare equal only to themselves.</summary>
        public static double RelativeError(double a, double b, double floor = DefaultFloor)
        {
            if (a.Equals(b)) return 0; // also equal infinities and NaN == NaN
            if (double.IsNaN(a) || double.IsNaN(b)) return double.NaN;
            if (double.IsInfinity(a) || double.IsInfinity(b)) return double.PositiveInfinity;
            return Math.Abs(a - b) / Math.Max(Math.Max(Math.Abs(a), Math.Abs(b)), floor);
        }

        private static double Central(ScalarFunction f, double[] probe, int i, double xi, double h)
        {
            probe[i] = xi + h;
            double plus = f(probe);
            probe[i] = xi - h;
            double minus = f(probe);
            probe[i] = xi;
            return (plus - minus) / (2 * h);
        }

        private static double CentralF(ScalarFunctionF f, float[] probe, int i, float xi, double h)
        {
            // The actual step is the one float can represent, so the quotient uses it.
            float up = (float)(xi + h), down = (float)(xi - h);
            probe[i] = up;
            double plus = f(probe);
            probe[i] = down;
            double minus = f(probe);
            probe[i] = xi;
            return (plus - minus) / ((double)up - down);
        }
    }

    /// <summary>The result of <see cref="GradientCheck"/>: both gradients and the worst coordinate.</summary>
    public sealed class GradientCheckReport
    {
        internal GradientCheckReport(double[] analytic, double[] numeric, int worstIndex, double maxError)
        {
            Analytic = analytic;
            Numeric = numeric;
            WorstIndex = worstIndex;
            MaxRelativeError = maxError;
        }

        /// <summary>The gradient under test.</summary>
        public double[] Analytic { get; }

        /// <summary>The finite-difference estimate.</summary>
        public double[] Numeric { get; }

        /// <summary>The coordinate with the largest error, or -1 for an empty gradient.</summary>
        public int WorstIndex { get; }

        /// <summary>The largest relative error (NaN if a NaN appeared where the other side had a number).</summary>
        public double MaxRelativeError { get; }

        /// <summary>True when the largest error is at most <paramref name="tolerance"/> (and not NaN).</summary>
        public bool Passes(double tolerance) => MaxRelativeError <= tolerance;

        /// <inheritdoc />
        public override string ToString() => WorstIndex < 0
            ? "empty gradient"
            : string.Format(CultureInfo.InvariantCulture,
                "max relative error {0:G3} at coordinate {1}: analytic {2:R}, finite differences {3:R}",
                MaxRelativeError, WorstIndex, Analytic[WorstIndex], Numeric[WorstIndex]);
    }
}
