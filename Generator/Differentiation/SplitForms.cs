using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;

namespace Differentiable.Generator.Differentiation
{
    /// <summary>
    /// What the builder needs to choose split calls: the methods that have split forms, the method being built (a call
    /// of itself is split wherever it is), and whether the split forms themselves are being built. Then every call of a
    /// method with split forms is split, in a loop or not (the split forms run once per call of their caller's loop or
    /// recursion), and the seed may be zero (a <c>Reverse</c> cannot return early, it must pop what its
    /// <c>Forward</c> pushed).
    /// </summary>
    internal sealed class SplitChoice
    {
        public SplitChoice(IEnumerable<SplitKey> keys, string selfKey, bool forSplitForms)
        {
            StackMasks = new Dictionary<string, int>(System.StringComparer.Ordinal);
            foreach (var key in keys) StackMasks[key.Key] = key.StackMask;
            Keys = new HashSet<string>(StackMasks.Keys, System.StringComparer.Ordinal);
            SelfKey = selfKey;
            ForSplitForms = forSplitForms;
        }

        public HashSet<string> Keys { get; }

        /// <summary>By key, the stacks its split forms take (<see cref="SplitKey.StackMask"/>).</summary>
        public Dictionary<string, int> StackMasks { get; }

        public string SelfKey { get; }

        public bool ForSplitForms { get; }
    }

    /// <summary>What one method brings to the choice of split forms: whether it can have them, and which callees it wants them of.</summary>
    /// <param name="Wanted">The callees it calls in a loop, and itself if it calls itself.</param>
    /// <param name="Calls">Every callee in this compilation it calls (its own split forms call them through theirs).</param>
    /// <param name="StackMask">The stacks its own values need (bit k for <see cref="SplitForms.StackTypes"/>[k]), and the flags'.</param>
    internal sealed record SplitFacts(string Key, bool Eligible, EquatableArray<string> Wanted, EquatableArray<string> Calls, int StackMask);

    /// <summary>
    /// A method with split forms, and the stacks they take (bit k for <see cref="SplitForms.StackTypes"/>[k]): the types
    /// of its own values (what it can push), the flags (the way out it took), and the stacks of the split forms it calls.
    /// </summary>
    internal sealed record SplitKey(string Key, int StackMask);

    /// <summary>
    /// Split forms: <c>{M}Forward</c> runs the forward sweep of <c>{M}Backward</c> and leaves what its reverse needs on
    /// the caller's stacks; <c>{M}Reverse</c> pops it and runs the reverse sweep. A caller that calls M inside a loop, or
    /// M calling itself, then runs M's primal once (in <c>Forward</c>) instead of once more in every <c>Backward</c>:
    /// det's recursive minor expansion costs a few primals instead of one per level. Both members are <c>internal</c>;
    /// callers in other assemblies keep calling <c>Backward</c>.
    /// <para>
    /// A method has split forms when it returns a value, writes no memory (no store, no local buffer, no slice, no call
    /// that may write a buffer), and every value it computes is a number or a bool (what the stacks hold); when they pay
    /// (<see cref="Worth"/>); and when some method in the compilation wants them: it calls the method in a loop, or is the
    /// method and calls itself.
    /// </para>
    /// </summary>
    internal static class SplitForms
    {
        /// <summary>The stack element types a split form takes, in parameter order.</summary>
        public static readonly IrType[] StackTypes = { IrType.F64, IrType.F32, IrType.I32, IrType.I64, IrType.Bool };

        public static SplitFacts Facts(MethodModel model) =>
            new SplitFacts(model.HintName, Eligible(model.Function) && Worth(model.Function), Wanted(model.HintName, model.Function),
                IrFacts.AllInstructions(model.Function.Body).OfType<CallInstr>()
                    .Where(c => c.Kind == CallKind.Differentiable && c.Backward is null && c.CalleeKey is not null)
                    .Select(c => c.CalleeKey!).Distinct().OrderBy(k => k, System.StringComparer.Ordinal).ToEquatableArray(),
                OwnStackMask(model.Function));

        /// <summary>The stacks a method's own values need: each type one of its values has, and the flags.</summary>
        private static int OwnStackMask(IrFunction function)
        {
            int mask = 1 << System.Array.IndexOf(StackTypes, IrType.Bool);
            for (int v = 0; v < function.Values.Count; v++)
            {
                int k = System.Array.IndexOf(StackTypes, function.TypeOf(new ValueId(v)));
                if (k >= 0) mask |= 1 << k;
            }
            return mask;
        }

        /// <summary>The stack types of a mask, in parameter order.</summary>
        public static IEnumerable<IrType> TypesOf(int mask)
        {
            for (int k = 0; k < StackTypes.Length; k++)
            {
                if ((mask & (1 << k)) != 0) yield return StackTypes[k];
            }
        }

        /// <summary>
        /// The keys of the methods that get split forms: eligible ones (that pay) some method wants, and, since split forms
        /// run once per call of their caller's loop or recursion, the eligible ones those call, to a fixpoint.
        /// </summary>
        public static EquatableArray<SplitKey> Keys(IEnumerable<SplitFacts> all)
        {
            var list = all.ToList();
            var byKey = new Dictionary<string, SplitFacts>(System.StringComparer.Ordinal);
            foreach (var facts in list) byKey[facts.Key] = facts;
            var wanted = new HashSet<string>(list.SelectMany(f => f.Wanted));
            var keys = new HashSet<string>(list.Where(f => f.Eligible && wanted.Contains(f.Key)).Select(f => f.Key), System.StringComparer.Ordinal);
            var work = new Stack<string>(keys);
            while (work.Count > 0)
            {
                foreach (var callee in byKey[work.Pop()].Calls)
                {
                    if (byKey.TryGetValue(callee, out var facts) && facts.Eligible && keys.Add(callee)) work.Push(callee);
                }
            }
            // The stacks: a method's own, and those of every split form it may call (to a fixpoint: calls can cycle).
            var masks = keys.ToDictionary(k => k, k => byKey[k].StackMask, System.StringComparer.Ordinal);
            bool changed = true;
            while (changed)
            {
                changed = false;
                foreach (var key in keys)
                {
                    int mask = masks[key];
                    foreach (var callee in byKey[key].Calls)
                    {
                        if (masks.TryGetValue(callee, out int calleeMask)) mask |= calleeMask;
                    }
                    if (mask != masks[key]) { masks[key] = mask; changed = true; }
                }
            }
            return keys.OrderBy(k => k, System.StringComparer.Ordinal).Select(k => new SplitKey(k, masks[k])).ToEquatableArray();
        }

