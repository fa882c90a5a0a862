using System;
using System.Runtime.CompilerServices;

namespace Differentiable.GradBench.Tape
{
    /// <summary>
    /// A reverse-mode tape built the way Adept, ADOL-C and CppAD build theirs, as the fair baseline for the
    /// generated gradients (benchmarks only, not part of the package). Every operation on a <see cref="Var"/>
    /// appends one entry: the indices of at most two operands and the local partial derivative with respect to
    /// each, computed while the value is. The reverse sweep walks the entries backwards:
    /// <code>
    /// for e = last … first:  adjoint[a[e]] += adjoint[e]·∂a[e];  adjoint[b[e]] += adjoint[e]·∂b[e]
    /// </code>
    /// Entry 0 is a sink: a unary operation's second operand is 0 with partial 0, so the sweep has no branch.
    /// The tape is thread-local and reused: <see cref="Clear"/> rewinds it, and once its arrays have grown to the
    /// largest recording no call allocates.
    /// </summary>
    public sealed class Tape
    {
        [ThreadStatic] private static Tape? _current;

        /// <summary>This thread's tape.</summary>
        public static Tape Current
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => _current ??= new Tape();
        }

        private int[] _a = new int[1024];
        private int[] _b = new int[1024];
        private double[] _partialA = new double[1024];
        private double[] _partialB = new double[1024];
        private double[] _adjoint = new double[1024];
        private int _count = 1;

        /// <summary>Entries recorded since the last <see cref="Clear"/>, the sink included.</summary>
        public int Count => _count;

        /// <summary>Rewinds the tape; the storage is kept.</summary>
        public void Clear() => _count = 1;

        /// <summary>A new independent variable (an input) with value <paramref name="value"/>.</summary>
        public Var Input(double value) => new(value, Record(0, 0, 0, 0));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal int Record(int a, double partialA, int b, double partialB)
        {
            int e = _count;
            if (e == _a.Length) Grow();
            _a[e] = a;
            _partialA[e] = partialA;
            _b[e] = b;
            _partialB[e] = partialB;
            _count = e + 1;
            return e;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Grow()
        {
            int size = _a.Length * 2;
            Array.Resize(ref _a, size);
            Array.Resize(ref _b, size);
            Array.Resize(ref _partialA, size);
            Array.Resize(ref _partialB, size);
            _adjoint = new double[size];
        }

        /// <summary>
        /// The reverse sweep from <paramref name="output"/> seeded with 1: afterwards <see cref="Adjoint(Var)"/>
        /// gives ∂output/∂v for every recorded v.
        /// </summary>
        public void Reverse(Var output)
        {
            Span<double> adjoint = _adjoint.AsSpan(0, _count);
            adjoint.Clear();
            adjoint[output.Index] = 1;
            ReverseFrom(output.Index);
        }

        /// <summary>Clears the adjoints; then seed some with <see cref="Seed"/> and call <see cref="ReverseFrom"/>.</summary>
        public void ClearAdjoints() => _adjoint.AsSpan(0, _count).Clear();

        public void Seed(Var v, double adjoint) => _adjoint[v.Index] += adjoint;

        /// <summary>The sweep over entries <paramref name="last"/> down to 1.</summary>
        public void ReverseFrom(int last)
        {
            int[] a = _a, b = _b;
            double[] pa = _partialA, pb = _partialB, adjoint = _adjoint;
            for (int e = last; e > 0; e--)
            {
                double g = adjoint[e];
                adjoint[a[e]] += g * pa[e];
                adjoint[b[e]] += g * pb[e];
            }
        }

        public double Adjoint(Var v) => _adjoint[v.Index];
    }
}
