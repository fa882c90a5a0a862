using System;
using System.Diagnostics;
using System.Globalization;
using Differentiable;

namespace Sample.Mlp
{
    /// <summary>
    /// First cut of the sample: logistic regression trained by full-batch gradient descent with generated gradients.
    /// Exits with 1 when a gradient check fails or the trained model is implausibly bad, so the sample is a real test.
    /// </summary>
    internal static class Program
    {
        private const int ExampleCount = 2000;
        private const int TrainCount = 1600;
        private const double LabelNoise = 0.05;
        private const ulong Seed = 20240601;
        private const int Epochs = 300;
        private const double LearningRate = 1.0;
        private const double GradientTolerance = 1e-6;
        private const double MinimumCleanAccuracy = 0.90;
        private const double MinimumTrainAccuracy = 0.85;
        private const double MinimumCosine = 0.98;

        private static readonly double[] TrueWeights = { 1.5, -2.0, 1.0, 0.5 };
        private const double TrueBias = 0.25;

        private static int Main()
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            var clock = Stopwatch.StartNew();

            Data all = Data.Generate(ExampleCount, TrueWeights, TrueBias, LabelNoise, Seed);
            (Data train, Data test) = all.Split(TrainCount);
            Console.WriteLine($"Data: {train.Count} training and {test.Count} test examples, {Data.FeatureCount} features, {LabelNoise * 100:F0}% of the labels flipped.");

            if (!CheckGradients(train)) return 1;

            var model = new Model();
            Span<double> gradient = stackalloc double[Model.ParameterCount];
            double loss = 0;
            for (int epoch = 0; epoch <= Epochs; epoch++)
            {
                loss = model.LossAndGradient(train, gradient);
                if (epoch % 25 == 0)
                    Console.WriteLine($"epoch {epoch,4}  loss {loss:F6}  |grad| {Norm(gradient):0.00e+00}");
                if (epoch < Epochs) model.Step(gradient, LearningRate);
            }

            double trainAccuracy = model.Accuracy(train, cleanLabels: false);
            double testAccuracy = model.Accuracy(test, cleanLabels: false);
            double cleanTestAccuracy = model.Accuracy(test, cleanLabels: true);
            ReadOnlySpan<double> p = model.Parameters;
            double cosine = Cosine(p, TrueWeights, TrueBias);
            Console.WriteLine($"learned  w = [{p[0]:F3}, {p[1]:F3}, {p[2]:F3}, {p[3]:F3}], b = {p[4]:F3}");
            Console.WriteLine($"true     w = [{TrueWeights[0]:F3}, {TrueWeights[1]:F3}, {TrueWeights[2]:F3}, {TrueWeights[3]:F3}], b = {TrueBias:F3} (same direction up to scale)");
            Console.WriteLine($"cosine(learned, true) = {cosine:F5}");
            Console.WriteLine($"train accuracy {trainAccuracy:P2} (noisy labels)");
            Console.WriteLine($"test  accuracy {testAccuracy:P2} (noisy labels), {cleanTestAccuracy:P2} (clean labels)");
            Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:F2} s");

            bool ok = true;
            if (!(trainAccuracy >= MinimumTrainAccuracy))
            {
                Console.Error.WriteLine($"FAIL: train accuracy {trainAccuracy:P2} is below {MinimumTrainAccuracy:P0}.");
                ok = false;
            }
            if (!(cleanTestAccuracy >= MinimumCleanAccuracy))
            {
                Console.Error.WriteLine($"FAIL: clean test accuracy {cleanTestAccuracy:P2} is below {MinimumCleanAccuracy:P0}.");
                ok = false;
            }
            if (!(cosine >= MinimumCosine))
            {
                Console.Error.WriteLine($"FAIL: the learned direction is off (cosine {cosine:F4} < {MinimumCosine}).");
                ok = false;
            }
            return ok ? 0 : 1;
        }

        /// <summary>
        /// Compares the generated gradients with finite differences: the per-example loss at a generic point, the same
        /// at the all-zero starting point (where <c>z = 0</c> sits on the kink of <c>|z|</c>), and the mean loss over
        /// the training set as <see cref="Model.LossAndGradient"/> accumulates it.
        /// </summary>
        private static bool CheckGradients(Data train)
        {
            double[] x = train.Features(0).ToArray();
            double y = train.Label(0);
            bool ok = true;
            ok &= CheckExample("one example, generic point", new[] { 0.3, -0.7, 0.5, 0.2, -0.1 }, x, y);
            ok &= CheckExample("one example, w = 0, b = 0 ", new double[Model.ParameterCount], x, y);

            var point = new[] { 0.8, -1.1, 0.4, 0.3, 0.05 };
            var model = new Model();
            point.CopyTo(model.Parameters);
            var gradient = new double[Model.ParameterCount];
            model.LossAndGradient(train, gradient);
            var probe = new Model();
            GradientCheckReport report = GradientCheck.Check(
                p =>
                {
                    p.CopyTo(probe.Parameters);
                    return probe.LossAndGradient(train, new double[Model.ParameterCount]);
                },
                point, gradient);
            ok &= Report("mean loss over the training set", report);
            return ok;
        }

        private static bool CheckExample(string name, double[] point, double[] x, double y)
        {
            double value = Model.LossGradient(point[0], point[1], point[2], point[3], point[4], x[0], x[1], x[2], x[3], y,
                out double dW0, out double dW1, out double dW2, out double dW3, out double dB);
            double primal = Model.LossAt(point, x, y);
            if (value != primal)
            {
                Console.Error.WriteLine($"FAIL: LossGradient returned {value:R} but Loss is {primal:R}.");
                return false;
            }
            var gradient = new[] { dW0, dW1, dW2, dW3, dB };
            GradientCheckReport report = GradientCheck.Check(p => Model.LossAt(p, x, y), point, gradient);
            return Report(name, report);
        }

        private static bool Report(string name, GradientCheckReport report)
        {
            bool passes = report.Passes(GradientTolerance);
            Console.WriteLine($"gradient check ({name}): {report} -> {(passes ? "ok" : "FAIL")}");
            if (!passes) Console.Error.WriteLine($"FAIL: gradient check '{name}' exceeds relative error {GradientTolerance:G}.");
            return passes;
        }

        private static double Norm(ReadOnlySpan<double> v)
        {
            double s = 0;
            for (int i = 0; i < v.Length; i++) s += v[i] * v[i];
            return Math.Sqrt(s);
        }

        /// <summary>Cosine between the learned (w, b) and the true (w, b): the labels fix the hyperplane, not the scale.</summary>
        private static double Cosine(ReadOnlySpan<double> p, ReadOnlySpan<double> w, double b)
        {
            double dot = p[4] * b, pp = p[4] * p[4], tt = b * b;
            for (int j = 0; j < w.Length; j++)
            {
                dot += p[j] * w[j];
                pp += p[j] * p[j];
                tt += w[j] * w[j];
            }
            return dot / Math.Sqrt(pp * tt);
        }
    }
}
