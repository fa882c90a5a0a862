using System;
using System.Buffers;

namespace Differentiable.GradBench
{
    /// <summary>
    /// A hand-written reverse-mode gradient of <see cref="Lstm.Objective"/>, with the signature of the generated
    /// <c>Lstm.ObjectiveGradient</c> (value returned, adjoints of the main and extra parameters overwritten; state and
    /// sequence constant). It is the bar the generated gradient is measured against in the BenchmarkDotNet suite.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Every layer is diagonal, so unit i of a layer sees only unit i of the layer below and its own state; units
    /// meet only in the prediction's normaliser. Step t adds <c>Σ_i s_i·(y_i − log(Σ exp y + 2))</c> to the total,
    /// with <c>s</c> the next character, so <c>∂total/∂y_i = s_i − (Σ s)·exp y_i / (Σ exp y + 2)</c>, and the objective
    /// is <c>−total / count</c>. Back through a unit (pre-activations written <c>a_·</c>, <c>σ' = σ(1 − σ)</c>):
    /// <code>
    /// h = out·tanh(cell):               c̄ += h̄·out·(1 − tanh² cell)    ā_out = h̄·tanh(cell)·out(1 − out)
    /// cell = cell₀·forget + in·change:  ā_forget = c̄·cell₀·forget(1 − forget)   ā_in = c̄·change·in(1 − in)
    ///                                    ā_change = c̄·in·(1 − change²)           c̄₀ = c̄·forget
    /// a_forget = x·w_f + b_f, a_out = x·w_o + b_o:   w̄ += ā·x, b̄ += ā, x̄ = ā_forget·w_f + ā_out·w_o
    /// a_in = h₀·w_i + b_i, a_change = h₀·w_c + b_c: w̄ += ā·h₀, b̄ += ā, h̄₀ = ā_in·w_i + ā_change·w_c
    /// </code>
    /// x̄ goes to the layer below's h at the same step (the first layer's to <c>extraParams[i]</c>, times the
    /// character); h̄₀ and c̄₀ to the state the step started from.
    /// </para>
    /// <para>
    /// Stored: what the reverse cannot get back cheaply. Per step, layer and unit the four gates, the new cell and
    /// <c>tanh(cell)</c> (the recurrence cannot be run backwards, and the five transcendentals are the primal's cost);
    /// per step and unit <c>exp y</c>. Recomputed: h as <c>out·tanh(cell)</c> (the primal's own product, so the same
    /// bits), the layer inputs, y and the normaliser's sum. All of it, (6·layers + 1)·b doubles per step, plus the
    /// running state and its adjoint, in one buffer from <see cref="ArrayPool{T}.Shared"/>: no allocation once the
    /// pool is warm. The value is computed with the primal's operations in the primal's order, so it equals
    /// <see cref="Lstm.Objective"/> to the last bit.
    /// </para>
    /// </remarks>
    public static class LstmHand
    {
        /// <summary>Doubles recorded per layer and unit at each step: forget, in, out, change, cell, tanh(cell).</summary>
        private const int PerUnit = 6;
        private const int Forget = 0, InGate = 1, OutGate = 2, Change = 3, Cell = 4, TanhCell = 5;

