namespace Differentiable.Generator.Tests.Fuzz;

/// <summary>The part of every fuzz compilation that is not a fuzzed program: the trace, the library with rules.</summary>
internal static class FuzzPrelude
{
    public const string Namespace = "Fuzz";

    /// <summary>
    /// FuzzTrace records, in the double twins, every branch decision and the side of every kink (Abs, Max, Min,
    /// Clamp) and discontinuity (Floor, Round, Sign...): a finite-difference probe whose trace differs from the base
    /// point's crossed one, and the point is not used for finite differences. Grad.Stop in a twin records its value at
    /// the base point and replays it in the probes, so the finite differences see it as the constant it is.
    /// FuzzLib's functions have [DerivativeOf] rules in FuzzRules.
    /// </summary>
    public const string Source = """
        public static class FuzzTrace
        {
            public static System.Collections.Generic.List<long> Log = new();
            public static System.Collections.Generic.List<double> Stops = new();
            private static bool _replay;
            private static int _stopAt;

            /// <summary>A tanh within 1e-4 of ±1 ran: in float, its partial 1 − t² has a relative error of 1e-3 or more.</summary>
            public static bool Saturated;

            public static double Tanh(double x)
            {
                double t = Math.Tanh(x);
                if (1 - Math.Abs(t) < 1e-4) Saturated = true;
                return t;
            }

            /// <summary>
            /// The largest finite operand of the twin's sums so far: where it is far larger than the result, the sum lost
            /// the small operand's change to rounding (1e36 + y − 1e36 is 0 for any small y), and a finite difference
            /// through it reads 0 whatever the derivative.
            /// </summary>
            public static double Size;

            public static double Add(double a, double b) { Note(a); Note(b); return a + b; }
            public static double Sub(double a, double b) { Note(a); Note(b); return a - b; }
            private static void Note(double x) { if (double.IsFinite(x) && Math.Abs(x) > Size) Size = Math.Abs(x); }

            public static void Start(bool replay)
            {
                Size = 0;
                Saturated = false;
                Log = new();
                if (!replay) Stops = new();
                _replay = replay;
                _stopAt = 0;
            }

            public static bool B(bool c) { Log.Add(c ? 1 : 2); return c; }
            public static double Abs(double x) { Log.Add(x >= 0 ? 3 : 4); return Math.Abs(x); }
            public static double Max(double a, double b) { Log.Add(a >= b ? 5 : 6); return Math.Max(a, b); }
            public static double Min(double a, double b) { Log.Add(a <= b ? 7 : 8); return Math.Min(a, b); }
            public static double Clamp(double v, double lo, double hi) { Log.Add(v < lo ? 9 : v > hi ? 10 : 11); return Math.Clamp(v, lo, hi); }
            public static double Floor(double x) => Record(Math.Floor(x));
            public static double Ceiling(double x) => Record(Math.Ceiling(x));
            public static double Round(double x) => Record(Math.Round(x));
            public static double Truncate(double x) => Record(Math.Truncate(x));
            public static int Sign(double x) { int s = Math.Sign(x); Log.Add(100 + s); return s; }
            private static double Record(double r) { Log.Add(BitConverter.DoubleToInt64Bits(r)); return r; }

            public static double Stop(double x)
            {
                if (!_replay) { Stops.Add(x); return x; }
                return _stopAt < Stops.Count ? Stops[_stopAt++] : x;
            }
        }

        public static class FuzzLib
        {
            public static double Soft(double x) => x / Math.Sqrt(1 + x * x);
            public static float SoftF(float x) => x / MathF.Sqrt(1 + x * x);
            public static double WSum(ReadOnlySpan<double> a) { double s = 0; for (int i = 0; i < a.Length; i++) s += (i + 1) * a[i]; return s; }
            public static float WSumF(ReadOnlySpan<float> a) { float s = 0; for (int i = 0; i < a.Length; i++) s += (i + 1) * a[i]; return s; }
        }

        public static partial class FuzzRules
        {
            // d/dx x / sqrt(1 + x^2) = (1 + x^2)^(-3/2)
            [DerivativeOf(typeof(FuzzLib), nameof(FuzzLib.Soft))]
            public static void SoftBackward(double x, double dResult, ref double dX) { double d = 1 + x * x; dX += dResult / (d * Math.Sqrt(d)); }

            [DerivativeOf(typeof(FuzzLib), nameof(FuzzLib.SoftF))]
            public static void SoftFBackward(float x, float dResult, ref float dX) { float d = 1 + x * x; dX += dResult / (d * MathF.Sqrt(d)); }

            // d/da[i] sum (i + 1) a[i] = i + 1
            [DerivativeOf(typeof(FuzzLib), nameof(FuzzLib.WSum))]
            public static void WSumBackward(ReadOnlySpan<double> a, double dResult, Span<double> dA) { for (int i = 0; i < a.Length; i++) dA[i] += dResult * (i + 1); }

            [DerivativeOf(typeof(FuzzLib), nameof(FuzzLib.WSumF))]
            public static void WSumFBackward(ReadOnlySpan<float> a, float dResult, Span<float> dA) { for (int i = 0; i < a.Length; i++) dA[i] += dResult * (i + 1); }
        }
        """;
}
