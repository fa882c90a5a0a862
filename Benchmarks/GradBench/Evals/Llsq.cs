using System;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>
    /// GradBench's <c>llsq</c> (from cmpad): <c>y(x) = ½ Σ_i (s_i − Σ_j x_j t_i^j)²</c> with
    /// <c>t_i = −1 + 2i/(n − 1)</c> and <c>s_i = sign(t_i)</c>, for i &lt; n; the gradient is in x.
    /// </summary>
    public static partial class Llsq
    {
        [Differentiable]
        public static double Objective(ReadOnlySpan<double> x, int n)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double t = -1 + i * 2.0 / (n - 1);
                double r = Math.Sign(t);
                double power = 1;
                for (int j = 0; j < x.Length; j++)
                {
                    r -= x[j] * power;
                    power *= t;
                }
                sum += r * r;
            }
            return sum / 2;
        }

        public static Evaluation Prepare(string function, JsonElement input)
        {
            double[] x = Json.Doubles(input.GetProperty("x"));
            int n = input.GetProperty("n").GetInt32();
            return function switch
            {
                "primal" => new ScalarEvaluation(() => Objective(x, n)),
                "gradient" => new VectorEvaluation(x.Length, g => ObjectiveGradient(x, n, g)),
                _ => throw Modules.UnknownFunction("llsq", function),
            };
        }
    }
}
