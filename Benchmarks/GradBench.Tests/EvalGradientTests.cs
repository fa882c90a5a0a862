namespace Differentiable.GradBench.Tests;

/// <summary>
/// The generated gradients of every GradBench eval against finite differences, at small sizes (GradBench's own
/// validation compares with its C++ reference; ode's compares with the exact solution's gradient, not the
/// integrator's, so only these tests check that the integrator itself is differentiated right).
/// </summary>
public class EvalGradientTests
{
    [Fact]
    public void Hello_double_is_the_derivative_of_square()
    {
        Assert.Equal(9.0, Hello.Square(3));
        Assert.Equal(9.0, Hello.SquareGradient(3, out double d));
        Assert.Equal(6.0, d);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(50)]
    public void Lse(int n)
    {
        double[] x = Inputs.Uniform(n, n, -3, 3);
        var g = new double[n];
        double value = Differentiable.GradBench.Lse.LogSumExpGradient(x, g);
        Assert.Equal(Math.Log(x.Sum(Math.Exp)), value, 12);
        Check.AgainstFiniteDifferences(v => Differentiable.GradBench.Lse.LogSumExp(v), x, g);
        Assert.Equal(1.0, g.Sum(), 12); // softmax
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(20, 8)]
    public void Llsq(int n, int m)
    {
        double[] x = Inputs.Uniform(m, n + m);
        var g = new double[m];
        Differentiable.GradBench.Llsq.ObjectiveGradient(x, n, g);
        Check.AgainstFiniteDifferences(v => Differentiable.GradBench.Llsq.Objective(v, n), x, g);
    }

    [Theory]
    [InlineData(2, 1, 3)]
    [InlineData(3, 4, 10)]
    [InlineData(5, 2, 6)]
    public void Gmm(int d, int k, int n)
    {
        Gmm.Input input = Inputs.Gmm(d, k, n, seed: d * 100 + k);
        double[] all = Check.Concatenate(input.Alpha, input.Mu, input.Q, input.L);
        var g = new double[all.Length];
        Span<double> gs = g;
        input.Gradient(gs.Slice(0, k), gs.Slice(k, d * k), gs.Slice(k + d * k, d * k), gs.Slice(k + 2 * d * k));
        Check.AgainstFiniteDifferences(v => Differentiable.GradBench.Gmm.Objective(v.Slice(0, k), v.Slice(k, d * k),
            v.Slice(k + d * k, d * k), v.Slice(k + 2 * d * k), input.X, d, k, n, input.Gamma, input.M), all, g);
    }

    [Fact]
    public void Gmm_log_gamma_matches_known_values()
    {
        Assert.Equal(0.0, SpecialFunctions.LogGamma(1), 13);
        Assert.Equal(0.0, SpecialFunctions.LogGamma(2), 13);
        Assert.Equal(Math.Log(Math.Sqrt(Math.PI)), SpecialFunctions.LogGamma(0.5), 13);
        Assert.Equal(Math.Log(362880), SpecialFunctions.LogGamma(10), 11);
    }

    [Theory]
    [InlineData(1, 3, 2)]
    [InlineData(2, 5, 4)]
    public void Lstm(int layers, int length, int b)
    {
        Lstm.Input input = Inputs.Lstm(layers, length, b, seed: 7 * layers + length);
        double[] all = Check.Concatenate(input.MainParams, input.ExtraParams);
        var g = new double[all.Length];
        input.Jacobian(g);
        int main = input.MainParams.Length;
        Check.AgainstFiniteDifferences(v => Differentiable.GradBench.Lstm.Objective(v.Slice(0, main), v.Slice(main),
            input.State, input.Sequence, layers, length, b), all, g);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(6, 1)]
    [InlineData(6, 3)]
    [InlineData(5, 10)]
    public void Ode_gradient_of_the_last_element_against_finite_differences(int n, int s)
    {
        double[] x = Inputs.Uniform(n, 10 * n + s);
        var y = new double[n];
        var dY = new double[n];
        var g = new double[n];
        Ode.Gradient(x, s, y, dY, g);
        Check.AgainstFiniteDifferences(v =>
        {
            var r = new double[n];
            Ode.Integrate(v, s, r);
            return r[n - 1];
        }, x, g);
    }

