using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Differentiable.GradBench;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// A measurement tool, not API: how much the generated gmm and lstm gradients record on the pooled
    /// <see cref="ValueStack{T}"/> stacks per call, at the BenchmarkDotNet suite's sizes, next to the scratch the
    /// hand-written gradients (<see cref="GmmHand"/>, <see cref="LstmHand"/>) rent. Run with
    /// <c>dotnet run -c Release --project Benchmarks -- --recorded</c>.
    /// </summary>
    /// <remarks>
    /// The stacks' count is private, so this reads the thread's cached stacks by reflection. Per measurement it
    /// empties the current thread's cache (the dropped stacks go to the garbage collector), calls the gradient once
    /// (fresh stacks start empty and grow by doubling, or straight to a <c>PushSpan</c>'s size), fills the arrays the
    /// call left in the cache with a byte pattern, calls the gradient again (a thread rents its last returned stacks
    /// first, so it gets the same arrays back) and reports, per element type, the highest slot overwritten (the
    /// peak number of values recorded, summed over the stacks the call rented) and the arrays' capacity (what the
    /// pool keeps between calls). A recorded value that happens to equal the pattern would read as unwritten; with
    /// the pattern 0xA5 in every byte that is a double near −1.7e−130 or the int −1,515,870,811.
    /// </remarks>
    public static class RecordedBytes
    {
        private const byte Pattern = 0xA5;

        /// <summary>Peak recorded bytes and kept capacity of one element type's stacks after one call.</summary>
        public readonly record struct Usage(int Stacks, long PeakBytes, long CapacityBytes);

        /// <summary>Prints the table for gmm (d ∈ {2, 10, 20}, k ∈ {5, 25}, n = 1000), lstm (layers ∈ {2, 4}, length ∈ {1024, 4096}, b = 7) and det (ℓ ∈ {5, …, 9}).</summary>
        public static void Run(TextWriter output)
        {
            output.WriteLine("Recorded per generated gradient call on the ValueStack<T> pool (peak = highest slot written, summed over stacks; capacity = arrays kept by the pool),");
            output.WriteLine("and the hand-written gradient's ArrayPool scratch (doubles requested; the pool rounds up to a power of two).");
            output.WriteLine();
            output.WriteLine($"{"eval",-28} {"double peak",14} {"int peak",12} {"bool peak",10} {"total peak",14} {"capacity",14} {"hand scratch",14}");
            foreach (int d in new[] { 2, 10, 20 })
            {
                foreach (int k in new[] { 5, 25 })
                {
                    const int n = GmmGradBenchBenchmarks.N;
                    Gmm.Input input = SampleInputs.Gmm(d, k, n, seed: 31337);
                    double[] alpha = new double[k], mu = new double[d * k], q = new double[d * k], l = new double[d * (d - 1) / 2 * k];
                    Write(output, $"gmm d={d} k={k} n={n}", () => input.Gradient(alpha, mu, q, l), 8 * GmmHand.ScratchDoubles(d, k));
                }
            }
            foreach (int layers in new[] { 2, 4 })
            {
                foreach (int length in new[] { 1024, 4096 })
                {
                    const int b = LstmGradBenchBenchmarks.B;
                    Lstm.Input input = SampleInputs.Lstm(layers, length, b, seed: 31337);
                    var gradient = new double[input.MainParams.Length + input.ExtraParams.Length];
                    Write(output, $"lstm layers={layers} length={length} b={b}", () => input.Jacobian(gradient),
                        8 * LstmHand.ScratchDoubles(layers, length, b));
                }
            }
            // det: the recursive cofactor expansion (no hand-written C# gradient; manual C++'s records nothing either).
            // Through split forms the recursion records its whole call tree: about ℓ + 1 times more per step of ℓ.
            foreach (int ell in new[] { 5, 6, 7, 8, 9 })
            {
                var random = new Random(31337);
                double[] a = new double[ell * ell];
                for (int i = 0; i < a.Length; i++) a[i] = 2 * random.NextDouble() - 1;
                double[] g = new double[a.Length];
                Write(output, $"det ell={ell}", () => Det.DeterminantGradient(a, ell, g), 0);
            }
        }

        private static void Write(TextWriter output, string name, Action gradient, long handBytes)
        {
            (Usage doubles, Usage ints, Usage bools) = Measure(gradient);
            long peak = doubles.PeakBytes + ints.PeakBytes + bools.PeakBytes;
            long capacity = doubles.CapacityBytes + ints.CapacityBytes + bools.CapacityBytes;
            output.WriteLine($"{name,-28} {Bytes(doubles.PeakBytes),14} {Bytes(ints.PeakBytes),12} {Bytes(bools.PeakBytes),10} {Bytes(peak),14} {Bytes(capacity),14} {Bytes(handBytes),14}");
        }

        private static string Bytes(long bytes) => $"{bytes / 1024.0:N1} KiB";

        /// <summary>What <paramref name="gradient"/> records on this thread's double, int and bool stacks in one call.</summary>
        public static (Usage Doubles, Usage Ints, Usage Bools) Measure(Action gradient)
        {
            Stacks<double>.ClearThreadCache();
            Stacks<int>.ClearThreadCache();
            Stacks<bool>.ClearThreadCache();
            gradient();
            Stacks<double>.Fill();
            Stacks<int>.Fill();
            Stacks<bool>.Fill();
            gradient();
            return (Stacks<double>.Read(), Stacks<int>.Read(), Stacks<bool>.Read());
        }

        /// <summary>Reflection on <see cref="ValueStack{T}"/>'s thread cache (private fields; this tool only).</summary>
        private static class Stacks<T> where T : unmanaged
        {
            private const BindingFlags Static = BindingFlags.NonPublic | BindingFlags.Static;
            private const BindingFlags Instance = BindingFlags.NonPublic | BindingFlags.Instance;
            private static readonly FieldInfo Head = Field("t_head", Static);
            private static readonly FieldInfo Count = Field("t_count", Static);
            private static readonly FieldInfo Next = Field("_next", Instance);
            private static readonly FieldInfo PooledItems = Field("_pooledItems", Instance);

            private static FieldInfo Field(string name, BindingFlags flags)
                => typeof(ValueStack<T>).GetField(name, flags)
                   ?? throw new MissingFieldException(typeof(ValueStack<T>).FullName, name);

            /// <summary>Drops this thread's cached stacks, so the next call starts from fresh, empty ones.</summary>
            public static void ClearThreadCache()
            {
                Head.SetValue(null, null);
                Count.SetValue(null, 0);
            }

            /// <summary>The arrays the thread's cached stacks keep, most recently returned first.</summary>
            private static List<T[]> Arrays()
            {
                var arrays = new List<T[]>();
                for (object? stack = Head.GetValue(null); stack is not null; stack = Next.GetValue(stack))
                    arrays.Add((T[]?)PooledItems.GetValue(stack) ?? throw new InvalidOperationException("A cached stack is rented."));
                return arrays;
            }

            /// <summary>Writes the pattern over every cached array.</summary>
            public static void Fill()
            {
                foreach (T[] array in Arrays()) MemoryMarshal.AsBytes(array.AsSpan()).Fill(Pattern);
            }

            /// <summary>Per cached array, the slot after the highest one that no longer holds the pattern; summed.</summary>
            public static Usage Read()
            {
                int size = Unsafe.SizeOf<T>();
                long peak = 0, capacity = 0;
                List<T[]> arrays = Arrays();
                foreach (T[] array in arrays)
                {
                    ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(array.AsSpan());
                    int written = bytes.LastIndexOfAnyExcept(Pattern) + 1;
                    long slots = (written + size - 1) / size;
                    peak += slots * size;
                    capacity += (long)array.Length * size;
                }
                return new Usage(arrays.Count, peak, capacity);
            }
        }
    }
}
