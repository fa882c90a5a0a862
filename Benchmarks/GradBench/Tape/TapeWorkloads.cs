using System;

namespace Differentiable.GradBench.Tape
{
    /// <summary>
    /// The benchmarked workloads written once more over <see cref="Var"/>, line for line as the [Differentiable]
    /// versions (same operations, same order), each returning the value and writing the gradient: record, sweep,
    /// read the adjoints. The loop kernels are those of Benchmarks/LoopFunctions.cs.
    /// </summary>
    public static class TapeWorkloads
    {
        public static double LogSumExp(ReadOnlySpan<double> values, Span<double> gradient)
        {
            Tape tape = Tape.Current;
            tape.Clear();
            Span<Var> x = Scratch.Inputs(tape, 0, values);
            Var a = x[0];
            for (int i = 1; i < x.Length; i++) a = VarMath.Max(a, x[i]);
            Var shift = VarMath.Stop(a);
            Var s = 0;
            for (int i = 0; i < x.Length; i++) s += VarMath.Exp(x[i] - shift);
            Var result = VarMath.Log(s) + shift;
            tape.Reverse(result);
            Scratch.Adjoints(tape, x, gradient);
            return result.Value;
        }

        public static double Llsq(ReadOnlySpan<double> values, int n, Span<double> gradient)
        {
            Tape tape = Tape.Current;
            tape.Clear();
            Span<Var> x = Scratch.Inputs(tape, 0, values);
            Var sum = 0;
            for (int i = 0; i < n; i++)
            {
                double t = -1 + i * 2.0 / (n - 1);
                Var r = Math.Sign(t);
                double power = 1;
                for (int j = 0; j < x.Length; j++)
                {
                    r -= x[j] * power;
                    power *= t;
                }
                sum += r * r;
            }
            Var result = sum / 2;
            tape.Reverse(result);
            Scratch.Adjoints(tape, x, gradient);
            return result.Value;
        }

        private static Var LogSumExp(ReadOnlySpan<Var> v)
        {
            Var largest = v[0];
            for (int i = 1; i < v.Length; i++) largest = VarMath.Max(largest, v[i]);
            Var shift = VarMath.Stop(largest);
            Var s = 0;
            for (int i = 0; i < v.Length; i++) s += VarMath.Exp(v[i] - shift);
            return VarMath.Log(s) + shift;
        }

        /// <summary>The gmm objective (see <see cref="Gmm.Objective"/>) and its gradient in alpha, mu, q and l.</summary>
        public static double Gmm(ReadOnlySpan<double> alphaValues, ReadOnlySpan<double> muValues, ReadOnlySpan<double> qValues,
            ReadOnlySpan<double> lValues, ReadOnlySpan<double> x, int d, int k, int n, double gamma, int m,
            Span<double> dAlpha, Span<double> dMu, Span<double> dQ, Span<double> dL)
        {
            Tape tape = Tape.Current;
            tape.Clear();
            Span<Var> alpha = Scratch.Inputs(tape, 0, alphaValues);
            Span<Var> mu = Scratch.Inputs(tape, 1, muValues);
            Span<Var> q = Scratch.Inputs(tape, 2, qValues);
            Span<Var> l = Scratch.Inputs(tape, 3, lValues);
            Span<Var> qDiagonal = Scratch.Get(4, d * k);
            Span<Var> sumQ = Scratch.Get(5, k);
            Span<Var> centered = Scratch.Get(6, 2 * d);
            Span<Var> product = centered.Slice(d);
            centered = centered.Slice(0, d);
            Span<Var> mainTerm = Scratch.Get(7, k);

            int lSize = d * (d - 1) / 2;
            for (int i = 0; i < d * k; i++) qDiagonal[i] = VarMath.Exp(q[i]);
            for (int c = 0; c < k; c++)
            {
                Var s = 0;
                for (int j = 0; j < d; j++) s += q[c * d + j];
                sumQ[c] = s;
            }

            Var likelihood = 0;
            for (int i = 0; i < n; i++)
            {
                for (int c = 0; c < k; c++)
                {
                    for (int j = 0; j < d; j++)
                    {
                        centered[j] = x[i * d + j] - mu[c * d + j];
                        product[j] = qDiagonal[c * d + j] * centered[j];
                    }
                    int li = c * lSize;
                    for (int col = 0; col < d; col++)
                    {
                        for (int row = col + 1; row < d; row++)
                        {
                            product[row] += l[li] * centered[col];
                            li++;
                        }
                    }
                    Var norm = 0;
                    for (int j = 0; j < d; j++) norm += product[j] * product[j];
                    mainTerm[c] = alpha[c] + sumQ[c] - 0.5 * norm;
                }
                likelihood += LogSumExp(mainTerm);
            }

            int dof = d + m + 1;
            double constant = dof * d * (Math.Log(gamma) - 0.5 * Math.Log(2)) - SpecialFunctions.LogMultivariateGamma(0.5 * dof, d);
            Var prior = 0;
            for (int c = 0; c < k; c++)
            {
                Var frobenius = 0;
                for (int j = 0; j < d; j++) frobenius += qDiagonal[c * d + j] * qDiagonal[c * d + j];
                for (int j = 0; j < lSize; j++) frobenius += l[c * lSize + j] * l[c * lSize + j];
                prior += 0.5 * gamma * gamma * frobenius - m * sumQ[c];
            }

            Var result = -n * d * 0.5 * Math.Log(2 * Math.PI) + likelihood - n * LogSumExp(alpha) - prior + k * constant;
            tape.Reverse(result);
            Scratch.Adjoints(tape, alpha, dAlpha);
            Scratch.Adjoints(tape, mu, dMu);
            Scratch.Adjoints(tape, q, dQ);
            Scratch.Adjoints(tape, l, dL);
            return result.Value;
        }

