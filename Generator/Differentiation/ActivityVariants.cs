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
        public static EquatableArray<VariantRequest> Requests(MethodModel model)
        {
            var calls = IrFacts.AllInstructions(model.Function.Body).OfType<CallInstr>().Where(c => c.CalleeKey is not null).ToList();
            if (calls.Count == 0) return EquatableArray<VariantRequest>.Empty;
            var activity = ActivityAnalysis.Run(model.Function, model.AnalysesEnabled);
            var requests = new List<VariantRequest>();
            foreach (var call in calls)
            {
                if (Mask(call, activity, model.Function) is { } mask) requests.Add(new VariantRequest(call.CalleeKey!, mask));
            }
            return requests.Distinct().ToEquatableArray();
        }
    }
}
