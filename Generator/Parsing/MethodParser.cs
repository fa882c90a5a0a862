using System.Collections.Generic;
using System.Linq;
using System.Text;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator.Parsing
{
    /// <summary>
    /// The declaration side of one <c>[Differentiable]</c> method: checks its declaration and signature,
    /// and builds its <see cref="MethodModel"/> once the pipeline (<c>MethodPipeline</c>) has lowered the
    /// body and run the checks that need the IR.
    /// </summary>
    internal static class MethodParser
    {
        /// <summary>
        /// The checks of the declaration and the signature, in order: the containing types are partial, the method
        /// is static and not generic and declares no generated member itself, then its return type, then its
        /// parameters. Returns what the lowering needs of them; the problems go to <paramref name="diagnostics"/>.
        /// </summary>
        public static (IrType? ReturnType, List<(IParameterSymbol, IrType, bool)> Parameters) CheckSignature(
            IMethodSymbol method, MethodDeclarationSyntax declaration, List<DiagnosticInfo> diagnostics)
        {
            CheckDeclaration(method, declaration, diagnostics);
            IrType? returnType = CheckReturnType(method, declaration, diagnostics);
            var parameters = CheckParameters(method, declaration, diagnostics);
            return (returnType, parameters);
        }

        /// <summary>The model of a method whose body lowered to <paramref name="function"/> and passed every check.</summary>
        public static MethodModel Model(IMethodSymbol method, IrFunction function) =>
            new MethodModel(
                method.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                ContainingTypes(method.ContainingType).ToEquatableArray(),
                Accessibility(method.DeclaredAccessibility),
                HintName(method),
                function,
                AnalysesEnabled: true,
                CoreNameTaken: !method.ContainingType.GetMembers(Naming.Core(method.Name)).IsEmpty,
                JacobianNameTaken: !method.ContainingType.GetMembers(Naming.Jacobian(method.Name)).IsEmpty);

        private static void CheckDeclaration(IMethodSymbol method, MethodDeclarationSyntax declaration, List<DiagnosticInfo> diagnostics)
        {
            for (var type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                var declarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<TypeDeclarationSyntax>().ToList();
                if (declarations.Count > 0 && !declarations.Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword)))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TypeNotPartial, LocationInfo.From(declarations[0].Identifier),
                        type.Name, method.Name));
                    break;
                }
            }
            if (!method.IsStatic)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodNotStatic, LocationInfo.From(declaration.Identifier), method.Name));
            if (method.IsGenericMethod)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericMethod, LocationInfo.From(declaration.Identifier), method.Name));
            CheckGeneratedNames(method, declaration, diagnostics);
        }

        /// <summary>DIFF0023: a method the type already declares with the signature of a generated member (a rule named {M}Backward, say).</summary>
        private static void CheckGeneratedNames(IMethodSymbol method, MethodDeclarationSyntax declaration, List<DiagnosticInfo> diagnostics)
        {
            if (method.IsGenericMethod || BackwardSignature.Unsupported(method) is not null) return;
            var backward = BackwardSignature.Expected(method);
            var gradient = backward.Where(p => p.Name != Naming.Seed)
                .Select(p => p.RefKind == RefKind.Ref ? new SignatureParameter(p.Type, p.TypeName, p.DisplayType, RefKind.Out, p.Name) : p).ToList();
            foreach (var (name, signature) in new[] { (Naming.Backward(method.Name), backward), (Naming.Gradient(method.Name), gradient) })
            {
                if (name.EndsWith("Gradient", System.StringComparison.Ordinal) && method.ReturnsVoid) continue;
                foreach (var existing in method.ContainingType.GetMembers(name).OfType<IMethodSymbol>())
                {
                    if (existing.IsImplicitlyDeclared || existing.DeclaringSyntaxReferences.Length == 0) continue;
                    bool same = existing.Parameters.Length == signature.Count && existing.Parameters.Select((p, k) =>
                        SymbolFacts.FullyQualified(p.Type) == signature[k].TypeName && p.RefKind == signature[k].RefKind).All(x => x);
                    if (same)
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GeneratedMemberExists, LocationInfo.From(declaration.Identifier),
                            method.ContainingType.Name, name + "(" + string.Join(", ", signature.Select(p => (p.RefKind == RefKind.Ref ? "ref " : p.RefKind == RefKind.Out ? "out " : "") + p.DisplayType)) + ")", method.Name));
                }
            }
        }

        private static IrType? CheckReturnType(IMethodSymbol method, MethodDeclarationSyntax declaration, List<DiagnosticInfo> diagnostics)
        {
            if (method.ReturnsVoid) return null;
            var type = SymbolFacts.IrTypeOf(method.ReturnType);
            if (type is { } t && t.IsFloating() && !method.ReturnsByRef && !method.ReturnsByRefReadonly) return t;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedReturnType, LocationInfo.From(declaration.ReturnType),
                method.Name, method.ReturnType.ToDisplayString()));
            return null;
        }

        private static List<(IParameterSymbol, IrType, bool)> CheckParameters(IMethodSymbol method, MethodDeclarationSyntax declaration, List<DiagnosticInfo> diagnostics)
        {
            var result = new List<(IParameterSymbol, IrType, bool)>();
            foreach (var parameter in method.Parameters)
            {
                var syntax = declaration.ParameterList.Parameters[parameter.Ordinal];
                if (parameter.RefKind != RefKind.None || parameter.IsParams)
                {
                    string kind = parameter.IsParams ? "params" : parameter.RefKind.ToString().ToLowerInvariant().Replace("refreadonlyparameter", "ref readonly");
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RefParameter, LocationInfo.From(syntax), parameter.Name, kind));
                    continue;
                }
                bool noDiff = SymbolFacts.IsNoDiff(parameter);
                var type = SymbolFacts.IrTypeOf(parameter.Type);
                if (type is null)
                {
                    // Everything but double, float and their buffers is a constant, passed through unchanged.
                    // Pointers, and arrays of double or float that are not one-dimensional, would hide
                    // derivatives: they are errors unless [NoDiff].
                    bool hidesDerivative = parameter.Type is IArrayTypeSymbol array &&
                        (array.ElementType.SpecialType is SpecialType.System_Double or SpecialType.System_Single || array.ElementType is IArrayTypeSymbol);
                    bool unsupported = parameter.Type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer or TypeKind.Dynamic
                        || (hidesDerivative && !noDiff);
                    if (unsupported)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameterType,
                            LocationInfo.From((SyntaxNode?)syntax.Type ?? syntax), parameter.Name, parameter.Type.ToDisplayString()));
                        continue;
                    }
                    type = IrType.Opaque;
                }
                result.Add((parameter, type.Value, type.Value.IsDifferentiable() && !noDiff));
            }

            // The generated signatures add dResult and d + Name for each active parameter: a parameter
            // already called that would make them ambiguous.
            var taken = new Dictionary<string, string>();
            if (!method.ReturnsVoid) taken[Naming.Seed] = "the seed of Backward";
            foreach (var (parameter, _, active) in result)
            {
                if (active) taken[Naming.AdjointName(parameter.Name)] = "the adjoint of '" + parameter.Name + "'";
            }
            foreach (var (parameter, _, _) in result)
            {
                if (taken.TryGetValue(parameter.Name, out var owner))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AdjointNameConflict,
                        LocationInfo.From(declaration.ParameterList.Parameters[parameter.Ordinal].Identifier), parameter.Name, owner));
            }
            return result;
        }

        public static EquatableArray<ContainingType> ContainingTypesOf(INamedTypeSymbol type) => ContainingTypes(type).ToEquatableArray();

        public static string AccessibilityKeyword(Accessibility accessibility) => Accessibility(accessibility);

        private static IEnumerable<ContainingType> ContainingTypes(INamedTypeSymbol type)
        {
            var chain = new List<ContainingType>();
            for (var t = type; t is not null; t = t.ContainingType)
            {
                string keyword = t.TypeKind switch
                {
                    TypeKind.Struct => t.IsRecord ? "record struct" : "struct",
                    TypeKind.Interface => "interface",
                    _ => t.IsRecord ? "record" : "class",
                };
                string name = t.TypeParameters.Length == 0 ? t.Name : t.Name + "<" + string.Join(", ", t.TypeParameters.Select(p => p.Name)) + ">";
                chain.Insert(0, new ContainingType(keyword, name));
            }
            return chain;
        }

        private static string Accessibility(Accessibility accessibility) => accessibility switch
        {
            Microsoft.CodeAnalysis.Accessibility.Public => "public",
            Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
            Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
            Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
            Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
            _ => "private",
        };

        /// <summary>A file name unique per method, overloads included: <c>N.Model.F_double_double.g.cs</c>.</summary>
        public static string HintName(IMethodSymbol method)
        {
            var text = new StringBuilder();
            text.Append(method.ContainingType.ToDisplayString()).Append('.').Append(method.Name);
            foreach (var parameter in method.Parameters) text.Append('_').Append(parameter.Type.ToDisplayString());
            var clean = new StringBuilder();
            foreach (char c in text.ToString()) clean.Append(char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_');
            return clean.Append(".g.cs").ToString();
        }
    }
}
