namespace Differentiable.GradBench.Tests;

/// <summary>
/// The hand-written gmm and lstm gradients (<see cref="GmmHand"/>, <see cref="LstmHand"/>, the BenchmarkDotNet
/// suite's HandWritten rows): their value is the primal's to the last bit, their gradient is the generated one's to
/// 1e-10 relative, both gradients agree with central finite differences of the primal, and neither hand-written
/// gradient allocates.
/// </summary>
public class HandGradientTests
{
    /// <summary>Two exact gradients summed in different orders: relative error at most 1e-10, with no absolute floor.</summary>
    private static void SameRelative(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(double.IsFinite(expected[i]), $"[{i}]: {expected[i]}");
            double error = GradientCheck.RelativeError(expected[i], actual[i], double.Epsilon);
            Assert.True(error <= Check.ExactTolerance, $"[{i}]: expected {expected[i]:R}, got {actual[i]:R} (relative error {error:E2})");
        }
    }

    [Theory]
    [InlineData(2, 3, 5, 0, 1.0, 1)]
    [InlineData(2, 4, 6, 0, 1.0, 2)]
    [InlineData(5, 3, 4, 0, 1.0, 3)]
    [InlineData(5, 4, 7, 0, 1.0, 4)]
    [InlineData(2, 3, 8, 3, 0.7, 5)]
    [InlineData(5, 4, 5, 2, 1.6, 6)]
    [InlineData(1, 3, 4, 1, 1.3, 7)]
    public void Gmm_hand_gradient_is_the_generated_one_and_the_finite_differences(int d, int k, int n, int m, double gamma, int seed)
    {
        Gmm.Input input = Inputs.Gmm(d, k, n, seed: 1000 + seed);
        input.M = m;
        input.Gamma = gamma;
        int size = k + 2 * d * k + d * (d - 1) / 2 * k;
        double[] all = Check.Concatenate(input.Alpha, input.Mu, input.Q, input.L);
        Assert.Equal(size, all.Length);

        var hand = new double[size];
        var generated = new double[size];
        double handValue = GmmHand.ObjectiveGradient(input.Alpha, input.Mu, input.Q, input.L, input.X, d, k, n, input.Gamma, input.M,
            hand.AsSpan(0, k), hand.AsSpan(k, d * k), hand.AsSpan(k + d * k, d * k), hand.AsSpan(k + 2 * d * k));
        double generatedValue = input.Gradient(generated.AsSpan(0, k), generated.AsSpan(k, d * k),
            generated.AsSpan(k + d * k, d * k), generated.AsSpan(k + 2 * d * k));

        double primal = input.Objective();
        Assert.Equal(primal, handValue);
        Assert.Equal(primal, generatedValue);
        SameRelative(generated, hand);

        ScalarFunction f = v => Gmm.Objective(v.Slice(0, k), v.Slice(k, d * k), v.Slice(k + d * k, d * k),
            v.Slice(k + 2 * d * k), input.X, d, k, n, input.Gamma, input.M);
        Check.AgainstFiniteDifferences(f, all, hand);
        Check.AgainstFiniteDifferences(f, all, generated);
    }

    [Fact]
    public void Gmm_hand_gradient_overwrites_the_adjoints_and_leaves_what_follows()
    {
        Gmm.Input input = Inputs.Gmm(3, 2, 4, seed: 77);
        int k = 2, dk = 6, lk = 6;
        var expected = new double[k + 2 * dk + lk];
        GmmHand.ObjectiveGradient(input.Alpha, input.Mu, input.Q, input.L, input.X, 3, 2, 4, input.Gamma, input.M,
            expected.AsSpan(0, k), expected.AsSpan(k, dk), expected.AsSpan(k + dk, dk), expected.AsSpan(k + 2 * dk));

        // Stale values in the adjoints and a longer span: the gradient is the same, the extra element untouched.
        double[] alpha = [9, 9, 42], mu = Enumerable.Repeat(-5.0, dk).ToArray(), q = Enumerable.Repeat(3.0, dk).ToArray(),
            l = Enumerable.Repeat(7.0, lk).ToArray();
        GmmHand.ObjectiveGradient(input.Alpha, input.Mu, input.Q, input.L, input.X, 3, 2, 4, input.Gamma, input.M, alpha, mu, q, l);
        Assert.Equal(expected, Check.Concatenate(alpha[..k], mu, q, l));
        Assert.Equal(42.0, alpha[k]);
        Assert.Throws<ArgumentException>(() => GmmHand.ObjectiveGradient(input.Alpha, input.Mu, input.Q, input.L, input.X,
            3, 2, 4, input.Gamma, input.M, new double[1], mu, q, l));
    }

    [Theory]
    [InlineData(1, 2, 2, false)]
    [InlineData(1, 6, 3, false)]
    [InlineData(2, 5, 4, false)]
    [InlineData(3, 9, 2, false)]
    [InlineData(2, 7, 7, false)]
    [InlineData(2, 6, 3, true)]
    public void Lstm_hand_gradient_is_the_generated_one_and_the_finite_differences(int layers, int length, int b, bool uniformSequence)
    {
        Lstm.Input input = Inputs.Lstm(layers, length, b, seed: 31 * layers + 7 * length + b);
        if (uniformSequence) input.Sequence = Inputs.Uniform(length * b, 5 + length, -1, 1);
        int main = input.MainParams.Length;
        double[] all = Check.Concatenate(input.MainParams, input.ExtraParams);

        var hand = new double[all.Length];
        var generated = new double[all.Length];
        double handValue = LstmHand.ObjectiveGradient(input.MainParams, input.ExtraParams, input.State, input.Sequence,
            layers, length, b, hand.AsSpan(0, main), hand.AsSpan(main));
        double generatedValue = Lstm.ObjectiveGradient(input.MainParams, input.ExtraParams, input.State, input.Sequence,
            layers, length, b, generated.AsSpan(0, main), generated.AsSpan(main));

        double primal = input.Objective();
        Assert.Equal(primal, handValue);
        Assert.Equal(primal, generatedValue);
        SameRelative(generated, hand);

        ScalarFunction f = v => Lstm.Objective(v.Slice(0, main), v.Slice(main), input.State, input.Sequence, layers, length, b);
        Check.AgainstFiniteDifferences(f, all, hand);
        Check.AgainstFiniteDifferences(f, all, generated);
    }

    [Fact]
    public void Lstm_hand_gradient_overwrites_the_adjoints()
    {
        Lstm.Input input = Inputs.Lstm(2, 4, 3, seed: 5);
        int main = input.MainParams.Length, extra = input.ExtraParams.Length;
        var expected = new double[main + extra];
        LstmHand.ObjectiveGradient(input.MainParams, input.ExtraParams, input.State, input.Sequence, 2, 4, 3,
            expected.AsSpan(0, main), expected.AsSpan(main));
        double[] dMain = Enumerable.Repeat(8.0, main).ToArray(), dExtra = Enumerable.Repeat(-8.0, extra + 1).ToArray();
        LstmHand.ObjectiveGradient(input.MainParams, input.ExtraParams, input.State, input.Sequence, 2, 4, 3, dMain, dExtra);
        Assert.Equal(expected, Check.Concatenate(dMain, dExtra[..extra]));
        Assert.Equal(-8.0, dExtra[extra]);
        Assert.Throws<ArgumentException>(() => LstmHand.ObjectiveGradient(input.MainParams, input.ExtraParams, input.State,
            input.Sequence, 2, 4, 3, dMain, new double[extra - 1]));
    }

    [Fact]
    public void Hand_gradients_allocate_nothing()
    {
        Gmm.Input gmm = Inputs.Gmm(4, 3, 40, seed: 1);
        double[] a = new double[3], m = new double[12], q = new double[12], l = new double[18];
        Assert.Equal(0, AllocationTests.Allocated(() => GmmHand.ObjectiveGradient(gmm.Alpha, gmm.Mu, gmm.Q, gmm.L, gmm.X, 4, 3, 40, gmm.Gamma, gmm.M, a, m, q, l)));

        Lstm.Input lstm = Inputs.Lstm(2, 20, 4, seed: 2);
        var g = new double[lstm.MainParams.Length + lstm.ExtraParams.Length];
        int main = lstm.MainParams.Length;
        Assert.Equal(0, AllocationTests.Allocated(() => LstmHand.ObjectiveGradient(lstm.MainParams, lstm.ExtraParams, lstm.State, lstm.Sequence,
            2, 20, 4, g.AsSpan(0, main), g.AsSpan(main))));
    }
}
