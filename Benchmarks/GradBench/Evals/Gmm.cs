using System;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>
    /// GradBench's <c>gmm</c> (from ADBench): the log-likelihood of n points in d dimensions under a mixture of k
    /// Gaussians, plus a Wishart log-prior on the inverse covariances. Component c has weight <c>alpha[c]</c>, mean
    /// <c>mu[c]</c> and inverse covariance <c>Qᵀ·Q</c>, where Q is lower triangular with diagonal <c>exp(q[c])</c>
    /// and strictly lower part <c>l[c]</c> stored column after column. With <c>x̄ = x − mu[c]</c>:
    /// <code>
    /// objective = −(n·d/2)·log 2π + Σ_i logsumexp_c(alpha[c] + Σ q[c] − ½‖Q_c·x̄‖²) − n·logsumexp(alpha)
    ///             + Σ_c (−½γ²(‖exp q[c]‖² + ‖l[c]‖²) + m·Σ q[c]) + k·C(d, m, γ)
    /// </code>
    /// The jacobian is the gradient in alpha, mu, q and l.
    /// </summary>
    public static partial class Gmm
    {
        [Differentiable]
        public static double Objective(ReadOnlySpan<double> alpha, ReadOnlySpan<double> mu, ReadOnlySpan<double> q,
            ReadOnlySpan<double> l, [NoDiff] ReadOnlySpan<double> x, int d, int k, int n, [NoDiff] double gamma, int m)
        {
            int lSize = d * (d - 1) / 2;
            Span<double> qDiagonal = new double[d * k];
            Span<double> sumQ = new double[k];
            Span<double> centered = new double[d];
            Span<double> product = new double[d];
            Span<double> mainTerm = new double[k];

            for (int i = 0; i < d * k; i++) qDiagonal[i] = Math.Exp(q[i]);
            for (int c = 0; c < k; c++)
            {
                double s = 0;
                for (int j = 0; j < d; j++) s += q[c * d + j];
                sumQ[c] = s;
            }

            double likelihood = 0;
            for (int i = 0; i < n; i++)
            {
                for (int c = 0; c < k; c++)
                {
                    // Q·x̄: the diagonal, then the strictly lower part column by column.
                    for (int j = 0; j < d; j++)
                    {
                        centered[j] = x[i * d + j] - mu[c * d + j];
                        product[j] = qDiagonal[c * d + j] * centered[j];
                    }
                    int li = c * lSize;
                    for (int col = 0; col < d; col++)
                    {
                        for (int row = col + 1; row < d; row++)
                        {
                            product[row] += l[li] * centered[col];
                            li++;
                        }
                    }
                    double norm = 0;
                    for (int j = 0; j < d; j++) norm += product[j] * product[j];
                    mainTerm[c] = alpha[c] + sumQ[c] - 0.5 * norm;
                }
                likelihood += Lse.LogSumExp(mainTerm);
            }

            // The Wishart prior; its constant C depends on d, m and γ only.
            int dof = d + m + 1;
            double constant = dof * d * (Math.Log(gamma) - 0.5 * Math.Log(2)) - SpecialFunctions.LogMultivariateGamma(0.5 * dof, d);
            double prior = 0;
            for (int c = 0; c < k; c++)
            {
                double frobenius = 0;
                for (int j = 0; j < d; j++) frobenius += qDiagonal[c * d + j] * qDiagonal[c * d + j];
                for (int j = 0; j < lSize; j++) frobenius += l[c * lSize + j] * l[c * lSize + j];
                prior += 0.5 * gamma * gamma * frobenius - m * sumQ[c];
            }

            return -n * d * 0.5 * Math.Log(2 * Math.PI) + likelihood - n * Lse.LogSumExp(alpha) - prior + k * constant;
        }

        /// <summary>The parsed input, flattened component by component.</summary>
        public sealed class Input
        {
            public int D, K, N, M;
            public double Gamma;
            public double[] Alpha = [], Mu = [], Q = [], L = [], X = [];

            public static Input Parse(JsonElement j) => new()
            {
                D = j.GetProperty("d").GetInt32(),
                K = j.GetProperty("k").GetInt32(),
                N = j.GetProperty("n").GetInt32(),
                M = j.GetProperty("m").GetInt32(),
                Gamma = j.GetProperty("gamma").GetDouble(),
                Alpha = Json.Doubles(j.GetProperty("alpha")),
                Mu = Json.Flatten(j.GetProperty("mu")),
                Q = Json.Flatten(j.GetProperty("q")),
                L = Json.Flatten(j.GetProperty("l")),
                X = Json.Flatten(j.GetProperty("x")),
            };

            public double Objective() => Gmm.Objective(Alpha, Mu, Q, L, X, D, K, N, Gamma, M);

            public double Gradient(Span<double> dAlpha, Span<double> dMu, Span<double> dQ, Span<double> dL)
                => ObjectiveGradient(Alpha, Mu, Q, L, X, D, K, N, Gamma, M, dAlpha, dMu, dQ, dL);
        }

        private sealed class JacobianEvaluation(Input input) : Evaluation
        {
            private readonly double[] _alpha = new double[input.Alpha.Length], _mu = new double[input.Mu.Length],
                _q = new double[input.Q.Length], _l = new double[input.L.Length];

            public override void Run() => input.Gradient(_alpha, _mu, _q, _l);

            public override void WriteOutput(Utf8JsonWriter w)
            {
                w.WriteStartObject();
                w.WritePropertyName("alpha");
                Json.WriteArray(w, _alpha);
                w.WritePropertyName("mu");
                Json.WriteRows(w, _mu, input.K);
                w.WritePropertyName("q");
                Json.WriteRows(w, _q, input.K);
                w.WritePropertyName("l");
                Json.WriteRows(w, _l, input.K);
                w.WriteEndObject();
            }
        }

        public static Evaluation Prepare(string function, JsonElement json)
        {
            Input input = Input.Parse(json);
            return function switch
            {
                "objective" => new ScalarEvaluation(input.Objective),
                "jacobian" => new JacobianEvaluation(input),
                _ => throw Modules.UnknownFunction("gmm", function),
            };
        }
    }
}
