using System.Text.Json;

namespace Differentiable.GradBench
{
    public static partial class BundleAdjustment
    {
        public static Evaluation Prepare(string function, JsonElement input) => throw Modules.UnknownFunction("BundleAdjustment", function);
    }
}
