using System;

namespace Sample.Mlp
{
    /// <summary>
    /// SplitMix64: a tiny, fully specified generator, so initialization and shuffling depend only on the seed, not on
    /// the runtime's <see cref="Random"/>.
    /// </summary>
    public struct Rng
    {
        private ulong _state;
        private float _spare;
        private bool _hasSpare;

        public Rng(ulong seed)
        {
            _state = seed;
            _spare = 0;
            _hasSpare = false;
        }

        public ulong NextUInt64()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [0, 1), 53 random bits.</summary>
        public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Uniform in [0, <paramref name="n"/>), by Lemire's multiply-shift (bias below 2⁻³² for the sizes used here).</summary>
        public int NextInt(int n) => (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);

        /// <summary>Standard normal, by the Box–Muller transform (the second value of each pair is kept for the next call).</summary>
        public float NextGaussian()
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
            _spare = (float)(r * Math.Sin(theta));
            _hasSpare = true;
            return (float)(r * Math.Cos(theta));
        }

        /// <summary>Fisher–Yates shuffle of <paramref name="items"/> in place.</summary>
        public void Shuffle(Span<int> items)
        {
            for (int i = items.Length - 1; i > 0; i--)
            {
                int j = NextInt(i + 1);
                (items[i], items[j]) = (items[j], items[i]);
            }
        }
    }
}
