namespace Differentiable.Generator.Tests.Runtime;

/// <summary>Runs alone: <see cref="Ops.MaxDegreeOfParallelism"/> is process-wide, and other tests count allocations.</summary>
[CollectionDefinition(nameof(ParallelMatMulCollection), DisableParallelization = true)]
public sealed class ParallelMatMulCollection { }

/// <summary>
/// The opt-in parallel products: bitwise the same results as one thread for every product and adjoint, the
/// default is one thread, and the setting is validated.
/// </summary>
[Collection(nameof(ParallelMatMulCollection))]
public class OpsMatMulParallelTests
{
    private static float[] Random(Random random, int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();

    private static float[][] RunAll(int m, int k, int n)
    {
        var random = new Random(m + 31 * k + 977 * n);
        float[] a = Random(random, m * k), b = Random(random, k * n), seed = Random(random, m * n);
        var results = new List<float[]>();
        foreach (var op in new Action<float[], float[], float[], float[], float[], float[]>[]
        {
            (c, dA, dB, dC, _, _) => Ops.MatMulBackward(a, b, c, m, k, n, dA, dB, dC),
            (c, dA, dB, dC, _, _) => Ops.MatMulTransposeBBackward(a, b, c, m, k, n, dA, dB, dC),
            (c, dA, dB, dC, _, _) => Ops.MatMulTransposeABackward(a, b, c, m, k, n, dA, dB, dC),
        })
        {
            float[] c = new float[m * n], dA = Random(random, a.Length), dB = Random(random, b.Length), dC = (float[])seed.Clone();
            op(c, dA, dB, dC, a, b);
            results.Add(c); results.Add(dA); results.Add(dB);
            float[] forward = new float[m * n];
            Ops.MatMul(a, b, forward, m, k, n);
            results.Add(forward);
        }
        return results.ToArray();
    }

    [Theory]
    [InlineData(200, 300, 150)]
    [InlineData(257, 257, 100)]
    [InlineData(100, 784, 128)]
    public void Parallel_products_are_bitwise_the_same_as_one_thread(int m, int k, int n)
    {
        Assert.Equal(1, Ops.MaxDegreeOfParallelism);
        var serial = RunAll(m, k, n);
        try
        {
            foreach (int threads in new[] { 2, 3, 8 })
            {
                Ops.MaxDegreeOfParallelism = threads;
                var parallel = RunAll(m, k, n);
                for (int r = 0; r < serial.Length; r++)
                    Assert.True(serial[r].AsSpan().SequenceEqual(parallel[r]), $"result {r} differs with {threads} threads");
            }
        }
        finally { Ops.MaxDegreeOfParallelism = 1; }
    }

    [Fact]
    public void The_degree_of_parallelism_must_be_positive()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.MaxDegreeOfParallelism = 0);
        Assert.Equal("value", error.ParamName);
        Assert.Equal(1, Ops.MaxDegreeOfParallelism);
    }
}
