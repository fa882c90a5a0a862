namespace Differentiable.Generator.Tests.Runtime;

/// <summary>
/// The activity variants of the matrix products' Backwards (<c>…BackwardConstantA</c>/<c>B</c>): the same dB (resp.
/// dA), c and cleared dC as the full Backward, bit for bit, and the other adjoint's product skipped.
/// </summary>
public class OpsMatMulVariantTests
{
    private delegate void Full(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n, Span<double> dA, Span<double> dB, Span<double> dC);
    private delegate void Partial(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n, Span<double> d, Span<double> dC);

    public static TheoryData<string, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (string op in new[] { "MatMul", "MatMulTransposeB", "MatMulTransposeA" })
            foreach (var (m, k, n) in new[] { (1, 1, 1), (7, 33, 5), (33, 7, 100), (100, 257, 33) })
                data.Add(op, m, k, n);
        return data;
    }

    private static (Full Full, Partial ConstantA, Partial ConstantB) Methods(string op) => op switch
    {
        "MatMul" => (Ops.MatMulBackward, Ops.MatMulBackwardConstantA, Ops.MatMulBackwardConstantB),
        "MatMulTransposeB" => (Ops.MatMulTransposeBBackward, Ops.MatMulTransposeBBackwardConstantA, Ops.MatMulTransposeBBackwardConstantB),
        _ => (Ops.MatMulTransposeABackward, Ops.MatMulTransposeABackwardConstantA, Ops.MatMulTransposeABackwardConstantB),
    };

    private static double[] Random(Random random, int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Variants_match_the_full_backward(string op, int m, int k, int n)
    {
        var (full, constantA, constantB) = Methods(op);
        var random = new Random(m * 1000 + k * 10 + n);
        double[] a = Random(random, m * k), b = Random(random, k * n), seed = Random(random, m * n);
        double[] dA = Random(random, a.Length), dB = Random(random, b.Length);
        double[] c = new double[m * n], dC = (double[])seed.Clone();
        double[] fullA = (double[])dA.Clone(), fullB = (double[])dB.Clone();
        full(a, b, c, m, k, n, fullA, fullB, dC);

        double[] c1 = new double[m * n], dC1 = (double[])seed.Clone(), onlyB = (double[])dB.Clone();
        constantA(a, b, c1, m, k, n, onlyB, dC1);
        Assert.Equal(fullB, onlyB);
        Assert.Equal(c, c1);
        Assert.All(dC1, v => Assert.Equal(0.0, v));

        double[] c2 = new double[m * n], dC2 = (double[])seed.Clone(), onlyA = (double[])dA.Clone();
        constantB(a, b, c2, m, k, n, onlyA, dC2);
        Assert.Equal(fullA, onlyA);
        Assert.Equal(c, c2);
        Assert.All(dC2, v => Assert.Equal(0.0, v));
    }

    private static Full WithoutPrimal(string op) => op switch
    {
        "MatMul" => Ops.MatMulBackwardWithoutPrimal,
        "MatMulTransposeB" => Ops.MatMulTransposeBBackwardWithoutPrimal,
        _ => Ops.MatMulTransposeABackwardWithoutPrimal,
    };

    private static (Partial ConstantA, Partial ConstantB) WithoutPrimalConstant(string op) => op switch
    {
        "MatMul" => (Ops.MatMulBackwardConstantAWithoutPrimal, Ops.MatMulBackwardConstantBWithoutPrimal),
        "MatMulTransposeB" => (Ops.MatMulTransposeBBackwardConstantAWithoutPrimal, Ops.MatMulTransposeBBackwardConstantBWithoutPrimal),
        _ => (Ops.MatMulTransposeABackwardConstantAWithoutPrimal, Ops.MatMulTransposeABackwardConstantBWithoutPrimal),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Variants_without_the_primal_give_the_same_adjoints_and_leave_c(string op, int m, int k, int n)
    {
        var (full, _, _) = Methods(op);
        var random = new Random(m * 7 + k * 3 + n);
        double[] a = Random(random, m * k), b = Random(random, k * n), seed = Random(random, m * n);
        double[] dA = Random(random, a.Length), dB = Random(random, b.Length);
        double[] c = new double[m * n], dC = (double[])seed.Clone(), fullA = (double[])dA.Clone(), fullB = (double[])dB.Clone();
        full(a, b, c, m, k, n, fullA, fullB, dC);

        double[] untouched = Random(random, m * n);
        double[] c1 = (double[])untouched.Clone(), dC1 = (double[])seed.Clone(), wA = (double[])dA.Clone(), wB = (double[])dB.Clone();
        WithoutPrimal(op)(a, b, c1, m, k, n, wA, wB, dC1);
        Assert.Equal(fullA, wA);
        Assert.Equal(fullB, wB);
        Assert.Equal(untouched, c1);
        Assert.All(dC1, v => Assert.Equal(0.0, v));

        var (constantA, constantB) = WithoutPrimalConstant(op);
        double[] c2 = (double[])untouched.Clone(), dC2 = (double[])seed.Clone(), onlyB = (double[])dB.Clone();
        constantA(a, b, c2, m, k, n, onlyB, dC2);
        Assert.Equal(fullB, onlyB);
        Assert.Equal(untouched, c2);
        double[] c3 = (double[])untouched.Clone(), dC3 = (double[])seed.Clone(), onlyA = (double[])dA.Clone();
        constantB(a, b, c3, m, k, n, onlyA, dC3);
        Assert.Equal(fullA, onlyA);
        Assert.Equal(untouched, c3);
        Assert.All(dC3, v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Variants_check_their_adjoints()
    {
        double[] a = new double[6], b = new double[6], c = new double[4];
        Assert.Equal("dB", Assert.Throws<ArgumentException>(() => Ops.MatMulBackwardConstantA(a, b, c, 2, 3, 2, new double[5], new double[4])).ParamName);
        Assert.Equal("dA", Assert.Throws<ArgumentException>(() => Ops.MatMulBackwardConstantB(a, b, c, 2, 3, 2, new double[5], new double[4])).ParamName);
        Assert.Equal("dC", Assert.Throws<ArgumentException>(() => Ops.MatMulBackwardConstantB(a, b, c, 2, 3, 2, new double[6], new double[3])).ParamName);
    }

    [Fact]
    public void Float_variants_match_too()
    {
        const int m = 9, k = 17, n = 11;
        var random = new Random(4);
        float[] F(int len) => Enumerable.Range(0, len).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] a = F(m * k), bt = F(n * k), seed = F(m * n);
        float[] c = new float[m * n], dC = (float[])seed.Clone(), dA = new float[a.Length];
        Ops.MatMulTransposeBBackward(a, bt, c, m, k, n, dA, new float[n * k], dC);
        float[] c1 = new float[m * n], dC1 = (float[])seed.Clone(), dA1 = new float[a.Length];
        Ops.MatMulTransposeBBackwardConstantB(a, bt, c1, m, k, n, dA1, dC1);
        Assert.Equal(dA, dA1);
        Assert.Equal(c, c1);
        Assert.All(dC1, v => Assert.Equal(0f, v));
    }
}
