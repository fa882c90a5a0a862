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

    /// <summary>The <see cref="Math"/> functions on <see cref="Var"/>, with the derivatives of the generator's rule table.</summary>
    public static class VarMath
    {
        public static Var Exp(Var x)
        {
            double e = Math.Exp(x.Value);
            return Var.Unary(e, x, e);
        }

        public static Var Log(Var x) => Var.Unary(Math.Log(x.Value), x, 1 / x.Value);

        public static Var Sqrt(Var x)
        {
            double s = Math.Sqrt(x.Value);
            return Var.Unary(s, x, 0.5 / s);
        }

        public static Var Sin(Var x) => Var.Unary(Math.Sin(x.Value), x, Math.Cos(x.Value));

        public static Var Cos(Var x) => Var.Unary(Math.Cos(x.Value), x, -Math.Sin(x.Value));

        public static Var Tanh(Var x)
        {
            double t = Math.Tanh(x.Value);
            return Var.Unary(t, x, 1 - t * t);
        }

        public static Var Pow(Var x, double y) => Var.Unary(Math.Pow(x.Value, y), x, y * Math.Pow(x.Value, y - 1));

        public static Var Abs(Var x) => Var.Unary(Math.Abs(x.Value), x, x.Value > 0 ? 1 : x.Value < 0 ? -1 : 0);

        /// <summary>Max: the adjoint goes to the argument returned, to the first on a tie (as the generator's rule).</summary>
        public static Var Max(Var a, Var b) => a.Value >= b.Value ? a : b;

        public static Var Min(Var a, Var b) => a.Value <= b.Value ? a : b;

        /// <summary>The value without its derivative (the generator's Grad.Stop).</summary>
        public static Var Stop(Var x) => x.Value;
    }
}
