using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Lowering
{
    // Loop-invariant loads. A load at the top of a counted loop's body whose buffer and index come from outside the
    // loop, from memory nothing in the loop writes, reads the same element every iteration: it is read once, before
    // the loop, guarded by the loop's first test (a loop that does not run must not read, the index may be out of
    // range then). The loop's reverse then adds one adjoint for it, once, and an outer loop records one value per
    // run of this loop instead of one per iteration (GMM's triangular product reads x̄[col] in its inner loop).
    internal sealed partial class IrLowering
    {
        private Block HoistInvariantLoads(Block block, IReadOnlyList<IrParameter> parameters)
        {
            // The memory behind each buffer value: a parameter or an allocation, through slices. Loads from anything
            // else (a static array, which any call may change) stay where they are.
            var roots = new Dictionary<ValueId, ValueId>();
            foreach (var parameter in parameters)
            {
                if (parameter.Type.IsBuffer()) roots[parameter.Value] = parameter.Value;
            }
            foreach (var instruction in IrFacts.AllInstructions(block))
            {
                if (instruction is AllocInstr a) roots[a.Result] = a.Result;
                else if (instruction is SliceInstr s && roots.TryGetValue(s.Buffer, out var root)) roots[s.Result] = root;
            }
            return Hoist(block, roots);
        }

        private Block Hoist(Block block, Dictionary<ValueId, ValueId> roots)
        {
            List<Instruction>? rebuilt = null;
            for (int k = 0; k < block.Instructions.Count; k++)
            {
                var instruction = block.Instructions[k];
                IEnumerable<Instruction> replacement;
                switch (instruction)
                {
                    case LoopInstr loop:
                    {
                        var header = Hoist(loop.Header, roots);
                        var body = Hoist(loop.Body, roots);
                        var inner = ReferenceEquals(header, loop.Header) && ReferenceEquals(body, loop.Body) ? loop : loop with { Header = header, Body = body };
                        var before = HoistFrom(ref inner, roots);
                        if (ReferenceEquals(inner, loop)) goto default;
                        replacement = before.Append(inner);
                        break;
                    }
                    case IfInstr branch:
                    {
                        var then = Hoist(branch.Then, roots);
                        var otherwise = Hoist(branch.Else, roots);
                        if (ReferenceEquals(then, branch.Then) && ReferenceEquals(otherwise, branch.Else)) goto default;
                        replacement = new[] { branch with { Then = then, Else = otherwise } };
                        break;
                    }
                    default:
                        rebuilt?.Add(instruction);
                        continue;
                }
                rebuilt ??= block.Instructions.Take(k).ToList();
                rebuilt.AddRange(replacement);
            }
            var terminator = block.Terminator;
            if (terminator is SplitTerminator split)
            {
                var then = Hoist(split.Then, roots);
                var otherwise = Hoist(split.Else, roots);
                if (!ReferenceEquals(then, split.Then) || !ReferenceEquals(otherwise, split.Else))
                {
                    terminator = split with { Then = then, Else = otherwise };
                    rebuilt ??= block.Instructions.ToList();
                }
            }
            return rebuilt is null ? block : new Block(rebuilt.ToEquatableArray(), terminator);
        }

        /// <summary>Moves the loop's invariant loads out of it; returns what goes before it (nothing, or one guarded read).</summary>
        private IEnumerable<Instruction> HoistFrom(ref LoopInstr loop, Dictionary<ValueId, ValueId> roots)
        {
            if (loop.Counted is not { } counted) return Enumerable.Empty<Instruction>();
            var all = IrFacts.AllInstructions(loop.Body).ToList();
            // A call may write memory that a buffer parameter also views (a static array passed in): keep it simple.
            if (all.Any(i => i is CallInstr)) return Enumerable.Empty<Instruction>();
            var written = new HashSet<ValueId>();
            foreach (var instruction in all)
            {
                if (instruction is not StoreInstr store) continue;
                if (!roots.TryGetValue(store.Buffer, out var root)) return Enumerable.Empty<Instruction>(); // memory of unknown origin
                written.Add(root);
            }
            var inside = new HashSet<ValueId>(IrFacts.LoopLocals(loop));
            IrFacts.CollectDefinitions(loop.Body, inside);
            var hoisted = loop.Body.Instructions.OfType<LoadInstr>()
                .Where(l => !inside.Contains(l.Buffer) && !inside.Contains(l.Index) && roots.TryGetValue(l.Buffer, out var root) && !written.Contains(root))
                .ToList();
            if (hoisted.Count == 0) return Enumerable.Empty<Instruction>();

            // if (start CMP bound) { t = buffer[index]; ... } else { t = 0; ... }: t keeps its name and its uses.
            var runs = NewValue(IrType.Bool, null);
            var test = new BinaryInstr(runs, counted.Comparison, counted.Start, counted.Bound, loop.Origin);
            var read = new List<Instruction>();
            var none = new List<Instruction>();
            var readValues = new List<ValueId>();
            var noneValues = new List<ValueId>();
            foreach (var load in hoisted)
            {
                var type = TypeOf(load.Result);
                var fresh = NewValue(type, null);
                read.Add(new LoadInstr(fresh, load.Buffer, load.Index, load.Origin));
                readValues.Add(fresh);
                var zero = NewValue(type, null);
                none.Add(new ConstInstr(zero, LoweringFacts.Literal(0, type)!, load.Origin));
                noneValues.Add(zero);
            }
            var guarded = new IfInstr(runs,
                new Block(read.ToEquatableArray(), new YieldTerminator(readValues.ToEquatableArray())),
                new Block(none.ToEquatableArray(), new YieldTerminator(noneValues.ToEquatableArray())),
                hoisted.Select(l => l.Result).ToEquatableArray(), loop.Origin);
            var keep = new HashSet<Instruction>(hoisted, ReferenceComparer<Instruction>.Instance);
            loop = loop with { Body = new Block(loop.Body.Instructions.Where(i => !keep.Contains(i)).ToEquatableArray(), loop.Body.Terminator) };
            return new Instruction[] { test, guarded };
        }
    }
}