        /// <summary>Whether a method can have split forms (see the class remarks).</summary>
        public static bool Eligible(IrFunction function)
        {
            if (function.ReturnType is null) return false;
            var parameters = new HashSet<ValueId>(function.Parameters.Select(p => p.Value));
            for (int v = 0; v < function.Values.Count; v++)
            {
                var id = new ValueId(v);
                var type = function.TypeOf(id);
                if ((type.IsBuffer() || type == IrType.Opaque) && !parameters.Contains(id)) return false;
            }
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                switch (instruction)
                {
                    case StoreInstr:
                    case AllocInstr:
                    case SliceInstr:
                    case CallInstr { Result: null }:
                        return false;
                    case CallInstr call when call.WritableParameters.Any(w => w):
                        return false;
                }
            }
            return true;
        }

        /// <summary>
        /// Whether split forms pay: the forward sweep they save has a loop, a call (a recursion is one) or a function that is
        /// not cheap (<c>Exp</c>, <c>Sin</c>, <c>Sqrt</c>, ...). A callee of a few cheap operations is quicker to run again
        /// in its <c>Backward</c> than to record and pass the five stacks to, twice (measured: a branch and two multiplies
        /// called 1,000 times in a loop, 4.0 µs through Backward, 5.7–6.6 µs through split forms; a loop of 8 exponentials,
        /// 194 µs against 105–136 µs).
        /// </summary>
        public static bool Worth(IrFunction function) => IrFacts.AllInstructions(function.Body).Any(i => i switch
        {
            LoopInstr or CallInstr => true,
            IntrinsicInstr intrinsic => !IsCheap(intrinsic.Function),
            _ => false,
        });

        /// <summary>
        /// The instructions at the top level of the method's ways (its body and the blocks after each split, outside
        /// loops and branches) whose values <c>{M}Reverse</c> computes again from the parameters rather than popping
        /// them: arithmetic, conversions, constants that cannot change, lengths, <c>Grad.Stop</c>, the cheap math functions
        /// and <c>BitOperations</c>, with operands that are parameters or such values. A push and a pop cost more than
        /// such an instruction, and the same operands give the same value (an <c>int</c> division that did not throw in
        /// Forward does not throw in Reverse). det's <c>Minor</c> pushed its row, the rows of its minors, a leaf's index
        /// and the way out it took (<c>m == 1</c>) on every call.
        /// </summary>
        public static List<Instruction> RecomputedInReverse(IrFunction function)
        {
            var available = new HashSet<ValueId>(function.Parameters.Select(p => p.Value));
            var recomputed = new List<Instruction>();
            Walk(function.Body);
            return recomputed;

            void Walk(Block block)
            {
                foreach (var instruction in block.Instructions)
                {
                    bool cheap = instruction switch
                    {
                        ConstInstr c => !c.Mutable,
                        UnaryInstr or BinaryInstr or ConvertInstr or LengthInstr or StopInstr => true,
                        IntrinsicInstr i => IsCheap(i.Function),
                        CallInstr { Kind: CallKind.Opaque, Result: not null } call => call.Method.StartsWith("global::System.Numerics.BitOperations.", System.StringComparison.Ordinal),
                        _ => false,
                    };
                    if (!cheap || !IrFacts.Operands(instruction).All(available.Contains)) continue;
                    recomputed.Add(instruction);
                    available.UnionWith(IrFacts.Definitions(instruction));
                }
                if (block.Terminator is SplitTerminator split)
                {
                    Walk(split.Then);
                    Walk(split.Else);
                }
            }
        }

        private static bool IsCheap(string function) =>
            function is "Abs" or "Max" or "Min" or "Clamp" or "FusedMultiplyAdd" or "Floor" or "Ceiling" or "Round" or "Truncate" or "Sign" or "CopySign";

        /// <summary>The callees in this compilation a method calls in a loop, and itself when it calls itself.</summary>
        public static EquatableArray<string> Wanted(string key, IrFunction function)
        {
            var wanted = new SortedSet<string>(System.StringComparer.Ordinal);
            Collect(function.Body, inLoop: false);
            return wanted.ToEquatableArray();

            void Collect(Block block, bool inLoop)
            {
                foreach (var instruction in block.Instructions)
                {
                    switch (instruction)
                    {
                        case CallInstr { Kind: CallKind.Differentiable, Backward: null, CalleeKey: { } callee } when inLoop || callee == key:
                            wanted.Add(callee);
                            break;
                        case IfInstr branch:
                            Collect(branch.Then, inLoop);
                            Collect(branch.Else, inLoop);
                            break;
                        case LoopInstr loop:
                            Collect(loop.Header, true);
                            Collect(loop.Body, true);
                            break;
                    }
                }
                if (block.Terminator is SplitTerminator split)
                {
                    Collect(split.Then, inLoop);
                    Collect(split.Else, inLoop);
                }
            }
        }
    }
}
