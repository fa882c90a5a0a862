using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Parsing
{
    /// <summary>A type the generated members are nested in, as its partial declaration is written (<c>class</c>, <c>Model&lt;T&gt;</c>).</summary>
    internal sealed record ContainingType(string Keyword, string Name);

    /// <summary>
    /// Everything the code generation needs for one <c>[Differentiable]</c> method, and nothing from
    /// Roslyn: strings, enums, <see cref="EquatableArray{T}"/> and the IR. Equal inputs give equal
    /// models, so the incremental pipeline skips the emit when a change does not touch the method.
    /// <see cref="CoreNameTaken"/>: the type already has a member named <c>{M}Core</c>, so Gradient and Backward do not
    /// share a body under that name. <see cref="JacobianNameTaken"/>: it has a member named <c>{M}Jacobian</c>, so none is
    /// generated.
    /// </summary>
    internal sealed record MethodModel(
        string? Namespace,
        EquatableArray<ContainingType> ContainingTypes,
        string Accessibility,
        string HintName,
        IrFunction Function,
        bool AnalysesEnabled,
        bool CoreNameTaken = false,
        bool JacobianNameTaken = false);
}
