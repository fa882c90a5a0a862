using System;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>
    /// GradBench's <c>lstm</c> (from ADBench): a stack of l diagonal LSTM layers of width b run over a sequence of c
    /// one-hot-ish character vectors, predicting each next character; the loss is the mean negative log-likelihood.
    /// Layer j's parameters are 8b numbers at <c>mainParams[8bj..]</c>: weights (forget, input gate, output gate,
    /// change) then biases in the same order. <c>extraParams</c> holds the input weight, output weight and output
    /// bias (b each). The state holds each layer's hidden and cell vectors; it is copied, not changed.
    /// <code>
    /// forget = σ(x·w_f + b_f)   in = σ(h·w_i + b_i)   out = σ(x·w_o + b_o)   change = tanh(h·w_c + b_c)
    /// cell = cell·forget + in·change   h = out·tanh(cell)
    /// </code>
    /// with x the layer's input (the scaled character for the first layer, the previous layer's h otherwise).
    /// The prediction <c>y = h_last·w_out + b_out</c> is normalised by <c>log(Σ exp y + 2)</c>.
    /// </summary>
    public static partial class Lstm
    {
        [Differentiable]
        public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

        [Differentiable]
        public static double Objective(ReadOnlySpan<double> mainParams, ReadOnlySpan<double> extraParams,
            [NoDiff] ReadOnlySpan<double> state, [NoDiff] ReadOnlySpan<double> sequence, int layers, int length, int b)
        {
            Span<double> s = new double[2 * layers * b];
            Span<double> prediction = new double[b];
            for (int i = 0; i < 2 * layers * b; i++) s[i] = state[i];

            double total = 0;
            int count = 0;
            for (int t = 0; t < length - 1; t++)
            {
                for (int i = 0; i < b; i++) prediction[i] = sequence[t * b + i] * extraParams[i];
                for (int layer = 0; layer < layers; layer++)
                {
                    int p = 8 * b * layer;
                    int h = 2 * b * layer;
                    for (int i = 0; i < b; i++)
                    {
                        double x = layer == 0 ? prediction[i] : s[h - 2 * b + i];
                        double forget = Sigmoid(x * mainParams[p + i] + mainParams[p + 4 * b + i]);
                        double ingate = Sigmoid(s[h + i] * mainParams[p + b + i] + mainParams[p + 5 * b + i]);
                        double outgate = Sigmoid(x * mainParams[p + 2 * b + i] + mainParams[p + 6 * b + i]);
                        double change = Math.Tanh(s[h + i] * mainParams[p + 3 * b + i] + mainParams[p + 7 * b + i]);
                        s[h + b + i] = s[h + b + i] * forget + ingate * change;
                        s[h + i] = outgate * Math.Tanh(s[h + b + i]);
                    }
                }
                int last = 2 * b * (layers - 1);
                double sum = 0;
                for (int i = 0; i < b; i++)
                {
                    prediction[i] = s[last + i] * extraParams[b + i] + extraParams[2 * b + i];
                    sum += Math.Exp(prediction[i]);
                }
                double lse = Math.Log(sum + 2);
                for (int i = 0; i < b; i++) total += sequence[(t + 1) * b + i] * (prediction[i] - lse);
                count += b;
            }
            return -total / count;
        }

        public sealed class Input
        {
            public int Layers, Length, B;
            public double[] MainParams = [], ExtraParams = [], State = [], Sequence = [];

            public static Input Parse(JsonElement j)
            {
                var input = new Input
                {
                    MainParams = Json.Flatten(j.GetProperty("main_params")),
                    ExtraParams = Json.Flatten(j.GetProperty("extra_params")),
                    State = Json.Flatten(j.GetProperty("state")),
                    Sequence = Json.Flatten(j.GetProperty("sequence")),
                    Layers = j.GetProperty("main_params").GetArrayLength() / 2,
                    Length = j.GetProperty("sequence").GetArrayLength(),
                };
                input.B = input.ExtraParams.Length / 3;
                return input;
            }

            public double Objective() => Lstm.Objective(MainParams, ExtraParams, State, Sequence, Layers, Length, B);

            /// <summary>The gradient in the main then the extra parameters, one after the other in <paramref name="result"/>.</summary>
            public void Jacobian(Span<double> result)
                => ObjectiveGradient(MainParams, ExtraParams, State, Sequence, Layers, Length, B,
                    result.Slice(0, MainParams.Length), result.Slice(MainParams.Length));
        }

        public static Evaluation Prepare(string function, JsonElement json)
        {
            Input input = Input.Parse(json);
            return function switch
            {
                "objective" => new ScalarEvaluation(input.Objective),
                "jacobian" => new VectorEvaluation(input.MainParams.Length + input.ExtraParams.Length, r => input.Jacobian(r)),
                _ => throw Modules.UnknownFunction("lstm", function),
            };
        }
    }
}
