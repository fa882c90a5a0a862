using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
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

        public static Result<MethodModel> Parse(IMethodSymbol method, MethodDeclarationSyntax declaration, SemanticModel semanticModel, CancellationToken cancellationToken) =>
            ParseOwn(method, declaration, semanticModel, cancellationToken, out _);

        /// <param name="ownResult">False when the result depends on where the check started (a recursion below was skipped as part of a chain in progress): <see cref="ParseMemo"/> does not keep it.</param>
        public static Result<MethodModel> Parse(IMethodSymbol method, MethodDeclarationSyntax declaration, SemanticModel semanticModel, CancellationToken cancellationToken,
            out bool ownResult)
        {
            var result = ParseOwn(method, declaration, semanticModel, cancellationToken, out bool skipped);
            ownResult = !skipped;
            return result;
        }

        /// <summary>The method checked on its own, as when the generator asks for it (the chain above it plays no part).</summary>
        /// <param name="skipped">Set when a callee below was not checked because its own check is in progress on this thread (a recursion longer than the depth limit).</param>
        private static Result<MethodModel> ParseOwn(IMethodSymbol method, MethodDeclarationSyntax declaration, SemanticModel semanticModel, CancellationToken cancellationToken,
            out bool skipped)
        {
            skipped = false;
            var parsed = ParsedIn(semanticModel.Compilation);
            if (parsed.TryGetValue(method, out var known)) return known.Result; // checked already, as another method's callee
            var inProgress = t_inProgress ??= new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            inProgress.Add(method);
            try
            {
                var diagnostics = new List<DiagnosticInfo>();
                var model = ParseCore(method, declaration, semanticModel, diagnostics, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), 0,
                    new Dictionary<IMethodSymbol, Checked>(SymbolEqualityComparer.Default), cancellationToken, out skipped, out int reach);
                var result = new Result<MethodModel>(diagnostics.Count == 0 ? model : null, diagnostics.ToEquatableArray());
                if (!skipped) parsed.TryAdd(method, new Parsed(result, reach));
                return result;
            }
            finally
            {
                inProgress.Remove(method);
            }
        }

        /// <summary>A callee's check within one method's (<see cref="ParseOwn"/>): its diagnostics, whether a recursion was skipped below it, its reach.</summary>
        private sealed record Checked(List<DiagnosticInfo> Diagnostics, bool Skipped, int Reach);

        /// <summary>How many method bodies this thread has lowered (for the tests that bound the work of the callee checks).</summary>
        [System.ThreadStatic] internal static int t_lowerings;

        /// <summary>The methods this thread is checking on their own (<see cref="ParseOwn"/>), outermost first.</summary>
        [System.ThreadStatic] private static HashSet<IMethodSymbol>? t_inProgress;

        /// <summary>
        /// Each method's complete result, by compilation. A callee is checked by running all of its checks (it must be
        /// differentiable itself), so a method that is parsed on its own and checked as a callee of others would otherwise
        /// be bound and lowered once for each. A result is kept only when it cannot depend on where the check started:
        /// no callee below it was skipped as part of the chain above it (a recursion) or as too deep. It is reused at a
        /// depth where none of its callee checks would be too deep (<see cref="Parsed.Reach"/>), so the diagnostics are
        /// the same whichever method is parsed first. The table holds its compilation weakly and goes with it; the
        /// results are immutable, so concurrent parses may share them.
        /// </summary>
        private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, Parsed>> s_parsed =
            new ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, Parsed>>();

        /// <param name="Reach">How many levels below the method the deepest callee check ran (0: the method's own; −1: none).</param>
        private sealed record Parsed(Result<MethodModel> Result, int Reach);

        private static ConcurrentDictionary<IMethodSymbol, Parsed> ParsedIn(Compilation compilation) =>
            s_parsed.GetValue(compilation, static _ => new ConcurrentDictionary<IMethodSymbol, Parsed>(SymbolEqualityComparer.Default));

        /// <param name="skipped">Set when a callee (or a callee's callee) was not checked because it is in <paramref name="visiting"/> or too deep.</param>
        /// <param name="reach">How many levels below this method the deepest callee check ran; −1 when no callee was checked.</param>
        private static MethodModel? ParseCore(IMethodSymbol method, MethodDeclarationSyntax declaration, SemanticModel semanticModel,
            List<DiagnosticInfo> diagnostics, HashSet<IMethodSymbol> visiting, int depth, Dictionary<IMethodSymbol, Checked> checkedHere,
            CancellationToken cancellationToken, out bool skipped, out int reach)
        {
            skipped = false;
            reach = -1;
            visiting.Add(method);
            var (returnType, parameters) = MethodParser.CheckSignature(method, declaration, diagnostics);
            if (diagnostics.Count > 0) return null;

            t_lowerings++;
            var (function, lowering) = IrLowering.Lower(method, declaration, parameters, returnType, semanticModel, cancellationToken);
            diagnostics.AddRange(lowering.Diagnostics);
            if (function is null) return null;

            ActivityChecks.CheckOpaqueCalls(function, lowering, diagnostics);
            ActivityChecks.CheckBuffers(function, lowering, diagnostics);
            var compilation = semanticModel.Compilation;
            var parsed = ParsedIn(compilation);
            bool skippedBelow = false;
            int reachBelow = -1;
            CalleeChecks.Check(method, lowering, compilation, diagnostics,
                skip: callee =>
                {
                    reachBelow = System.Math.Max(reachBelow, 0);
                    // A recursion is fine: its Backward calls itself. Below the depth limit, the callee is checked on its
                    // own instead (its result does not depend on this chain), unless that check is already running on
                    // this thread: then the callee is a recursion too, one longer than the limit.
                    bool skip = visiting.Contains(callee) || (depth >= MaxCalleeDepth && t_inProgress!.Contains(callee));
                    skippedBelow |= skip;
                    return skip;
                },
                checkCallee: (callee, calleeDeclaration) =>
                {
                    if (depth >= MaxCalleeDepth)
                    {
                        // Too deep to go on down this chain (each level would lower again what is below it): the callee's
                        // own result, which the generator reports and acts on anyway. Skipping the check instead would let
                        // this method call a Backward that was never generated when something deeper is refused.
                        var own = ParseOwn(callee, calleeDeclaration, SemanticModels.For(compilation, calleeDeclaration.SyntaxTree), cancellationToken, out bool ownSkipped);
                        skippedBelow |= ownSkipped;
                        reachBelow = System.Math.Max(reachBelow, MaxCalleeDepth);
                        return new List<DiagnosticInfo>(own.Diagnostics);
                    }
                    if (parsed.TryGetValue(callee, out var known) && depth + 1 + known.Reach < MaxCalleeDepth)
                    {
                        reachBelow = System.Math.Max(reachBelow, known.Reach + 1);
                        return new List<DiagnosticInfo>(known.Result.Diagnostics);
                    }
                    // Checked already in this method's check (another way down to it): its result again. Without this, a
                    // group of methods calling each other was checked once per path through it, exponentially many (8
                    // methods each calling the 7 others: 52 s). Reusing the first result is safe for this method's verdict:
                    // a check skipped below the callee was of a method on the path above it, whose own check goes on.
                    if (checkedHere.TryGetValue(callee, out var done))
                    {
                        reachBelow = System.Math.Max(reachBelow, done.Reach + 1);
                        skippedBelow |= done.Skipped;
                        return new List<DiagnosticInfo>(done.Diagnostics);
                    }
                    var calleeDiagnostics = new List<DiagnosticInfo>();
                    var calleeModel = ParseCore(callee, calleeDeclaration, SemanticModels.For(compilation, calleeDeclaration.SyntaxTree), calleeDiagnostics,
                        new HashSet<IMethodSymbol>(visiting, SymbolEqualityComparer.Default), depth + 1, checkedHere, cancellationToken, out bool calleeSkipped, out int calleeReach);
                    checkedHere[callee] = new Checked(calleeDiagnostics, calleeSkipped, calleeReach);
                    reachBelow = System.Math.Max(reachBelow, calleeReach + 1);
                    if (calleeSkipped) skippedBelow = true;
                    else parsed.TryAdd(callee, new Parsed(new Result<MethodModel>(calleeDiagnostics.Count == 0 ? calleeModel : null, calleeDiagnostics.ToEquatableArray()), calleeReach));
                    return calleeDiagnostics;
                },
                cancellationToken);
            skipped = skippedBelow;
            reach = reachBelow;
            if (diagnostics.Count > 0) return null;

            return MethodParser.Model(method, function);
        }
    }
}
