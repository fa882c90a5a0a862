using System.Numerics;

namespace Differentiable.Generator.Tests.Runtime;

/// <summary>
/// <see cref="Ops.MatMul(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>,
/// <c>MatMulTransposeB</c>, <c>MatMulTransposeA</c> and their <c>Backward</c>s, float and double: values against a
/// triple-loop reference at shapes that hit every vector, tile and block tail; adjoints against the reference and
/// against central finite differences; accumulation, the consumed seed, the argument checks, determinism and zero
/// allocation once warm.
/// </summary>
/// <remarks>
/// <para>
/// <b>Tolerances.</b> Every element of a product is a dot product of length K (the shared dimension). Whatever the
/// summation order, floating-point summation of K products, with or without fused multiply-add, is within
/// γ = K·u of the exact sum relative to Σ|termᵢ| (Higham, <i>Accuracy and Stability of Numerical Algorithms</i>,
/// §3.1), where u is the unit roundoff (2⁻²⁴ float, 2⁻⁵³ double). The reference sums in double, so for float it is
/// exact to well below float's u and the bound is (K + 1)·u·Σ|terms|; for double both sides carry that error, so
/// 2·(K + 1)·u·Σ|terms|. Accumulating into an adjoint adds its old value to the terms and one more rounding. The
/// bound is per element and worst case, so a correct kernel cannot fail it, while an indexing error (a wrong term,
/// a missing or doubled one) moves an element by about one |term|, i.e. by 1/K of Σ|terms| or more, far above it.
/// </para>
/// </remarks>
public class OpsMatMulTests
{
    public enum Product { Plain, TransposeB, TransposeA }

