using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Sample.Mlp
{
    /// <summary>How parameters move given a gradient. Steps allocate nothing.</summary>
    public abstract class Optimizer
    {
        /// <summary>The name the command line uses: <c>sgd</c>, <c>momentum</c>, <c>adam</c>.</summary>
        public abstract string Name { get; }

        public abstract void Step(Span<float> parameters, ReadOnlySpan<float> gradient);

        public static Optimizer Create(string name, float learningRate, int parameterCount) => name switch
        {
            "sgd" => new Sgd(learningRate),
            "momentum" => new Momentum(learningRate, 0.9f, parameterCount),
            "adam" => new Adam(learningRate, 0.9f, 0.999f, 1e-8f, parameterCount),
            _ => throw new ArgumentException($"Unknown optimizer '{name}' (sgd, momentum or adam).", nameof(name)),
        };
    }

    /// <summary>Plain gradient descent: <c>p ← p − η g</c>.</summary>
    public sealed class Sgd : Optimizer
    {
        private readonly float _learningRate;

        public Sgd(float learningRate) => _learningRate = learningRate;

        public override string Name => "sgd";

        public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient) =>
            TensorPrimitives.MultiplyAdd(gradient, -_learningRate, parameters, parameters);
    }

    /// <summary>Heavy-ball momentum (PyTorch's form, no dampening): <c>v ← μ v + g</c>, <c>p ← p − η v</c>.</summary>
    public sealed class Momentum : Optimizer
    {
        private readonly float _learningRate;
        private readonly float _momentum;
        private readonly float[] _velocity;

        public Momentum(float learningRate, float momentum, int parameterCount)
        {
            _learningRate = learningRate;
            _momentum = momentum;
            _velocity = new float[parameterCount];
        }

        public override string Name => "momentum";

        public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
        {
            TensorPrimitives.MultiplyAdd(_velocity, _momentum, gradient, _velocity);
            TensorPrimitives.MultiplyAdd(_velocity, -_learningRate, parameters, parameters);
        }
    }

    /// <summary>
    /// Adam (Kingma and Ba): <c>m ← β₁ m + (1 − β₁) g</c>, <c>v ← β₂ v + (1 − β₂) g²</c>,
    /// <c>p ← p − η m̂ / (√v̂ + ε)</c> with the bias corrections <c>m̂ = m / (1 − β₁ᵗ)</c>, <c>v̂ = v / (1 − β₂ᵗ)</c>.
    /// </summary>
    public sealed class Adam : Optimizer
    {
        private readonly float _learningRate, _beta1, _beta2, _epsilon;
        private readonly float[] _m, _v;
        private int _t;

        public Adam(float learningRate, float beta1, float beta2, float epsilon, int parameterCount)
        {
            _learningRate = learningRate;
            _beta1 = beta1;
            _beta2 = beta2;
            _epsilon = epsilon;
            _m = new float[parameterCount];
            _v = new float[parameterCount];
        }

        public override string Name => "adam";

        public override void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
        {
            _t++;
            float c1 = 1f / (1f - MathF.Pow(_beta1, _t)), c2 = 1f / (1f - MathF.Pow(_beta2, _t));
            Span<float> m = _m, v = _v;
            int n = parameters.Length, i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var b1 = new Vector<float>(_beta1); var a1 = new Vector<float>(1 - _beta1);
                var b2 = new Vector<float>(_beta2); var a2 = new Vector<float>(1 - _beta2);
                var vc1 = new Vector<float>(c1); var vc2 = new Vector<float>(c2);
                var eps = new Vector<float>(_epsilon); var lr = new Vector<float>(_learningRate);
                for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var g = new Vector<float>(gradient.Slice(i));
                    var mi = b1 * new Vector<float>(m.Slice(i)) + a1 * g;
                    var vi = b2 * new Vector<float>(v.Slice(i)) + a2 * g * g;
                    mi.CopyTo(m.Slice(i));
                    vi.CopyTo(v.Slice(i));
                    var p = new Vector<float>(parameters.Slice(i)) - lr * (mi * vc1) / (Vector.SquareRoot(vi * vc2) + eps);
                    p.CopyTo(parameters.Slice(i));
                }
            }
            for (; i < n; i++)
            {
                float g = gradient[i];
                m[i] = _beta1 * m[i] + (1 - _beta1) * g;
                v[i] = _beta2 * v[i] + (1 - _beta2) * g * g;
                parameters[i] -= _learningRate * (m[i] * c1) / (MathF.Sqrt(v[i] * c2) + _epsilon);
            }
        }
    }
}
