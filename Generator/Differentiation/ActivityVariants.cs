using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;

namespace Differentiable.Generator.Differentiation
{
    /// <summary>A callee's Backward with some buffer parameters constant: <paramref name="Mask"/> has '1' at each constant parameter.</summary>
    internal sealed record VariantRequest(string CalleeKey, string Mask);

    /// <summary>
    /// Activity-specialized variants, as Enzyme makes them. When a caller passes a constant buffer (a
    /// [NoDiff] one, or one no active value reaches) to a parameter the callee differentiates, the callee
    /// in the same compilation also gets <c>{M}BackwardConstant{P}</c>: its Backward with that parameter
    /// constant and no adjoint for it. The caller calls that, and allocates nothing. A callee from another
    /// assembly has no such variant: the caller passes it a zeroed scratch span from the shared ArrayPool.
    /// </summary>
    internal static class ActivityVariants
    {
        /// <summary>The mask of the call's constant buffers, or null when every buffer it differentiates is active.</summary>
        public static string? Mask(CallInstr call, ActivityResult activity, IrFunction caller)
        {
            if (call.Kind != CallKind.Differentiable) return null;
            var mask = new char[call.Args.Count];
            bool any = false;
            for (int k = 0; k < call.Args.Count; k++)
            {
                bool constant = call.ActiveParameters[k] && caller.TypeOf(call.Args[k]).IsBuffer() && !activity.IsVaried(activity.Roots.RootOf(call.Args[k]));
                mask[k] = constant ? '1' : '0';
                any |= constant;
            }
            return any ? new string(mask) : null;
        }

        /// <summary>The variants a method's calls need from callees in this compilation.</summary>
        public static EquatableArray<VariantRequest> Requests(MethodModel model) => Requests(model.Function, model.AnalysesEnabled);

        private static EquatableArray<VariantRequest> Requests(IrFunction function, bool analysesEnabled)
        {
            var calls = IrFacts.AllInstructions(function.Body).OfType<CallInstr>().Where(c => c.CalleeKey is not null).ToList();
            if (calls.Count == 0) return EquatableArray<VariantRequest>.Empty;
            var activity = ActivityAnalysis.Run(function, analysesEnabled);
            var requests = new List<VariantRequest>();
            foreach (var call in calls)
            {
                if (Mask(call, activity, function) is { } mask) requests.Add(new VariantRequest(call.CalleeKey!, mask));
            }
            return requests.Distinct().ToEquatableArray();
        }

        /// <summary>The method with the buffers of <paramref name="mask"/> constant ('1'): what its variant differentiates.</summary>
        public static IrFunction Apply(IrFunction function, string mask)
        {
            var parameters = function.Parameters.Select((p, k) => k < mask.Length && mask[k] == '1' ? p with { Active = false } : p).ToEquatableArray();
            return parameters.Equals(function.Parameters) ? function : function with { Parameters = parameters };
        }

        /// <summary>
        /// Every variant needed: the methods' own requests, and what the variants themselves ask of their callees, to a
        /// fixpoint. A variant of H0 with its buffer h constant passes h on to H2 as a constant too, so it calls H2's
        /// variant for it, which no method's own calls ask for (fuzz seed 3000317: generated code that did not compile).
        /// </summary>
        public static EquatableArray<VariantRequest> Close(IEnumerable<VariantRequest> requests, IEnumerable<MethodModel> models)
        {
            var byKey = new Dictionary<string, MethodModel>(System.StringComparer.Ordinal);
            foreach (var model in models) byKey[model.HintName] = model;
            var all = new HashSet<VariantRequest>(requests);
            var work = new Queue<VariantRequest>(all);
            while (work.Count > 0)
            {
                var request = work.Dequeue();
                if (!byKey.TryGetValue(request.CalleeKey, out var callee)) continue;
                var variant = Apply(callee.Function, request.Mask);
                if (ReferenceEquals(variant, callee.Function)) continue;
                foreach (var next in Requests(variant, callee.AnalysesEnabled))
                {
                    if (all.Add(next)) work.Enqueue(next);
                }
            }
            return all.OrderBy(r => r.CalleeKey, System.StringComparer.Ordinal).ThenBy(r => r.Mask, System.StringComparer.Ordinal).ToEquatableArray();
        }
    }
}