        /// <summary>Value and gradient (w.r.t. <paramref name="mainParams"/> and <paramref name="extraParams"/>) of <see cref="Lstm.Objective"/>.</summary>
        public static double ObjectiveGradient(ReadOnlySpan<double> mainParams, ReadOnlySpan<double> extraParams,
            ReadOnlySpan<double> state, ReadOnlySpan<double> sequence, int layers, int length, int b,
            Span<double> dMainParams, Span<double> dExtraParams)
        {
            if (dMainParams.Length < mainParams.Length) throw new ArgumentException("The adjoint span is shorter than mainParams.", nameof(dMainParams));
            if (dExtraParams.Length < extraParams.Length) throw new ArgumentException("The adjoint span is shorter than extraParams.", nameof(dExtraParams));
            dMainParams = dMainParams.Slice(0, mainParams.Length);
            dExtraParams = dExtraParams.Slice(0, extraParams.Length);
            dMainParams.Clear();
            dExtraParams.Clear();

            int steps = Math.Max(length - 1, 0);
            int stateSize = 2 * layers * b;
            int layerBlock = PerUnit * b;
            int stepBlock = layers * layerBlock + b; // the layers' units, then exp y
            double[] rented = ArrayPool<double>.Shared.Rent(steps * stepBlock + 2 * stateSize + b);
            try
            {
                Span<double> all = rented;
                Span<double> recorded = all.Slice(0, steps * stepBlock);
                Span<double> s = all.Slice(steps * stepBlock, stateSize);
                Span<double> dS = all.Slice(steps * stepBlock + stateSize, stateSize); // h̄ then c̄ per layer, as s
                Span<double> prediction = all.Slice(steps * stepBlock + 2 * stateSize, b);
                for (int i = 0; i < stateSize; i++) s[i] = state[i];

                // Forward: the primal, keeping each step's gates, cells and exp y.
                double total = 0;
                int count = 0;
                for (int t = 0; t < length - 1; t++)
                {
                    Span<double> step = recorded.Slice(t * stepBlock, stepBlock);
                    for (int i = 0; i < b; i++) prediction[i] = sequence[t * b + i] * extraParams[i];
                    for (int layer = 0; layer < layers; layer++)
                    {
                        int p = 8 * b * layer;
                        int h = 2 * b * layer;
                        Span<double> units = step.Slice(layer * layerBlock, layerBlock);
                        for (int i = 0; i < b; i++)
                        {
                            double x = layer == 0 ? prediction[i] : s[h - 2 * b + i];
                            double forget = Lstm.Sigmoid(x * mainParams[p + i] + mainParams[p + 4 * b + i]);
                            double ingate = Lstm.Sigmoid(s[h + i] * mainParams[p + b + i] + mainParams[p + 5 * b + i]);
                            double outgate = Lstm.Sigmoid(x * mainParams[p + 2 * b + i] + mainParams[p + 6 * b + i]);
                            double change = Math.Tanh(s[h + i] * mainParams[p + 3 * b + i] + mainParams[p + 7 * b + i]);
                            double cell = s[h + b + i] * forget + ingate * change;
                            double tanhCell = Math.Tanh(cell);
                            s[h + b + i] = cell;
                            s[h + i] = outgate * tanhCell;
                            Span<double> u = units.Slice(PerUnit * i, PerUnit);
                            u[Forget] = forget;
                            u[InGate] = ingate;
                            u[OutGate] = outgate;
                            u[Change] = change;
                            u[Cell] = cell;
                            u[TanhCell] = tanhCell;
                        }
                    }
                    int last = 2 * b * (layers - 1);
                    Span<double> exps = step.Slice(layers * layerBlock, b);
                    double sum = 0;
                    for (int i = 0; i < b; i++)
                    {
                        prediction[i] = s[last + i] * extraParams[b + i] + extraParams[2 * b + i];
                        double e = Math.Exp(prediction[i]);
                        exps[i] = e;
                        sum += e;
                    }
                    double lse = Math.Log(sum + 2);
                    for (int i = 0; i < b; i++) total += sequence[(t + 1) * b + i] * (prediction[i] - lse);
                    count += b;
                }
                double value = -total / count;

                // Reverse, step by step: dS holds the adjoint of the state after step t, then of the state before it.
                dS.Clear();
                double dTotal = -1.0 / count;
                for (int t = steps - 1; t >= 0; t--)
                {
                    ReadOnlySpan<double> step = recorded.Slice(t * stepBlock, stepBlock);
                    ReadOnlySpan<double> before = t > 0 ? recorded.Slice((t - 1) * stepBlock, stepBlock) : default;

                    // The prediction y = h_last·w_out + b_out and its normaliser.
                    ReadOnlySpan<double> top = step.Slice((layers - 1) * layerBlock, layerBlock);
                    ReadOnlySpan<double> exps = step.Slice(layers * layerBlock, b);
                    ReadOnlySpan<double> next = sequence.Slice((t + 1) * b, b);
                    double sum = 0, characters = 0;
                    for (int i = 0; i < b; i++)
                    {
                        sum += exps[i];
                        characters += next[i];
                    }
                    double share = characters / (sum + 2);
                    int last = 2 * b * (layers - 1);
                    for (int i = 0; i < b; i++)
                    {
                        double dY = dTotal * (next[i] - share * exps[i]);
                        double hLast = top[PerUnit * i + OutGate] * top[PerUnit * i + TanhCell];
                        dExtraParams[b + i] += dY * hLast;
                        dExtraParams[2 * b + i] += dY;
                        dS[last + i] += dY * extraParams[b + i];
                    }

                    for (int layer = layers - 1; layer >= 0; layer--)
                    {
                        int p = 8 * b * layer;
                        int h = 2 * b * layer;
                        ReadOnlySpan<double> units = step.Slice(layer * layerBlock, layerBlock);
                        ReadOnlySpan<double> below = layer > 0 ? step.Slice((layer - 1) * layerBlock, layerBlock) : default;
                        ReadOnlySpan<double> earlier = t > 0 ? before.Slice(layer * layerBlock, layerBlock) : default;
                        for (int i = 0; i < b; i++)
                        {
                            ReadOnlySpan<double> u = units.Slice(PerUnit * i, PerUnit);
                            double forget = u[Forget], ingate = u[InGate], outgate = u[OutGate], change = u[Change], tanhCell = u[TanhCell];
                            double x = layer == 0
                                ? sequence[t * b + i] * extraParams[i]
                                : below[PerUnit * i + OutGate] * below[PerUnit * i + TanhCell];
                            double hBefore, cellBefore;
                            if (t > 0)
                            {
                                hBefore = earlier[PerUnit * i + OutGate] * earlier[PerUnit * i + TanhCell];
                                cellBefore = earlier[PerUnit * i + Cell];
                            }
                            else
                            {
                                hBefore = state[h + i];
                                cellBefore = state[h + b + i];
                            }

                            double dH = dS[h + i];
                            double dCell = dS[h + b + i] + dH * outgate * (1 - tanhCell * tanhCell);
                            double dOut = dH * tanhCell * outgate * (1 - outgate);
                            double dForget = dCell * cellBefore * forget * (1 - forget);
                            double dIn = dCell * change * ingate * (1 - ingate);
                            double dChange = dCell * ingate * (1 - change * change);

                            dMainParams[p + i] += dForget * x;
                            dMainParams[p + b + i] += dIn * hBefore;
                            dMainParams[p + 2 * b + i] += dOut * x;
                            dMainParams[p + 3 * b + i] += dChange * hBefore;
                            dMainParams[p + 4 * b + i] += dForget;
                            dMainParams[p + 5 * b + i] += dIn;
                            dMainParams[p + 6 * b + i] += dOut;
                            dMainParams[p + 7 * b + i] += dChange;

                            dS[h + i] = dIn * mainParams[p + b + i] + dChange * mainParams[p + 3 * b + i];
                            dS[h + b + i] = dCell * forget;
                            double dX = dForget * mainParams[p + i] + dOut * mainParams[p + 2 * b + i];
                            if (layer == 0) dExtraParams[i] += dX * sequence[t * b + i];
                            else dS[h - 2 * b + i] += dX;
                        }
                    }
                }
                return value;
            }
            finally
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        }

        /// <summary>The doubles <see cref="ObjectiveGradient"/> keeps for the reverse (its ArrayPool buffer, state and scratch included), for reports.</summary>
        public static long ScratchDoubles(int layers, int length, int b)
            => (long)Math.Max(length - 1, 0) * (layers * PerUnit * b + b) + 4L * layers * b + b;
    }
}
