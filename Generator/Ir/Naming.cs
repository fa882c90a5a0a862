using System.Collections.Generic;
using System.Linq;

namespace Differentiable.Generator.Ir
{
    /// <summary>
    /// The names of the generated API, by the calling convention of DESIGN.md: <c>{M}Gradient</c>,
    /// <c>{M}Backward</c> with its seed <c>dResult</c> and one adjoint <c>d</c> + name per active parameter,
    /// and the activity variants <c>{M}BackwardConstant{P}</c>. One place for them, shared by the checks
    /// that reserve the names (Parsing), the rules found by name (Parsing) and the code that writes them (Emit).
    /// </summary>
    internal static class Naming
    {
        /// <summary>The seed parameter of a Backward of a method that returns a value.</summary>
        public const string Seed = "dResult";

        /// <summary>The suffix of a rule's variant that does not run the primal (see <c>CustomDerivatives.Variants</c>).</summary>
        public const string WithoutPrimal = "WithoutPrimal";

        /// <summary>The name of a parameter's adjoint by the calling convention: x → dX, weights → dWeights.</summary>
        public static string AdjointName(string name) => "d" + char.ToUpperInvariant(name[0]) + name.Substring(1);

        /// <summary>The name of a parameter's block of <c>{M}Jacobian</c>: x → jX, weights → jWeights.</summary>
        public static string JacobianName(string name) => "j" + char.ToUpperInvariant(name[0]) + name.Substring(1);

        /// <summary>The generated Jacobian of a method that writes one buffer: <c>{M}Jacobian</c>.</summary>
        public static string Jacobian(string method) => method + "Jacobian";

        /// <summary>The generated reverse-mode method of <paramref name="method"/>: <c>{M}Backward</c>.</summary>
        public static string Backward(string method) => method + "Backward";

        /// <summary>The forward half of a split form (internal): <c>{M}Forward</c>.</summary>
        public static string SplitForward(string method) => method + "Forward";

        /// <summary>The reverse half of a split form (internal): <c>{M}Reverse</c>.</summary>
        public static string SplitReverse(string method) => method + "Reverse";

        /// <summary>The body <c>{M}Gradient</c> and <c>{M}Backward</c> share when they can (private): <c>{M}Core</c>.</summary>
        public static string Core(string method) => method + "Core";

        /// <summary>The generated gradient of <paramref name="method"/>: <c>{M}Gradient</c>.</summary>
        public static string Gradient(string method) => method + "Gradient";

        /// <summary>The name of a variant: <c>DenseBackwardConstantX</c> for Dense with x constant.</summary>
        public static string Variant(string method, IReadOnlyList<string> parameterNames, string mask) =>
            RuleVariant(Backward(method), parameterNames, mask);

        /// <summary>The name of a variant of a Backward (generated or a rule): <c>{backward}Constant{P}</c>.</summary>
        public static string RuleVariant(string backward, IReadOnlyList<string> parameterNames, string mask)
        {
            var constant = Enumerable.Range(0, mask.Length).Where(k => mask[k] == '1')
                .Select(k => char.ToUpperInvariant(parameterNames[k][0]) + parameterNames[k].Substring(1));
            return backward + "Constant" + string.Concat(constant);
        }
    }
}