    [Fact]
    public void Ode_primal_is_the_exact_polynomial_for_enough_steps()
    {
        // y_i(t) = x_0·x_1·…·x_i · t^(i+1)/(i+1)!: a polynomial of degree ≤ 4 in t is integrated exactly by RK4.
        double[] x = Inputs.Uniform(4, 3);
        var y = new double[4];
        Ode.Integrate(x, 1, y);
        double product = 1, factorial = 1;
        for (int i = 0; i < 4; i++)
        {
            product *= x[i];
            factorial *= i + 1;
            Assert.Equal(product * Math.Pow(2, i + 1) / factorial, y[i], 12);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(6)]
    public void Det(int ell)
    {
        double[] a = Inputs.Uniform(ell * ell, ell);
        var g = new double[a.Length];
        double det = Differentiable.GradBench.Det.DeterminantGradient(a, ell, g);
        Assert.Equal(GaussianDeterminant(a, ell), det, 12);
        Check.AgainstFiniteDifferences(v => Differentiable.GradBench.Det.Determinant(v, ell), a, g);
        // Jacobi's formula: ∂det/∂A = det·A⁻ᵀ, so Σ_j A[i,j]·∂det/∂A[i,j] = det for every row i.
        for (int i = 0; i < ell; i++)
        {
            double s = 0;
            for (int j = 0; j < ell; j++) s += a[i * ell + j] * g[i * ell + j];
            Assert.Equal(det, s, 12);
        }
    }

    private static double GaussianDeterminant(double[] matrix, int n)
    {
        double[] a = (double[])matrix.Clone();
        double det = 1;
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r * n + c]) > Math.Abs(a[pivot * n + c])) pivot = r;
            if (pivot != c)
            {
                for (int j = 0; j < n; j++) (a[c * n + j], a[pivot * n + j]) = (a[pivot * n + j], a[c * n + j]);
                det = -det;
            }
            det *= a[c * n + c];
            for (int r = c + 1; r < n; r++)
            {
                double f = a[r * n + c] / a[c * n + c];
                for (int j = c; j < n; j++) a[r * n + j] -= f * a[c * n + j];
            }
        }
        return det;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ba_reprojection_rows_against_finite_differences(bool zeroRotation)
    {
        double[] cam = Inputs.Uniform(11, 5, -0.5, 0.5);
        if (zeroRotation) cam[0] = cam[1] = cam[2] = 0;
        cam[5] = -3; // the camera well behind the point, so X'₂ stays away from 0
        double[] point = Inputs.Uniform(3, 6);
        double w = 0.8;
        double[] feat = [0.1, -0.2];
        double[] all = Check.Concatenate(cam, point, [w]);
        for (int output = 0; output < 2; output++)
        {
            double[] row = BackwardRow(cam, point, w, feat, output);
            int o = output;
            ScalarFunction f = v =>
            {
                var e = new double[2];
                BundleAdjustment.Reprojection(v.Slice(0, 11), v.Slice(11, 3), v[14], feat, e);
                return e[o];
            };
            if (zeroRotation)
            {
                // At rotation 0 the function is the first-order branch only there, so compare the other coordinates.
                double[] g = row;
                var fd = new double[g.Length];
                GradientCheck.FiniteDifference(f, all, fd);
                for (int i = 3; i < g.Length; i++) Assert.True(GradientCheck.RelativeError(g[i], fd[i]) <= Check.FiniteDifferenceTolerance, $"[{i}] {g[i]} vs {fd[i]}");
            }
            else
            {
                Check.AgainstFiniteDifferences(f, all, row);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ba_jacobian_rows_are_the_reprojection_backward_rows(bool zeroRotation)
    {
        // Two cameras, three points, four observations: the CSR jacobian from ReprojectionJacobian (one forward, a reverse per
        // residual) holds exactly what ReprojectionBackward seeded in each residual gives.
        var input = new BundleAdjustment.Input { N = 2, M = 3, P = 4 };
        input.Cams = Inputs.Uniform(22, 9, -0.5, 0.5);
        input.Cams[5] = input.Cams[16] = -3;
        if (zeroRotation) input.Cams[0] = input.Cams[1] = input.Cams[2] = 0;
        input.Points = Inputs.Uniform(9, 10);
        input.Weights = [0.8, 0.9, 1.1, 0.7];
        input.Features = Inputs.Uniform(8, 11);
        input.Observations = [0, 0, 1, 1, 0, 2, 1, 0];
        var rows = new int[3 * input.P + 1];
        var cols = new int[31 * input.P];
        var vals = new double[31 * input.P];
        input.Jacobian(rows, cols, vals);
        for (int i = 0; i < input.P; i++)
        {
            int camera = input.Observations[2 * i], point = input.Observations[2 * i + 1];
            for (int output = 0; output < 2; output++)
            {
                double[] expected = BackwardRow(input.Cams.AsSpan(11 * camera, 11).ToArray(), input.Points.AsSpan(3 * point, 3).ToArray(), input.Weights[i],
                    input.Features.AsSpan(2 * i, 2).ToArray(), output);
                int start = rows[2 * i + output];
                Assert.Equal(start + 15, rows[2 * i + output + 1]);
                for (int c = 0; c < 15; c++) Assert.Equal(expected[c], vals[start + c]);
                Assert.Equal(11 * camera, cols[start]);
                Assert.Equal(22 + 3 * point, cols[start + 11]);
                Assert.Equal(31 + i, cols[start + 14]);
            }
        }
    }

    /// <summary>ReprojectionBackward seeded 1 in residual <paramref name="output"/>: the row (camera, point, weight), 15 entries.</summary>
    private static double[] BackwardRow(double[] cam, double[] point, double w, double[] feat, int output)
    {
        var dCam = new double[11];
        var dPoint = new double[3];
        double dW = 0;
        var dErr = new double[2];
        dErr[output] = 1;
        BundleAdjustment.ReprojectionBackward(cam, point, w, feat, new double[2], dCam, dPoint, ref dW, dErr);
        Assert.Equal(0.0, dErr[output]); // an output buffer's seed is consumed
        return Check.Concatenate(dCam, dPoint, [dW]);
    }

    [Fact]
    public void Ba_weight_error_derivative()
    {
        Assert.Equal(1 - 0.36, BundleAdjustment.WeightErrorGradient(0.6, out double d), 15);
        Assert.Equal(-1.2, d, 15);
    }
}
