using System;
using System.Buffers;

namespace Differentiable.GradBench
{
    /// <summary>
    /// A hand-written reverse-mode gradient of <see cref="Gmm.Objective"/>, with the signature of the generated
    /// <c>Gmm.ObjectiveGradient</c> (same flat layouts, value returned, adjoints of alpha, mu, q and l overwritten;
    /// x and γ constant). It is the bar the generated gradient is measured against in the BenchmarkDotNet suite.
    /// </summary>
    /// <remarks>
    /// <para>
    /// For point i and component c, with <c>x̄ = x_i − mu_c</c>, <c>z = Q_c·x̄</c> and
    /// <c>main_c = alpha_c + Σ q_c − ½‖z‖²</c>, the point contributes <c>logsumexp_c main_c</c>, whose derivative in
    /// <c>main_c</c> is the softmax weight <c>w_c</c>. Running <c>z = Q·x̄</c> back with <c>z̄ = −w_c·z</c>:
    /// <code>
    /// ∂/∂Q_jj += z̄_j·x̄_j    ∂/∂L_rc += z̄_r·x̄_c    x̄̄ = Qᵀ·z̄    ∂/∂mu_c −= x̄̄    ∂/∂alpha_c, ∂/∂(Σ q_c) += w_c
    /// </code>
    /// and <c>Q_jj = exp q_j</c> turns the diagonal's adjoint into q's by one product with <c>exp q</c> at the end.
    /// The prior adds <c>m − γ²·exp(2q)</c> to q's adjoint and <c>−γ²·l</c> to l's, and <c>−n·logsumexp(alpha)</c>
    /// adds <c>−n·softmax(alpha)</c> to alpha's.
    /// </para>
    /// <para>
    /// Nothing is stored across points: each point runs its k components forward (the value and the weights), then
    /// again in reverse, recomputing <c>x̄</c> and <c>Q·x̄</c>, which costs d + d(d−1)/2 multiplications per point and
    /// component. The only scratch is <c>exp q</c>, <c>Σ q</c>, the weights and two vectors of d, rented from
    /// <see cref="ArrayPool{T}.Shared"/>: no allocation once the pool is warm. The value is computed with the
    /// primal's operations in the primal's order, so it equals <see cref="Gmm.Objective"/> to the last bit.
    /// </para>
    /// </remarks>
    public static class GmmHand
    {
        /// <summary>Value and gradient (w.r.t. <paramref name="alpha"/>, <paramref name="mu"/>, <paramref name="q"/> and <paramref name="l"/>) of <see cref="Gmm.Objective"/>.</summary>
        public static double ObjectiveGradient(ReadOnlySpan<double> alpha, ReadOnlySpan<double> mu, ReadOnlySpan<double> q,
            ReadOnlySpan<double> l, ReadOnlySpan<double> x, int d, int k, int n, double gamma, int m,
            Span<double> dAlpha, Span<double> dMu, Span<double> dQ, Span<double> dL)
        {
            if (dAlpha.Length < alpha.Length) throw new ArgumentException("The adjoint span is shorter than alpha.", nameof(dAlpha));
            if (dMu.Length < mu.Length) throw new ArgumentException("The adjoint span is shorter than mu.", nameof(dMu));
            if (dQ.Length < q.Length) throw new ArgumentException("The adjoint span is shorter than q.", nameof(dQ));
            if (dL.Length < l.Length) throw new ArgumentException("The adjoint span is shorter than l.", nameof(dL));
            dAlpha = dAlpha.Slice(0, alpha.Length);
            dMu = dMu.Slice(0, mu.Length);
            dQ = dQ.Slice(0, q.Length);
            dL = dL.Slice(0, l.Length);

            int lSize = d * (d - 1) / 2;
            int dk = d * k;
            double[] rented = ArrayPool<double>.Shared.Rent(dk + 2 * k + 2 * d);
            try
            {
                Span<double> scratch = rented;
                Span<double> qDiagonal = scratch.Slice(0, dk);
                Span<double> sumQ = scratch.Slice(dk, k);
                Span<double> weight = scratch.Slice(dk + k, k);      // main_c, then exp(main_c − max), per point
                Span<double> centered = scratch.Slice(dk + 2 * k, d);
                Span<double> product = scratch.Slice(dk + 2 * k + d, d); // z = Q·x̄, then its adjoint −w·z

                for (int i = 0; i < dk; i++) qDiagonal[i] = Math.Exp(q[i]);
                for (int c = 0; c < k; c++)
                {
                    double s = 0;
                    for (int j = 0; j < d; j++) s += q[c * d + j];
                    sumQ[c] = s;
                }

                // The prior, as the primal sums it. Its gradient starts the adjoints: −γ²·l for l and, for q, −γ²·exp q
                // in dQ, which holds the adjoint of the diagonal exp q until the end.
                double gammaSquared = gamma * gamma;
                double prior = 0;
                for (int c = 0; c < k; c++)
                {
                    double frobenius = 0;
                    for (int j = 0; j < d; j++)
                    {
                        double e = qDiagonal[c * d + j];
                        frobenius += e * e;
                        dQ[c * d + j] = -gammaSquared * e;
                    }
                    for (int j = 0; j < lSize; j++)
                    {
                        double v = l[c * lSize + j];
                        frobenius += v * v;
                        dL[c * lSize + j] = -gammaSquared * v;
                    }
                    prior += 0.5 * gamma * gamma * frobenius - m * sumQ[c];
                }
                dAlpha.Clear(); // Σ_i w_ic: the adjoint of alpha_c and of Σ q_c from the likelihood
                dMu.Clear();

                double likelihood = 0;
                for (int i = 0; i < n; i++)
                {
                    ReadOnlySpan<double> xi = x.Slice(i * d, d);

                    // Forward: main_c for every component, then logsumexp as Lse.LogSumExp computes it.
                    for (int c = 0; c < k; c++)
                    {
                        double norm = QuadraticForm(xi, mu.Slice(c * d, d), qDiagonal.Slice(c * d, d), l.Slice(c * lSize, lSize), centered, product);
                        weight[c] = alpha[c] + sumQ[c] - 0.5 * norm;
                    }
                    double max = weight[0];
                    for (int c = 1; c < k; c++) max = Math.Max(max, weight[c]);
                    double sum = 0;
                    for (int c = 0; c < k; c++)
                    {
                        double e = Math.Exp(weight[c] - max);
                        weight[c] = e;
                        sum += e;
                    }
                    likelihood += Math.Log(sum) + max;

                    // Reverse: w_c = softmax; recompute x̄ and z = Q·x̄, then run z = Q·x̄ back with z̄ = −w_c·z.
                    double inverseSum = 1 / sum;
                    for (int c = 0; c < k; c++)
                    {
                        double w = weight[c] * inverseSum;
                        dAlpha[c] += w;
                        ReadOnlySpan<double> diagonal = qDiagonal.Slice(c * d, d);
                        ReadOnlySpan<double> lc = l.Slice(c * lSize, lSize);
                        QuadraticForm(xi, mu.Slice(c * d, d), diagonal, lc, centered, product);
                        for (int j = 0; j < product.Length; j++) product[j] *= -w;

                        // Column by column, as the forward adds L's columns: x̄̄_col = Q_col,col·z̄_col + Σ_row L_row,col·z̄_row.
                        Span<double> dDiagonal = dQ.Slice(c * d, d);
                        Span<double> dMuC = dMu.Slice(c * d, d);
                        Span<double> dLc = dL.Slice(c * lSize, lSize);
                        int li = 0;
                        for (int col = 0; col < d; col++)
                        {
                            double xc = centered[col];
                            double zc = product[col];
                            dDiagonal[col] += zc * xc;
                            double dCentered = diagonal[col] * zc;
                            for (int row = col + 1; row < d; row++)
                            {
                                double zr = product[row];
                                dLc[li] += zr * xc;
                                dCentered += lc[li] * zr;
                                li++;
                            }
                            dMuC[col] -= dCentered;
                        }
                    }
                }

                // Q_jj = exp q_j: q's adjoint is exp q times the diagonal's, plus Σ_i w_ic (through Σ q_c) and m (the prior).
                for (int c = 0; c < k; c++)
                {
                    double fromSum = dAlpha[c] + m;
                    for (int j = 0; j < d; j++) dQ[c * d + j] = dQ[c * d + j] * qDiagonal[c * d + j] + fromSum;
                }

                // −n·logsumexp(alpha), computed as Lse.LogSumExp computes it; its gradient is −n·softmax(alpha).
                double alphaMax = alpha[0];
                for (int c = 1; c < k; c++) alphaMax = Math.Max(alphaMax, alpha[c]);
                double alphaSum = 0;
                for (int c = 0; c < k; c++)
                {
                    double e = Math.Exp(alpha[c] - alphaMax);
                    weight[c] = e;
                    alphaSum += e;
                }
                double alphaLse = Math.Log(alphaSum) + alphaMax;
                double scale = n / alphaSum;
                for (int c = 0; c < k; c++) dAlpha[c] -= scale * weight[c];

                int dof = d + m + 1;
                double constant = dof * d * (Math.Log(gamma) - 0.5 * Math.Log(2)) - SpecialFunctions.LogMultivariateGamma(0.5 * dof, d);
                return -n * d * 0.5 * Math.Log(2 * Math.PI) + likelihood - n * alphaLse - prior + k * constant;
            }
            finally
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        }

        /// <summary>The doubles <see cref="ObjectiveGradient"/> rents for its scratch, for reports.</summary>
        public static long ScratchDoubles(int d, int k) => (long)d * k + 2L * k + 2L * d;

        /// <summary>
        /// <c>‖Q·(x − mu)‖²</c> with the primal's operations in the primal's order; leaves <c>x − mu</c> in
        /// <paramref name="centered"/> and <c>Q·(x − mu)</c> in <paramref name="product"/>.
        /// </summary>
        private static double QuadraticForm(ReadOnlySpan<double> x, ReadOnlySpan<double> mu, ReadOnlySpan<double> diagonal,
            ReadOnlySpan<double> lower, Span<double> centered, Span<double> product)
        {
            int d = centered.Length;
            for (int j = 0; j < d; j++)
            {
                centered[j] = x[j] - mu[j];
                product[j] = diagonal[j] * centered[j];
            }
            int li = 0;
            for (int col = 0; col < d; col++)
            {
                double xc = centered[col];
                for (int row = col + 1; row < d; row++)
                {
                    product[row] += lower[li] * xc;
                    li++;
                }
            }
            double norm = 0;
            for (int j = 0; j < d; j++) norm += product[j] * product[j];
            return norm;
        }
    }
}
