using System.Collections.Generic;
using System.Threading;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Lowering;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator
{
    /// <summary>
    /// Turns one <c>[Differentiable]</c> method into a <see cref="MethodModel"/>, phase after phase: checks its
    /// declaration and signature (<see cref="MethodParser"/>), lowers its body (<see cref="IrLowering"/>), then
    /// runs the checks that need the IR: a call without a derivative on an active value and unsafe memory
    /// (<see cref="ActivityChecks"/>), a callee that cannot be differentiated (<see cref="CalleeChecks"/>,
    /// which comes back here for each callee in this compilation).
    /// </summary>
    internal static class MethodPipeline
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
            var (returnType, parameters) = MethodParser.CheckSignature(method, declaration, diagnostics);
            if (diagnostics.Count > 0) return null;

            var (function, lowering) = IrLowering.Lower(method, declaration, parameters, returnType, semanticModel, cancellationToken);
            diagnostics.AddRange(lowering.Diagnostics);
            if (function is null) return null;

            ActivityChecks.CheckOpaqueCalls(function, lowering, diagnostics);
            ActivityChecks.CheckBuffers(function, lowering, diagnostics);
            var compilation = semanticModel.Compilation;
            CalleeChecks.Check(method, lowering, compilation, diagnostics,
                skip: callee => visiting.Contains(callee) || depth >= MaxCalleeDepth,
                checkCallee: (callee, calleeDeclaration) =>
                {
                    var calleeDiagnostics = new List<DiagnosticInfo>();
                    ParseCore(callee, calleeDeclaration, compilation.GetSemanticModel(calleeDeclaration.SyntaxTree), calleeDiagnostics,
                        new HashSet<IMethodSymbol>(visiting, SymbolEqualityComparer.Default), depth + 1, cancellationToken);
                    return calleeDiagnostics;
                },
                cancellationToken);
            if (diagnostics.Count > 0) return null;

            return MethodParser.Model(method, function);
        }
    }
}
