using System;

namespace Differentiable.GradBench.Tape
{
    /// <summary>
    /// <c>Sample.Mlp</c>'s <c>Mlp.Loss</c> recorded on the <see cref="BlockTape"/>, line for line as the
    /// [Differentiable] version (the same Ops in the same order, the last layer's unused ReLU included): per layer a
    /// product node, an in-place bias node and a ReLU node, then the loss node. Parameters use the same layout
    /// (layer after layer: weights <c>sizes[l] × sizes[l-1]</c>, then biases).
    /// </summary>
    public static class MlpTapeWorkload
    {
        /// <summary>
        /// The mean softmax cross-entropy of <paramref name="batch"/> rows of <paramref name="x"/>; overwrites
        /// <paramref name="gradient"/> (as long as <paramref name="parameters"/>) with its gradient.
        /// </summary>
        public static float LossGradient(float[] parameters, float[] x, int[] labels, ReadOnlySpan<int> sizes, int batch, float[] gradient)
        {
            BlockTape tape = BlockTape.Current;
            tape.Clear();
            gradient.AsSpan(0, parameters.Length).Clear(); // the sweep accumulates into it (zero_grad)

            int fanIn = sizes[0], fanOut = sizes[1];
            TapeTensor input = tape.Constant(x, 0, batch * fanIn);
            TapeTensor weights = tape.Parameter(parameters, 0, fanOut * fanIn, gradient, 0);
            TapeTensor bias = tape.Parameter(parameters, fanOut * fanIn, fanOut, gradient, fanOut * fanIn);
            TapeTensor z = tape.AddRowBias(tape.MatMulTransposeB(input, weights, batch, fanIn, fanOut), bias);
            TapeTensor a = tape.Relu(z);
            int p = fanOut * fanIn + fanOut;
            for (int l = 2; l < sizes.Length; l++)
            {
                int inputs = sizes[l - 1], outputs = sizes[l];
                weights = tape.Parameter(parameters, p, outputs * inputs, gradient, p);
                bias = tape.Parameter(parameters, p + outputs * inputs, outputs, gradient, p + outputs * inputs);
                z = tape.AddRowBias(tape.MatMulTransposeB(a, weights, batch, inputs, outputs), bias);
                a = tape.Relu(z);
                p += outputs * inputs + outputs;
            }
            TapeTensor loss = tape.SoftmaxCrossEntropy(z, labels, 0, batch, sizes[sizes.Length - 1]);
            tape.Backward(loss);
            return tape.Value(loss)[0];
        }
    }
}
