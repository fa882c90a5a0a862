using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Differentiation
{
    // Loops run backwards. The adjoint of each carried value lives in one variable (its output's): at the
    // top of a reverse iteration it holds the adjoint of what the iteration yielded; it moves to the yielded
    // values, is reset, and the body's reverse adds into it again. After the last reverse iteration it is
    // the adjoint of the loop's initial value.
    //
    // The to-be-recorded analysis runs on the finished reverse body: every value it reads that the loop
    // defines is available in the reverse iteration (the counter of a counted loop), recomputed (a pure
    // instruction at the top of the body whose operands are available: arithmetic, math functions,
    // lengths, slices, and reads of memory nothing writes after them), or recorded: pushed on a
    // pooled stack at the end of its forward iteration, popped at the start of its reverse (carried
    // values, values computed inside branches, reads of written memory, calls, inner loops' results).
    internal sealed partial class ReverseModeBuilder
    {
        private void ReverseLoop(LoopInstr loop, List<AdjointStatement> into, Scope scope)
        {
            var yields = ((YieldTerminator)loop.Body.Terminator).Values;
            if (!HasReverse(loop)) return;

            // Outer values the loop reads: their adjoints add up across iterations, so they exist before it.
            var inside = new HashSet<ValueId>();
            IrFacts.CollectDefinitions(loop.Header, inside);
            IrFacts.CollectDefinitions(loop.Body, inside);
            foreach (var local in IrFacts.LoopLocals(loop)) inside.Add(local);
            var used = new HashSet<ValueId>();
            IrFacts.CollectUses(loop.Body, used);
            foreach (var value in used.OrderBy(v => v.Index))
            {
                if (!inside.Contains(value) && IsActive(value) && !IsBuffer(value)) Declare(value, into, scope);
            }

            // A carried value's adjoint is its output's.
            var active = new List<int>();
            for (int k = 0; k < loop.Carried.Count; k++)
            {
                if (!IsActive(loop.Carried[k])) continue;
                active.Add(k);
                if (IsActive(loop.Outputs[k])) Declare(loop.Outputs[k], into, scope);
                else
                {
                    // Varied but not useful after the loop: its adjoint starts at zero.
                    scope.Declared.Add(loop.Outputs[k]);
                    into.Add(new AccumulateStatement(loop.Outputs[k], new LiteralExpr(0), Declare: true));
                }
                _aliases[loop.Carried[k]] = Canon(loop.Outputs[k]);
            }

            var body = new List<AdjointStatement>();
            var bodyScope = scope.Nested();
            // The iteration's yields take the carried adjoints; the carried adjoints restart from zero.
            var carried = new HashSet<ValueId>(loop.Carried);
            var moved = new List<(int K, int Temp)>();
            var reset = new List<ValueId>();
            var uses = CountUses(loop.Body);
            var topLevel = new HashSet<Instruction>(loop.Body.Instructions, ReferenceComparer<Instruction>.Instance);
            foreach (int k in active)
            {
                if (yields[k] == loop.Carried[k]) continue; // unchanged by the body: its adjoint stays
                if (IsAccumulation(loop.Carried[k], yields[k], uses, topLevel))
                {
                    // s = s + t: the next value's adjoint is the carried one's; nothing moves.
                    _aliases[yields[k]] = Canon(loop.Carried[k]);
                    continue;
                }
                if (carried.Contains(yields[k]))
                {
                    int temp = _temps++;
                    body.Add(new TempStatement(temp, _function.TypeOf(loop.Carried[k]), Adjoint(loop.Carried[k])));
                    _temporaryOf[temp] = Canon(loop.Carried[k]);
                    moved.Add((k, temp));
                    continue;
                }
                Add(yields[k], Adjoint(loop.Carried[k]), body, bodyScope);
                // Its first contribution in the iteration assigns (no "= 0" then "+=", which the JIT cannot fold).
                reset.Add(Canon(loop.Carried[k]));
            }
            foreach (var adjoint in reset)
            {
                bodyScope.Declared.Remove(adjoint);
                bodyScope.Reassign.Add(adjoint);
            }
            foreach (var (k, _) in moved) body.Add(new SetStatement(Canon(loop.Carried[k]), new LiteralExpr(0)));
            foreach (var (k, temp) in moved) Add(yields[k], new TempExpr(temp, _function.TypeOf(loop.Carried[k])), body, bodyScope);

            ReverseInstructions(loop.Body.Instructions, body, bodyScope, loop.Origin);
            foreach (var adjoint in reset)
            {
                if (!bodyScope.Declared.Contains(adjoint)) body.Add(new SetStatement(adjoint, new LiteralExpr(0)));
            }
            var plan = Plan(loop, body);
            _plans[loop] = plan;
            into.Add(new LoopStatement(loop, plan, body));

            // After the first iteration's reverse, the carried adjoints are those of the initial values.
            foreach (int k in active) Add(loop.Initial[k], Adjoint(loop.Carried[k]), into, scope);
        }

        /// <summary>
        /// True for <c>next = carried ± t</c> (or <c>t + carried</c>) where the carried value is read nowhere
        /// else in the body and next only by the yield: then d(carried) = d(next) and they can share a variable.
        /// </summary>
        private bool IsAccumulation(ValueId carried, ValueId next, Dictionary<ValueId, int> uses, HashSet<Instruction> topLevel)
        {
            if (uses.TryGetValue(carried, out int carriedUses) && carriedUses != 1) return false;
            if (uses.TryGetValue(next, out int nextUses) && nextUses != 1) return false;
            return topLevel.FirstOrDefault(i => i is BinaryInstr b && b.Result == next) is BinaryInstr binary &&
                _function.TypeOf(binary.Result) == _function.TypeOf(carried) &&
                ((binary.Op is BinaryOp.Add && (binary.Left == carried) != (binary.Right == carried)) ||
                 (binary.Op is BinaryOp.Subtract && binary.Left == carried && binary.Right != carried));
        }

        private static Dictionary<ValueId, int> CountUses(Block block)
        {
            var counts = new Dictionary<ValueId, int>();
            void Count(ValueId v) => counts[v] = counts.TryGetValue(v, out int n) ? n + 1 : 1;
            foreach (var instruction in IrFacts.AllInstructions(block))
            {
                foreach (var operand in IrFacts.Operands(instruction)) Count(operand);
            }
            void Terminators(Block b)
            {
                switch (b.Terminator)
                {
                    case YieldTerminator y: foreach (var v in y.Values) Count(v); break;
                    case ReturnTerminator { Value: { } r }: Count(r); break;
                    case SplitTerminator sp: Count(sp.Condition); Terminators(sp.Then); Terminators(sp.Else); break;
                }
                foreach (var instruction in b.Instructions)
                {
                    if (instruction is IfInstr f) { Terminators(f.Then); Terminators(f.Else); }
                    else if (instruction is LoopInstr l) { Terminators(l.Header); Terminators(l.Body); }
                }
            }
            Terminators(block);
            return counts;
        }

        /// <summary>Whether the loop has a reverse at all (and so may record): an active carried value, or active memory.</summary>
        private bool HasReverse(LoopInstr loop) =>
            Enumerable.Range(0, loop.Carried.Count).Any(k => IsActive(loop.Carried[k]) && IsActive(loop.Outputs[k])) ||
            HasMemoryEffects(loop.Body) || HasActiveLoads(loop.Body);

        private bool HasActiveLoads(Block block) => IrFacts.AllInstructions(block).Any(i => i is LoadInstr l && HasShadow(l.Buffer) && IsActive(l.Result));

        /// <summary>The to-be-recorded analysis for one loop, from what its reverse body reads.</summary>
        private LoopPlan Plan(LoopInstr loop, List<AdjointStatement> reverseBody)
        {
            var plan = new LoopPlan { NeedsTripCount = loop.Counted is null };
            var defined = new HashSet<ValueId>();
            DefinedIn(loop, defined);
            var topLevel = new Dictionary<ValueId, Instruction>();
            foreach (var instruction in loop.Body.Instructions)
            {
                foreach (var d in IrFacts.Definitions(instruction)) topLevel[d] = instruction;
            }

            var needed = new HashSet<ValueId>();
            CollectReferences(reverseBody, needed);
            var recompute = new HashSet<Instruction>(ReferenceComparer<Instruction>.Instance);
            var recorded = new HashSet<ValueId>();
            var work = new Stack<ValueId>(needed.Where(defined.Contains));
            var rereads = new Dictionary<Instruction, LoadInstr>(ReferenceComparer<Instruction>.Instance);
            // Values computed inside the body's branches (not inside inner loops): recomputed at the start of the same
            // branch's reverse when cheap, instead of recorded (a loop with a `continue` has the rest of its body in one).
            var inBranch = new Dictionary<ValueId, (Instruction Instruction, IfInstr Branch, bool Then)>();
            CollectBranchSites(loop.Body, inBranch);
            var branchRecompute = new HashSet<Instruction>(ReferenceComparer<Instruction>.Instance);
            while (work.Count > 0)
            {
                var value = work.Pop();
                if (loop.Counted is { } c && value == c.Counter) continue;
                if (recorded.Contains(value)) continue;
                // Switched off, the analysis recomputes nothing: every value the reverse reads is recorded.
                // (Constants, lengths and slices are always recomputed: a span cannot go on a stack.)
                if (topLevel.TryGetValue(value, out var instruction) && IsRecomputable(instruction) &&
                    (_activity.Enabled || instruction is ConstInstr or LengthInstr or SliceInstr))
                {
                    if (!recompute.Add(instruction)) continue;
                    foreach (var operand in IrFacts.Operands(instruction))
                    {
                        if (defined.Contains(operand)) work.Push(operand);
                    }
                    continue;
                }
                if (_activity.Enabled && inBranch.TryGetValue(value, out var site) && IsRecomputable(site.Instruction) &&
                    _branchStatements.ContainsKey(site.Branch))
                {
                    if (!branchRecompute.Add(site.Instruction)) continue;
                    foreach (var operand in IrFacts.Operands(site.Instruction))
                    {
                        if (defined.Contains(operand)) work.Push(operand);
                    }
                    continue;
                }
                if (_activity.Enabled && Reread(loop, value, topLevel, defined) is { } reread)
                {
                    if (rereads.ContainsKey(reread.At)) continue;
                    rereads[reread.At] = reread.Load;
                    if (defined.Contains(reread.Load.Index)) work.Push(reread.Load.Index);
                    continue;
                }
                if (plan.Inductions.Any(i => i.Value == value) || plan.SteppedInductions.Any(i => i.Value == value)) continue;
                if (_activity.Enabled && Induction(loop, value, topLevel, defined) is { } induction)
                {
                    plan.Inductions.Add(induction);
                    if (defined.Contains(induction.Increment)) work.Push(induction.Increment); // a literal of the body
                    continue;
                }
                if (_activity.Enabled && Stepped(loop, value) is { } stepped)
                {
                    plan.SteppedInductions.Add(stepped);
                    foreach (var operand in stepped.Operands)
                    {
                        if (defined.Contains(operand)) work.Push(operand);
                    }
                    continue;
                }
                recorded.Add(value);
            }
            foreach (var instruction in loop.Body.Instructions)
            {
                if (recompute.Contains(instruction)) plan.Recompute.Add(instruction);
                else if (rereads.TryGetValue(instruction, out var load)) plan.Recompute.Add(load);
            }
            plan.Recorded.AddRange(recorded.OrderBy(v => v.Index));
            SteppedAfterRecomputes(plan);
            PlaceBranchRecomputes(loop.Body, branchRecompute, plan);
            // One forward sweep serves every reverse path (a return inside the loop makes two): each path's reverse
            // must pop what the forward pushed. So a loop has one plan, the union of what every path's reverse reads;
            // the paths share the object (a path built earlier sees what a later one added).
            if (_plans.TryGetValue(loop, out var shared))
            {
                Merge(shared, plan, loop);
                plan = shared;
            }
            // Blocks need a trip count known at entry, and nothing else pushing while the loop fills them.
            plan.RecordsInBlocks = loop.Counted is not null && plan.Recorded.Count > 0 && !PushesOnItsOwn(loop) &&
                !IrFacts.AllInstructions(loop.Body).Any(i => i is LoopInstr inner && Records(inner));
            plan.Nest = NestOf(loop);
            return plan;
        }

        /// <summary>
        /// The recorded values the reverse reads only inside one side of a branch of the body (at any depth, not inside
        /// inner loops) and that the forward still has at the end of that side: that side pushes them as it ends and its
        /// reverse pops them first (<see cref="LoopPlan.RecordedInBranches"/>), so an iteration that takes the other way
        /// records nothing for them (det's skipped columns pushed a sign and a minor each). The same condition picks the
        /// same side in both sweeps, so pops match pushes. Only for loops that push (a block keeps a slot per iteration
        /// anyway) and that one way out of the method reverses (each way's reverse has statements of its own).
        /// </summary>
        /// <remarks>Runs once every loop is planned and the blocks are assigned (<see cref="AssignBlocks"/>): a loop that
        /// records into its own block or a nest's keeps every value there.</remarks>
        private void RecordInBranches(List<AdjointStatement> statements)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case BranchStatement b:
                        RecordInBranches(b.Then);
                        RecordInBranches(b.Else);
                        break;
                    case LoopStatement l:
                        RecordInBranches(l.Body);
                        RecordInBranches(l.Loop, l.Body, l.Plan);
                        break;
                }
            }
        }

        private void RecordInBranches(LoopInstr loop, List<AdjointStatement> reverseBody, LoopPlan plan)
        {
            if (!_activity.Enabled || plan.RecordsInBlocks || plan.Recorded.Count == 0 || _onSeveralPaths.Contains(loop)) return;
            // Where the reverse reads each value: the branch sides around each read, outermost first (none: the top of the iteration).
            var sites = new Dictionary<ValueId, List<List<(IfInstr Branch, bool Then)>>>();
            void At(IEnumerable<ValueId> values, List<(IfInstr, bool)> path)
            {
                foreach (var value in values)
                {
                    if (!sites.TryGetValue(value, out var paths)) sites[value] = paths = new List<List<(IfInstr, bool)>>();
                    paths.Add(path);
                }
            }
            var top = new List<(IfInstr, bool)>();
            foreach (var instruction in plan.Recompute) At(IrFacts.Operands(instruction), top);
            foreach (var induction in plan.Inductions) At(induction.Operands, top);
            foreach (var stepped in plan.SteppedInductions) At(stepped.Operands, top);
            Walk(reverseBody, loop.Body, top);
            void Walk(List<AdjointStatement> statements, Block block, List<(IfInstr, bool)> path)
            {
                var branches = new Dictionary<BranchStatement, IfInstr>(ReferenceComparer<BranchStatement>.Instance);
                foreach (var branch in block.Instructions.OfType<IfInstr>())
                {
                    if (_branchStatements.TryGetValue(branch, out var statement)) branches[statement] = branch;
                }
                foreach (var statement in statements)
                {
                    if (statement is BranchStatement b && branches.TryGetValue(b, out var branch))
                    {
                        At(new[] { b.Condition }, path);
                        Walk(b.Then, branch.Then, new List<(IfInstr, bool)>(path) { (branch, true) });
                        Walk(b.Else, branch.Else, new List<(IfInstr, bool)>(path) { (branch, false) });
                        continue;
                    }
                    var read = new HashSet<ValueId>();
                    CollectReferences(new[] { statement }, read);
                    At(read, path);
                }
            }

            foreach (var value in plan.Recorded.ToList())
            {
                if (!sites.TryGetValue(value, out var paths)) continue;
                // The sides around every read.
                var common = new List<(IfInstr Branch, bool Then)>(paths[0]);
                foreach (var path in paths)
                {
                    int n = 0;
                    while (n < common.Count && n < path.Count && ReferenceEquals(common[n].Branch, path[n].Branch) && common[n].Then == path[n].Then) n++;
                    common.RemoveRange(n, common.Count - n);
                }
                for (int k = common.Count - 1; k >= 0; k--)
                {
                    if (!AtEndOfSide(loop, value, common, k)) continue;
                    var (branch, then) = common[k];
                    var entry = plan.RecordedInBranches.FirstOrDefault(r => ReferenceEquals(r.Branch, branch) && r.Then == then);
                    if (entry is null) plan.RecordedInBranches.Add(entry = new BranchRecords(branch, then));
                    entry.Values.Add(value);
                    plan.Recorded.Remove(value);
                    break;
                }
            }
            foreach (var entry in plan.RecordedInBranches)
            {
                var statement = _branchStatements[entry.Branch];
                (entry.Then ? statement.Then : statement.Else).Insert(0, new PopStatement(entry.Values));
            }
        }

        /// <summary>Whether the forward iteration still has <paramref name="value"/> when the side <paramref name="path"/>[k] ends.</summary>
        private static bool AtEndOfSide(LoopInstr loop, ValueId value, List<(IfInstr Branch, bool Then)> path, int k)
        {
            if (loop.Carried.Contains(value)) return true; // the loop's variable changes after the body
            var block = loop.Body;
            for (int j = 0; j <= k; j++)
            {
                // Defined before the branch in the block around it.
                foreach (var instruction in block.Instructions)
                {
                    if (ReferenceEquals(instruction, path[j].Branch)) break;
                    if (IrFacts.Definitions(instruction).Contains(value)) return true;
                }
                block = path[j].Then ? path[j].Branch.Then : path[j].Branch.Else;
            }
            return block.Instructions.Any(i => IrFacts.Definitions(i).Contains(value));
        }

        // Loops in a block that ends in a split: each way out reverses them with its own statements, from one plan.
        private readonly HashSet<LoopInstr> _onSeveralPaths = new HashSet<LoopInstr>(ReferenceComparer<LoopInstr>.Instance);

        private void FindLoopsOnSeveralPaths(Block block)
        {
            if (block.Terminator is not SplitTerminator split) return;
            // The block's own instructions only: what follows the split is a way out of its own.
            foreach (var instruction in block.Instructions)
            {
                if (instruction is LoopInstr loop) _onSeveralPaths.Add(loop);
                var inside = instruction switch { IfInstr f => new[] { f.Then, f.Else }, LoopInstr l => new[] { l.Header, l.Body }, _ => new Block[0] };
                foreach (var inner in inside.SelectMany(IrFacts.AllInstructions)) if (inner is LoopInstr l2) _onSeveralPaths.Add(l2);
            }
            FindLoopsOnSeveralPaths(split.Then);
            FindLoopsOnSeveralPaths(split.Else);
        }

        /// <summary>Something inside the loop pushes on the stacks by itself while it runs: a split call, a buffer's snapshot.</summary>
        private bool PushesOnItsOwn(LoopInstr loop) =>
            IrFacts.AllInstructions(loop.Body).Any(i => i is CallInstr call && (_snapshots.ContainsKey(call) || _splitCalls.Contains(call)));

        /// <summary>The loop's own iterations record values (its plan is known: inner loops are planned first).</summary>
        private bool Records(LoopInstr loop) => _plans.TryGetValue(loop, out var plan) && (plan.Recorded.Count > 0 || plan.RecordedInBranches.Count > 0);

        /// <summary>
        /// The loops whose records can share one block with <paramref name="loop"/>'s (see <see cref="LoopPlan.Nest"/>),
        /// or null: when the loop is not counted, nothing inside it records, something inside pushes on its own (a
        /// split call, a buffer's snapshot), or a recording loop inside is not at a fixed place of each iteration (in a
        /// branch, not counted, or with a trip count computed inside the loop from something other than constants,
        /// lengths and + − × of values from before it).
        /// </summary>
        private BlockNest? NestOf(LoopInstr loop)
        {
            if (loop.Counted is null || PushesOnItsOwn(loop)) return null;
            var recording = IrFacts.AllInstructions(loop.Body).OfType<LoopInstr>().Where(Records).ToList();
            if (recording.Count == 0) return null;
            var inside = new HashSet<ValueId>(IrFacts.LoopLocals(loop));
            IrFacts.CollectDefinitions(loop.Header, inside);
            IrFacts.CollectDefinitions(loop.Body, inside);
            var members = new List<NestedLoop>();
            if (!AddMembers(loop, inside, members)) return null;
            var placed = new HashSet<LoopInstr>(members.Select(m => m.Loop), ReferenceComparer<LoopInstr>.Instance);
            return recording.All(placed.Contains) ? new BlockNest(members) : null;
        }

        /// <summary>Adds the loops at the top level of <paramref name="parent"/>'s body that record (or hold loops that do), and theirs; false when one cannot join.</summary>
        private bool AddMembers(LoopInstr parent, HashSet<ValueId> inside, List<NestedLoop> into)
        {
            foreach (var instruction in parent.Body.Instructions)
            {
                if (instruction is not LoopInstr inner) continue;
                if (!IrFacts.AllInstructions(inner.Body).Prepend(inner).Any(i => i is LoopInstr l && Records(l))) continue;
                if (inner.Counted is not { } counted || !_plans.ContainsKey(inner)) return false;
                if (Available(counted.Start, inside, 0) is not { } start || Available(counted.Bound, inside, 0) is not { } bound) return false;
                into.Add(new NestedLoop(inner, parent, start, bound, counted.Comparison));
                if (!AddMembers(inner, inside, into)) return false;
            }
            return true;
        }

        /// <summary>
        /// <paramref name="value"/> as an int computed from values defined outside <paramref name="inside"/> (the loop nest):
        /// the value itself, or its definition when that is a constant, a length or + − × of such; null otherwise.
        /// </summary>
        private Available? Available(ValueId value, HashSet<ValueId> inside, int depth)
        {
            if (!inside.Contains(value)) return new AvailableValue(value);
            if (depth > 16 || _function.TypeOf(value) != IrType.I32) return null;
            if (_definitions is null)
            {
                _definitions = new Dictionary<ValueId, Instruction>();
                foreach (var instruction in IrFacts.AllInstructions(_function.Body))
                {
                    foreach (var d in IrFacts.Definitions(instruction)) _definitions[d] = instruction;
                }
            }
            if (!_definitions.TryGetValue(value, out var definition)) return null;
            switch (definition)
            {
                case ConstInstr { Mutable: false } c:
                    return new AvailableText(c.Text);
                case LengthInstr l when !inside.Contains(l.Buffer):
                    return new AvailableLength(l.Buffer);
                case BinaryInstr { Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply } b:
                    return Available(b.Left, inside, depth + 1) is { } left && Available(b.Right, inside, depth + 1) is { } right
                        ? new AvailableBinary(b.Op, left, right)
                        : null;
                default:
                    return null;
            }
        }

        private Dictionary<ValueId, Instruction>? _definitions;

        /// <summary>
        /// Once every loop is planned: the outermost loops with a <see cref="LoopPlan.Nest"/> reserve one block for it,
        /// and the loops inside them cut theirs from their parents'.
        /// </summary>
        private void AssignBlocks(Block block)
        {
            foreach (var instruction in block.Instructions)
            {
                switch (instruction)
                {
                    case IfInstr branch:
                        AssignBlocks(branch.Then);
                        AssignBlocks(branch.Else);
                        break;
                    case LoopInstr loop when _plans.TryGetValue(loop, out var plan) && plan.Nest is { } nest:
                        plan.RecordsInBlocks = true;
                        foreach (var member in nest.Members)
                        {
                            var inner = _plans[member.Loop];
                            inner.RecordsInBlocks = true;
                            inner.Nest = null;
                            inner.BlockParent = member.Parent;
                        }
                        break;
                    case LoopInstr loop:
                        AssignBlocks(loop.Header);
                        AssignBlocks(loop.Body);
                        break;
                }
            }
            if (block.Terminator is SplitTerminator split)
            {
                AssignBlocks(split.Then);
                AssignBlocks(split.Else);
            }
        }

        /// <summary>Where each value defined inside a branch of <paramref name="block"/> (at any depth, not inside inner loops) is defined.</summary>
        private static void CollectBranchSites(Block block, Dictionary<ValueId, (Instruction, IfInstr, bool)> into)
        {
            foreach (var instruction in block.Instructions)
            {
                if (instruction is not IfInstr branch) continue;
                foreach (var (side, then) in new[] { (branch.Then, true), (branch.Else, false) })
                {
                    foreach (var inner in side.Instructions)
                    {
                        if (inner is IfInstr or LoopInstr or CallInstr) continue;
                        foreach (var d in IrFacts.Definitions(inner)) into[d] = (inner, branch, then);
                    }
                    CollectBranchSites(side, into);
                }
            }
        }

        /// <summary>Puts each branch's recomputations, in the order the forward ran them, at the start of that branch's reverse.</summary>
        private void PlaceBranchRecomputes(Block block, HashSet<Instruction> recompute, LoopPlan plan)
        {
            if (recompute.Count == 0) return;
            foreach (var instruction in block.Instructions)
            {
                if (instruction is not IfInstr branch || !_branchStatements.TryGetValue(branch, out var statement)) continue;
                foreach (var (side, list) in new[] { (branch.Then, statement.Then), (branch.Else, statement.Else) })
                {
                    var here = side.Instructions.Where(recompute.Contains).ToList();
                    if (here.Count > 0)
                    {
                        list.Insert(0, new RecomputeStatement(here));
                        foreach (var i in here) if (!plan.RecomputeInBranches.Contains(i)) plan.RecomputeInBranches.Add(i);
                    }
                    PlaceBranchRecomputes(side, recompute, plan);
                }
            }
        }

        /// <summary>Adds another path's plan of the same loop into <paramref name="shared"/>: recorded values, recomputations and inductions.</summary>
        private static void Merge(LoopPlan shared, LoopPlan other, LoopInstr loop)
        {
            var recorded = new HashSet<ValueId>(shared.Recorded);
            recorded.UnionWith(other.Recorded);
            shared.Recorded.Clear();
            shared.Recorded.AddRange(recorded.OrderBy(v => v.Index));

            // Recomputations in body order, one per value (a read-back load is a new instruction in each path).
            var position = new Dictionary<ValueId, int>();
            for (int i = 0; i < loop.Body.Instructions.Count; i++)
            {
                foreach (var d in IrFacts.Definitions(loop.Body.Instructions[i])) position[d] = i;
            }
            var byValue = new Dictionary<ValueId, Instruction>();
            foreach (var instruction in shared.Recompute.Concat(other.Recompute))
            {
                var value = IrFacts.Definitions(instruction).First();
                if (!byValue.ContainsKey(value)) byValue[value] = instruction;
            }
            shared.Recompute.Clear();
            shared.Recompute.AddRange(byValue.OrderBy(e => position.TryGetValue(e.Key, out int p) ? p : int.MaxValue).ThenBy(e => e.Key.Index).Select(e => e.Value));

            foreach (var instruction in other.RecomputeInBranches)
            {
                if (!shared.RecomputeInBranches.Contains(instruction)) shared.RecomputeInBranches.Add(instruction);
            }
            foreach (var induction in other.Inductions)
            {
                if (!shared.Inductions.Any(i => i.Value == induction.Value)) shared.Inductions.Add(induction);
            }
            foreach (var stepped in other.SteppedInductions)
            {
                if (!shared.SteppedInductions.Any(i => i.Value == stepped.Value)) shared.SteppedInductions.Add(stepped);
            }
            SteppedAfterRecomputes(shared);
        }

        /// <summary>
        /// The reverse iteration computes a stepped induction after its recomputations (the step may read one of them):
        /// one that a recomputation reads, or that another path records, is recorded instead.
        /// </summary>
        private static void SteppedAfterRecomputes(LoopPlan plan)
        {
            var demoted = plan.SteppedInductions.Where(s => plan.Recorded.Contains(s.Value) ||
                plan.Recompute.Any(i => IrFacts.Operands(i).Contains(s.Value))).ToList();
            if (demoted.Count == 0) return;
            foreach (var stepped in demoted) plan.SteppedInductions.Remove(stepped);
            var recorded = new HashSet<ValueId>(plan.Recorded);
            recorded.UnionWith(demoted.Select(s => s.Value));
            plan.Recorded.Clear();
            plan.Recorded.AddRange(recorded.OrderBy(v => v.Index));
        }

        /// <summary>
        /// A value the body stores, at its top level, into memory nothing writes afterwards (<c>h[i] = Math.Tanh(z)</c>,
        /// then only reads of h): the reverse reads it back from there instead of recording it. The load takes the
        /// place of the value's own instruction, so the index must be known by then (the counter, a value from
        /// outside the loop, or one computed before the value).
        /// </summary>
        private (Instruction At, LoadInstr Load)? Reread(LoopInstr loop, ValueId value, Dictionary<ValueId, Instruction> topLevel, HashSet<ValueId> defined)
        {
            if (!topLevel.TryGetValue(value, out var definition) || definition is IfInstr or LoopInstr) return null;
            var body = loop.Body.Instructions;
            int at = -1;
            for (int i = 0; i < body.Count; i++)
            {
                if (ReferenceEquals(body[i], definition)) at = i;
            }
            foreach (var instruction in body)
            {
                if (instruction is not StoreInstr store || store.Value != value || defined.Contains(store.Buffer)) continue;
                if (!_activity.Roots.IsBuffer(_activity.Roots.RootOf(store.Buffer))) continue;
                bool indexKnown = !defined.Contains(store.Index) || (loop.Counted is { } c && store.Index == c.Counter) ||
                    (topLevel.TryGetValue(store.Index, out var indexDefinition) && IndexOf(body, indexDefinition) is int p && p >= 0 && p < at);
                if (!indexKnown || !KeptAfter(loop, store)) continue;
                return (definition, new LoadInstr(value, store.Buffer, store.Index, store.Origin));
            }
            return null;
        }

        /// <summary>
        /// True when nothing overwrites what the store wrote: nothing writes the memory after it, or the store is the
        /// only write in its counted loop, at the counter (each iteration its own element), and nothing writes the
        /// memory after the loop (nor in another run of it).
        /// </summary>
        private bool KeptAfter(LoopInstr loop, StoreInstr store)
        {
            var roots = _activity.Roots;
            if (!roots.IsWrittenAfter(_function.Body, store, store.Buffer)) return true;
            if (loop.Counted is not { } counted || store.Index != counted.Counter) return false;
            var root = roots.RootOf(store.Buffer);
            if (IrFacts.AllInstructions(loop.Header).Concat(IrFacts.AllInstructions(loop.Body))
                .Any(i => !ReferenceEquals(i, store) && roots.WritesItself(i, root))) return false;
            return !roots.IsWrittenAfter(_function.Body, loop, store.Buffer);
        }

        private static int IndexOf(EquatableArray<Instruction> body, Instruction instruction)
        {
            for (int i = 0; i < body.Count; i++)
            {
                if (ReferenceEquals(body[i], instruction)) return i;
            }
            return -1;
        }

        /// <summary>
        /// A carried int of a counted loop whose next value is <c>carried ± c</c>, computed at the top level of the
        /// body (every iteration, whatever continue or break do after it) with c from outside the loop.
        /// </summary>
        private Induction? Induction(LoopInstr loop, ValueId value, Dictionary<ValueId, Instruction> topLevel, HashSet<ValueId> defined)
        {
            int k = CarriedIndex(loop, value);
            if (loop.Counted is null || k < 0) return null;
            return Step(loop, k, topLevel, defined) is { } step ? new Induction(value, loop.Initial[k], step.Increment, step.Subtract) : null;
        }

        /// <summary>
        /// A carried int of a counted loop (no break, no return) whose next value is what a counted loop at the top level
        /// of its body leaves in an induction of its own that starts at the carried value: each iteration adds that loop's
        /// trip count times its increment (<see cref="SteppedInduction"/>).
        /// </summary>
        private SteppedInduction? Stepped(LoopInstr loop, ValueId value)
        {
            int k = CarriedIndex(loop, value);
            if (loop.Counted is null || k < 0 || _function.TypeOf(value) != IrType.I32) return null;
            var next = ((YieldTerminator)loop.Body.Terminator).Values[k];
            foreach (var inner in loop.Body.Instructions.OfType<LoopInstr>())
            {
                int j = 0;
                while (j < inner.Outputs.Count && inner.Outputs[j] != next) j++;
                if (j == inner.Outputs.Count) continue;
                // The step is computed from the inner loop's bounds in the reverse iteration, before the value: not from the value.
                if (inner.Counted is not { } counted || inner.Initial[j] != value || counted.Start == value || counted.Bound == value) return null;
                var topLevel = new Dictionary<ValueId, Instruction>();
                foreach (var instruction in inner.Body.Instructions)
                {
                    foreach (var d in IrFacts.Definitions(instruction)) topLevel[d] = instruction;
                }
                var defined = new HashSet<ValueId>();
                DefinedIn(inner, defined);
                return Step(inner, j, topLevel, defined) is { } step ? new SteppedInduction(value, loop.Outputs[k], counted, step.Increment, step.Subtract) : null;
            }
            return null;
        }

        private static int CarriedIndex(LoopInstr loop, ValueId value)
        {
            for (int k = 0; k < loop.Carried.Count; k++)
            {
                if (loop.Carried[k] == value) return k;
            }
            return -1;
        }

        /// <summary>
        /// The carried int <paramref name="k"/>'s change per iteration, when its next value is <c>carried ± c</c> computed at
        /// the top level of the body (every iteration, whatever continue or break do after it) with c from outside the loop.
        /// </summary>
        private (ValueId Increment, bool Subtract)? Step(LoopInstr loop, int k, Dictionary<ValueId, Instruction> topLevel, HashSet<ValueId> defined)
        {
            var value = loop.Carried[k];
            if (_function.TypeOf(value) != IrType.I32) return null;
            var next = ((YieldTerminator)loop.Body.Terminator).Values[k];
            if (!topLevel.TryGetValue(next, out var instruction) || instruction is not BinaryInstr b || _function.TypeOf(b.Result) != IrType.I32) return null;
            // The step comes from outside the loop, or is a literal (lowered where first used, maybe in the body).
            bool Invariant(ValueId v) => !defined.Contains(v) || (topLevel.TryGetValue(v, out var d) && d is ConstInstr { Mutable: false });
            if (b.Op == BinaryOp.Add && b.Left == value && Invariant(b.Right)) return (b.Right, false);
            if (b.Op == BinaryOp.Add && b.Right == value && Invariant(b.Left)) return (b.Left, false);
            if (b.Op == BinaryOp.Subtract && b.Left == value && Invariant(b.Right)) return (b.Right, true);
            return null;
        }

        /// <summary>
        /// Pure instructions that are cheaper to compute again in the reverse iteration than to record. A
        /// transcendental function (exp, log, tanh, ...) costs more than a store and a load: it is recorded.
        /// </summary>
        private bool IsRecomputable(Instruction instruction) => instruction switch
        {
            IntrinsicInstr i => i.Function is "Abs" or "Max" or "Min" or "Clamp" or "FusedMultiplyAdd" or "Floor" or "Ceiling" or "Round" or "Truncate" or "Sign",
            ConstInstr c => !c.Mutable,
            UnaryInstr or BinaryInstr or ConvertInstr or StopInstr or LengthInstr or SliceInstr => true,
            // Memory nothing writes after the load (no later instruction, no instruction of a loop around it): a
            // parameter's or a local buffer's. The reverse sweep reaches the load before it undoes anything that
            // ran earlier, so the element still holds what the load read. A static array's elements can change
            // under any call, so its loads are recorded.
            LoadInstr load => _activity.Roots.IsBuffer(_activity.Roots.RootOf(load.Buffer)) &&
                !_activity.Roots.IsWrittenAfter(_function.Body, load, load.Buffer),
            _ => false,
        };

        /// <summary>The values a loop defines for itself: carried values, counter, header and body values (inner loops' own locals excluded).</summary>
        private static void DefinedIn(LoopInstr loop, HashSet<ValueId> into)
        {
            foreach (var v in IrFacts.LoopLocals(loop)) into.Add(v);
            DefinedOutsideLoops(loop.Header, into);
            DefinedOutsideLoops(loop.Body, into);
        }

        /// <summary>Definitions in a block and its branches, with inner loops' outputs and trip counts but not their insides.</summary>
        public static void DefinedOutsideLoops(Block block, HashSet<ValueId> into)
        {
            foreach (var instruction in block.Instructions)
            {
                foreach (var d in IrFacts.Definitions(instruction)) into.Add(d);
                if (instruction is IfInstr branch)
                {
                    DefinedOutsideLoops(branch.Then, into);
                    DefinedOutsideLoops(branch.Else, into);
                }
            }
            if (block.Terminator is SplitTerminator split)
            {
                DefinedOutsideLoops(split.Then, into);
                DefinedOutsideLoops(split.Else, into);
            }
        }

        // ---- what reverse statements read ----

        public static void CollectReferences(IEnumerable<AdjointStatement> statements, HashSet<ValueId> into)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case AccumulateStatement a: CollectReferences(a.Value, into); break;
                    case SetStatement s: CollectReferences(s.Value, into); break;
                    case TempStatement t: CollectReferences(t.Value, into); break;
                    case ShadowStatement s:
                        into.Add(s.Buffer);
                        into.Add(s.Index);
                        CollectReferences(s.Value, into);
                        break;
                    case BranchStatement b:
                        into.Add(b.Condition);
                        CollectReferences(b.Then, into);
                        CollectReferences(b.Else, into);
                        break;
                    case BackwardCallStatement c:
                        foreach (var arg in c.Call.Args) into.Add(arg);
                        CollectReferences(c.Seed, into);
                        break;
                    case RestoreStatement r:
                        into.Add(r.Buffer);
                        break;
                    case RecomputeStatement r:
                        var made = new HashSet<ValueId>(r.Instructions.SelectMany(IrFacts.Definitions));
                        foreach (var instruction in r.Instructions)
                        {
                            foreach (var operand in IrFacts.Operands(instruction)) if (!made.Contains(operand)) into.Add(operand);
                        }
                        break;
                    case FinalContentsStatement f:
                        into.Add(f.Buffer);
                        break;
                    case LoopStatement l:
                        if (l.Loop.Counted is { } counted)
                        {
                            into.Add(counted.Start);
                            into.Add(counted.Bound);
                        }
                        else
                        {
                            into.Add(l.Loop.TripCount);
                        }
                        var inner = new HashSet<ValueId>();
                        CollectReferences(l.Body, inner);
                        foreach (var instruction in l.Plan.Recompute)
                        {
                            foreach (var operand in IrFacts.Operands(instruction)) inner.Add(operand);
                        }
                        foreach (var induction in l.Plan.Inductions) inner.UnionWith(induction.Operands);
                        foreach (var stepped in l.Plan.SteppedInductions) inner.UnionWith(stepped.Operands);
                        // A nest's block is sized from values defined before it, where it is reserved and popped.
                        if (l.Plan.Nest is { } nest) inner.UnionWith(nest.Leaves);
                        // What the inner loop defines, it provides itself.
                        var own = new HashSet<ValueId>();
                        DefinedIn(l.Loop, own);
                        foreach (var v in inner)
                        {
                            if (!own.Contains(v)) into.Add(v);
                        }
                        break;
                }
            }
        }

        public static void CollectReferences(Expr expr, HashSet<ValueId> into)
        {
            switch (expr)
            {
                case ValueExpr v: into.Add(v.Value); break;
                case ResultExpr r: into.Add(r.Value); break;
                case ShadowExpr s: into.Add(s.Buffer); into.Add(s.Index); break;
                case NegateExpr n: CollectReferences(n.Operand, into); break;
                case BinaryExpr b: CollectReferences(b.Left, into); CollectReferences(b.Right, into); break;
                case MathExpr m: foreach (var a in m.Args) CollectReferences(a, into); break;
                case CheckedMulExpr c: CollectReferences(c.Adjoint, into); CollectReferences(c.Partial, into); break;
                case CheckedDivExpr c: CollectReferences(c.Adjoint, into); CollectReferences(c.Divisor, into); break;
                case ConditionalExpr c: CollectReferences(c.Condition, into); CollectReferences(c.WhenTrue, into); CollectReferences(c.WhenFalse, into); break;
                case ConvertExpr c: CollectReferences(c.Operand, into); break;
            }
        }
    }
}
