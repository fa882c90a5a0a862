using System.Text.Json;

namespace Differentiable.GradBench
{
    public static partial class Lstm
    {
        public static Evaluation Prepare(string function, JsonElement input) => throw Modules.UnknownFunction("Lstm", function);
    }
}
