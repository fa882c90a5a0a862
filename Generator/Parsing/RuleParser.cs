using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator.Parsing
{
    /// <summary>One parameter of a rule's generated Gradient: the primal's type and name, and whether it has an adjoint.</summary>
    internal sealed record RuleParameter(string TypeName, string Name, string? AdjointType, bool Scalar);

    /// <summary>
    /// What the generator writes for a <c>[DerivativeOf]</c> rule of a method returning a scalar: its
    /// <c>{M}Gradient</c>, next to the rule, calling the method and the rule.
    /// </summary>
    internal sealed record RuleModel(
        string? Namespace,
        EquatableArray<ContainingType> ContainingTypes,
        string Accessibility,
        string HintName,
        string TargetName,
        string Target,
        string Rule,
        string ReturnType,
        EquatableArray<RuleParameter> Parameters);

    /// <summary>
    /// Checks a <c>[DerivativeOf]</c> rule: the method it names exists and can have a derivative, the rule
    /// has its Backward signature exactly (each difference is an error at the attribute that names the
    /// expected signature), and no other rule in this compilation claims the same overload.
    /// </summary>
    internal static class RuleParser
    {
        public static Result<RuleModel> Parse(IMethodSymbol rule, MethodDeclarationSyntax declaration, Compilation compilation, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var (owner, name, attribute) = CustomDerivatives.ReadAttribute(rule);
            var location = LocationInfo.From(attribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken) ?? declaration.Identifier.Parent!)
                ?? LocationInfo.From(declaration.Identifier);
            if (owner is null || name is null || owner.TypeKind == TypeKind.Error) return Done(null, diagnostics); // the compiler reports it

            var candidates = owner.GetMembers(name).OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary).ToList();
            if (candidates.Count == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DerivativeTargetNotFound, location, owner.ToDisplayString(), name));
                return Done(null, diagnostics);
            }
            var supported = candidates.Where(c => BackwardSignature.Unsupported(c) is null).ToList();
            if (supported.Count == 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DerivativeTargetNotSupported, location,
                    Display(candidates[0]), BackwardSignature.Unsupported(candidates[0])!));
                return Done(null, diagnostics);
            }

            // The rule itself: a static, non-generic void method.
            var shape = new List<string>();
            if (!rule.IsStatic) shape.Add("it must be static");
            if (rule.IsGenericMethod) shape.Add("it must not be generic");
            if (CustomDerivatives.IsInGenericType(rule)) shape.Add("it must not be in a generic type");
            if (!rule.ReturnsVoid) shape.Add("it returns '" + rule.ReturnType.ToDisplayString() + "' but a Backward returns void");

            var match = shape.Count == 0
                ? supported.FirstOrDefault(c => BackwardSignature.Mismatches(rule, BackwardSignature.Expected(c)).Count == 0)
                : null;
            if (match is null)
            {
                // Report against the overload the rule is closest to: the most leading parameters alike.
                var closest = supported.OrderByDescending(c => Agreement(rule, BackwardSignature.Expected(c))).First();
                var expected = BackwardSignature.Expected(closest);
                string signature = BackwardSignature.Display(rule.Name, expected);
                string target = Display(closest) + (supported.Count > 1 ? " (the closest of its " + supported.Count + " overloads)" : "");
                foreach (var problem in shape.Concat(BackwardSignature.Mismatches(rule, expected)))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DerivativeSignatureMismatch, location,
                        rule.Name, target, problem, signature) with { ExpectedSignature = ExpectedForFix(expected) });
                }
                return Done(null, diagnostics);
            }

            // Another rule in this compilation for the same overload: report the later one.
            foreach (var (other, t) in CustomDerivatives.For(compilation).Source)
            {
                if (!SymbolEqualityComparer.Default.Equals(other, rule) && SymbolEqualityComparer.Default.Equals(t, match.OriginalDefinition) && IsEarlier(other, rule))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateDerivative, location, Display(match),
                        other.ContainingType.Name + "." + other.Name));
                    return Done(null, diagnostics);
                }
            }

            return Done(GradientModel(rule, match), diagnostics);
        }

        private static Result<RuleModel> Done(RuleModel? model, List<DiagnosticInfo> diagnostics) =>
            new Result<RuleModel>(model, diagnostics.ToEquatableArray());

        private static string Display(IMethodSymbol method) =>
            method.ContainingType.Name + "." + method.Name + "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat))) + ")";

        private static int Agreement(IMethodSymbol rule, IReadOnlyList<SignatureParameter> expected)
        {
            int n = 0;
            while (n < rule.Parameters.Length && n < expected.Count && SymbolFacts.FullyQualified(rule.Parameters[n].Type) == expected[n].TypeName &&
                   rule.Parameters[n].RefKind == expected[n].RefKind) n++;
            return n * 2 - System.Math.Abs(rule.Parameters.Length - expected.Count);
        }

        /// <summary>The parameter list the code fix writes: <c>global::</c> types, so it compiles wherever it lands.</summary>
        private static string ExpectedForFix(IReadOnlyList<SignatureParameter> expected) =>
            string.Join(", ", expected.Select(p => (p.RefKind == RefKind.Ref ? "ref " : "") + p.TypeName + " " + p.Name));

        private static bool IsEarlier(IMethodSymbol a, IMethodSymbol b)
        {
            var la = a.Locations.FirstOrDefault();
            var lb = b.Locations.FirstOrDefault();
            if (la is null || lb is null) return false;
            int byFile = string.CompareOrdinal(la.SourceTree?.FilePath, lb.SourceTree?.FilePath);
            return byFile != 0 ? byFile < 0 : la.SourceSpan.Start < lb.SourceSpan.Start;
        }

        /// <summary>
        /// A Gradient for a rule whose target returns a scalar, placed next to the rule when its types are
        /// partial. None when the target is [Differentiable] (it has its own) or writes a buffer (running the
        /// target and then its rule would run it twice on the same memory).
        /// </summary>
        private static RuleModel? GradientModel(IMethodSymbol rule, IMethodSymbol target)
        {
            if (target.ReturnsVoid || SymbolFacts.IsDifferentiable(target)) return null;
            if (target.Parameters.Any(p => SymbolFacts.IrTypeOf(p.Type) is { } t && t.IsBuffer() && !SymbolFacts.IsReadOnlySpan(p.Type))) return null;
            for (var type = rule.ContainingType; type is not null; type = type.ContainingType)
            {
                var declarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<TypeDeclarationSyntax>().ToList();
                if (declarations.Count == 0 || !declarations.Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword))) return null;
                if (type.IsGenericType) return null;
            }
            string gradientName = Naming.Gradient(target.Name);
            if (rule.ContainingType.GetMembers(gradientName).OfType<IMethodSymbol>().Any(m => m.DeclaringSyntaxReferences.Length > 0 &&
                    m.Parameters.Length >= target.Parameters.Length &&
                    target.Parameters.Select((p, k) => SymbolEqualityComparer.Default.Equals(p.Type, m.Parameters[k].Type)).All(x => x)))
                return null; // written by hand already

            var parameters = target.Parameters.Select(p =>
            {
                string? adjoint = null;
                bool scalar = false;
                if (BackwardSignature.IsActive(p) && SymbolFacts.IrTypeOf(p.Type) is { } t)
                {
                    scalar = !t.IsBuffer();
                    string element = t is IrType.BufF32 or IrType.F32 ? "float" : "double";
                    adjoint = scalar ? element : "global::System.Span<" + element + ">";
                }
                return new RuleParameter(SymbolFacts.TypeName(p.Type), p.Name, adjoint, scalar);
            }).ToEquatableArray();

            var access = System.Math.Min((int)rule.DeclaredAccessibility, (int)target.DeclaredAccessibility);
            return new RuleModel(
                rule.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                MethodParser.ContainingTypesOf(rule.ContainingType),
                MethodParser.AccessibilityKeyword((Accessibility)access),
                "Rule." + MethodParser.HintName(rule),
                target.Name,
                SymbolFacts.FullyQualified(target.ContainingType) + "." + target.Name,
                SymbolFacts.FullyQualified(rule.ContainingType) + "." + rule.Name,
                target.ReturnType.SpecialType == SpecialType.System_Single ? "float" : "double",
                parameters);
        }
    }
}
