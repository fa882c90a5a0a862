using System.Text.Json;

namespace Differentiable.GradBench
{
    public static partial class Ode
    {
        public static Evaluation Prepare(string function, JsonElement input) => throw Modules.UnknownFunction("Ode", function);
    }
}
