using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator.Lowering
{
    /// <summary>The checks of the <c>[Differentiable]</c> methods a lowered method calls.</summary>
    internal static class CalleeChecks
    {
        /// <summary>
        /// DIFF0011: a differentiable callee in this compilation must itself be differentiable (checked
        /// recursively, the chain in the message); one from a referenced assembly must have its Backward.
        /// DIFF0024: a callee in this compilation must not run a side effect again when the caller's Backward
        /// runs its Backward, nor read state the caller's own side effects may have changed in between.
        /// </summary>
        /// <param name="skip">Callees not to check: the ones being checked up the chain (recursion is fine: its Backward calls itself), or all when the chain is too deep.</param>
        /// <param name="checkCallee">Runs every check of a callee declared in this compilation (the pipeline, recursively) and returns its diagnostics.</param>
        public static void Check(IMethodSymbol caller, IrLowering lowering, Compilation compilation, List<DiagnosticInfo> diagnostics,
            Func<IMethodSymbol, bool> skip, Func<IMethodSymbol, MethodDeclarationSyntax, List<DiagnosticInfo>> checkCallee, CancellationToken cancellationToken)
        {
            foreach (var (called, location) in lowering.DifferentiableCallees)
            {
                var callee = SymbolFacts.Implementation(called); // a partial method is checked as its implementation, the part with the body
                if (skip(callee)) continue; // recursion is fine: its Backward calls itself
                string? problem = null;
                var declaration = callee.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
                if (declaration is not null)
                {
                    var calleeDiagnostics = checkCallee(callee, declaration);
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
    }
}
