// To run: dotnet run -c Release --project Benchmarks -- --filter '*MlpGradBenchBenchmarks*'
using System;
using BenchmarkDotNet.Attributes;
using Differentiable.GradBench.Tape;
using Sample.Mlp;

namespace Differentiable.Benchmarks
{
    /// <summary>
    /// Issue 12's Sample.Mlp row: one training step's gradient of <see cref="Mlp.Loss"/> (784-128-10, mean softmax
    /// cross-entropy), one thread, at batch 64 and batch 1. The primal (the loss alone, baseline), the generated
    /// gradient as <c>Trainer</c> calls it, and the <see cref="BlockTape"/>: a tape whose nodes are whole Ops (a
    /// matrix product is one node with its own adjoint, as in PyTorch), recording the same Ops in the same order
    /// (<see cref="MlpTapeWorkload"/>). He-initialized parameters, inputs uniform in [0, 1), random labels; tests in
    /// GradBench.Tests check that the tape and the generated gradients agree.
    /// </summary>
    [MemoryDiagnoser]
    public class MlpGradBenchBenchmarks
    {
        private static readonly int[] Sizes = [784, 128, 10];

        [Params(64, 1)]
        public int Batch { get; set; }

        private float[] _parameters = [], _x = [], _gradient = [];
        private int[] _labels = [];

        [GlobalSetup]
        public void Setup()
        {
            _parameters = new float[Mlp.ParameterCount(Sizes)];
            Mlp.Initialize(_parameters, Sizes, seed: 12);
            var random = new Random(31337);
            _x = new float[Batch * Sizes[0]];
            for (int i = 0; i < _x.Length; i++) _x[i] = (float)random.NextDouble();
            _labels = new int[Batch];
            for (int r = 0; r < Batch; r++) _labels[r] = random.Next(Sizes[^1]);
            _gradient = new float[_parameters.Length];
        }

        [Benchmark(Baseline = true)]
        public float Primal()
        {
            using (Workspace.Scope()) return Mlp.Loss(_parameters, _x, _labels, Sizes, Batch);
        }

        [Benchmark]
        public float Generated()
        {
            using (Workspace.Scope()) return Mlp.LossGradient(_parameters, _x, _labels, Sizes, Batch, _gradient);
        }

        [Benchmark]
        public float Tape() => MlpTapeWorkload.LossGradient(_parameters, _x, _labels, Sizes, Batch, _gradient);
    }
}
