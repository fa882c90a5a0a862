using System;
using Differentiable;

namespace Sample.Mlp
{
    /// <summary>
    /// Checks the generated gradient of <see cref="Mlp.Loss"/> against central finite differences along random
    /// directions: for a unit direction d, <c>(L(p + h d) − L(p − h d)) / 2h</c> against <c>∇L · d</c>. One direction
    /// is the gradient itself (a large directional derivative, which float rounding hardly disturbs); the others are
    /// random Gaussian directions, which probe every parameter.
    /// </summary>
    public static class GradientChecker
    {
        /// <summary>The worst relative error a correct float gradient stays below here; a wrong one (a dropped term, a sign) is off by order 1.</summary>
        public const double Tolerance = 1e-2;

        /// <summary>The step along a unit direction: small enough that few ReLUs change side, large enough for float rounding.</summary>
        public const double Step = 1e-2;

        /// <summary>
        /// Below this directional derivative the error is measured absolutely (divided by the floor): a random direction
        /// in 100,000 weights has a derivative of order 0.01, where float rounding of the loss (about 1e-6, divided by
        /// 2h) alone is 1e-4. A gradient that is wrong by a factor, a sign or a missing block is still off by 0.1 or more.
        /// </summary>
        public const double Floor = 5e-2;

        public sealed record Result(double WorstRelativeError, int Directions, int Examples)
        {
            public bool Passes => WorstRelativeError <= Tolerance;
        }

        /// <summary>
        /// One random direction inside each block of parameters (each layer's weights, each layer's biases), so that every
        /// block's gradient is checked on its own scale, plus the gradient's own direction; <paramref name="rounds"/> times.
        /// </summary>
        public static Result Check(ReadOnlySpan<int> sizes, ReadOnlySpan<float> parameters, DataSet data, int examples, int rounds, ulong seed)
        {
            examples = Math.Min(examples, data.Count);
            ReadOnlySpan<float> x = data.Features.AsSpan(0, examples * data.FeatureCount);
            ReadOnlySpan<int> labels = data.Labels.AsSpan(0, examples);
            var gradient = new float[parameters.Length];
            Mlp.LossGradient(parameters, x, labels, sizes, examples, gradient);

            var rng = new Rng(seed);
            var direction = new double[parameters.Length];
            var probe = new float[parameters.Length];
            double worst = 0;
            int directions = 0;
            for (int round = 0; round < rounds; round++)
            {
                int p = 0;
                for (int l = 1; l <= sizes.Length; l++)
                {
                    for (int part = 0; part < 2; part++)
                    {
                        // l == sizes.Length: the whole gradient's direction, once per round.
                        int start = 0, length = parameters.Length;
                        if (l < sizes.Length)
                        {
                            int weights = sizes[l] * sizes[l - 1];
                            start = part == 0 ? p : p + weights;
                            length = part == 0 ? weights : sizes[l];
                        }
                        else if (part == 1 || round > 0)
                        {
                            break;
                        }
                        Array.Clear(direction);
                        double norm = 0;
                        for (int i = start; i < start + length; i++)
                        {
                            direction[i] = l == sizes.Length ? gradient[i] : rng.NextGaussian();
                            norm += direction[i] * direction[i];
                        }
                        if (norm == 0) continue;
                        norm = Math.Sqrt(norm);
                        double analytic = 0;
                        for (int i = start; i < start + length; i++)
                        {
                            direction[i] /= norm;
                            analytic += gradient[i] * direction[i];
                        }
                        // Along the gradient the loss curves strongly (|∇L| is large): a smaller step keeps the O(h²) term small.
                        double h = l == sizes.Length ? Step / 10 : Step;
                        double numeric = (LossAt(sizes, parameters, direction, h, probe, x, labels, examples) -
                                          LossAt(sizes, parameters, direction, -h, probe, x, labels, examples)) / (2 * h);
                        double error = Math.Abs(analytic - numeric) / Math.Max(Math.Max(Math.Abs(analytic), Math.Abs(numeric)), Floor);
                        worst = Math.Max(worst, error);
                        directions++;
                    }
                    if (l < sizes.Length) p += sizes[l] * sizes[l - 1] + sizes[l];
                }
            }
            return new Result(worst, directions, examples);
        }

        private static double LossAt(ReadOnlySpan<int> sizes, ReadOnlySpan<float> parameters, double[] direction, double h, float[] probe,
            ReadOnlySpan<float> x, ReadOnlySpan<int> labels, int examples)
        {
            for (int i = 0; i < probe.Length; i++) probe[i] = (float)(parameters[i] + h * direction[i]);
            using (Workspace.Scope()) return Mlp.Loss(probe, x, labels, sizes, examples);
        }
    }
}
