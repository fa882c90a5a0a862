using Microsoft.CodeAnalysis;

namespace Differentiable.Generator.Diagnostics
{
    /// <summary>Every diagnostic the generator reports. Documented in docs/diagnostics.md.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "Differentiable";
        private const string HelpLink = "https://github.com/differentiable-dotnet/differentiable/blob/main/docs/diagnostics.md#";

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
                helpLinkUri: HelpLink + id.ToLowerInvariant());

        public static readonly DiagnosticDescriptor InternalError = Error("DIFF0000",
            "Internal generator error",
            "The Differentiable generator failed on '{0}': {1}. Please report this bug.");

        public static readonly DiagnosticDescriptor TypeNotPartial = Error("DIFF0001",
            "Containing type must be partial",
            "Type '{0}' must be declared 'partial' so that the generated members of '{1}' can be added to it");

        public static readonly DiagnosticDescriptor MethodNotStatic = Error("DIFF0002",
            "Differentiable method must be static",
            "Method '{0}' must be 'static' to be differentiated");

        public static readonly DiagnosticDescriptor UnsupportedParameterType = Error("DIFF0003",
            "Unsupported parameter type",
            "Parameter '{0}' has type '{1}', which cannot be differentiated yet; mark it [NoDiff] to use it as a constant");

        public static readonly DiagnosticDescriptor UnsupportedReturnType = Error("DIFF0004",
            "Unsupported return type",
            "Method '{0}' returns '{1}'; a differentiable method returns double, float or void");

        public static readonly DiagnosticDescriptor RefParameter = Error("DIFF0005",
            "ref, out and in parameters are not supported",
            "Parameter '{0}' is passed by '{1}'; pass it by value (return the result instead of writing it through a reference)");

        public static readonly DiagnosticDescriptor WriteToOuterState = Error("DIFF0006",
            "Write to state outside the method",
            "'{0}' writes to {1} outside the method; a differentiable method may only assign its own locals and parameters");

        public static readonly DiagnosticDescriptor UnsupportedStatement = Error("DIFF0007",
            "Unsupported statement",
            "{0} is not supported in a differentiable method; rewrite it, or move it into a [NoDiff] helper");

        public static readonly DiagnosticDescriptor UnsupportedExpression = Error("DIFF0008",
            "Unsupported expression",
            "{0} '{1}' is not supported in a differentiable method; wrap it in Grad.Stop(...) if it needs no derivative");

        public static readonly DiagnosticDescriptor NoDerivative = Error("DIFF0009",
            "Call has no derivative",
            "'{0}' is called with an active argument but has no derivative; mark it [Differentiable], register one with [DerivativeOf], or wrap the call in Grad.Stop(...)");

        public static readonly DiagnosticDescriptor LoopNotSupported = Error("DIFF0010",
            "Loop cannot be differentiated",
            "This '{0}' loop cannot be differentiated: {1}; rewrite it, or move it into a method with a [DerivativeOf] rule");

        public static readonly DiagnosticDescriptor CalleeNotDifferentiable = Error("DIFF0011",
            "Called differentiable method cannot be differentiated",
            "'{0}' cannot be differentiated, so neither can this call: {1} (while differentiating call to '{0}' from '{2}')");

        public static readonly DiagnosticDescriptor UnsupportedLocalType = Error("DIFF0012",
            "Unsupported local variable type",
            "Local '{0}' has type '{1}'; a differentiable method may use double, float, integer and bool locals");

        public static readonly DiagnosticDescriptor GenericMethod = Error("DIFF0013",
            "Generic methods are not supported",
            "Method '{0}' is generic; differentiate a non-generic method (write one per element type)");

        public static readonly DiagnosticDescriptor AdjointNameConflict = Error("DIFF0014",
            "Parameter name clashes with a generated adjoint",
            "Parameter '{0}' has the name the calling convention gives to {1}; rename the parameter");

        public static readonly DiagnosticDescriptor BufferAliasing = Error("DIFF0015",
            "Buffer passed twice to a call that writes it",
            "'{0}' is passed to '{1}' as more than one argument, and '{1}' may write it; the adjoints of aliased buffers would be wrong; pass separate buffers");

        public static readonly DiagnosticDescriptor StoreIntoConstantBuffer = Error("DIFF0017",
            "Active value stored into a constant buffer",
            "An active value is stored into '{0}', which is [NoDiff]; its derivative would be lost; remove [NoDiff] or wrap the value in Grad.Stop(...)");
        public static readonly DiagnosticDescriptor DerivativeTargetNotFound = Error("DIFF0018",
            "Derivative names no method",
            "'{0}' has no method named '{1}' to register a derivative for; name a static method of '{0}' with nameof(...)");

        public static readonly DiagnosticDescriptor DerivativeSignatureMismatch = Error("DIFF0019",
            "Derivative does not have the Backward signature",
            "'{0}' is not the Backward of {1}: {2}; expected '{3}'");

        public static readonly DiagnosticDescriptor DuplicateDerivative = Error("DIFF0020",
            "Method already has a derivative",
            "'{0}' already has a derivative, '{1}'; remove one of them");

        public static readonly DiagnosticDescriptor DerivativeTargetNotSupported = Error("DIFF0021",
            "Derivative registered for a method that cannot have one",
            "A derivative cannot be registered for '{0}': {1}");

        public static readonly DiagnosticDescriptor DerivativeNotAccessible = Error("DIFF0022",
            "Derivative is not accessible",
            "The derivative '{0}' registered for '{1}' is not accessible from '{2}'; make it at least as accessible as the calls that use it");
        public static readonly DiagnosticDescriptor GeneratedMemberExists = Error("DIFF0023",
            "A generated member is already declared",
            "'{0}' already declares '{1}', which the generator writes for '{2}'; rename the declared method (a [DerivativeOf] rule can have any name) or remove [Differentiable]");

        public static readonly DiagnosticDescriptor CalleeRunsTwice = Error("DIFF0024",
            "A differentiable callee would run a side effect again",
            "'{0}' {1}; '{2}''s Backward runs '{0}' a second time (its Backward recomputes it), so {3}. Move it out of '{0}', or mark the called method [System.Diagnostics.Contracts.Pure] if it has no side effect.");
    }
}
