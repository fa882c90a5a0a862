using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Lowering;

namespace Differentiable.Generator.Analysis
{
    /// <summary>
    /// The checks of a lowered method that need its activity: a call without a derivative on an active value
    /// (DIFF0009), and memory the reverse sweep cannot handle safely (DIFF0015, DIFF0017). Both run the
    /// activity analysis with every analysis on: the parse step that reports them does not see the option.
    /// </summary>
    internal static class ActivityChecks
    {
        /// <summary>
        /// DIFF0009: a call with no derivative is fine unless it is on an active value: an argument varies
        /// with the inputs and the floating result reaches the output (so <c>Grad.Stop(f(x))</c> is fine).
        /// </summary>
        public static void CheckOpaqueCalls(IrFunction function, IrLowering lowering, List<DiagnosticInfo> diagnostics)
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
        public static void CheckBuffers(IrFunction function, IrLowering lowering, List<DiagnosticInfo> diagnostics)
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
    }
}
