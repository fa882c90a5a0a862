// To run: dotnet run -c Release --project Benchmarks -- --filter '*OpsMatMul*'
// The peer numbers (PyTorch on OpenBLAS, one thread): /usr/bin/python3 Benchmarks/peers/matmul_torch.py
using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// The float matrix product of <see cref="Ops"/> on one thread, at the shape of an MNIST-sized dense layer
    /// (64×784×128: a batch of 64 rows of 784 inputs times a 784×128 weight matrix) and at two squares:
    /// <list type="bullet">
    /// <item><c>Forward</c>: <c>c = a · b</c>, 2·m·k·n flops.</item>
    /// <item><c>AdjointA</c>: <c>dC · bᵀ</c> (m×n times n×k, <see cref="Ops.MatMulTransposeB(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>),
    /// the product <c>MatMulBackward</c> accumulates into dA, timed alone: 2·m·k·n flops.</item>
    /// <item><c>AdjointB</c>: <c>aᵀ · dC</c> (k×m times m×n, <see cref="Ops.MatMulTransposeA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>),
    /// the product it accumulates into dB: 2·m·k·n flops.</item>
    /// <item><c>Backward</c>: <see cref="Ops.MatMulBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Span{float}, Span{float}, Span{float})"/>,
    /// which computes both adjoint products, accumulating, and the primal c: 6·m·k·n flops.</item>
    /// </list>
    /// GFLOP/s = flops / time; docs/benchmarks.md has them next to PyTorch's. The seed dC is consumed by
    /// <c>Backward</c> (left zero, as the convention says), so from the second call on the adjoint products
    /// multiply zeros: that costs the same as any other values (no data-dependent timing in the kernel, and zero
    /// is not a subnormal).
    /// </summary>
    [MemoryDiagnoser]
    [GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
    public class OpsMatMulBenchmarks
    {
        /// <summary>The shape m×k×n.</summary>
        [Params("64x784x128", "256x256x256", "512x512x512")]
        public string Shape { get; set; } = "64x784x128";

        private int _m, _k, _n;
        private float[] _a = Array.Empty<float>();
        private float[] _b = Array.Empty<float>();
        private float[] _c = Array.Empty<float>();
        private float[] _dA = Array.Empty<float>();
        private float[] _dB = Array.Empty<float>();
        private float[] _dC = Array.Empty<float>();

        /// <summary>Parses the shape and fills the operands with values in [-1, 1) from a fixed seed.</summary>
        [GlobalSetup]
        public void Setup()
        {
            string[] parts = Shape.Split('x');
            _m = int.Parse(parts[0]);
            _k = int.Parse(parts[1]);
            _n = int.Parse(parts[2]);
            var random = new Random(42);
            _a = Fill(random, _m * _k);
            _b = Fill(random, _k * _n);
            _dC = Fill(random, _m * _n);
            _c = new float[_m * _n];
            _dA = new float[_m * _k];
            _dB = new float[_k * _n];
        }

        private static float[] Fill(Random random, int length)
        {
            var x = new float[length];
            for (int i = 0; i < length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
            return x;
        }

        [Benchmark(Baseline = true)]
        public void Forward() => Ops.MatMul(_a, _b, _c, _m, _k, _n);

        [Benchmark]
        public void AdjointA() => Ops.MatMulTransposeB(_dC, _b, _dA, _m, _n, _k);

        [Benchmark]
        public void AdjointB() => Ops.MatMulTransposeA(_a, _dC, _dB, _k, _m, _n);

        [Benchmark]
        public void Backward() => Ops.MatMulBackward(_a, _b, _c, _m, _k, _n, _dA, _dB, _dC);
    }
}

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// The opt-in parallel path (<see cref="Ops.MaxDegreeOfParallelism"/>): float <c>MatMul</c> and
    /// <c>MatMulBackward</c> at 512×512×512 on one and two threads. Run with
    /// <c>dotnet run -c Release --project Benchmarks -- --filter '*OpsMatMulParallel*'</c>.
    /// </summary>
    [MemoryDiagnoser]
    public class OpsMatMulParallelBenchmarks
    {
        /// <summary>The degree of parallelism.</summary>
        [Params(1, 2)]
        public int Threads { get; set; }

        private const int Size = 512;
        private float[] _a = System.Array.Empty<float>(), _b = System.Array.Empty<float>(), _c = System.Array.Empty<float>();
        private float[] _dA = System.Array.Empty<float>(), _dB = System.Array.Empty<float>(), _dC = System.Array.Empty<float>();

        /// <summary>Operands from a fixed seed; sets the degree of parallelism.</summary>
        [GlobalSetup]
        public void Setup()
        {
            var random = new System.Random(42);
            float[] Fill() { var x = new float[Size * Size]; for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1); return x; }
            _a = Fill(); _b = Fill(); _dC = Fill();
            _c = new float[Size * Size]; _dA = new float[Size * Size]; _dB = new float[Size * Size];
            Ops.MaxDegreeOfParallelism = Threads;
        }

        /// <summary>Back to the default.</summary>
        [GlobalCleanup]
        public void Cleanup() => Ops.MaxDegreeOfParallelism = 1;

        [Benchmark]
        public void Forward() => Ops.MatMul(_a, _b, _c, Size, Size, Size);

        [Benchmark]
        public void Backward() => Ops.MatMulBackward(_a, _b, _c, Size, Size, Size, _dA, _dB, _dC);
    }
}