    private delegate void Forward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int k, int n);

    private delegate void Backward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int k, int n,
        Span<T> dA, Span<T> dB, Span<T> dC);

    private static readonly int[] Sizes = { 1, 7, 33, 100, 257 };

    private static Forward<float> ForwardF(Product p) => p switch
    {
        Product.Plain => Ops.MatMul,
        Product.TransposeB => Ops.MatMulTransposeB,
        _ => Ops.MatMulTransposeA,
    };

    private static Forward<double> ForwardD(Product p) => p switch
    {
        Product.Plain => Ops.MatMul,
        Product.TransposeB => Ops.MatMulTransposeB,
        _ => Ops.MatMulTransposeA,
    };

    private static Backward<float> BackwardF(Product p) => p switch
    {
        Product.Plain => Ops.MatMulBackward,
        Product.TransposeB => Ops.MatMulTransposeBBackward,
        _ => Ops.MatMulTransposeABackward,
    };

    private static Backward<double> BackwardD(Product p) => p switch
    {
        Product.Plain => Ops.MatMulBackward,
        Product.TransposeB => Ops.MatMulTransposeBBackward,
        _ => Ops.MatMulTransposeABackward,
    };

    // ---- the reference: storage of each operand, and the products by definition ----

    /// <summary>Index of op(A)[i, p] in a: a is m×k except for TransposeA, where it is stored k×m.</summary>
    private static int AIndex(Product p, int i, int q, int m, int k) => p == Product.TransposeA ? q * m + i : i * k + q;

    /// <summary>Index of op(B)[p, j] in b: b is k×n except for TransposeB, where it is stored n×k.</summary>
    private static int BIndex(Product p, int q, int j, int k, int n) => p == Product.TransposeB ? j * k + q : q * n + j;

    private static double D<T>(T x) where T : INumberBase<T> => double.CreateTruncating(x);

    /// <summary>op(A) as a double m×k matrix (<paramref name="transposed"/>: k×m, i.e. op(A)ᵀ), whatever a's storage.</summary>
    private static double[] OpA<T>(Product p, T[] a, int m, int k, bool transposed) where T : INumberBase<T>
    {
        var x = new double[m * k];
        for (int i = 0; i < m; i++)
            for (int q = 0; q < k; q++)
                x[transposed ? q * m + i : i * k + q] = D(a[AIndex(p, i, q, m, k)]);
        return x;
    }

    /// <summary>op(B) as a double k×n matrix (<paramref name="transposed"/>: n×k), whatever b's storage.</summary>
    private static double[] OpB<T>(Product p, T[] b, int k, int n, bool transposed) where T : INumberBase<T>
    {
        var x = new double[k * n];
        for (int q = 0; q < k; q++)
            for (int j = 0; j < n; j++)
                x[transposed ? j * k + q : q * n + j] = D(b[BIndex(p, q, j, k, n)]);
        return x;
    }

    private static double[] ToDouble<T>(T[] x, bool transposed, int rows, int cols) where T : INumberBase<T>
    {
        var y = new double[x.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                y[transposed ? j * rows + i : i * cols + j] = D(x[i * cols + j]);
        return y;
    }

    /// <summary>Σ_t x[xo + t]·y[yo + t] for t &lt; length, summed in double in order, with Σ|terms|.</summary>
    private static double Dot(double[] x, int xo, double[] y, int yo, int length, out double magnitude)
    {
        double s = 0, g = 0;
        for (int t = 0; t < length; t++)
        {
            double term = x[xo + t] * y[yo + t];
            s += term;
            g += Math.Abs(term);
        }
        magnitude = g;
        return s;
    }

    /// <summary>c[i, j] = Σ_q A[i, q]·B[q, j] in double, with Σ|A[i, q]·B[q, j]| for the error bound.</summary>
    private static void ReferenceProduct<T>(Product p, T[] a, T[] b, int m, int k, int n, double[] c, double[] magnitude)
        where T : INumberBase<T>
    {
        double[] rowsOfA = OpA(p, a, m, k, transposed: false), columnsOfB = OpB(p, b, k, n, transposed: true);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                c[i * n + j] = Dot(rowsOfA, i * k, columnsOfB, j * k, k, out magnitude[i * n + j]);
    }

    /// <summary>
    /// The adjoints of L = Σ seed⊙c by definition: dA[i, q] = Σ_j seed[i, j]·B[q, j] and dB[q, j] = Σ_i A[i, q]·seed[i, j],
    /// stored the way a and b are, plus the initial dA and dB (accumulation); with Σ|terms| for the bound.
    /// </summary>
    private static void ReferenceAdjoints<T>(Product p, T[] a, T[] b, T[] seed, T[] dA0, T[] dB0, int m, int k, int n,
        double[] dA, double[] dAMagnitude, double[] dB, double[] dBMagnitude) where T : INumberBase<T>
    {
        double[] rowsOfB = OpB(p, b, k, n, transposed: false), columnsOfA = OpA(p, a, m, k, transposed: true);
        double[] rowsOfSeed = ToDouble(seed, false, m, n), columnsOfSeed = ToDouble(seed, true, m, n);
        for (int i = 0; i < m; i++)
            for (int q = 0; q < k; q++)
            {
                int idx = AIndex(p, i, q, m, k);
                double old = D(dA0[idx]);
                dA[idx] = old + Dot(rowsOfSeed, i * n, rowsOfB, q * n, n, out double g);
                dAMagnitude[idx] = Math.Abs(old) + g;
            }
        for (int q = 0; q < k; q++)
            for (int j = 0; j < n; j++)
            {
                int idx = BIndex(p, q, j, k, n);
                double old = D(dB0[idx]);
                dB[idx] = old + Dot(columnsOfA, q * m, columnsOfSeed, j * m, m, out double g);
                dBMagnitude[idx] = Math.Abs(old) + g;
            }
    }

    /// <summary>Unit roundoff of T.</summary>
    private static double U<T>() => typeof(T) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53);

    /// <summary>The bound of the remarks: (terms + 1)·u·Σ|terms| for float, twice that for double (the reference rounds too).</summary>
    private static double Bound<T>(int terms, double magnitude)
        => (typeof(T) == typeof(float) ? 1 : 2) * (terms + 1) * U<T>() * magnitude;

    private static void AssertClose<T>(string what, double[] expected, double[] magnitude, T[] actual, int length, int terms)
        where T : INumberBase<T>
    {
        for (int i = 0; i < length; i++)
        {
            double error = Math.Abs(D(actual[i]) - expected[i]);
            double bound = Bound<T>(terms, magnitude[i]);
            Assert.True(error <= bound,
                $"{what}[{i}] = {D(actual[i]):R}, expected {expected[i]:R}: error {error:E3} > bound {bound:E3}");
        }
    }

    private static T[] Random<T>(Random random, int length) where T : INumberBase<T>
    {
        var x = new T[length];
        for (int i = 0; i < length; i++) x[i] = T.CreateTruncating(random.NextDouble() * 2 - 1);
        return x;
    }

    public static IEnumerable<object[]> AllProducts()
    {
        foreach (Product p in Enum.GetValues<Product>()) yield return new object[] { p };
    }

    /// <summary>Every (m, k, n) drawn from <see cref="Sizes"/>: 125 shapes.</summary>
    private static IEnumerable<(int M, int K, int N)> AllShapes()
    {
        foreach (int m in Sizes)
            foreach (int k in Sizes)
                foreach (int n in Sizes)
                    yield return (m, k, n);
    }

    /// <summary>Every (m, k, n) from {1, 7, 33, 100}, plus shapes with 257 in each role and one all 257.</summary>
    private static IEnumerable<(int M, int K, int N)> AdjointShapes()
    {
        int[] small = { 1, 7, 33, 100 };
        foreach (int m in small)
            foreach (int k in small)
                foreach (int n in small)
                    yield return (m, k, n);
        yield return (257, 33, 7);
        yield return (7, 257, 33);
        yield return (33, 7, 257);
        yield return (257, 100, 257);
        yield return (257, 257, 257);
    }

    // ---- values ----

    private static void CheckForward<T>(Product p, Forward<T> forward, IEnumerable<(int M, int K, int N)> shapes)
        where T : INumberBase<T>
    {
        var random = new Random(1234);
        foreach (var (m, k, n) in shapes)
        {
            T[] a = Random<T>(random, m * k), b = Random<T>(random, k * n);
            var c = new T[m * n];
            Array.Fill(c, T.CreateTruncating(12345.0)); // overwritten, never added to
            forward(a, b, c, m, k, n);
            var expected = new double[m * n];
            var magnitude = new double[m * n];
            ReferenceProduct(p, a, b, m, k, n, expected, magnitude);
            AssertClose($"{p} {m}×{k}×{n} c", expected, magnitude, c, m * n, k);
        }
    }

    [Theory, MemberData(nameof(AllProducts))]
    public void Float_products_match_the_reference_at_every_shape(Product p) => CheckForward(p, ForwardF(p), AllShapes());

    [Theory, MemberData(nameof(AllProducts))]
    public void Double_products_match_the_reference_at_every_shape(Product p) => CheckForward(p, ForwardD(p), AllShapes());

    /// <summary>Shapes past every block size: two blocks of KC = 256 along k, three of MC along m, two of NC = 2048 along n.</summary>
    [Theory, MemberData(nameof(AllProducts))]
    public void Products_span_several_cache_blocks(Product p)
    {
        (int, int, int)[] shapes = { (300, 600, 50), (13, 300, 2100) };
        CheckForward(p, ForwardF(p), shapes);
        CheckForward(p, ForwardD(p), shapes);
    }

    [Fact]
    public void Zero_sized_dimensions()
    {
        var c = new double[6];
        Array.Fill(c, 7.0);
        Ops.MatMul(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, c, 2, 0, 3);
        Assert.All(c, x => Assert.Equal(0.0, x)); // an empty sum
        Ops.MatMul(new double[4], ReadOnlySpan<double>.Empty, Span<double>.Empty, 0, 4, 0);
        var dA = new double[2];
        var dC = new[] { 1.0, 2.0 };
        Ops.MatMulTransposeBBackward(new[] { 1.0, 2.0 }, ReadOnlySpan<double>.Empty, Span<double>.Empty, 0, 2, 0, dA, Span<double>.Empty, Span<double>.Empty);
        Assert.Equal(new double[2], dA);
    }

    // ---- adjoints against the reference ----

    private static void CheckBackward<T>(Product p, Backward<T> backward, Forward<T> forward,
        IEnumerable<(int M, int K, int N)> shapes) where T : INumberBase<T>
    {
        var random = new Random(99);
        foreach (var (m, k, n) in shapes)
        {
            T[] a = Random<T>(random, m * k), b = Random<T>(random, k * n), seed = Random<T>(random, m * n);
            T[] dA0 = Random<T>(random, m * k), dB0 = Random<T>(random, k * n);
            T[] dA = (T[])dA0.Clone(), dB = (T[])dB0.Clone(), dC = (T[])seed.Clone();
            var c = new T[m * n];
            Array.Fill(c, T.CreateTruncating(-3.0));
            backward(a, b, c, m, k, n, dA, dB, dC);

            string shape = $"{p} {m}×{k}×{n}";
            var expectedA = new double[m * k];
            var magnitudeA = new double[m * k];
            var expectedB = new double[k * n];
            var magnitudeB = new double[k * n];
            ReferenceAdjoints(p, a, b, seed, dA0, dB0, m, k, n, expectedA, magnitudeA, expectedB, magnitudeB);
            // dA sums n terms plus its old value, dB m terms plus its old value.
            AssertClose(shape + " dA", expectedA, magnitudeA, dA, m * k, n + 1);
            AssertClose(shape + " dB", expectedB, magnitudeB, dB, k * n, m + 1);
            Assert.All(dC, x => Assert.Equal(T.Zero, x));
            var primal = new T[m * n];
            forward(a, b, primal, m, k, n);
            Assert.Equal(primal, c); // the primal ran, bit for bit as the forward product
        }
    }

    [Theory, MemberData(nameof(AllProducts))]
    public void Float_adjoints_match_the_reference(Product p) => CheckBackward(p, BackwardF(p), ForwardF(p), AdjointShapes());

    [Theory, MemberData(nameof(AllProducts))]
    public void Double_adjoints_match_the_reference(Product p) => CheckBackward(p, BackwardD(p), ForwardD(p), AdjointShapes());

    // ---- adjoints against finite differences of L = Σ seed⊙c ----

    private static double Loss<T>(Forward<T> forward, T[] a, T[] b, T[] seed, int m, int k, int n) where T : INumberBase<T>
    {
        var c = new T[m * n];
        forward(a, b, c, m, k, n);
        double sum = 0;
        for (int i = 0; i < c.Length; i++) sum += D(seed[i]) * D(c[i]);
        return sum;
    }

    /// <summary>
    /// Central differences of L with respect to every element of a and b. L is linear in each operand, so the
    /// difference quotient has no truncation error and the step only trades against rounding: h = 1e-3 (double)
    /// and 1e-1 (float; c is rounded to float, about 6e-8·|c|, divided by 2h). The check is
    /// |fd − g| ≤ tol·(1 + |g|) with tol = 1e-6 (double) and 1e-3 (float), relative for entries of size one and
    /// above, absolute below (an entry near zero has no meaningful relative error).
    /// </summary>
    private static void CheckFiniteDifferences<T>(Product p, Forward<T> forward, Backward<T> backward, double h, double tol)
        where T : INumberBase<T>
    {
        var random = new Random(7);
        foreach (var (m, k, n) in new[] { (3, 4, 5), (7, 1, 9), (1, 8, 1), (6, 17, 10) })
        {
            T[] a = Random<T>(random, m * k), b = Random<T>(random, k * n), seed = Random<T>(random, m * n);
            var dA = new T[m * k];
            var dB = new T[k * n];
            backward(a, b, new T[m * n], m, k, n, dA, dB, (T[])seed.Clone());
            CheckOperand("dA", a, dA);
            CheckOperand("dB", b, dB);

            void CheckOperand(string name, T[] x, T[] gradient)
            {
                for (int i = 0; i < x.Length; i++)
                {
                    T saved = x[i];
                    x[i] = saved + T.CreateTruncating(h);
                    double plus = Loss(forward, a, b, seed, m, k, n);
                    x[i] = saved - T.CreateTruncating(h);
                    double minus = Loss(forward, a, b, seed, m, k, n);
                    x[i] = saved;
                    double fd = (plus - minus) / (2 * h);
                    double g = D(gradient[i]);
                    Assert.True(Math.Abs(fd - g) <= tol * (1 + Math.Abs(g)),
                        $"{p} {m}×{k}×{n} {name}[{i}]: backward {g:R}, finite difference {fd:R}");
                }
            }
        }
    }

    [Theory, MemberData(nameof(AllProducts))]
    public void Double_adjoints_match_finite_differences(Product p)
        => CheckFiniteDifferences(p, ForwardD(p), BackwardD(p), 1e-3, 1e-6);

    [Theory, MemberData(nameof(AllProducts))]
    public void Float_adjoints_match_finite_differences(Product p)
        => CheckFiniteDifferences(p, ForwardF(p), BackwardF(p), 1e-1, 1e-3);

    // ---- the Backward convention ----

    [Theory, MemberData(nameof(AllProducts))]
    public void Backward_twice_accumulates_twice_and_consumes_the_seed(Product p)
    {
        const int m = 9, k = 300, n = 13; // k past one KC block
        var random = new Random(5);
        double[] a = Random<double>(random, m * k), b = Random<double>(random, k * n), seed = Random<double>(random, m * n);
        var dA1 = new double[m * k];
        var dB1 = new double[k * n];
        var c = new double[m * n];
        var dC = (double[])seed.Clone();
        BackwardD(p)(a, b, c, m, k, n, dA1, dB1, dC);
        Assert.All(dC, x => Assert.Equal(0.0, x));

        var dA2 = (double[])dA1.Clone();
        var dB2 = (double[])dB1.Clone();
        BackwardD(p)(a, b, c, m, k, n, dA2, dB2, dC);
        Assert.Equal(dA1, dA2); // the consumed seed adds nothing

        seed.CopyTo(dC, 0);
        BackwardD(p)(a, b, c, m, k, n, dA2, dB2, dC);
        for (int i = 0; i < dA1.Length; i++) Assert.Equal(2 * dA1[i], dA2[i], 1e-12 * (1 + Math.Abs(dA1[i])));
        for (int i = 0; i < dB1.Length; i++) Assert.Equal(2 * dB1[i], dB2[i], 1e-12 * (1 + Math.Abs(dB1[i])));
        Assert.All(dC, x => Assert.Equal(0.0, x));

        var primal = new double[m * n];
        ForwardD(p)(a, b, primal, m, k, n);
        Assert.Equal(primal, c);
    }

    [Theory, MemberData(nameof(AllProducts))]
    public void Results_are_bitwise_reproducible(Product p)
    {
        const int m = 150, k = 520, n = 70;
        var random = new Random(3);
        float[] a = Random<float>(random, m * k), b = Random<float>(random, k * n), seed = Random<float>(random, m * n);
        var c1 = new float[m * n];
        var c2 = new float[m * n];
        ForwardF(p)(a, b, c1, m, k, n);
        ForwardF(p)(new float[7], new float[7], new float[49], 7, 1, 7); // something else in between
        ForwardF(p)(a, b, c2, m, k, n);
        Assert.Equal(c1, c2);
        var dA1 = new float[m * k];
        var dA2 = new float[m * k];
        BackwardF(p)(a, b, c1, m, k, n, dA1, new float[k * n], (float[])seed.Clone());
        BackwardF(p)(a, b, c2, m, k, n, dA2, new float[k * n], (float[])seed.Clone());
        Assert.Equal(dA1, dA2);
    }

    // ---- argument checks ----

    private static void AssertParam(string name, Action call)
    {
        var e = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Equal(name, e.ParamName);
    }

    [Theory, MemberData(nameof(AllProducts))]
    public void Short_spans_and_negative_dimensions_throw_naming_the_parameter(Product p)
    {
        const int m = 2, k = 3, n = 4;
        Forward<double> f = ForwardD(p);
        AssertParam("a", () => f(new double[m * k - 1], new double[k * n], new double[m * n], m, k, n));
        AssertParam("b", () => f(new double[m * k], new double[k * n - 1], new double[m * n], m, k, n));
        AssertParam("c", () => f(new double[m * k], new double[k * n], new double[m * n - 1], m, k, n));
        AssertParam("m", () => f(new double[m * k], new double[k * n], new double[m * n], -1, k, n));
        AssertParam("k", () => f(new double[m * k], new double[k * n], new double[m * n], m, -1, n));
        AssertParam("n", () => f(new double[m * k], new double[k * n], new double[m * n], m, k, -1));
        Forward<float> ff = ForwardF(p);
        AssertParam("a", () => ff(new float[m * k - 1], new float[k * n], new float[m * n], m, k, n));
        AssertParam("n", () => ff(new float[m * k], new float[k * n], new float[m * n], m, k, -2));
    }

    [Theory, MemberData(nameof(AllProducts))]
    public void Short_adjoints_throw_naming_the_adjoint_before_any_work(Product p)
    {
        const int m = 2, k = 3, n = 4;
        Backward<double> bw = BackwardD(p);
        double[] a = { 1, 2, 3, 4, 5, 6 }, b = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
        var c = new double[m * n];
        var dA = new double[m * k];
        var dB = new double[k * n];
        var dC = new double[m * n];
        Array.Fill(dC, 1.0);
        AssertParam("dA", () => bw(a, b, c, m, k, n, new double[m * k - 1], dB, dC));
        AssertParam("dB", () => bw(a, b, c, m, k, n, dA, new double[k * n - 1], dC));
        AssertParam("dC", () => bw(a, b, c, m, k, n, dA, dB, new double[m * n - 1]));
        AssertParam("a", () => bw(new double[m * k - 1], b, c, m, k, n, dA, dB, dC));
        AssertParam("m", () => bw(a, b, c, -1, k, n, dA, dB, dC));
        Assert.All(c, x => Assert.Equal(0.0, x));
        Assert.All(dA, x => Assert.Equal(0.0, x));
        Assert.All(dB, x => Assert.Equal(0.0, x));
        Assert.All(dC, x => Assert.Equal(1.0, x));
        // An adjoint is measured against its primal span, not the matrix: a longer a needs a longer dA.
        AssertParam("dA", () => bw(new double[m * k + 1], b, c, m, k, n, dA, dB, dC));
        Backward<float> bf = BackwardF(p);
        AssertParam("dB", () => bf(new float[m * k], new float[k * n], new float[m * n], m, k, n,
            new float[m * k], new float[k * n - 1], new float[m * n]));
    }

    // ---- allocation ----

    [Fact]
    public void Warm_calls_allocate_nothing()
    {
        (int M, int K, int N)[] shapes = { (7, 33, 100), (300, 600, 200), (5, 7, 2100) };
        // Delegates made once: a method-group conversion allocates.
        Product[] products = Enum.GetValues<Product>();
        Forward<float>[] forwardF = Array.ConvertAll(products, ForwardF);
        Backward<float>[] backwardF = Array.ConvertAll(products, BackwardF);
        Forward<double>[] forwardD = Array.ConvertAll(products, ForwardD);
        Backward<double>[] backwardD = Array.ConvertAll(products, BackwardD);
        foreach (var (m, k, n) in shapes)
        {
            float[] af = new float[m * k], bf = new float[k * n], cf = new float[m * n];
            float[] dAf = new float[m * k], dBf = new float[k * n], dCf = new float[m * n];
            double[] ad = new double[m * k], bd = new double[k * n], cd = new double[m * n];
            double[] dAd = new double[m * k], dBd = new double[k * n], dCd = new double[m * n];

            void RunAll()
            {
                for (int p = 0; p < products.Length; p++)
                {
                    forwardF[p](af, bf, cf, m, k, n);
                    backwardF[p](af, bf, cf, m, k, n, dAf, dBf, dCf);
                    forwardD[p](ad, bd, cd, m, k, n);
                    backwardD[p](ad, bd, cd, m, k, n, dAd, dBd, dCd);
                }
            }

            RunAll(); // warm: the thread's packing buffers grow to this shape
            // A window of 3 rounds that allocates nothing. The runtime may allocate once on this thread while the calls
            // warm up (a method compiled on stack replacement is compiled by the thread that runs it); an allocation per
            // call shows in every window. This test failed once in a full run, with the runtime code unchanged.
            var windows = new List<long>();
            for (int window = 0; window < 4 && (windows.Count == 0 || windows[^1] != 0); window++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int r = 0; r < 3; r++) RunAll();
                windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.True(windows[^1] == 0, $"{m}×{k}×{n}: bytes allocated by warm calls, per window of 3 rounds: {string.Join(", ", windows)}");
        }
    }
}
