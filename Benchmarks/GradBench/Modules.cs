using System;
using System.Text.Json;

namespace Differentiable.GradBench
{
    /// <summary>The evals this tool implements, by GradBench module name.</summary>
    public static class Modules
    {
        public static bool IsKnown(string module) => module switch
        {
            "hello" or "lse" or "llsq" or "gmm" or "lstm" or "ode" or "det" or "ba" => true,
            _ => false,
        };

        public static Evaluation Prepare(string module, string function, JsonElement input) => module switch
        {
            "hello" => Hello.Prepare(function, input),
            "lse" => Lse.Prepare(function, input),
            "llsq" => Llsq.Prepare(function, input),
            "gmm" => Gmm.Prepare(function, input),
            "lstm" => Lstm.Prepare(function, input),
            "ode" => Ode.Prepare(function, input),
            "det" => Det.Prepare(function, input),
            "ba" => BundleAdjustment.Prepare(function, input),
            _ => throw new ArgumentException($"unknown module '{module}'", nameof(module)),
        };

        public static Exception UnknownFunction(string module, string function)
            => new ArgumentException($"module '{module}' has no function '{function}'", nameof(function));
    }
}
