using System;
using Differentiable;

namespace Sample.Mlp
{
    /// <summary>
    /// Checks the generated gradient of <see cref="Mlp.Loss"/> against central finite differences along random
    /// directions: for a unit direction d, <c>(L(p + h d) − L(p − h d)) / 2h</c> against <c>∇L · d</c>. One direction
    /// is the gradient itself (a large directional derivative, which float rounding hardly disturbs); the others are
    /// random Gaussian directions inside one block of parameters each, which probe every parameter of the block. The
    /// step shrinks until no hidden unit crosses ReLU's kink between p − h d and p + h d.
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

        /// <summary>A gradient of <see cref="Mlp.Loss"/> to check: <c>Mlp.LossGradient</c>'s signature.</summary>
        public delegate float GradientFunction(ReadOnlySpan<float> parameters, ReadOnlySpan<float> x, ReadOnlySpan<int> labels,
            ReadOnlySpan<int> sizes, int batch, Span<float> gradient);

        public sealed record Result(double WorstRelativeError, int Directions, int Examples)
        {
            public bool Passes => WorstRelativeError <= Tolerance;
        }

        /// <summary>
        /// One random direction inside each block of parameters (each layer's weights, each layer's biases), so that every
        /// block's gradient is checked on its own scale, plus the gradient's own direction; <paramref name="rounds"/> times,
        /// each on one example drawn from <paramref name="data"/>. <paramref name="gradientOf"/> is the generated
        /// <c>Mlp.LossGradient</c> unless a test gives another.
        /// </summary>
        public static Result Check(ReadOnlySpan<int> sizes, ReadOnlySpan<float> parameters, DataSet data, int rounds, ulong seed,
            GradientFunction? gradientOf = null)
        {
            var rng = new Rng(seed);
            var gradient = new float[parameters.Length];
            var direction = new double[parameters.Length];
            var probe = new float[parameters.Length];
            int hidden = 0;
            for (int l = 1; l < sizes.Length - 1; l++) hidden += sizes[l];
            var reference = new float[hidden];
            var moved = new float[hidden];
            var logits = new float[sizes[^1]];
            double worst = 0;
            int directions = 0;
            for (int round = 0; round < rounds; round++)
            {
                // Each round takes its own example: one example has few units near a ReLU kink for a step to cross,
                // and its derivatives are not averaged down towards the rounding of the loss.
                int example = rng.NextInt(data.Count);
                ReadOnlySpan<float> x = data.Features.AsSpan(example * data.FeatureCount, data.FeatureCount);
                ReadOnlySpan<int> labels = data.Labels.AsSpan(example, 1);
                (gradientOf ?? Mlp.LossGradient)(parameters, x, labels, sizes, 1, gradient);
                using (Workspace.Scope()) Mlp.Forward(parameters, x, sizes, 1, logits, reference);
                int p = 0;
                for (int l = 1; l <= sizes.Length; l++)
                {
                    for (int part = 0; part < 2; part++)
                    {
                        // l == sizes.Length: the whole gradient's direction.
                        int start = 0, length = parameters.Length;
                        if (l < sizes.Length)
                        {
                            int weights = sizes[l] * sizes[l - 1];
                            start = part == 0 ? p : p + weights;
                            length = part == 0 ? weights : sizes[l];
                        }
                        else if (part == 1)
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
                        // A step that moves a hidden unit across ReLU's kink measures a slope that is not the derivative:
                        // shrink it until no unit changes side at p ± h·d (or give up after a few tries and measure anyway).
                        double h = l == sizes.Length ? Step / 10 : Step;
                        for (int attempt = 0; attempt < 6 && !SameSides(sizes, parameters, direction, h, probe, x, reference, moved, logits); attempt++) h /= 4;
                        double numeric = (LossAt(sizes, parameters, direction, h, probe, x, labels) -
                                          LossAt(sizes, parameters, direction, -h, probe, x, labels)) / (2 * h);
                        double error = Math.Abs(analytic - numeric) / Math.Max(Math.Max(Math.Abs(analytic), Math.Abs(numeric)), Floor);
                        worst = Math.Max(worst, error);
                        directions++;
                    }
                    if (l < sizes.Length) p += sizes[l] * sizes[l - 1] + sizes[l];
                }
            }
            return new Result(worst, directions, rounds);
        }

        /// <summary>Whether every hidden unit is on the same side of 0 at p + h·d and at p − h·d as at p (<paramref name="reference"/>).</summary>
        private static bool SameSides(ReadOnlySpan<int> sizes, ReadOnlySpan<float> parameters, double[] direction, double h, float[] probe,
            ReadOnlySpan<float> x, float[] reference, float[] moved, float[] logits)
        {
            for (int sign = 1; sign >= -1; sign -= 2)
            {
                double step = sign * h;
                for (int i = 0; i < probe.Length; i++) probe[i] = (float)(parameters[i] + step * direction[i]);
                using (Workspace.Scope()) Mlp.Forward(probe, x, sizes, 1, logits, moved);
                for (int u = 0; u < reference.Length; u++)
                {
                    if (reference[u] > 0 != moved[u] > 0) return false;
                }
            }
            return true;
        }

        private static double LossAt(ReadOnlySpan<int> sizes, ReadOnlySpan<float> parameters, double[] direction, double h, float[] probe,
            ReadOnlySpan<float> x, ReadOnlySpan<int> labels)
        {
            for (int i = 0; i < probe.Length; i++) probe[i] = (float)(parameters[i] + h * direction[i]);
            using (Workspace.Scope()) return Mlp.Loss(probe, x, labels, sizes, 1);
        }
    }
}
