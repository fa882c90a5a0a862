using System;

namespace Differentiable.GradBench
{
    /// <summary>Inputs shaped like the GradBench evals' (fixed seeds), for the tests and the BenchmarkDotNet suite: normal and uniform numbers, and for lstm a random 0/1 character sequence.</summary>
    public static class SampleInputs
    {
        public static double[] Uniform(int n, int seed)
        {
            var random = new Random(seed);
            var result = new double[n];
            for (int i = 0; i < n; i++) result[i] = random.NextDouble();
            return result;
        }

        public static double[] Normal(int n, int seed)
        {
            var random = new Random(seed);
            var result = new double[n];
            for (int i = 0; i < n; i++)
            {
                double u = 1 - random.NextDouble(), v = random.NextDouble();
                result[i] = Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
            }
            return result;
        }

        public static Gmm.Input Gmm(int d, int k, int n, int seed) => new()
        {
            D = d, K = k, N = n, M = 0, Gamma = 1,
            Alpha = Normal(k, seed),
            Mu = Uniform(d * k, seed + 1),
            Q = Normal(d * k, seed + 2),
            L = Normal(d * (d - 1) / 2 * k, seed + 3),
            X = Normal(d * n, seed + 4),
        };

        public static Lstm.Input Lstm(int layers, int length, int b, int seed)
        {
            var random = new Random(seed);
            var sequence = new double[length * b];
            for (int i = 0; i < sequence.Length; i++) sequence[i] = random.Next(2);
            return new()
            {
                Layers = layers, Length = length, B = b,
                MainParams = Uniform(8 * layers * b, seed + 1),
                ExtraParams = Uniform(3 * b, seed + 2),
                State = Uniform(2 * layers * b, seed + 3),
                Sequence = sequence,
            };
        }
    }
}
