using System;

namespace Differentiable.GradBench.Tape
{
    /// <summary>
    /// Reusable <see cref="Var"/> arrays for the tape workloads' inputs and local vectors, one set per thread, so a
    /// warm call allocates nothing (what a C++ tape user gets from a <c>std::vector</c> kept between calls).
    /// </summary>
    public static class Scratch
    {
        [ThreadStatic] private static Var[][]? _buffers;

        /// <summary>Buffer number <paramref name="slot"/> (0–7), at least <paramref name="length"/> long; contents undefined.</summary>
        public static Span<Var> Get(int slot, int length)
        {
            Var[][] buffers = _buffers ??= new Var[8][];
            Var[]? b = buffers[slot];
            if (b is null || b.Length < length) buffers[slot] = b = new Var[Math.Max(length, 16)];
            return b.AsSpan(0, length);
        }

        /// <summary>Records each value of <paramref name="values"/> as an input of the tape, in buffer <paramref name="slot"/>.</summary>
        public static Span<Var> Inputs(Tape tape, int slot, ReadOnlySpan<double> values)
        {
            Span<Var> v = Get(slot, values.Length);
            for (int i = 0; i < values.Length; i++) v[i] = tape.Input(values[i]);
            return v;
        }

        public static void Adjoints(Tape tape, ReadOnlySpan<Var> inputs, Span<double> gradient)
        {
            for (int i = 0; i < inputs.Length; i++) gradient[i] = tape.Adjoint(inputs[i]);
        }
    }
}
