using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Lowering;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator.Parsing
{
    /// <summary>
    /// Turns one <c>[Differentiable]</c> method into a <see cref="MethodModel"/>: checks its declaration
    /// and signature, lowers its body, and runs the checks that need the IR (a call without a derivative
    /// on an active value, a callee that cannot be differentiated).
    /// </summary>
    internal static class MethodParser
    {
        private const int MaxCalleeDepth = 8;

        public static Result<MethodModel> Parse(IMethodSymbol method, MethodDeclarationSyntax declaration, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var model = ParseCore(method, declaration, semanticModel, diagnostics, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), 0, cancellationToken);
            return new Result<MethodModel>(diagnostics.Count == 0 ? model : null, diagnostics.ToEquatableArray());
        }

        private static MethodModel? ParseCore(IMethodSymbol method, MethodDeclarationSyntax declaration, SemanticModel semanticModel,
            List<DiagnosticInfo> diagnostics, HashSet<IMethodSymbol> visiting, int depth, CancellationToken cancellationToken)
        {
            visiting.Add(method);
            CheckDeclaration(method, declaration, diagnostics);
            IrType? returnType = CheckReturnType(method, declaration, diagnostics);
            var parameters = CheckParameters(method, declaration, diagnostics);
            if (diagnostics.Count > 0) return null;

            var (function, lowering) = IrLowering.Lower(method, declaration, parameters, returnType, semanticModel, cancellationToken);
            diagnostics.AddRange(lowering.Diagnostics);
            if (function is null) return null;

            CheckOpaqueCalls(function, lowering, diagnostics);
            CheckBuffers(function, lowering, diagnostics);
            CheckCallees(method, lowering, semanticModel.Compilation, diagnostics, visiting, depth, cancellationToken);
            if (diagnostics.Count > 0) return null;

            return new MethodModel(
                method.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                ContainingTypes(method.ContainingType).ToEquatableArray(),
                Accessibility(method.DeclaredAccessibility),
                HintName(method),
                function,
                AnalysesEnabled: true);
        }

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

        /// <summary>
        /// DIFF0009: a call with no derivative is fine unless it is on an active value: an argument varies
        /// with the inputs and the floating result reaches the output (so <c>Grad.Stop(f(x))</c> is fine).
        /// </summary>
        private static void CheckOpaqueCalls(IrFunction function, IrLowering lowering, List<DiagnosticInfo> diagnostics)
        {
            if (lowering.OpaqueSites.Count == 0) return;
            var activity = ActivityAnalysis.Run(function, enabled: true);
            foreach (var call in IrFacts.AllInstructions(function.Body).OfType<CallInstr>())
            {
                if (call.Kind != CallKind.Opaque || !lowering.OpaqueSites.TryGetValue(call, out var site)) continue;
                // A buffer whose memory is active, handed to code the generator cannot see, hides derivatives
                // whatever the call returns: it may read the buffer or write it.
                bool activeBuffer = call.Args.Any(a => function.TypeOf(a).IsBuffer() && activity.IsVaried(activity.Roots.RootOf(a)));
                bool activeResult = call.Result is { } result && function.TypeOf(result).IsFloating() && activity.IsUseful(result) &&
                    call.Args.Any(a => function.TypeOf(a).IsFloating() && activity.IsVaried(a));
                if (activeBuffer || activeResult) diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoDerivative, site.Location, site.Callee));
            }
        }

        /// <summary>
        /// DIFF0015 and DIFF0017: memory the reverse sweep cannot handle safely. A buffer passed twice to a call
        /// that may write it; an active value stored into [NoDiff] memory. (DIFF0016 is no longer reported: a
        /// parameter buffer the reverse sweep puts back for a call gets its final contents back afterwards.)
        /// </summary>
        private static void CheckBuffers(IrFunction function, IrLowering lowering, List<DiagnosticInfo> diagnostics)
        {
            if (!function.Parameters.Any(p => p.Type.IsBuffer()) && !IrFacts.AllInstructions(function.Body).Any(i => i is AllocInstr)) return;
            var activity = ActivityAnalysis.Run(function, enabled: true);
            var roots = activity.Roots;
            var constantRoots = new HashSet<ValueId>(function.Parameters.Where(p => p.Type.IsBuffer() && !p.Active).Select(p => p.Value));
            var names = function.Parameters.ToDictionary(p => p.Value, p => p.Name);
            string NameOf(ValueId buffer) => names.TryGetValue(roots.RootOf(buffer), out var n) ? n : function.Values[roots.RootOf(buffer).Index].Hint ?? "a local buffer";

            var reported = new HashSet<Instruction>(InstanceComparer.Instance);
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                lowering.Sites.TryGetValue(instruction, out var site);
                if (instruction is StoreInstr store && activity.IsVaried(store.Value) && constantRoots.Contains(roots.RootOf(store.Buffer)))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StoreIntoConstantBuffer, site.Location, NameOf(store.Buffer)));
                    continue;
                }
                if (instruction is not CallInstr call) continue;
                for (int a = 0; a < call.Args.Count; a++)
                {
                    if (!function.TypeOf(call.Args[a]).IsBuffer()) continue;
                    for (int b = a + 1; b < call.Args.Count; b++)
                    {
                        if (!function.TypeOf(call.Args[b]).IsBuffer() || roots.RootOf(call.Args[a]) != roots.RootOf(call.Args[b])) continue;
                        bool writes = call.WritableParameters.Count > b && (call.WritableParameters[a] || call.WritableParameters[b]);
                        if (writes && reported.Add(call))
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BufferAliasing, site.Location, NameOf(call.Args[a]), site.Name));
                    }
                }
                if (call.Kind != CallKind.Differentiable || reported.Contains(call)) continue;
                for (int k = 0; k < call.Args.Count; k++)
                {
                    // An int buffer (indices, labels) can hold no active value, whatever the call writes into it.
                    if (!function.TypeOf(call.Args[k]).IsBuffer() || !function.TypeOf(call.Args[k]).Element().IsFloating()) continue;
                    var root = roots.RootOf(call.Args[k]);
                    bool writes = call.WritableParameters[k];
                    if (writes && constantRoots.Contains(root) && call.Args.Any(arg => activity.IsVaried(arg) || (function.TypeOf(arg).IsBuffer() && activity.IsVaried(roots.RootOf(arg)))))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StoreIntoConstantBuffer, site.Location, NameOf(call.Args[k])));
                        reported.Add(call);
                        break;
                    }
                    // A parameter written after the call, or by it in a loop, is fine: the reverse sweep saves its
                    // final contents before putting it back for the call's Backward, and restores them after.
                }
            }
        }

        /// <summary>
        /// DIFF0011: a differentiable callee in this compilation must itself be differentiable (checked
        /// recursively, the chain in the message); one from a referenced assembly must have its Backward.
        /// </summary>
        private static void CheckCallees(IMethodSymbol caller, IrLowering lowering, Compilation compilation, List<DiagnosticInfo> diagnostics,
            HashSet<IMethodSymbol> visiting, int depth, CancellationToken cancellationToken)
        {
            foreach (var (callee, location) in lowering.DifferentiableCallees)
            {
                if (visiting.Contains(callee) || depth >= MaxCalleeDepth) continue; // recursion is fine: its Backward calls itself
                string? problem = null;
                var declaration = callee.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
                if (declaration is not null)
                {
                    var calleeDiagnostics = new List<DiagnosticInfo>();
                    ParseCore(callee, declaration, compilation.GetSemanticModel(declaration.SyntaxTree), calleeDiagnostics,
                        new HashSet<IMethodSymbol>(visiting, SymbolEqualityComparer.Default), depth + 1, cancellationToken);
                    if (calleeDiagnostics.Count > 0)
                    {
                        var first = calleeDiagnostics[0];
                        problem = first.Descriptor.Id + ": " + string.Format(System.Globalization.CultureInfo.InvariantCulture,
                            first.Descriptor.MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture), first.Arguments.Cast<object>().ToArray());
                    }
                }
                else if (callee.ContainingType.GetMembers(Naming.Backward(callee.Name)).IsEmpty)
                {
                    problem = "its generated '" + Naming.Backward(callee.Name) + "' was not found in '" + callee.ContainingAssembly.Name + "' (was that assembly built with the Differentiable generator?)";
                }
                if (problem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CalleeNotDifferentiable, location, callee.Name, problem, caller.Name));
                    continue;
                }
                if (declaration is null) continue;
                // A side effect in the callee would run again when the caller's Backward runs the callee's Backward;
                // state the callee reads may have been changed by the caller's own side effects in between.
                var effects = SideEffects.Of(callee, compilation, cancellationToken);
                if (effects.Effect is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CalleeRunsTwice, location, callee.Name, "calls " + effects.Effect, caller.Name,
                        "that call would happen twice"));
                }
                else if (effects.MutableRead is not null && SideEffects.Of(caller, compilation, cancellationToken).Effect is { } own)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CalleeRunsTwice, location, callee.Name, "reads " + effects.MutableRead, caller.Name,
                        "it may read a different value then: '" + caller.Name + "' calls " + own));
                }
            }
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
