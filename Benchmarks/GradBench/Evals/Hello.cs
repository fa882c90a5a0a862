using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>GradBench's <c>hello</c>: <c>square</c> is x², <c>double</c> its derivative.</summary>
    public static partial class Hello
    {
        [Differentiable]
        public static double Square(double x) => x * x;

        public static Evaluation Prepare(string function, JsonElement input)
        {
            double x = input.ValueKind == JsonValueKind.Object ? input.GetProperty("x").GetDouble() : input.GetDouble();
            return function switch
            {
                "square" => new ScalarEvaluation(() => Square(x)),
                "double" => new ScalarEvaluation(() => { SquareGradient(x, out double dx); return dx; }),
                _ => throw Modules.UnknownFunction("hello", function),
            };
        }
    }
}
