using System;

namespace Sample.Mlp
{
    /// <summary>
    /// A deterministic synthetic two-class data set: features drawn from N(0, 1), labelled by the sign of a
    /// known linear function, then a fixed fraction of the labels flipped (label noise).
    /// </summary>
    internal sealed class Data
    {
        /// <summary>The number of features of each example.</summary>
        public const int FeatureCount = 4;

        private readonly double[] _features;
        private readonly double[] _labels;
        private readonly double[] _cleanLabels;

        private Data(double[] features, double[] labels, double[] cleanLabels)
        {
            _features = features;
            _labels = labels;
            _cleanLabels = cleanLabels;
        }

        /// <summary>The number of examples.</summary>
        public int Count => _labels.Length;

        /// <summary>The features of example <paramref name="i"/>.</summary>
        public ReadOnlySpan<double> Features(int i) => new ReadOnlySpan<double>(_features, i * FeatureCount, FeatureCount);

        /// <summary>The (possibly flipped) label of example <paramref name="i"/>, 0 or 1: what the model trains on.</summary>
        public double Label(int i) => _labels[i];

        /// <summary>The label of example <paramref name="i"/> before the noise was applied, 0 or 1.</summary>
        public double CleanLabel(int i) => _cleanLabels[i];

        /// <summary>
        /// Generates <paramref name="count"/> examples labelled by <c>trueWeights · x + trueBias &gt; 0</c>, then flips each
        /// label with probability <paramref name="flipProbability"/>. The same seed gives the same data on every machine.
        /// </summary>
        public static Data Generate(int count, ReadOnlySpan<double> trueWeights, double trueBias, double flipProbability, ulong seed)
        {
            if (trueWeights.Length != FeatureCount)
                throw new ArgumentException($"Expected {FeatureCount} weights.", nameof(trueWeights));
            var rng = new SplitMix64(seed);
            var features = new double[count * FeatureCount];
            var labels = new double[count];
            var clean = new double[count];
            for (int i = 0; i < count; i++)
            {
                double z = trueBias;
                for (int j = 0; j < FeatureCount; j++)
                {
                    double v = rng.NextGaussian();
                    features[i * FeatureCount + j] = v;
                    z += trueWeights[j] * v;
                }
                clean[i] = z > 0 ? 1.0 : 0.0;
                labels[i] = rng.NextDouble() < flipProbability ? 1.0 - clean[i] : clean[i];
            }
            return new Data(features, labels, clean);
        }

        /// <summary>Splits off the first <paramref name="trainCount"/> examples as a training set and the rest as a test set.</summary>
        public (Data Train, Data Test) Split(int trainCount)
        {
            if (trainCount <= 0 || trainCount >= Count) throw new ArgumentOutOfRangeException(nameof(trainCount));
            return (Slice(0, trainCount), Slice(trainCount, Count - trainCount));
        }

        private Data Slice(int start, int length) => new Data(
            _features.AsSpan(start * FeatureCount, length * FeatureCount).ToArray(),
            _labels.AsSpan(start, length).ToArray(),
            _cleanLabels.AsSpan(start, length).ToArray());

        /// <summary>SplitMix64: a tiny, fast, fully specified generator, so the data does not depend on the runtime's <see cref="Random"/>.</summary>
        private struct SplitMix64
        {
            private ulong _state;
            private double _spare;
            private bool _hasSpare;

            public SplitMix64(ulong seed)
            {
                _state = seed;
                _spare = 0;
                _hasSpare = false;
            }

            private ulong NextUInt64()
            {
                ulong z = _state += 0x9E3779B97F4A7C15UL;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                return z ^ (z >> 31);
            }

            /// <summary>Uniform in [0, 1), 53 random bits.</summary>
            public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

            /// <summary>Standard normal, by the Box–Muller transform (the second value of each pair is kept for the next call).</summary>
            public double NextGaussian()
            {
                if (_hasSpare)
                {
                    _hasSpare = false;
                    return _spare;
                }
                double u1 = 1.0 - NextDouble(); // (0, 1]: keeps Log away from 0
                double u2 = NextDouble();
                double r = Math.Sqrt(-2.0 * Math.Log(u1));
                double theta = 2.0 * Math.PI * u2;
                _spare = r * Math.Sin(theta);
                _hasSpare = true;
                return r * Math.Cos(theta);
            }
        }
    }
}
