using System;
using Differentiable;

namespace Sample.Mlp
{
    /// <summary>
    /// A multilayer perceptron over flattened images: <c>sizes[0]</c> inputs, hidden layers of <c>sizes[1..^1]</c> units
    /// with ReLU, and <c>sizes[^1]</c> logits, trained on the mean softmax cross-entropy of a mini-batch.
    /// </summary>
    /// <remarks>
    /// All parameters live in one buffer, layer after layer: the weights of layer l (<c>sizes[l] × sizes[l-1]</c>,
    /// row-major, one row per unit, so the layer is <c>x·Wᵀ</c>) then its biases (<c>sizes[l]</c>). The gradient
    /// has the same layout. <see cref="Loss"/> is the only place the model is written for training; its gradient,
    /// <c>LossGradient</c> and <c>LossBackward</c>, is generated.
    /// </remarks>
    public static partial class Mlp
    {
        /// <summary>The number of parameters of the network with layer sizes <paramref name="sizes"/>.</summary>
        public static int ParameterCount(ReadOnlySpan<int> sizes)
        {
            int count = 0;
            for (int l = 1; l < sizes.Length; l++) count += sizes[l] * sizes[l - 1] + sizes[l];
            return count;
        }

        /// <summary>
        /// The mean softmax cross-entropy of <paramref name="batch"/> examples <paramref name="x"/> (row-major,
        /// <c>batch × sizes[0]</c>) with <paramref name="labels"/>. Layer buffers come from the <see cref="Workspace"/>:
        /// pre-activations <c>z</c> and activations <c>a</c> of every layer at offsets into two buffers, so any number
        /// of layers works. Needs an open <see cref="Workspace.Scope"/> when called directly; the generated
        /// <c>LossGradient</c>/<c>LossBackward</c> open their own.
        /// </summary>
        [Differentiable]
        public static float Loss(ReadOnlySpan<float> parameters, [NoDiff] ReadOnlySpan<float> x, [NoDiff] ReadOnlySpan<int> labels,
            [NoDiff] ReadOnlySpan<int> sizes, int batch)
        {
            int units = 0;
            for (int l = 1; l < sizes.Length; l++) units += sizes[l];
            Span<float> z = Workspace.Rent<float>(batch * units); // x·Wᵀ + b, layer after layer
            Span<float> a = Workspace.Rent<float>(batch * units); // relu(z)

            // The first layer reads the (constant) input batch, so its product has no input adjoint to compute.
            int fanIn = sizes[0], fanOut = sizes[1];
            Span<float> y = z.Slice(0, batch * fanOut);
            Ops.MatMulTransposeB(x, parameters.Slice(0, fanOut * fanIn), y, batch, fanIn, fanOut);
            Ops.AddRowBias(y, parameters.Slice(fanOut * fanIn, fanOut));
            Ops.Relu(y, a.Slice(0, batch * fanOut));
            int p = fanOut * fanIn + fanOut;
            int at = 0;

            // Every further layer reads the previous layer's activations. The last layer's ReLU is computed too (its
            // output is not used, so it gets a zero adjoint); writing it unconditionally keeps the loop free of branches.
            for (int l = 2; l < sizes.Length; l++)
            {
                int inputs = sizes[l - 1], outputs = sizes[l];
                int next = at + batch * inputs;
                Span<float> layer = z.Slice(next, batch * outputs);
                Ops.MatMulTransposeB(a.Slice(at, batch * inputs), parameters.Slice(p, outputs * inputs), layer, batch, inputs, outputs);
                Ops.AddRowBias(layer, parameters.Slice(p + outputs * inputs, outputs));
                Ops.Relu(layer, a.Slice(next, batch * outputs));
                p += outputs * inputs + outputs;
                at = next;
            }
            int classes = sizes[sizes.Length - 1];
            return Ops.SoftmaxCrossEntropy(z.Slice(at, batch * classes), labels, classes);
        }

        /// <summary>
        /// The logits of <paramref name="batch"/> examples, for evaluation: the forward pass of <see cref="Loss"/>
        /// without the loss (it needs no gradient, so it is plain code over the same Ops). Needs an open
        /// <see cref="Workspace.Scope"/>.
        /// </summary>
        public static void Logits(ReadOnlySpan<float> parameters, ReadOnlySpan<float> x, ReadOnlySpan<int> sizes, int batch, Span<float> logits) =>
            Forward(parameters, x, sizes, batch, logits, default);

        /// <summary>
        /// <see cref="Logits"/>, also writing each hidden layer's pre-activations (before ReLU), layer after layer, into
        /// <paramref name="preActivations"/> (batch × the sum of the hidden widths) unless it is empty.
        /// </summary>
        public static void Forward(ReadOnlySpan<float> parameters, ReadOnlySpan<float> x, ReadOnlySpan<int> sizes, int batch,
            Span<float> logits, Span<float> preActivations)
        {
            int widest = 0;
            for (int l = 1; l < sizes.Length; l++) widest = Math.Max(widest, sizes[l]);
            Span<float> current = Workspace.Rent<float>(batch * widest);
            Span<float> following = Workspace.Rent<float>(batch * widest);
            ReadOnlySpan<float> input = x;
            int p = 0, at = 0;
            for (int l = 1; l < sizes.Length; l++)
            {
                int inputs = sizes[l - 1], outputs = sizes[l];
                bool last = l == sizes.Length - 1;
                Span<float> output = last ? logits.Slice(0, batch * outputs) : current.Slice(0, batch * outputs);
                Ops.MatMulTransposeB(input, parameters.Slice(p, outputs * inputs), output, batch, inputs, outputs);
                Ops.AddRowBias(output, parameters.Slice(p + outputs * inputs, outputs));
                if (!last)
                {
                    if (!preActivations.IsEmpty) output.CopyTo(preActivations.Slice(at));
                    at += batch * outputs;
                    Ops.Relu(output, output);
                }
                p += outputs * inputs + outputs;
                input = output;
                Span<float> swap = current;
                current = following;
                following = swap;
            }
        }

        /// <summary>
        /// He initialization: each weight drawn from N(0, 2 / fan-in), biases zero; the same seed gives the same
        /// parameters on every machine.
        /// </summary>
        public static void Initialize(Span<float> parameters, ReadOnlySpan<int> sizes, ulong seed)
        {
            if (parameters.Length != ParameterCount(sizes)) throw new ArgumentException("The parameter buffer does not match the architecture.", nameof(parameters));
            var rng = new Rng(seed);
            int p = 0;
            for (int l = 1; l < sizes.Length; l++)
            {
                int inputs = sizes[l - 1], outputs = sizes[l];
                float scale = MathF.Sqrt(2f / inputs);
                for (int i = 0; i < outputs * inputs; i++) parameters[p + i] = scale * rng.NextGaussian();
                parameters.Slice(p + outputs * inputs, outputs).Clear();
                p += outputs * inputs + outputs;
            }
        }
    }
}
