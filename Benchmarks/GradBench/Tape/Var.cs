using System;
using System.Runtime.CompilerServices;

namespace Differentiable.GradBench.Tape
{
    /// <summary>
    /// An active number on this thread's <see cref="Tape"/>: its value and the index of the entry that computed it.
    /// Index 0 (the sink) marks a constant: an operation on one records an entry as any other, whose adjoint
    /// lands in the sink.
    /// </summary>
    public readonly struct Var
    {
        public readonly double Value;
        public readonly int Index;

        internal Var(double value, int index)
        {
            Value = value;
            Index = index;
        }

        public static implicit operator Var(double value) => new(value, 0);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static Var Unary(double value, Var a, double partial)
            => new(value, Tape.Current.Record(a.Index, partial, 0, 0));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static Var Binary(double value, Var a, double partialA, Var b, double partialB)
            => new(value, Tape.Current.Record(a.Index, partialA, b.Index, partialB));

        // d(a ± b) = da ± db;  d(a·b) = b·da + a·db;  d(a/b) = da/b − (a/b)·db/b
        public static Var operator +(Var a, Var b) => Binary(a.Value + b.Value, a, 1, b, 1);
        public static Var operator +(Var a, double b) => Unary(a.Value + b, a, 1);
        public static Var operator +(double a, Var b) => Unary(a + b.Value, b, 1);
        public static Var operator -(Var a, Var b) => Binary(a.Value - b.Value, a, 1, b, -1);
        public static Var operator -(Var a, double b) => Unary(a.Value - b, a, 1);
        public static Var operator -(double a, Var b) => Unary(a - b.Value, b, -1);
        public static Var operator -(Var a) => Unary(-a.Value, a, -1);
        public static Var operator *(Var a, Var b) => Binary(a.Value * b.Value, a, b.Value, b, a.Value);
        public static Var operator *(Var a, double b) => Unary(a.Value * b, a, b);
        public static Var operator *(double a, Var b) => Unary(a * b.Value, b, a);

        public static Var operator /(Var a, Var b)
        {
            double inverse = 1 / b.Value;
            double q = a.Value * inverse;
            return Binary(q, a, inverse, b, -q * inverse);
        }

        public static Var operator /(Var a, double b) => Unary(a.Value / b, a, 1 / b);

        public static Var operator /(double a, Var b)
        {
            double inverse = 1 / b.Value;
            double q = a * inverse;
            return Unary(q, b, -q * inverse);
        }

        public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The <see cref="Math"/> functions of the generator's rule table on <see cref="Var"/>, with the same derivatives
    /// and the same conventions (Abs'(0) = 0; Max, Min and Clamp send the adjoint to the argument they return, the
    /// first on a tie; Hypot'(0, 0) = 0; ∂Pow/∂b = 0 at a = 0). A function whose result is one of its arguments
    /// records nothing.
    /// </summary>
    public static class VarMath
    {
        // ---- Trigonometric ----
        public static Var Sin(Var x) => Var.Unary(Math.Sin(x.Value), x, Math.Cos(x.Value));

        public static Var Cos(Var x) => Var.Unary(Math.Cos(x.Value), x, -Math.Sin(x.Value));

        public static Var Tan(Var x)
        {
            double t = Math.Tan(x.Value);
            return Var.Unary(t, x, 1 + t * t);
        }

        public static Var Asin(Var x) => Var.Unary(Math.Asin(x.Value), x, 1 / Math.Sqrt(1 - x.Value * x.Value));

        public static Var Acos(Var x) => Var.Unary(Math.Acos(x.Value), x, -1 / Math.Sqrt(1 - x.Value * x.Value));

        public static Var Atan(Var x) => Var.Unary(Math.Atan(x.Value), x, 1 / (1 + x.Value * x.Value));

        /// <summary>atan2(a, b): ∂a = b/(a² + b²), ∂b = −a/(a² + b²).</summary>
        public static Var Atan2(Var a, Var b)
        {
            double r = a.Value * a.Value + b.Value * b.Value;
            return Var.Binary(Math.Atan2(a.Value, b.Value), a, b.Value / r, b, -a.Value / r);
        }

        // ---- Hyperbolic ----
        public static Var Sinh(Var x) => Var.Unary(Math.Sinh(x.Value), x, Math.Cosh(x.Value));

        public static Var Cosh(Var x) => Var.Unary(Math.Cosh(x.Value), x, Math.Sinh(x.Value));

        public static Var Tanh(Var x)
        {
            double t = Math.Tanh(x.Value);
            return Var.Unary(t, x, 1 - t * t);
        }

        public static Var Asinh(Var x) => Var.Unary(Math.Asinh(x.Value), x, 1 / Math.Sqrt(x.Value * x.Value + 1));

        public static Var Acosh(Var x) => Var.Unary(Math.Acosh(x.Value), x, 1 / Math.Sqrt(x.Value * x.Value - 1));

        public static Var Atanh(Var x) => Var.Unary(Math.Atanh(x.Value), x, 1 / (1 - x.Value * x.Value));

        // ---- Exponential and logarithmic ----
        public static Var Exp(Var x)
        {
            double e = Math.Exp(x.Value);
            return Var.Unary(e, x, e);
        }

        public static Var Exp2(Var x)
        {
            double e = Math.Pow(2, x.Value);
            return Var.Unary(e, x, e * Math.Log(2));
        }

        public static Var Log(Var x) => Var.Unary(Math.Log(x.Value), x, 1 / x.Value);

        /// <summary>log_b(a) = ln a / ln b: ∂a = 1/(a ln b), ∂b = −log_b(a)/(b ln b).</summary>
        public static Var Log(Var a, Var b)
        {
            double lnB = Math.Log(b.Value), y = Math.Log(a.Value, b.Value);
            return Var.Binary(y, a, 1 / (a.Value * lnB), b, -y / (b.Value * lnB));
        }

        public static Var Log10(Var x) => Var.Unary(Math.Log10(x.Value), x, 1 / (x.Value * Math.Log(10)));

        public static Var Log2(Var x) => Var.Unary(Math.Log2(x.Value), x, 1 / (x.Value * Math.Log(2)));

        // ---- Powers ----
        public static Var Sqrt(Var x)
        {
            double s = Math.Sqrt(x.Value);
            return Var.Unary(s, x, 0.5 / s);
        }

        public static Var Cbrt(Var x)
        {
            double c = Math.Cbrt(x.Value);
            return Var.Unary(c, x, 1 / (3 * c * c));
        }

        public static Var Pow(Var x, double y) => Var.Unary(Math.Pow(x.Value, y), x, y * Math.Pow(x.Value, y - 1));

        /// <summary>pow(a, b): ∂a = b·a^(b−1), ∂b = a^b·ln a, taken as 0 at a = 0.</summary>
        public static Var Pow(Var a, Var b)
        {
            double p = Math.Pow(a.Value, b.Value);
            return Var.Binary(p, a, b.Value * Math.Pow(a.Value, b.Value - 1), b, a.Value == 0 ? 0 : p * Math.Log(a.Value));
        }

        /// <summary>hypot(a, b) = √(a² + b²): ∂a = a/h, ∂b = b/h, both 0 at the origin.</summary>
        public static Var Hypot(Var a, Var b)
        {
            double h = Math.Sqrt(a.Value * a.Value + b.Value * b.Value);
            return h == 0 ? Var.Binary(0, a, 0, b, 0) : Var.Binary(h, a, a.Value / h, b, b.Value / h);
        }

        // ---- Absolute value, extrema, fused multiply-add ----
        public static Var Abs(Var x) => Var.Unary(Math.Abs(x.Value), x, x.Value > 0 ? 1 : x.Value < 0 ? -1 : 0);

        public static Var Max(Var a, Var b) => a.Value >= b.Value ? a : b;

        public static Var Min(Var a, Var b) => a.Value <= b.Value ? a : b;

        public static Var Clamp(Var v, Var low, Var high) => v.Value < low.Value ? low : v.Value > high.Value ? high : v;

        /// <summary>fma(a, b, c) = a·b + c, as two entries (the product, then the sum) with the fused value.</summary>
        public static Var FusedMultiplyAdd(Var a, Var b, Var c)
        {
            Var product = Var.Binary(a.Value * b.Value, a, b.Value, b, a.Value);
            return Var.Binary(Math.FusedMultiplyAdd(a.Value, b.Value, c.Value), product, 1, c, 1);
        }

        // ---- Zero derivative ----
        public static double Floor(Var x) => Math.Floor(x.Value);

        public static double Ceiling(Var x) => Math.Ceiling(x.Value);

        public static double Round(Var x) => Math.Round(x.Value);

        public static double Truncate(Var x) => Math.Truncate(x.Value);

        public static int Sign(Var x) => Math.Sign(x.Value);

        /// <summary>The value without its derivative (the generator's Grad.Stop).</summary>
        public static Var Stop(Var x) => x.Value;
    }
}
