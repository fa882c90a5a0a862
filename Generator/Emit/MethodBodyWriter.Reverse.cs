using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Differentiation;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Emit
{
    internal sealed partial class MethodBodyWriter
    {
        // ---- loops, forward ----

        /// <summary>
        /// <code>
        /// double s = s0;                               // each carried value is one variable
        /// for (int i = a; i &lt; n; i++) { body; push recorded; s = next; }
        /// </code>
        /// A general loop is <c>while (true) { header; if (!cond) break; body; push; s = next; trips++; }</c>
        /// (a do loop tests at the end), counting its iterations when its reverse needs that.
        /// </summary>
        private void WritePrimalLoop(SourceWriter writer, LoopInstr loop)
        {
            _program.Plans.TryGetValue(loop, out var plan);
            // A loop inside a branch whose outputs or trip count the reverse sweep reads has them declared before the branch.
            for (int k = 0; k < loop.Carried.Count; k++)
            {
                if (!_liveCarried.Contains(loop.Outputs[k]) && !_hoistedDeclared.Contains(loop.Outputs[k])) continue; // never read
                writer.Line(DeclarationPrefix(loop.Outputs[k]) + _names.Value(loop.Outputs[k]) + " = " + Operand(loop.Initial[k]) + ";");
            }
            bool countTrips = loop.Counted is null && plan is { NeedsTripCount: true };
            if (countTrips) writer.Line(DeclarationPrefix(loop.TripCount) + _names.Value(loop.TripCount) + " = 0;");

            var header = ((YieldTerminator)loop.Header.Terminator).Values;
            Dictionary<IrType, (string Name, List<ValueId> Values)>? blocks = null;
            if (plan is { RecordsInBlocks: true } && loop.Counted is { } counted)
                blocks = WriteBlocks(writer, loop, counted, plan, push: true);
            var loopLocals = DeclareLoopLocals(writer, loop);
            if (loop.Counted is { } c)
            {
                string counter = _names.Value(c.Counter);
                string step = c.Step > 0 ? counter + "++" : counter + "--";
                writer.Open("for (int " + counter + " = " + Operand(c.Start) + "; " + counter + " " + c.Comparison.Symbol() + " " + Operand(c.Bound) + "; " + step + ")");
            }
            else
            {
                writer.Open("while (true)");
                if (loop.TestFirst) WriteLoopTest(writer, loop.Header, header[0]);
            }

            WritePrimal(writer, loop.Body.Instructions, insideLoop: true);
            if (plan is not null)
            {
                foreach (var recorded in plan.Recorded)
                {
                    if (blocks is not null) writer.Line(BlockSlot(blocks, loop, recorded) + " = " + Operand(recorded) + ";");
                    else writer.Line(StackFor(_function.TypeOf(recorded)) + ".Push(" + Operand(recorded) + ");");
                }
            }
            WriteCarriedUpdate(writer, loop);
            if (countTrips) writer.Line(_names.Value(loop.TripCount) + "++;");
            if (loop.Counted is null && !loop.TestFirst) WriteLoopTest(writer, loop.Header, header[0]);
            writer.Close();
            foreach (var (output, local) in loopLocals)
            {
                _loopLocal.Remove(output);
                writer.Line(_names.Value(output) + " = " + local + ";");
            }
        }

        /// <summary>
        /// A floating-point carried value gets a variable of its own for the loop: <c>var pLoop = p;</c> before
        /// it (after the stack slots it fills are reserved, which may call) and <c>p = pLoop;</c> after it. The variable the method reads after the loop is often live across
        /// a call (renting or returning a stack, growing one, a callee), and on x64 every <c>xmm</c> register is
        /// caller-saved: the JIT then gives the whole variable a stack home and stores and reloads it on every
        /// iteration. The loop's own variable lives only inside the loop and stays in a register.
        /// </summary>
        private List<(ValueId Output, string Local)> DeclareLoopLocals(SourceWriter writer, LoopInstr loop)
        {
            var locals = new List<(ValueId, string)>();
            for (int k = 0; k < loop.Carried.Count; k++)
            {
                var output = loop.Outputs[k];
                if (!_function.TypeOf(output).IsFloating()) continue;
                if (!_liveCarried.Contains(output) && !_hoistedDeclared.Contains(output)) continue;
                string local = _names.Fresh(_names.Value(output).TrimStart('@') + "Loop");
                writer.Line(_function.TypeOf(output).Keyword() + " " + local + " = " + _names.Value(output) + ";");
                _loopLocal[output] = local;
                locals.Add((output, local));
            }
            return locals;
        }

        private void WriteLoopTest(SourceWriter writer, Block header, ValueId condition)
        {
            foreach (var instruction in header.Instructions) WritePrimalInstruction(writer, instruction, insideLoop: true, reverse: false);
            if (_inline.TryGetValue(condition, out var text) && text == "true") return;
            writer.Line("if (!" + Operand(condition) + ") break;");
        }

        /// <summary>s = next for each carried value; through temporaries when one's next value is another's current one.</summary>
        private void WriteCarriedUpdate(SourceWriter writer, LoopInstr loop)
        {
            var yields = ((YieldTerminator)loop.Body.Terminator).Values;
            var carried = new HashSet<ValueId>(loop.Carried);
            bool crossed = Enumerable.Range(0, yields.Count).Any(k => yields[k] != loop.Carried[k] && carried.Contains(yields[k]) && _liveCarried.Contains(loop.Outputs[k]));
            var pending = new List<(int K, string Text)>();
            for (int k = 0; k < yields.Count; k++)
            {
                if (yields[k] == loop.Carried[k]) continue;
                if (!_liveCarried.Contains(loop.Outputs[k]) && !_hoistedDeclared.Contains(loop.Outputs[k])) continue;
                string text = Operand(yields[k]);
                if (crossed)
                {
                    string temp = _names.Fresh("next");
                    writer.Line("var " + temp + " = " + text + ";");
                    text = temp;
                }
                pending.Add((k, text));
            }
            foreach (var (k, text) in pending) writer.Line(CarriedVariable(loop.Outputs[k]) + " = " + text + ";");
        }

        // ---- loops, reverse ----

        /// <summary>
        /// The outermost reverse loop adds into locals, not into the ref/out parameter adjoints: a parameter's
        /// adjoint lives in the caller's memory, and <c>dX += ...</c> on it every iteration would chain the
        /// iterations through a store and a load. The locals are added to the parameters after the loop.
        /// </summary>
        private void WriteReverseLoop(SourceWriter writer, LoopStatement statement)
        {
            if (_accumulators.Count > 0)
            {
                WriteReverseLoopCore(writer, statement);
                return;
            }
            var written = new HashSet<ValueId>();
            CollectParameterWrites(statement.Body, written);
            foreach (var parameter in written.OrderBy(v => v.Index))
            {
                string name = _names.Fresh(_names.Adjoint(parameter) + "Loop");
                _accumulators[parameter] = name;
                writer.Line(_function.TypeOf(parameter).Keyword() + " " + name + " = " + Literal(0, _function.TypeOf(parameter)) + ";");
            }
            WriteReverseLoopCore(writer, statement);
            foreach (var parameter in written.OrderBy(v => v.Index))
                writer.Line(_names.Adjoint(parameter) + " += " + _accumulators[parameter] + ";");
            _accumulators.Clear();
        }

        private readonly Dictionary<ValueId, string> _accumulators = new Dictionary<ValueId, string>();

        private void CollectParameterWrites(IEnumerable<AdjointStatement> statements, HashSet<ValueId> into)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case AccumulateStatement a when _parameters.Contains(a.Target) && !_function.TypeOf(a.Target).IsBuffer(): into.Add(a.Target); break;
                    case BranchStatement b: CollectParameterWrites(b.Then, into); CollectParameterWrites(b.Else, into); break;
                    case LoopStatement l: CollectParameterWrites(l.Body, into); break;
                    case BackwardCallStatement c:
                        foreach (var adjoint in c.Adjoints)
                        {
                            if (adjoint is { } v && _parameters.Contains(v) && !_function.TypeOf(v).IsBuffer()) into.Add(v);
                        }
                        break;
                }
            }
        }

        /// <summary>The variable a scalar adjoint is written to here: a loop's local accumulator for a parameter, else its own.</summary>
        private string AdjointTarget(ValueId value) => _accumulators.TryGetValue(value, out var local) ? local : _names.Adjoint(value);

        private void WriteReverseLoopCore(SourceWriter writer, LoopStatement statement)
        {
            var loop = statement.Loop;
            Dictionary<IrType, (string Name, List<ValueId> Values)>? blocks = null;
            if (statement.Plan.RecordsInBlocks && loop.Counted is { } counted)
                blocks = WriteBlocks(writer, loop, counted, statement.Plan, push: false);
            if (statement.Plan.Finite is { } finite)
            {
                // Two versions: plain products while the partials are finite, checked ones otherwise (FiniteVersions).
                var tests = finite.Buffers.Select(b => _finiteFlags[b])
                    .Concat(finite.Partials.Select(p => (p.Type == IrType.F32 ? "float" : "double") + ".IsFinite(" + Print(p.Partial, p.Type) + ")"));
                writer.Open("if (" + string.Join(" && ", tests) + ")");
                _plainProducts = true;
                WriteReverseIterations(writer, statement, blocks, WriteLanes(writer, statement, blocks));
                _plainProducts = false;
                writer.Close();
                writer.Open("else");
                WriteReverseIterations(writer, statement, blocks);
                writer.Close();
            }
            else
            {
                WriteReverseIterations(writer, statement, blocks, WriteLanes(writer, statement, blocks));
            }
        }

        // Set while the plain version of a loop is written: checked products print as plain multiplies.
        private bool _plainProducts;

        // For each read-only buffer a loop's plain version needs finite: the local holding Grad.AllFinite of it.
        private readonly Dictionary<ValueId, string> _finiteFlags = new Dictionary<ValueId, string>();

        /// <summary><c>bool lFinite = Grad.AllFinite(l);</c> for each buffer <see cref="FiniteVersions"/> tests, once per call.</summary>
        private void WriteFiniteFlags(SourceWriter writer)
        {
            foreach (var buffer in _program.Plans.Values.Where(p => p.Finite is not null).SelectMany(p => p.Finite!.Buffers).Distinct().OrderBy(v => v.Index))
            {
                string flag = _names.Fresh(_names.Value(buffer) + "Finite");
                _finiteFlags[buffer] = flag;
                writer.Line("bool " + flag + " = global::Differentiable.Grad.AllFinite(" + _names.Value(buffer) + ");");
            }
        }

        /// <param name="top">
        /// For a loop whose lanes ran first (<see cref="WriteLanes"/>), the variable holding the counter's end for the
        /// iterations left: the scalar loop starts below it.
        /// </param>
        private void WriteReverseIterations(SourceWriter writer, LoopStatement statement, Dictionary<IrType, (string Name, List<ValueId> Values)>? blocks,
            string? top = null)
        {
            var loop = statement.Loop;
            // A stepped induction starts from its value after the loop and goes back one iteration's step at a time.
            var after = new List<(SteppedInduction Induction, string Name)>();
            foreach (var stepped in statement.Plan.SteppedInductions)
            {
                string name = _names.Fresh(_names.Value(stepped.Final) + "After");
                writer.Line("int " + name + " = " + Operand(stepped.Final) + "; // after the loop, then after each iteration reversed");
                after.Add((stepped, name));
            }
            if (loop.Counted is { } c)
            {
                string counter = _names.Value(c.Counter);
                string start = Operand(c.Start), bound = top ?? Operand(c.Bound);
                string header = c.Comparison switch
                {
                    BinaryOp.Less => "for (int " + counter + " = " + bound + " - 1; " + counter + " >= " + start + "; " + counter + "--)",
                    BinaryOp.LessOrEqual => "for (int " + counter + " = " + bound + "; " + counter + " >= " + start + "; " + counter + "--)",
                    BinaryOp.Greater => "for (int " + counter + " = " + bound + " + 1; " + counter + " <= " + start + "; " + counter + "++)",
                    _ => "for (int " + counter + " = " + bound + "; " + counter + " <= " + start + "; " + counter + "++)",
                };
                writer.Open(header);
            }
            else
            {
                string back = _names.Fresh("back");
                writer.Open("for (int " + back + " = " + Operand(loop.TripCount) + "; " + back + " > 0; " + back + "--)");
            }
            for (int i = statement.Plan.Recorded.Count - 1; i >= 0; i--)
            {
                var value = statement.Plan.Recorded[i];
                string source = blocks is not null ? BlockSlot(blocks, loop, value) : StackFor(_function.TypeOf(value)) + ".Pop()";
                writer.Line(Declaration(value) + " " + _names.Value(value) + " = " + source + ";");
            }
            if (loop.Counted is { } steps) WriteInductions(writer, steps, statement.Plan.Inductions);
            foreach (var instruction in statement.Plan.Recompute) WritePrimalInstruction(writer, instruction, insideLoop: true, reverse: true);
            foreach (var (stepped, name) in after)
            {
                // The inner loop ran (bound - start) times (or one more, or none); mod 2^32 like the forward's sum.
                var inner = stepped.Inner;
                string start = Operand(inner.Start), bound = Operand(inner.Bound), increment = Operand(stepped.Increment);
                string ran = start + " " + inner.Comparison.Symbol() + " " + bound; // the inner loop's first test
                string trips = "(" + Trips(start, bound, inner.Comparison) + ")";
                string step = increment == "1" ? trips : trips + " * " + increment;
                string value = _names.Value(stepped.Value);
                writer.Line("int " + value + " = " + ran + " ? unchecked(" + name + (stepped.Subtract ? " + " : " - ") + step + ") : " + name + ";");
                writer.Line(name + " = " + value + ";");
            }
            WriteStatements(writer, statement.Body);
            writer.Close();
        }

        /// <summary>Each carried int that steps by the same amount, from the counter: <c>int k = unchecked(k0 + (i - start) * step);</c></summary>
        private void WriteInductions(SourceWriter writer, CountedLoop steps, List<Induction> inductions)
        {
            foreach (var induction in inductions)
            {
                string counter = _names.Value(steps.Counter), start = Operand(steps.Start);
                string iteration = steps.Step > 0 ? "(" + counter + " - " + start + ")" : "(" + start + " - " + counter + ")";
                string increment = Operand(induction.Increment);
                string amount = increment == "1" ? iteration : iteration + " * " + increment;
                writer.Line("int " + _names.Value(induction.Value) + " = unchecked(" + Operand(induction.Initial) + (induction.Subtract ? " - " : " + ") + amount + ");");
            }
        }

        /// <summary>
        /// <code>
        /// int n = Math.Max(0, bound - start);
        /// Span&lt;double&gt; recorded = savedDoubles.PushSpan(n * 2);       // forward
        /// ReadOnlySpan&lt;double&gt; recorded = savedDoubles.PopSpan(n * 2); // reverse
        /// </code>
        /// The outermost loop of a nest (<see cref="LoopPlan.Nest"/>) first computes the nest's sizes and reserves the
        /// whole nest's block; a loop inside it cuts its own from its parent's block at the parent's iteration:
        /// <code>
        /// Span&lt;double&gt; inner = outer.Slice((i - start) * perOuter + offsetInner, sizeInner);
        /// </code>
        /// </summary>
        private Dictionary<IrType, (string Name, List<ValueId> Values)> WriteBlocks(SourceWriter writer, LoopInstr loop, CountedLoop counted, LoopPlan plan, bool push)
        {
            var own = plan.Recorded.GroupBy(v => _function.TypeOf(v)).ToDictionary(g => g.Key, g => g.ToList());
            var blocks = new Dictionary<IrType, (string, List<ValueId>)>();
            string spanType = push ? "global::System.Span<" : "global::System.ReadOnlySpan<";
            if (plan.BlockParent is { } parent)
            {
                var layout = _layouts[loop];
                var outer = _layouts[parent];
                string iteration = IterationOf(parent);
                foreach (var type in layout.Per.Keys.OrderBy(t => t))
                {
                    string name = _names.Fresh(BlockName(type));
                    string per = outer.Per[type], offset = layout.Offset[type];
                    string at = (per == "1" ? iteration : "(" + iteration + ") * " + per) + (offset == "0" ? "" : " + " + offset);
                    writer.Line(spanType + type.Keyword() + "> " + name + " = " + outer.Spans[type] + ".Slice(" + at + ", " + layout.Size[type] + ");");
                    layout.Spans[type] = name;
                    blocks[type] = (name, own.TryGetValue(type, out var values) ? values : new List<ValueId>());
                }
                return blocks;
            }

            string count = _names.Fresh("iterations");
            writer.Line("int " + count + " = global::System.Math.Max(0, " + Trips(Operand(counted.Start), Operand(counted.Bound), counted.Comparison) + ");");
            var sizes = new Dictionary<IrType, string>();
            if (plan.Nest is { } nest)
            {
                WriteLayout(writer, loop, nest);
                foreach (var entry in _layouts[loop].Per) sizes[entry.Key] = entry.Value;
            }
            else
            {
                foreach (var entry in own) sizes[entry.Key] = entry.Value.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            foreach (var type in sizes.Keys.OrderBy(t => t))
            {
                string name = _names.Fresh(BlockName(type));
                string per = sizes[type];
                string size = per == "1" ? count : plan.Nest is null ? count + " * " + per : "checked(" + count + " * " + per + ")";
                writer.Line(spanType + type.Keyword() + "> " + name + " = " + StackFor(type) + (push ? ".PushSpan(" : ".PopSpan(") + size + ");");
                if (_layouts.TryGetValue(loop, out var layout)) layout.Spans[type] = name;
                blocks[type] = (name, own.TryGetValue(type, out var values) ? values : new List<ValueId>());
            }
            return blocks;
        }

        private static string BlockName(IrType type) =>
            "recorded" + (type switch { IrType.F64 => "Doubles", IrType.F32 => "Floats", IrType.I32 => "Ints", IrType.I64 => "Longs", _ => "Flags" });

        private static string Trips(string start, string bound, BinaryOp comparison) => comparison switch
        {
            BinaryOp.Less => bound + " - " + start,
            BinaryOp.LessOrEqual => bound + " - " + start + " + 1",
            BinaryOp.Greater => start + " - " + bound,
            _ => start + " - " + bound + " + 1",
        };

        /// <summary>How a nest's blocks are laid out while it is printed (the forward and the reverse each compute their own).</summary>
        private sealed class BlockLayout
        {
            /// <summary>The loop's block, per element type recorded in it or in its inner loops.</summary>
            public Dictionary<IrType, string> Spans { get; } = new Dictionary<IrType, string>();

            /// <summary>The size of one iteration's segment: the loop's own values, then its inner loops' blocks.</summary>
            public Dictionary<IrType, string> Per { get; } = new Dictionary<IrType, string>();

            /// <summary>An inner loop's: where its block starts in its parent's segment, and its size (trips × per).</summary>
            public Dictionary<IrType, string> Offset { get; } = new Dictionary<IrType, string>();

            public Dictionary<IrType, string> Size { get; } = new Dictionary<IrType, string>();
        }

        private readonly Dictionary<LoopInstr, BlockLayout> _layouts = new Dictionary<LoopInstr, BlockLayout>(ReferenceComparer<LoopInstr>.Instance);

        /// <summary>
        /// Before the outermost loop of a nest: each inner loop's trip count, then, innermost first, the size of each
        /// loop's block and of one iteration's segment, per element type (checked: an overflow throws instead of
        /// cutting blocks that overlap).
        /// </summary>
        private void WriteLayout(SourceWriter writer, LoopInstr root, BlockNest nest)
        {
            var trips = new Dictionary<LoopInstr, string>(ReferenceComparer<LoopInstr>.Instance);
            var children = new Dictionary<LoopInstr, List<LoopInstr>>(ReferenceComparer<LoopInstr>.Instance) { [root] = new List<LoopInstr>() };
            foreach (var member in nest.Members)
            {
                string name = _names.Fresh("trips");
                writer.Line("int " + name + " = global::System.Math.Max(0, " + Trips(AvailableText(member.Start), AvailableText(member.Bound), member.Comparison) + ");");
                trips[member.Loop] = name;
                children[member.Loop] = new List<LoopInstr>();
                children[member.Parent].Add(member.Loop);
            }
            var order = nest.Members.Select(m => m.Loop).Reverse().Append(root);
            foreach (var loop in order)
            {
                var layout = new BlockLayout();
                _layouts[loop] = layout;
                var own = _program.Plans[loop].Recorded.GroupBy(v => _function.TypeOf(v)).ToDictionary(g => g.Key, g => g.Count());
                var types = new SortedSet<IrType>(own.Keys);
                foreach (var child in children[loop]) types.UnionWith(_layouts[child].Per.Keys);
                foreach (var type in types)
                {
                    var terms = new List<string>();
                    if (own.TryGetValue(type, out int count)) terms.Add(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    foreach (var child in children[loop])
                    {
                        var inner = _layouts[child];
                        if (!inner.Per.TryGetValue(type, out var per)) continue;
                        string size = per == "1" ? trips[child] : Sum(writer, "size", trips[child] + " * " + per);
                        inner.Offset[type] = terms.Count == 0 ? "0" : terms.Count == 1 ? terms[0] : Sum(writer, "offset", string.Join(" + ", terms));
                        inner.Size[type] = size;
                        terms.Add(size);
                    }
                    layout.Per[type] = terms.Count == 1 ? terms[0] : Sum(writer, "per", string.Join(" + ", terms));
                }
            }
        }

        private string Sum(SourceWriter writer, string hint, string expression)
        {
            string name = _names.Fresh(hint);
            writer.Line("int " + name + " = checked(" + expression + ");");
            return name;
        }

        private string AvailableText(Available value) => value switch
        {
            AvailableValue v => Operand(v.Value),
            AvailableText t => t.Text.StartsWith("-", System.StringComparison.Ordinal) ? "(" + t.Text + ")" : t.Text,
            AvailableLength l => Operand(l.Buffer) + ".Length",
            AvailableBinary b => "(" + AvailableText(b.Left) + " " + b.Op.Symbol() + " " + AvailableText(b.Right) + ")",
            _ => throw new System.InvalidOperationException("Unknown size term " + value),
        };

        /// <summary>The iteration a counted loop's counter is at, from 0: <c>i</c>, <c>i - start</c> or <c>start - i</c>.</summary>
        private string IterationOf(LoopInstr loop)
        {
            var counted = loop.Counted!;
            string counter = _names.Value(counted.Counter);
            string start = Operand(counted.Start);
            return counted.Step > 0 ? (start == "0" ? counter : counter + " - " + start) : start + " - " + counter;
        }

        /// <summary>The slot of a recorded value in its block: <c>recorded[(i - start) * per + index]</c>.</summary>
        private string BlockSlot(Dictionary<IrType, (string Name, List<ValueId> Values)> blocks, LoopInstr loop, ValueId value)
        {
            var (name, slot) = BlockAndSlot(blocks, loop, value);
            return name + "[" + slot + "]";
        }

        private (string Block, string Slot) BlockAndSlot(Dictionary<IrType, (string Name, List<ValueId> Values)> blocks, LoopInstr loop, ValueId value)
        {
            var type = _function.TypeOf(value);
            var (name, values) = blocks[type];
            string iteration = IterationOf(loop);
            string per = _layouts.TryGetValue(loop, out var layout) ? layout.Per[type] : values.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            int index = values.IndexOf(value);
            string slot = per == "1" ? iteration : "(" + iteration + ") * " + per +
                (index > 0 ? " + " + index.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
            return (name, slot);
        }

        // ---- the reverse sweep ----

        private void WriteStatements(SourceWriter writer, List<AdjointStatement> statements)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case CommentStatement c:
                        writer.Line("// " + c.Text);
                        break;

                    case AccumulateStatement a:
                        var type = _function.TypeOf(a.Target);
                        string name = AdjointTarget(a.Target);
                        bool parameter = _parameters.Contains(a.Target);
                        if (a.Declare && parameter && !_gradientMode && a.Value is LiteralExpr { Value: 0 }) break; // += 0
                        if (a.Declare && parameter && _gradientMode) writer.Line(name + " = " + Print(a.Value, type) + ";");
                        else if (a.Reassign) writer.Line(name + " = " + Print(a.Value, type) + ";");
                        else if (a.Declare && !parameter) writer.Line(type.Keyword() + " " + name + " = " + Print(a.Value, type) + ";");
                        else if (a.Value is NegateExpr n) writer.Line(name + " -= " + Print(n.Operand, type) + ";");
                        else writer.Line(name + " += " + Print(a.Value, type) + ";");
                        break;

                    case SetStatement s:
                        writer.Line(_names.Adjoint(s.Target) + " = " + Print(s.Value, _function.TypeOf(s.Target)) + ";");
                        break;

                    case TempStatement t:
                        string temp = _names.Fresh("dNext");
                        _temps[t.Id] = temp;
                        writer.Line(t.Type.Keyword() + " " + temp + " = " + Print(t.Value, t.Type) + ";");
                        break;

                    case ShadowStatement s:
                    {
                        var element = _function.TypeOf(s.Buffer).Element();
                        string target = _names.Adjoint(s.Buffer) + "[" + Operand(s.Index) + "]";
                        if (s.Assign || (_gradientMode && _program.AssignedInGradient.Contains(s))) writer.Line(target + " = " + Print(s.Value, element) + ";");
                        else if (s.Value is NegateExpr neg) writer.Line(target + " -= " + Print(neg.Operand, element) + ";");
                        else writer.Line(target + " += " + Print(s.Value, element) + ";");
                        break;
                    }

                    case LoopStatement l:
                        WriteReverseLoop(writer, l);
                        break;

                    case BranchStatement b:
                        bool hasThen = b.Then.Count > 0, hasElse = b.Else.Count > 0;
                        if (!hasThen && !hasElse) break;
                        if (hasThen)
                        {
                            writer.Open("if (" + Operand(b.Condition) + ")");
                            WriteStatements(writer, b.Then);
                            writer.Close();
                            if (hasElse)
                            {
                                writer.Open("else");
                                WriteStatements(writer, b.Else);
                                writer.Close();
                            }
                        }
                        else
                        {
                            writer.Open("if (!" + Operand(b.Condition) + ")");
                            WriteStatements(writer, b.Else);
                            writer.Close();
                        }
                        break;

                    case BackwardCallStatement call:
                        WriteBackwardCall(writer, call);
                        break;

                    case FinalContentsStatement f:
                    {
                        string buffer = Operand(f.Buffer);
                        string pool = _finalContents[f.Buffer];
                        string element = ElementKeyword(_function.TypeOf(f.Buffer));
                        string copy = "global::System.MemoryExtensions.AsSpan(" + pool + ", 0, " + buffer + ".Length)";
                        if (f.Save)
                        {
                            writer.Line(pool + " = global::System.Buffers.ArrayPool<" + element + ">.Shared.Rent(" + buffer + ".Length); // " + buffer + " as the method leaves it");
                            writer.Line(CopyStatement(f.Buffer, copy));
                        }
                        else
                        {
                            writer.Line(copy + ".CopyTo(" + buffer + "); // " + buffer + " as the method leaves it");
                        }
                        break;
                    }

                    case RecomputeStatement r:
                        foreach (var instruction in r.Instructions) WritePrimalInstruction(writer, instruction, insideLoop: true, reverse: true);
                        break;

                    case PopStatement p:
                        for (int i = p.Values.Count - 1; i >= 0; i--)
                            writer.Line(Declaration(p.Values[i]) + " " + _names.Value(p.Values[i]) + " = " + StackFor(_function.TypeOf(p.Values[i])) + ".Pop();");
                        break;

                    case RestoreStatement r:
                    {
                        string buffer = Operand(r.Buffer);
                        writer.Line(StackFor(_function.TypeOf(r.Buffer).Element()) + ".PopSpan(" + buffer + ".Length).CopyTo(" + buffer + "); // " + buffer + " as the call found it");
                        break;
                    }
                }
            }
        }

        private void WriteBackwardCall(SourceWriter writer, BackwardCallStatement statement)
        {
            var call = statement.Call;
            var parts = call.Args.Select(Operand).ToList();
            if (call.Result is { } result) parts.Add(Print(statement.Seed, _function.TypeOf(result)));
            var scratch = new List<(string Name, string Element)>();
            // A callee in this compilation has a variant for the constant buffers (see ActivityVariants).
            // So does a [DerivativeOf] rule that declares the variant next to itself.
            // A rule may also have variants that skip its primal (see CustomDerivatives.Variants): preferred.
            string? mask = call.CalleeKey is not null || call.RuleVariants.Count > 0 ? ActivityVariants.Mask(call, _program.Activity, _function) : null;
            string method;
            if (statement.Split)
            {
                method = Naming.SplitReverse(call.Method); // chosen only where no buffer argument is constant (no mask)
            }
            else if (call.Backward is { } rule)
            {
                if (mask is not null && !call.RuleVariants.Contains(mask) && !call.RuleVariants.Contains(mask + "!")) mask = null;
                string key = mask ?? new string('0', call.Args.Count);
                method = (mask is null ? rule : Naming.RuleVariant(rule, call.ParameterNames, mask)) +
                    (call.RuleVariants.Contains(key + "!") ? Naming.WithoutPrimal : "");
            }
            else
            {
                method = mask is null ? Naming.Backward(call.Method) : Naming.Variant(call.Method, call.ParameterNames, mask);
            }
            for (int k = 0; k < call.Args.Count; k++)
            {
                if (!call.ActiveParameters[k]) continue;
                if (mask is not null && mask[k] == '1') continue;
                var type = _function.TypeOf(call.Args[k]);
                if (statement.Adjoints[k] is { } adjoint)
                {
                    parts.Add(type.IsBuffer() ? _names.Adjoint(adjoint) : "ref " + AdjointTarget(adjoint));
                }
                else if (type.IsBuffer())
                {
                    // A constant buffer for a parameter the callee differentiates: a pooled scratch adjoint, zeroed.
                    string element = ElementKeyword(type);
                    string name = _names.Fresh("scratch");
                    string length = Operand(call.Args[k]) + ".Length";
                    writer.Line(element + "[] " + name + " = global::System.Buffers.ArrayPool<" + element + ">.Shared.Rent(" + length + ");");
                    writer.Line("global::System.MemoryExtensions.AsSpan(" + name + ", 0, " + length + ").Clear(); // the argument is constant here");
                    parts.Add("global::System.MemoryExtensions.AsSpan(" + name + ", 0, " + length + ")");
                    scratch.Add((name, element));
                }
                else
                {
                    string unused = _names.Fresh("unused");
                    writer.Line(type.Keyword() + " " + unused + " = " + Literal(0, type) + "; // the argument is constant here");
                    parts.Add("ref " + unused);
                }
            }
            if (statement.Split)
            {
                // The forward pushed whether it called the split Forward or, past the limit, the primal.
                string backward = Naming.Backward(call.Method) + "(" + string.Join(", ", parts) + ");";
                parts.Add(StackArguments(call));
                writer.Open("if (" + StackFor(IrType.Bool) + ".Pop())");
                writer.Line(method + "(" + string.Join(", ", parts) + ");");
                writer.Close();
                writer.Open("else");
                writer.Line(backward);
                writer.Close();
                return;
            }
            string line = method + "(" + string.Join(", ", parts) + ");";
            if (scratch.Count == 0)
            {
                writer.Line(line);
                return;
            }
            writer.Open("try");
            writer.Line(line);
            writer.Close();
            writer.Open("finally");
            foreach (var (name, element) in scratch) writer.Line("global::System.Buffers.ArrayPool<" + element + ">.Shared.Return(" + name + ");");
            writer.Close();
        }

        // Precedence, as in C#: higher binds tighter.
        private static int Precedence(Expr expr) => expr switch
        {
            ConditionalExpr => 1,
            BinaryExpr { Op: BinaryOp.Equal or BinaryOp.NotEqual } => 3,
            BinaryExpr { Op: BinaryOp.Less or BinaryOp.LessOrEqual or BinaryOp.Greater or BinaryOp.GreaterOrEqual } => 4,
            BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract } => 5,
            BinaryExpr => 6,
            NegateExpr or ConvertExpr => 7,
            _ => 8,
        };

        private string Print(Expr expr, IrType type, int parent = 0)
        {
            string text = PrintBare(expr, type);
            return Precedence(Simplified(expr)) < parent ? "(" + text + ")" : text;
        }

        /// <summary>
        /// In Gradient the seed is 1: seed × e prints as e. In a loop's plain version (<see cref="_plainProducts"/>) a
        /// checked product prints as a multiply.
        /// </summary>
        private Expr Simplified(Expr expr)
        {
            if (_gradientMode)
            {
                switch (expr)
                {
                    case BinaryExpr { Op: BinaryOp.Multiply, Left: SeedExpr } b: return Simplified(b.Right);
                    case BinaryExpr { Op: BinaryOp.Multiply, Right: SeedExpr } b: return Simplified(b.Left);
                    case CheckedMulExpr { Adjoint: SeedExpr } c: return Simplified(c.Partial);
                    case CheckedDivExpr { Adjoint: SeedExpr } c: return new BinaryExpr(BinaryOp.Divide, new LiteralExpr(1), c.Divisor);
                }
            }
            return _plainProducts && expr is CheckedMulExpr m ? new BinaryExpr(BinaryOp.Multiply, m.Adjoint, m.Partial) : expr;
        }

        private string PrintBare(Expr expr, IrType type)
        {
            expr = Simplified(expr);
            if (_lanes is not null && LaneLeaf(expr, type) is { } leaf) return leaf;
            switch (expr)
            {
                case ValueExpr v: return Operand(v.Value);
                case ResultExpr r: return Operand(r.Value);
                case AdjointExpr a: return _names.Adjoint(a.Value);
                case ShadowExpr s: return _names.Adjoint(s.Buffer) + "[" + Operand(s.Index) + "]";
                case TempExpr t: return _temps[t.Id];
                case SeedExpr: return _gradientMode ? Literal(1, type) : Naming.Seed;
                case LiteralExpr l: return Literal(l.Value, type);
                case NegateExpr n:
                    string operand = Print(n.Operand, type, 7);
                    return operand.StartsWith("-", System.StringComparison.Ordinal) ? "-(" + operand + ")" : "-" + operand;
                case BinaryExpr { Left: ValueExpr l, Right: ValueExpr r } b when l.Value == r.Value &&
                        SelfComparison(b.Op, Operand(l.Value), _function.TypeOf(l.Value)) is { } same:
                    return same;
                case BinaryExpr b:
                    int precedence = Precedence(b);
                    return Print(b.Left, type, precedence) + " " + b.Op.Symbol() + " " + Print(b.Right, type, precedence + 1);
                case MathExpr m:
                    return (type == IrType.F32 ? "global::System.MathF." : "global::System.Math.") + m.Function + "(" +
                        string.Join(", ", m.Args.Select(a => Print(a, type))) + ")";
                case CheckedMulExpr c:
                    return CheckedHelpers + "Mul(" + Print(c.Adjoint, type) + ", " + Print(c.Partial, type) + ")";
                case CheckedDivExpr c:
                    return CheckedHelpers + "Div(" + Print(c.Adjoint, type) + ", " + Print(c.Divisor, type) + ")";
                case ConditionalExpr c:
                    return Print(c.Condition, type, 2) + " ? " + Print(c.WhenTrue, type, 2) + " : " + Print(c.WhenFalse, type, 1);
                case ConvertExpr c:
                    return "(" + type.Keyword() + ")" + Print(c.Operand, c.From, 8);
                default:
                    throw new System.InvalidOperationException("No C# form for " + expr.GetType().Name);
            }
        }
    }
}
