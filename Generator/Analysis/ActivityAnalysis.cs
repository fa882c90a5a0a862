using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Analysis
{
    /// <summary>
    /// Which values need an adjoint: those that are varied (depend on an active parameter) and useful
    /// (reach the result), as in Enzyme. Switched off, every floating value is active except those the
    /// language itself makes constant (<c>Grad.Stop</c>, zero-derivative functions, opaque calls,
    /// <c>[NoDiff]</c> parameters and what is read from them): more adjoint code, the same gradient.
    /// A buffer is active when its memory is: an active parameter, or a local buffer an active value is
    /// stored into. Its adjoint (shadow) is then a span of the same length.
    /// </summary>
    internal sealed class ActivityResult
    {
        private readonly HashSet<ValueId> _varied;
        private readonly HashSet<ValueId> _useful;
        private readonly bool _enabled;

        public ActivityResult(HashSet<ValueId> varied, HashSet<ValueId> useful, bool enabled, BufferRoots roots)
        {
            _varied = varied;
            _useful = useful;
            _enabled = enabled;
            Roots = roots;
        }

        public BufferRoots Roots { get; }

        /// <summary>False when the analyses are switched off (every analysis reads this switch).</summary>
        public bool Enabled => _enabled;

        /// <summary>True when the value depends on an active parameter (whether or not the analysis is on).</summary>
        public bool IsVaried(ValueId value) => _varied.Contains(value);

        /// <summary>True when the value reaches the result through operations with a derivative.</summary>
        public bool IsUseful(ValueId value) => _useful.Contains(value);

        public bool IsActive(ValueId value) =>
            _varied.Contains(value) && (!_enabled || _useful.Contains(value) || Roots.IsBuffer(value));

        /// <summary>The annotation <see cref="IrPrinter"/> prints next to each value.</summary>
        public string Annotate(ValueId value) =>
            IsActive(value) ? "active" : _varied.Contains(value) ? "varied" : _useful.Contains(value) ? "useful" : "const";
    }

    /// <summary>The memory each buffer value views: a parameter or a local allocation, through any slices.</summary>
    internal sealed class BufferRoots
    {
        private readonly Dictionary<ValueId, ValueId> _root = new Dictionary<ValueId, ValueId>();
        private readonly HashSet<ValueId> _written = new HashSet<ValueId>();

        public BufferRoots(IrFunction function)
        {
            foreach (var parameter in function.Parameters)
            {
                if (parameter.Type.IsBuffer()) _root[parameter.Value] = parameter.Value;
            }
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                switch (instruction)
                {
                    case AllocInstr a: _root[a.Result] = a.Result; break;
                    case SliceInstr s: _root[s.Result] = RootOf(s.Buffer); break;
                }
            }
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                switch (instruction)
                {
                    case StoreInstr s: _written.Add(RootOf(s.Buffer)); break;
                    case CallInstr c:
                        for (int k = 0; k < c.Args.Count; k++)
                        {
                            if (IsBuffer(c.Args[k]) && c.WritableParameters.Count > k && c.WritableParameters[k]) _written.Add(RootOf(c.Args[k]));
                        }
                        break;
                }
            }
        }

        public bool IsBuffer(ValueId value) => _root.ContainsKey(value);

        public ValueId RootOf(ValueId buffer) => _root.TryGetValue(buffer, out var root) ? root : buffer;

        /// <summary>True when the buffer's memory is written anywhere in the method (by a store or a call).</summary>
        public bool IsWritten(ValueId buffer) => _written.Contains(RootOf(buffer));

        /// <summary>
        /// True when the buffer's memory may be written after <paramref name="site"/> runs: by an instruction
        /// that follows it, or by any instruction of a loop around it (the next iteration). Conservative
        /// across branches: a write in the other branch of an if counts.
        /// </summary>
        public bool IsWrittenAfter(Block body, Instruction site, ValueId buffer)
        {
            if (!IsWritten(buffer)) return false;
            bool passed = false;
            return WrittenAfter(body, site, RootOf(buffer), ref passed);
        }

        private bool WrittenAfter(Block block, Instruction site, ValueId root, ref bool passed)
        {
            foreach (var instruction in block.Instructions)
            {
                if (ReferenceEquals(instruction, site)) { passed = true; continue; }
                if (!passed && Contains(instruction, site))
                {
                    if (instruction is LoopInstr) { if (Writes(instruction, root)) return true; passed = true; continue; }
                    if (instruction is IfInstr branch &&
                        (WrittenAfter(branch.Then, site, root, ref passed) || WrittenAfter(branch.Else, site, root, ref passed))) return true;
                    continue;
                }
                if (passed && Writes(instruction, root)) return true;
            }
            if (block.Terminator is SplitTerminator split)
            {
                if (WrittenAfter(split.Then, site, root, ref passed) || WrittenAfter(split.Else, site, root, ref passed)) return true;
            }
            return false;
        }

        private static bool Contains(Instruction instruction, Instruction site) => instruction switch
        {
            LoopInstr l => IrFacts.AllInstructions(l.Header).Concat(IrFacts.AllInstructions(l.Body)).Any(i => ReferenceEquals(i, site)),
            IfInstr f => IrFacts.AllInstructions(f.Then).Concat(IrFacts.AllInstructions(f.Else)).Any(i => ReferenceEquals(i, site)),
            _ => false,
        };

        private bool Writes(Instruction instruction, ValueId root)
        {
            IEnumerable<Instruction> all = instruction switch
            {
                LoopInstr l => new[] { instruction }.Concat(IrFacts.AllInstructions(l.Header)).Concat(IrFacts.AllInstructions(l.Body)),
                IfInstr f => new[] { instruction }.Concat(IrFacts.AllInstructions(f.Then)).Concat(IrFacts.AllInstructions(f.Else)),
                _ => new[] { instruction },
            };
            return all.Any(i => WritesItself(i, root));
        }

        /// <summary>True when this one instruction (not what it contains) writes the memory: a store, or a call that may write a buffer argument.</summary>
        public bool WritesItself(Instruction instruction, ValueId root)
        {
            if (instruction is StoreInstr s) return RootOf(s.Buffer) == root;
            if (instruction is not CallInstr c) return false;
            for (int k = 0; k < c.Args.Count; k++)
            {
                if (c.WritableParameters.Count > k && c.WritableParameters[k] && IsBuffer(c.Args[k]) && RootOf(c.Args[k]) == root) return true;
            }
            return false;
        }
    }

    internal static class ActivityAnalysis
    {
        public static ActivityResult Run(IrFunction function, bool enabled)
        {
            var roots = new BufferRoots(function);
            var inactiveRoots = new HashSet<ValueId>(function.Parameters.Where(p => !p.Active).Select(p => p.Value));
            var varied = new HashSet<ValueId>();
            foreach (var parameter in function.Parameters)
            {
                if (parameter.Active) varied.Add(parameter.Value);
            }
            // Loops and buffers make the facts depend on later code: iterate to a fixed point.
            int count;
            do
            {
                count = varied.Count;
                Forward(function, function.Body, varied, enabled, roots, inactiveRoots);
            } while (varied.Count != count);

            var useful = new HashSet<ValueId>();
            do
            {
                count = useful.Count;
                Backward(function, function.Body, useful, varied, roots);
            } while (useful.Count != count);
            return new ActivityResult(varied, useful, enabled, roots);
        }

        // ---- varied: forward, in program order ----

        private static void Forward(IrFunction f, Block block, HashSet<ValueId> varied, bool enabled, BufferRoots roots, HashSet<ValueId> inactiveRoots)
        {
            foreach (var instruction in block.Instructions)
            {
                switch (instruction)
                {
                    case IfInstr branch:
                    {
                        Forward(f, branch.Then, varied, enabled, roots, inactiveRoots);
                        Forward(f, branch.Else, varied, enabled, roots, inactiveRoots);
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
                    case LoopInstr loop:
                    {
                        var yields = ((YieldTerminator)loop.Body.Terminator).Values;
                        for (int k = 0; k < loop.Carried.Count; k++)
                        {
                            if (f.TypeOf(loop.Carried[k]).IsFloating() && (!enabled || varied.Contains(loop.Initial[k]) || varied.Contains(yields[k])))
                                varied.Add(loop.Carried[k]);
                        }
                        Forward(f, loop.Header, varied, enabled, roots, inactiveRoots);
                        Forward(f, loop.Body, varied, enabled, roots, inactiveRoots);
                        for (int k = 0; k < loop.Carried.Count; k++)
                        {
                            if (varied.Contains(loop.Carried[k]) || varied.Contains(yields[k])) varied.Add(loop.Carried[k]);
                            if (varied.Contains(loop.Carried[k])) varied.Add(loop.Outputs[k]);
                        }
                        continue;
                    }
                    case AllocInstr alloc:
                        if (!enabled && f.TypeOf(alloc.Result) != IrType.BufI32) varied.Add(alloc.Result);
                        continue;
                    case SliceInstr slice:
                        if (varied.Contains(roots.RootOf(slice.Buffer))) varied.Add(slice.Result);
                        continue;
                    case StoreInstr store:
                        if (varied.Contains(store.Value) && !inactiveRoots.Contains(roots.RootOf(store.Buffer)))
                            varied.Add(roots.RootOf(store.Buffer));
                        continue;
                    case LoadInstr load:
                        if (f.TypeOf(load.Result).IsFloating() && varied.Contains(roots.RootOf(load.Buffer))) varied.Add(load.Result);
                        continue;
                    case CallInstr { Kind: CallKind.Differentiable } call:
                        bool anyVaried = false;
                        for (int k = 0; k < call.Args.Count; k++)
                        {
                            if (call.ActiveParameters[k] && (varied.Contains(call.Args[k]) || (roots.IsBuffer(call.Args[k]) && varied.Contains(roots.RootOf(call.Args[k])))))
                                anyVaried = true;
                        }
                        if (!enabled) anyVaried = true;
                        if (!anyVaried) continue;
                        if (call.Result is { } r && f.TypeOf(r).IsFloating()) varied.Add(r);
                        // What the callee writes into a buffer now depends on the inputs too.
                        for (int k = 0; k < call.Args.Count; k++)
                        {
                            if (call.ActiveParameters[k] && call.WritableParameters[k] && roots.IsBuffer(call.Args[k]) && !inactiveRoots.Contains(roots.RootOf(call.Args[k])))
                                varied.Add(roots.RootOf(call.Args[k]));
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
                Forward(f, split.Then, varied, enabled, roots, inactiveRoots);
                Forward(f, split.Else, varied, enabled, roots, inactiveRoots);
            }
        }

        /// <summary>False for instructions whose result never has a derivative, whatever their operands.</summary>
        private static bool CarriesDerivative(Instruction instruction) => instruction switch
        {
            StopInstr => false,
            IntrinsicInstr i => DerivativeCatalog.Find(i.Function, i.Args.Count) is { IsZero: false },
            CallInstr c => c.Kind == CallKind.Differentiable,
            LengthInstr => false,
            _ => true,
        };

        /// <summary>The scalar operands a derivative can flow into (a differentiable call's active parameters only).</summary>
        public static IEnumerable<ValueId> DerivativeOperands(Instruction instruction)
        {
            switch (instruction)
            {
                case CallInstr call:
                    if (call.Kind != CallKind.Differentiable) yield break;
                    for (int i = 0; i < call.Args.Count; i++)
                    {
                        if (call.ActiveParameters[i]) yield return call.Args[i];
                    }
                    yield break;
                case LoadInstr or StoreInstr or SliceInstr or AllocInstr or LengthInstr or LoopInstr or IfInstr:
                    yield break;
            }
            if (!CarriesDerivative(instruction)) yield break;
            foreach (var operand in IrFacts.Operands(instruction)) yield return operand;
        }

        // ---- useful: backward, from the returned values and the active buffers ----

        private static void Backward(IrFunction f, Block block, HashSet<ValueId> useful, HashSet<ValueId> varied, BufferRoots roots)
        {
            switch (block.Terminator)
            {
                case ReturnTerminator { Value: { } value } when f.TypeOf(value).IsFloating():
                    useful.Add(value);
                    break;
                case SplitTerminator split:
                    Backward(f, split.Then, useful, varied, roots);
                    Backward(f, split.Else, useful, varied, roots);
                    break;
            }
            for (int i = block.Instructions.Count - 1; i >= 0; i--)
            {
                var instruction = block.Instructions[i];
                switch (instruction)
                {
                    case IfInstr branch:
                    {
                        var thenValues = ((YieldTerminator)branch.Then.Terminator).Values;
                        var elseValues = ((YieldTerminator)branch.Else.Terminator).Values;
                        for (int k = 0; k < branch.Outputs.Count; k++)
                        {
                            if (!useful.Contains(branch.Outputs[k])) continue;
                            useful.Add(thenValues[k]);
                            useful.Add(elseValues[k]);
                        }
                        Backward(f, branch.Then, useful, varied, roots);
                        Backward(f, branch.Else, useful, varied, roots);
                        continue;
                    }
                    case LoopInstr loop:
                    {
                        var yields = ((YieldTerminator)loop.Body.Terminator).Values;
                        for (int k = 0; k < loop.Carried.Count; k++)
                        {
                            if (useful.Contains(loop.Outputs[k])) useful.Add(loop.Carried[k]);
                            if (!useful.Contains(loop.Carried[k])) continue;
                            useful.Add(yields[k]);
                            useful.Add(loop.Initial[k]);
                        }
                        Backward(f, loop.Body, useful, varied, roots);
                        for (int k = 0; k < loop.Carried.Count; k++)
                        {
                            if (useful.Contains(loop.Carried[k])) useful.Add(loop.Initial[k]);
                        }
                        continue;
                    }
                    case StoreInstr store:
                        // What goes into active memory matters: an output buffer, or one read back later.
                        if (varied.Contains(roots.RootOf(store.Buffer))) useful.Add(store.Value);
                        continue;
                    case CallInstr { Kind: CallKind.Differentiable } call:
                        bool matters = call.Result is { } r && useful.Contains(r);
                        for (int k = 0; k < call.Args.Count; k++)
                        {
                            if (call.WritableParameters[k] && roots.IsBuffer(call.Args[k]) && varied.Contains(roots.RootOf(call.Args[k]))) matters = true;
                        }
                        if (!matters) continue;
                        foreach (var operand in DerivativeOperands(call))
                        {
                            if (f.TypeOf(operand).IsFloating()) useful.Add(operand);
                        }
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
