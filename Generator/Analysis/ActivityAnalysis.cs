using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Differentiation;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Analysis
{
    /// <summary>
    /// Which values need an adjoint: those that are varied (depend on an active parameter) and useful
    /// (reach the result), as in Enzyme. Switched off, every floating value is active except those the
    /// language itself makes constant (<c>Grad.Stop</c>, zero-derivative functions, opaque calls,
    /// <c>[NoDiff]</c> parameters): more adjoint code, the same gradient.
    /// </summary>
    internal sealed class ActivityResult
    {
        private readonly HashSet<ValueId> _varied;
        private readonly HashSet<ValueId> _useful;
        private readonly bool _enabled;

        public ActivityResult(HashSet<ValueId> varied, HashSet<ValueId> useful, bool enabled)
        {
            _varied = varied;
            _useful = useful;
            _enabled = enabled;
        }

        /// <summary>True when the value depends on an active parameter (whether or not the analysis is on).</summary>
        public bool IsVaried(ValueId value) => _varied.Contains(value);

        /// <summary>True when the value reaches the result through operations with a derivative.</summary>
        public bool IsUseful(ValueId value) => _useful.Contains(value);

        public bool IsActive(ValueId value) => _varied.Contains(value) && (!_enabled || _useful.Contains(value));

        /// <summary>The annotation <see cref="IrPrinter"/> prints next to each value.</summary>
        public string Annotate(ValueId value) =>
            IsActive(value) ? "active" : _varied.Contains(value) ? "varied" : _useful.Contains(value) ? "useful" : "const";
    }

    internal static class ActivityAnalysis
    {
        public static ActivityResult Run(IrFunction function, bool enabled)
        {
            var varied = new HashSet<ValueId>();
            foreach (var parameter in function.Parameters)
            {
                if (parameter.Active) varied.Add(parameter.Value);
            }
            Forward(function, function.Body, varied, enabled);

            var useful = new HashSet<ValueId>();
            Backward(function, function.Body, useful);
            return new ActivityResult(varied, useful, enabled);
        }

        // ---- varied: forward, in program order ----

        private static void Forward(IrFunction f, Block block, HashSet<ValueId> varied, bool enabled)
        {
            foreach (var instruction in block.Instructions)
            {
                if (instruction is IfInstr branch)
                {
                    Forward(f, branch.Then, varied, enabled);
                    Forward(f, branch.Else, varied, enabled);
                    var thenValues = ((YieldTerminator)branch.Then.Terminator).Values;
                    var elseValues = ((YieldTerminator)branch.Else.Terminator).Values;
                    for (int i = 0; i < branch.Outputs.Count; i++)
                    {
                        if (f.TypeOf(branch.Outputs[i]).IsFloating() &&
                            (!enabled || varied.Contains(thenValues[i]) || varied.Contains(elseValues[i])))
                            varied.Add(branch.Outputs[i]);
                    }
                    continue;
                }
                foreach (var result in IrFacts.Definitions(instruction))
                {
                    if (f.TypeOf(result).IsFloating() && CarriesDerivative(instruction) &&
                        (!enabled || DerivativeOperands(instruction).Any(varied.Contains)))
                        varied.Add(result);
                }
            }
            if (block.Terminator is SplitTerminator split)
            {
                Forward(f, split.Then, varied, enabled);
                Forward(f, split.Else, varied, enabled);
            }
        }

        /// <summary>False for instructions whose result never has a derivative, whatever their operands.</summary>
        private static bool CarriesDerivative(Instruction instruction) => instruction switch
        {
            StopInstr => false,
            IntrinsicInstr i => DerivativeRules.Find(i.Function, i.Args.Count) is { IsZero: false },
            CallInstr c => c.Kind == CallKind.Differentiable,
            _ => true,
        };

        /// <summary>The operands a derivative can flow into (a differentiable call's active parameters only).</summary>
        public static IEnumerable<ValueId> DerivativeOperands(Instruction instruction)
        {
            if (instruction is CallInstr call)
            {
                if (call.Kind != CallKind.Differentiable) yield break;
                for (int i = 0; i < call.Args.Count; i++)
                {
                    if (call.ActiveParameters[i]) yield return call.Args[i];
                }
                yield break;
            }
            if (!CarriesDerivative(instruction)) yield break;
            foreach (var operand in IrFacts.Operands(instruction)) yield return operand;
        }

        // ---- useful: backward, from the returned values ----

        private static void Backward(IrFunction f, Block block, HashSet<ValueId> useful)
        {
            switch (block.Terminator)
            {
                case ReturnTerminator { Value: { } value } when f.TypeOf(value).IsFloating():
                    useful.Add(value);
                    break;
                case SplitTerminator split:
                    Backward(f, split.Then, useful);
                    Backward(f, split.Else, useful);
                    break;
            }
            for (int i = block.Instructions.Count - 1; i >= 0; i--)
            {
                var instruction = block.Instructions[i];
                if (instruction is IfInstr branch)
                {
                    var thenValues = ((YieldTerminator)branch.Then.Terminator).Values;
                    var elseValues = ((YieldTerminator)branch.Else.Terminator).Values;
                    for (int k = 0; k < branch.Outputs.Count; k++)
                    {
                        if (!useful.Contains(branch.Outputs[k])) continue;
                        useful.Add(thenValues[k]);
                        useful.Add(elseValues[k]);
                    }
                    Backward(f, branch.Then, useful);
                    Backward(f, branch.Else, useful);
                    continue;
                }
                if (!IrFacts.Definitions(instruction).Any(useful.Contains)) continue;
                foreach (var operand in DerivativeOperands(instruction))
                {
                    if (f.TypeOf(operand).IsFloating()) useful.Add(operand);
                }
            }
        }
    }
}
