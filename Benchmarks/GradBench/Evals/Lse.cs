using System;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>
    /// GradBench's <c>lse</c>: <c>log Σ exp(x[i])</c>, computed with the maximum subtracted for range. The shift
    /// cancels mathematically, so it is a constant for the derivative (<see cref="Grad.Stop(double)"/>); the
    /// gradient is softmax(x).
    /// </summary>
    public static partial class Lse
    {
        [Differentiable]
        public static double LogSumExp(ReadOnlySpan<double> x)
        {
            double a = x[0];
            for (int i = 1; i < x.Length; i++) a = Math.Max(a, x[i]);
            double shift = Grad.Stop(a);
            double s = 0;
            for (int i = 0; i < x.Length; i++) s += Math.Exp(x[i] - shift);
            return Math.Log(s) + shift;
        }

        public static Evaluation Prepare(string function, JsonElement input)
        {
            double[] x = Json.Doubles(input.GetProperty("x"));
            return function switch
            {
                "primal" => new ScalarEvaluation(() => LogSumExp(x)),
                "gradient" => new VectorEvaluation(x.Length, g => LogSumExpGradient(x, g)),
                _ => throw Modules.UnknownFunction("lse", function),
            };
        }
    }
}