        private static Var Sigmoid(Var x) => 1 / (1 + VarMath.Exp(-x));

        /// <summary>The lstm objective (see <see cref="Lstm.Objective"/>) and its gradient in both parameter vectors.</summary>
        public static double Lstm(ReadOnlySpan<double> mainValues, ReadOnlySpan<double> extraValues, ReadOnlySpan<double> state,
            ReadOnlySpan<double> sequence, int layers, int length, int b, Span<double> dMain, Span<double> dExtra)
        {
            Tape tape = Tape.Current;
            tape.Clear();
            Span<Var> mainParams = Scratch.Inputs(tape, 0, mainValues);
            Span<Var> extraParams = Scratch.Inputs(tape, 1, extraValues);
            Span<Var> s = Scratch.Get(2, 2 * layers * b);
            Span<Var> prediction = Scratch.Get(3, b);
            for (int i = 0; i < 2 * layers * b; i++) s[i] = state[i];

            Var total = 0;
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
                        Var x = layer == 0 ? prediction[i] : s[h - 2 * b + i];
                        Var forget = Sigmoid(x * mainParams[p + i] + mainParams[p + 4 * b + i]);
                        Var ingate = Sigmoid(s[h + i] * mainParams[p + b + i] + mainParams[p + 5 * b + i]);
                        Var outgate = Sigmoid(x * mainParams[p + 2 * b + i] + mainParams[p + 6 * b + i]);
                        Var change = VarMath.Tanh(s[h + i] * mainParams[p + 3 * b + i] + mainParams[p + 7 * b + i]);
                        s[h + b + i] = s[h + b + i] * forget + ingate * change;
                        s[h + i] = outgate * VarMath.Tanh(s[h + b + i]);
                    }
                }
                int last = 2 * b * (layers - 1);
                Var sum = 0;
                for (int i = 0; i < b; i++)
                {
                    prediction[i] = s[last + i] * extraParams[b + i] + extraParams[2 * b + i];
                    sum += VarMath.Exp(prediction[i]);
                }
                Var lse = VarMath.Log(sum + 2);
                for (int i = 0; i < b; i++) total += sequence[(t + 1) * b + i] * (prediction[i] - lse);
                count += b;
            }
            Var result = -total / count;
            tape.Reverse(result);
            Scratch.Adjoints(tape, mainParams, dMain);
            Scratch.Adjoints(tape, extraParams, dExtra);
            return result.Value;
        }

        // ---- The loop kernels of Benchmarks/LoopFunctions.cs ----

        public static double DotLoss(ReadOnlySpan<double> wValues, ReadOnlySpan<double> x, double target, Span<double> dW)
        {
            Tape tape = Tape.Current;
            tape.Clear();
            Span<Var> w = Scratch.Inputs(tape, 0, wValues);
            Var s = 0;
            for (int i = 0; i < w.Length; i++) s += w[i] * x[i];
            Var e = VarMath.Tanh(s) - target;
            Var result = e * e;
            tape.Reverse(result);
            Scratch.Adjoints(tape, w, dW);
            return result.Value;
        }

        public static double Horner(ReadOnlySpan<double> cValues, double xValue, Span<double> dC, out double dX)
        {
            Tape tape = Tape.Current;
            tape.Clear();
            Span<Var> c = Scratch.Inputs(tape, 0, cValues);
            Var x = tape.Input(xValue);
            Var p = 0;
            for (int i = c.Length - 1; i >= 0; i--) p = p * x + c[i];
            tape.Reverse(p);
            Scratch.Adjoints(tape, c, dC);
            dX = tape.Adjoint(x);
            return p.Value;
        }

        public static double Recurrence(double x0Value, double aValue, int steps, out double dX0, out double dA)
        {
            Tape tape = Tape.Current;
            tape.Clear();
            Var x0 = tape.Input(x0Value);
            Var a = tape.Input(aValue);
            double h = 1.0 / steps;
            Var x = x0;
            for (int k = 0; k < steps; k++) x += h * (a - x * x);
            tape.Reverse(x);
            dX0 = tape.Adjoint(x0);
            dA = tape.Adjoint(a);
            return x.Value;
        }
    }
}
