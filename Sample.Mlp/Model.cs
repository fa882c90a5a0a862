using System;
using Differentiable;

namespace Sample.Mlp
{
    /// <summary>
    /// Logistic regression, <c>p(y = 1 | x) = σ(w · x + b)</c>, trained on the mean log-loss. The per-example loss is a
    /// <c>[Differentiable]</c> scalar function; the generator writes <c>LossGradient</c> and <c>LossBackward</c>, and
    /// <see cref="LossAndGradient"/> sums <c>LossBackward</c> over the data set in plain C#.
    /// </summary>
    internal sealed partial class Model
    {
        /// <summary>The number of trainable parameters: one weight per feature and the bias.</summary>
        public const int ParameterCount = Data.FeatureCount + 1;

        private readonly double[] _parameters = new double[ParameterCount];

        /// <summary>The parameters, weights first and the bias last.</summary>
        public Span<double> Parameters => _parameters;

        /// <summary>
        /// The log-loss of one example, <c>softplus(z) - y z</c> with <c>z = w · x + b</c>, written so that it never
        /// overflows: <c>softplus(z) = max(z, 0) + log(1 + e^-|z|)</c>. The <c>max</c> is spelled <c>(z + |z|) / 2</c>:
        /// with the subgradient convention <c>|·|'(0) = 0</c> this gives the true derivative <c>σ(0) = 1/2</c> at
        /// <c>z = 0</c> (where training starts), whereas <c>Math.Max(z, 0)</c> would send the whole adjoint to <c>z</c> on
        /// the tie and give 1.
        /// </summary>
        [Differentiable]
        public static double Loss(
            double w0, double w1, double w2, double w3, double b,
            [NoDiff] double x0, [NoDiff] double x1, [NoDiff] double x2, [NoDiff] double x3, [NoDiff] double y)
        {
            double z = w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3 + b;
            double a = Math.Abs(z);
            double positivePart = 0.5 * (z + a);
            return positivePart + Math.Log(1.0 + Math.Exp(-a)) - y * z;
        }

        /// <summary>The per-example loss at parameters <paramref name="p"/> (weights then bias) for features <paramref name="x"/>.</summary>
        public static double LossAt(ReadOnlySpan<double> p, ReadOnlySpan<double> x, double y) =>
            Loss(p[0], p[1], p[2], p[3], p[4], x[0], x[1], x[2], x[3], y);

        /// <summary>The mean loss over <paramref name="data"/>; its gradient with respect to the parameters goes to <paramref name="gradient"/>.</summary>
        public double LossAndGradient(Data data, Span<double> gradient)
        {
            if (gradient.Length < ParameterCount) throw new ArgumentException("The gradient is too short.", nameof(gradient));
            double w0 = _parameters[0], w1 = _parameters[1], w2 = _parameters[2], w3 = _parameters[3], b = _parameters[4];
            double dW0 = 0, dW1 = 0, dW2 = 0, dW3 = 0, dB = 0;
            double total = 0;
            double seed = 1.0 / data.Count; // the adjoint of each example's loss in the mean
            for (int i = 0; i < data.Count; i++)
            {
                ReadOnlySpan<double> x = data.Features(i);
                double y = data.Label(i);
                total += Loss(w0, w1, w2, w3, b, x[0], x[1], x[2], x[3], y);
                // Backward accumulates (+=), so the gradient of the mean builds up across the loop.
                LossBackward(w0, w1, w2, w3, b, x[0], x[1], x[2], x[3], y, seed, ref dW0, ref dW1, ref dW2, ref dW3, ref dB);
            }
            gradient[0] = dW0;
            gradient[1] = dW1;
            gradient[2] = dW2;
            gradient[3] = dW3;
            gradient[4] = dB;
            return total / data.Count;
        }

        /// <summary>One step of gradient descent.</summary>
        public void Step(ReadOnlySpan<double> gradient, double learningRate)
        {
            for (int k = 0; k < ParameterCount; k++) _parameters[k] -= learningRate * gradient[k];
        }

        /// <summary>The probability the model gives to class 1 for features <paramref name="x"/>.</summary>
        public double Probability(ReadOnlySpan<double> x)
        {
            double z = _parameters[4];
            for (int j = 0; j < Data.FeatureCount; j++) z += _parameters[j] * x[j];
            return 1.0 / (1.0 + Math.Exp(-z));
        }

        /// <summary>The fraction of <paramref name="data"/> classified correctly, against the noisy or the clean labels.</summary>
        public double Accuracy(Data data, bool cleanLabels)
        {
            int correct = 0;
            for (int i = 0; i < data.Count; i++)
            {
                double predicted = Probability(data.Features(i)) > 0.5 ? 1.0 : 0.0;
                double label = cleanLabels ? data.CleanLabel(i) : data.Label(i);
                if (predicted == label) correct++;
            }
            return (double)correct / data.Count;
        }
    }
}
