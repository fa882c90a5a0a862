using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Differentiation
{
    // The body of a generated method: the primal runs forward, then the reverse sweep. A split (an if
    // with returns inside) puts the rest of the body in both branches, so each path ends with the
    // reverse of everything it ran, innermost first, and then returns.
    internal abstract record BodyNode;

    internal sealed record PrimalNode(Block Block) : BodyNode;

    internal sealed record ReverseNode(List<AdjointStatement> Statements) : BodyNode;

    internal sealed record SplitNode(ValueId Condition, List<BodyNode> Then, List<BodyNode> Else) : BodyNode;

    /// <summary>Leaves the method; <paramref name="Untouched"/> are the parameter adjoints this path never wrote (Gradient zeroes them).</summary>
    internal sealed record ReturnNode(ValueId? Value, List<ValueId> Untouched) : BodyNode;

    /// <summary>
    /// Builds the reverse sweep from the IR and the activity analysis. Each adjoint is declared at its
    /// first contribution (the value's last use), accumulated at the others, and read once, when the
    /// instruction that defined the value is reversed:
    /// <code>
    /// // y = a * b        da += dy * b;  db += dy * a
    /// </code>
    /// </summary>
    /// <summary>The builder's output: the body, each loop's recording plan, and which adjoints share a variable.</summary>
    internal sealed class ReverseProgram
    {
        public ReverseProgram(List<BodyNode> nodes, Dictionary<LoopInstr, LoopPlan> plans, Dictionary<ValueId, ValueId> aliases, ActivityResult activity,
            Dictionary<CallInstr, List<ValueId>> snapshots, HashSet<CallInstr> splitCalls)
        {
            SplitCalls = splitCalls;
            Snapshots = snapshots;
            Nodes = nodes;
            FinalContents = new List<ValueId>();
            Plans = plans;
            Aliases = aliases;
            Activity = activity;
        }

        public List<BodyNode> Nodes { get; }

        /// <summary>By loop instruction (reference identity): what its forward iterations record.</summary>
        public Dictionary<LoopInstr, LoopPlan> Plans { get; }

        /// <summary>A carried value's adjoint is its loop output's adjoint variable.</summary>
        public Dictionary<ValueId, ValueId> Aliases { get; }

        public ActivityResult Activity { get; }

        /// <summary>Calls whose written buffers the forward sweep pushes before the call (the reverse restores them).</summary>
        public Dictionary<CallInstr, List<ValueId>> Snapshots { get; }

        /// <summary>
        /// Calls of callees' split forms: the forward sweep calls <c>{M}Forward</c> with this method's stacks, the reverse
        /// sweep <c>{M}Reverse</c> (on every path, with a zero seed where the result's adjoint is not needed there, so
        /// what the forward pushed is always popped).
        /// </summary>
        public HashSet<CallInstr> SplitCalls { get; }

        /// <summary>Parameter buffers whose final contents the reverse sweep saves and restores (<see cref="FinalContentsStatement"/>).</summary>
        public List<ValueId> FinalContents { get; }

        /// <summary>
        /// For split forms: the instructions at the top level of the method's ways (outside loops and branches) that
        /// <c>{M}Reverse</c> runs again from the parameters instead of popping what <c>{M}Forward</c> pushed, in the
        /// method's order (<see cref="SplitForms.RecomputedInReverse"/>). Empty for the other forms.
        /// </summary>
        public List<Instruction> RecomputedInReverse { get; } = new List<Instruction>();

        /// <summary>
        /// True when <c>Backward</c> with a zero seed has nothing to add: the method returns a value and writes no
        /// parameter buffer, so the seed is the only adjoint coming in. <c>Backward</c> then returns at once. Besides
        /// saving the work, this keeps a zero seed zero: run through, it would meet the partials of a primal that
        /// overflowed (0 · ∞ = NaN) where the exact contribution is 0.
        /// </summary>
        public bool ZeroSeedAddsNothing { get; init; }

        /// <summary>In <c>Gradient</c>, the shadow statements that assign instead of adding (<see cref="GradientAssignments"/>).</summary>
        public HashSet<ShadowStatement> AssignedInGradient { get; } = new HashSet<ShadowStatement>(ReferenceComparer<ShadowStatement>.Instance);

        /// <summary>In <c>Gradient</c>, the adjoint spans that are not cleared first: one of <see cref="AssignedInGradient"/> writes every element.</summary>
        public HashSet<ValueId> UnclearedInGradient { get; } = new HashSet<ValueId>();

        /// <summary>
        /// Where a counted loop's records go, printed after its trip count: <c>one block</c> (reserved before the loop),
        /// <c>one block for the nest</c> (its inner loops' records too), <c>block inside %N's</c> (cut from the block of
        /// the loop whose trip count is %N); nothing when it pushes value by value or records nothing. Then, for a loop whose
        /// reverse has a plain version (<see cref="FiniteVersions"/>), a second note: <c>plain products when finite: %3[..],
        /// %60</c> (every element of the buffer %3, the value %60). Last, for a loop whose reverse runs in vector lanes
        /// (<see cref="LaneVersions"/>): <c>reverse in lanes, summing d%60</c> (the adjoints the lanes add into separately).
        /// </summary>
        public string? AnnotateLoop(LoopInstr loop)
        {
            if (!Plans.TryGetValue(loop, out var plan)) return null;
            string? records = plan.Nest is not null ? "one block for the nest"
                : plan.BlockParent is { } parent ? "block inside " + parent.TripCount + "'s"
                : plan.RecordsInBlocks ? "one block" : null;
            var notes = new List<string>();
            if (records is not null) notes.Add(records);
            if (plan.Finite is { } finite)
                notes.Add("plain products when finite: " + string.Join(", ", finite.Buffers.Select(b => b + "[..]").Concat(finite.Partials.Select(p => Describe(p.Partial)))));
            if (plan.Lanes is { } lanes)
                notes.Add("reverse in lanes, summing " + string.Join(", ", lanes.Sums.Select(v => "d" + v).Concat(lanes.ElementSums.Select(e => "d" + e.Buffer + "[" + e.Index + "]"))));
            return notes.Count == 0 ? null : string.Join("] [", notes);
        }

        private static string Describe(Expr expr) => expr switch
        {
            ValueExpr v => v.Value.ToString(),
            ResultExpr r => r.Value.ToString(),
            LiteralExpr l => l.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            NegateExpr n => "-" + Describe(n.Operand),
            BinaryExpr b => "(" + Describe(b.Left) + " " + b.Op.Symbol() + " " + Describe(b.Right) + ")",
            MathExpr m => m.Function + "(" + string.Join(", ", m.Args.Select(Describe)) + ")",
            _ => "(" + expr.GetType().Name + ")",
        };

        /// <summary>The method's <c>{M}Jacobian</c>, when it has one (<see cref="JacobianForms"/>).</summary>
        public JacobianPlan? Jacobian { get; set; }

        /// <summary>
        /// The annotation <see cref="IrPrinter"/> prints next to a value: on a Jacobian's output, <c>jacobian rows, one
        /// forward</c> or <c>jacobian rows, Backward per row</c> (<see cref="JacobianForms"/>); for the loops' plans (the to-be-recorded
        /// analysis): <c>recorded</c> (pushed by each forward iteration), <c>recomputed</c> (its instruction runs
        /// again in the reverse iteration), <c>from counter</c> (a carried int computed from the counter), <c>stepped back from
        /// the end</c> (a carried int the reverse computes from its value after the loop, <see cref="SteppedInduction"/>), <c>recorded in
        /// its branch</c> (pushed as the branch side that reads it ends, <see cref="LoopPlan.RecordedInBranches"/>); nothing for
        /// a value the reverse does not need from the forward sweep or reads where it is.
        /// </summary>
        public string? Annotate(ValueId value)
        {
            if (Jacobian is { } jacobian && jacobian.Output.Value == value) return jacobian.OnePass ? "jacobian rows, one forward" : "jacobian rows, Backward per row";
            foreach (var plan in Plans.Values)
            {
                if (plan.Recorded.Contains(value)) return "recorded";
                if (plan.Inductions.Any(i => i.Value == value)) return "from counter";
                if (plan.SteppedInductions.Any(i => i.Value == value)) return "stepped back from the end";
                if (plan.Recompute.Any(i => IrFacts.Definitions(i).Contains(value))) return "recomputed";
                if (plan.RecomputeInBranches.Any(i => IrFacts.Definitions(i).Contains(value))) return "recomputed in its branch";
                if (plan.RecordedInBranches.Any(r => r.Values.Contains(value))) return "recorded in its branch";
            }
            return null;
        }
    }

    internal sealed partial class ReverseModeBuilder
    {
        private readonly IrFunction _function;
        private readonly ActivityResult _activity;
        private readonly Dictionary<ValueId, double> _literals = new Dictionary<ValueId, double>();
        private readonly Dictionary<LoopInstr, LoopPlan> _plans = new Dictionary<LoopInstr, LoopPlan>(ReferenceComparer<LoopInstr>.Instance);
        private readonly Dictionary<ValueId, ValueId> _aliases = new Dictionary<ValueId, ValueId>();
        private int _temps;
        private readonly Dictionary<CallInstr, List<ValueId>> _snapshots = new Dictionary<CallInstr, List<ValueId>>(ReferenceComparer<CallInstr>.Instance);

        private readonly HashSet<ValueId> _parameterValues;

        // Values of constant instructions (literals, static fields): their adjoints are never read.
        private readonly HashSet<ValueId> _constants = new HashSet<ValueId>();

        // Parameter buffers the reverse sweep of the current path puts back for a call (see FinalContentsStatement).
        private readonly List<ValueId> _restoredParameters = new List<ValueId>();
        private readonly List<ValueId> _finalContents = new List<ValueId>();

        private ReverseModeBuilder(IrFunction function, ActivityResult activity, SplitChoice? split)
        {
            _function = function;
            _activity = activity;
            _split = split;
            _parameterValues = new HashSet<ValueId>(function.Parameters.Select(p => p.Value));
            _writesBuffers = WritesParameterBuffers(function, activity);
            _seedMayBeZero = split is { ForSplitForms: true };
            _splitCalls = FindSplitCalls(function, activity, split);
            // Numeric literals, so rules can fold them (a constant exponent, say).
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                if (instruction is ConstInstr c)
                {
                    _constants.Add(c.Result);
                    if (IrFacts.TryParseNumber(c.Text, out double value)) _literals[c.Result] = value;
                }
            }
            FindInPlaceUpdates(function.Body, CountUses(function.Body));
            FindSiblingFunctions(function.Body);
            FindLoopsOnSeveralPaths(function.Body);
        }

        // The math functions each block computes, by function and arguments: a partial that calls one of them on the
        // same arguments (sin' = cos, with cos(θ) computed beside sin(θ), as in a rotation) reads its value instead.
        private readonly Dictionary<IntrinsicInstr, List<IntrinsicInstr>> _siblings =
            new Dictionary<IntrinsicInstr, List<IntrinsicInstr>>(ReferenceComparer<IntrinsicInstr>.Instance);

        private void FindSiblingFunctions(Block body)
        {
            foreach (var block in IrFacts.AllBlocks(body))
            {
                var here = block.Instructions.OfType<IntrinsicInstr>().ToList();
                foreach (var call in here) _siblings[call] = here;
            }
        }

        /// <summary>
        /// A rule's partial with each function call that its block already computes on the same arguments replaced by
        /// that value. Both run in the same block, so the value is there whenever the partial is (a loop records it as
        /// it would have recorded the arguments). It stands as a <see cref="ResultExpr"/>: it may be infinite like the
        /// call it replaces, so a product with it stays checked.
        /// </summary>
        private Expr ReuseSiblings(Expr partial, List<IntrinsicInstr> siblings) => partial switch
        {
            MathExpr m => SiblingComputing(m, siblings) is { } sibling
                ? new ResultExpr(sibling.Result)
                : new MathExpr(m.Function, m.Args.Select(a => ReuseSiblings(a, siblings)).ToArray()),
            BinaryExpr b => new BinaryExpr(b.Op, ReuseSiblings(b.Left, siblings), ReuseSiblings(b.Right, siblings)),
            NegateExpr n => new NegateExpr(ReuseSiblings(n.Operand, siblings)),
            ConditionalExpr c => new ConditionalExpr(ReuseSiblings(c.Condition, siblings), ReuseSiblings(c.WhenTrue, siblings), ReuseSiblings(c.WhenFalse, siblings)),
            _ => partial,
        };

        private IntrinsicInstr? SiblingComputing(MathExpr m, List<IntrinsicInstr> siblings)
        {
            foreach (var sibling in siblings)
            {
                if (sibling.Function != m.Function || sibling.Args.Count != m.Args.Length) continue;
                bool same = true;
                for (int i = 0; i < m.Args.Length && same; i++) same = Operand(sibling.Args[i]).Equals(m.Args[i]);
                if (same) return sibling;
            }
            return null;
        }

        // w[i] = w[i] + e (w[i] += e, w[i] -= e): the element's adjoint passes to e and stays as it was, so the
        // reverse reads it once, instead of taking it, zeroing it and adding it back through the load.
        private readonly Dictionary<StoreInstr, (ValueId Other, bool Subtract)> _inPlace =
            new Dictionary<StoreInstr, (ValueId, bool)>(ReferenceComparer<StoreInstr>.Instance);
        private readonly HashSet<Instruction> _fused = new HashSet<Instruction>(ReferenceComparer<Instruction>.Instance);

        /// <summary>
        /// Finds <c>t = w[i]; u = t ± e; w[i] = u</c> in one block, with t and u used nowhere else and nothing but
        /// pure instructions between the load and the store (nothing else writes memory there).
        /// </summary>
        private void FindInPlaceUpdates(Block block, Dictionary<ValueId, int> uses)
        {
            var instructions = block.Instructions;
            for (int s = 0; s < instructions.Count; s++)
            {
                switch (instructions[s])
                {
                    case IfInstr f: FindInPlaceUpdates(f.Then, uses); FindInPlaceUpdates(f.Else, uses); continue;
                    case LoopInstr loop: FindInPlaceUpdates(loop.Header, uses); FindInPlaceUpdates(loop.Body, uses); continue;
                    case StoreInstr store:
                        int a = s - 1;
                        while (a >= 0 && !(instructions[a] is BinaryInstr candidate && candidate.Result == store.Value)) a--;
                        if (a < 0 || instructions[a] is not BinaryInstr { Op: BinaryOp.Add or BinaryOp.Subtract } sum || Uses(uses, sum.Result) != 1) continue;
                        int l = a - 1;
                        while (l >= 0 && !(instructions[l] is LoadInstr candidate && (candidate.Result == sum.Left || candidate.Result == sum.Right))) l--;
                        if (l < 0) continue;
                        var load = (LoadInstr)instructions[l];
                        if (load.Buffer != store.Buffer || load.Index != store.Index || Uses(uses, load.Result) != 1 || sum.Left == sum.Right) continue;
                        if (sum.Op == BinaryOp.Subtract && sum.Left != load.Result) continue;
                        bool pure = true;
                        for (int k = l + 1; k < s && pure; k++) pure = IrFacts.ChangesNothing(instructions[k]);
                        if (!pure) continue;
                        _inPlace[store] = (sum.Left == load.Result ? sum.Right : sum.Left, sum.Op == BinaryOp.Subtract);
                        _fused.Add(sum);
                        _fused.Add(load);
                        continue;
                }
            }
            if (block.Terminator is SplitTerminator split)
            {
                FindInPlaceUpdates(split.Then, uses);
                FindInPlaceUpdates(split.Else, uses);
            }
        }

        private static int Uses(Dictionary<ValueId, int> uses, ValueId value) => uses.TryGetValue(value, out int n) ? n : 0;

        private Expr Operand(ValueId value) => _literals.TryGetValue(value, out double literal) ? new LiteralExpr(literal) : new ValueExpr(value);

        public static ReverseProgram Build(IrFunction function, ActivityResult activity, SplitChoice? split = null)
        {
            var builder = new ReverseModeBuilder(function, activity, split);
            var nodes = builder.BuildPath(function.Body, new List<Block>());
            // Which adjoints may be zero is learnt while the reverse is built, and a loop's reverse reads its carried
            // adjoints at the top of the body before the contributions below (the previous reverse iteration's) are
            // seen. Build again, knowing them from the start, until no adjoint was found to be possibly zero after a
            // partial had already been multiplied by it unchecked. The set only grows, so this ends.
            for (int round = 0; round < 16 && builder._answeredNotZero.Overlaps(builder._mayBeZero); round++)
            {
                var known = builder._mayBeZero;
                builder = new ReverseModeBuilder(function, activity, split);
                builder._mayBeZero.UnionWith(known);
                nodes = builder.BuildPath(function.Body, new List<Block>());
            }
            builder.AssignBlocks(function.Body);
            foreach (var statements in AdjointProgramCheck.ReverseNodes(nodes)) builder.RecordInBranches(statements);
            var program = new ReverseProgram(nodes, builder._plans, builder._aliases, activity, builder._snapshots, builder._splitCalls)
            {
                ZeroSeedAddsNothing = function.ReturnType is not null && !builder._writesBuffers,
            };
            program.FinalContents.AddRange(builder._finalContents);
            if (split is { ForSplitForms: true } && activity.Enabled) program.RecomputedInReverse.AddRange(SplitForms.RecomputedInReverse(function));
            PruneUnreadAdjoints(function, program);
            GradientAssignments.Find(function, program);
            FiniteVersions.Plan(function, program);
            LaneVersions.Plan(function, program);
            program.Jacobian = JacobianForms.Plan(function, program);
            AdjointProgramCheck.Verify(function, program);
            return program;
        }

        /// <summary>
        /// Drops the writes of adjoints that nothing reads (with the analyses off, a constant's conversion gets an
        /// adjoint its definition never passes on): they would be variables assigned and never used (CS0219). Parameter
        /// adjoints are always kept. Each way through the method (a <see cref="SplitNode"/> forks it) is its own scope,
        /// so a write is dead when no way through its statement list reads its target: a loop in the path that returns
        /// early may write an adjoint that only the other path reads.
        /// </summary>
        private static void PruneUnreadAdjoints(IrFunction function, ReverseProgram program)
        {
            var keep = new HashSet<ValueId>(function.Parameters.Select(p => p.Value));
            var paths = Paths(program.Nodes, 0, new List<List<AdjointStatement>>());
            var pathsOf = new Dictionary<List<AdjointStatement>, List<int>>(ReferenceComparer<List<AdjointStatement>>.Instance);
            for (int p = 0; p < paths.Count; p++)
            {
                foreach (var list in paths[p])
                {
                    if (!pathsOf.TryGetValue(list, out var on)) pathsOf[list] = on = new List<int>();
                    if (on.Count == 0 || on[on.Count - 1] != p) on.Add(p);
                }
            }
            bool changed = true;
            while (changed)
            {
                changed = false;
                var read = new List<HashSet<ValueId>>();
                foreach (var path in paths)
                {
                    var reads = new HashSet<ValueId>();
                    foreach (var list in path)
                    {
                        foreach (var statement in list)
                        {
                            switch (statement)
                            {
                                case AccumulateStatement a: AdjointReads(a.Value, reads); break;
                                case SetStatement set: AdjointReads(set.Value, reads); break;
                                case TempStatement t: AdjointReads(t.Value, reads); break;
                                case ShadowStatement sh: AdjointReads(sh.Value, reads); break;
                                case BackwardCallStatement c:
                                    AdjointReads(c.Seed, reads);
                                    foreach (var adjoint in c.Adjoints) if (adjoint is { } v) reads.Add(v);
                                    break;
                            }
                        }
                    }
                    read.Add(reads);
                }
                foreach (var entry in pathsOf)
                {
                    var list = entry.Key;
                    for (int i = 0; i < list.Count; i++)
                    {
                        // A loop's carried adjoint is read when it moves to the values its iteration yielded; one that
                        // never moves anywhere (a local overwritten by constants) is as dead as any other.
                        ValueId? target = list[i] switch { AccumulateStatement a => a.Target, SetStatement set => set.Target, _ => null };
                        if (target is not { } t || keep.Contains(t) || entry.Value.Any(p => read[p].Contains(t))) continue;
                        list[i] = new NopStatement();
                        changed = true;
                    }
                }
            }
        }

        /// <summary>
        /// The ways through a body from <paramref name="start"/>, each as the statement lists (nested ones included) of
        /// the reverse nodes on it, after <paramref name="prefix"/>.
        /// </summary>
        private static List<List<List<AdjointStatement>>> Paths(List<BodyNode> nodes, int start, List<List<AdjointStatement>> prefix)
        {
            var current = new List<List<AdjointStatement>>(prefix);
            for (int i = start; i < nodes.Count; i++)
            {
                if (nodes[i] is ReverseNode r) Nested(r.Statements, current);
                else if (nodes[i] is SplitNode split)
                {
                    var result = new List<List<List<AdjointStatement>>>();
                    foreach (var side in new[] { split.Then, split.Else })
                    {
                        foreach (var path in Paths(side, 0, current)) result.AddRange(Paths(nodes, i + 1, path));
                    }
                    return result;
                }
            }
            return new List<List<List<AdjointStatement>>> { current };

            static void Nested(List<AdjointStatement> list, List<List<AdjointStatement>> into)
            {
                into.Add(list);
                foreach (var statement in list)
                {
                    if (statement is BranchStatement b) { Nested(b.Then, into); Nested(b.Else, into); }
                    else if (statement is LoopStatement l) Nested(l.Body, into);
                }
            }
        }

        /// <summary>The adjoint variables an expression reads.</summary>
        public static void AdjointReads(Expr expr, HashSet<ValueId> into)
        {
            switch (expr)
            {
                case AdjointExpr a: into.Add(a.Value); break;
                case NegateExpr n: AdjointReads(n.Operand, into); break;
                case BinaryExpr b: AdjointReads(b.Left, into); AdjointReads(b.Right, into); break;
                case MathExpr m: foreach (var arg in m.Args) AdjointReads(arg, into); break;
                case CheckedMulExpr c: AdjointReads(c.Adjoint, into); AdjointReads(c.Partial, into); break;
                case CheckedDivExpr c: AdjointReads(c.Adjoint, into); AdjointReads(c.Divisor, into); break;
                case ConditionalExpr c: AdjointReads(c.Condition, into); AdjointReads(c.WhenTrue, into); AdjointReads(c.WhenFalse, into); break;
                case ConvertExpr c: AdjointReads(c.Operand, into); break;
            }
        }

        /// <summary>The value whose adjoint variable holds this value's adjoint (a carried value's is its loop output's).</summary>
        private ValueId Canon(ValueId value) => _aliases.TryGetValue(value, out var target) ? target : value;

        private List<BodyNode> BuildPath(Block block, List<Block> enclosing)
        {
            var nodes = new List<BodyNode> { new PrimalNode(block) };
            switch (block.Terminator)
            {
                case ReturnTerminator ret:
                    var scope = new Scope(new HashSet<ValueId>());
                    var statements = new List<AdjointStatement>();
                    _restoredParameters.Clear();
                    string? comment = null;
                    if (ret.Value is { } value && IsActive(value))
                    {
                        comment = ret.Origin;
                        statements.Add(new CommentStatement(comment));
                        Add(value, new SeedExpr(), statements, scope);
                    }
                    comment = ReverseInstructions(block.Instructions, statements, scope, comment);
                    for (int i = enclosing.Count - 1; i >= 0; i--) comment = ReverseInstructions(enclosing[i].Instructions, statements, scope, comment);
                    if (_restoredParameters.Count > 0)
                    {
                        statements.InsertRange(0, _restoredParameters.Select(p => new FinalContentsStatement(p, Save: true)));
                        statements.AddRange(Enumerable.Reverse(_restoredParameters).Select(p => new FinalContentsStatement(p, Save: false)));
                        foreach (var p in _restoredParameters) if (!_finalContents.Contains(p)) _finalContents.Add(p);
                    }
                    if (statements.Count > 0) nodes.Add(new ReverseNode(statements));
                    nodes.Add(new ReturnNode(ret.Value, _function.Parameters
                        .Where(p => p.Active && !p.Type.IsBuffer() && !scope.Declared.Contains(p.Value)).Select(p => p.Value).ToList()));
                    break;

                case SplitTerminator split:
                    var inner = new List<Block>(enclosing) { block };
                    nodes.Add(new SplitNode(split.Condition, BuildPath(split.Then, inner), BuildPath(split.Else, inner)));
                    break;
            }
            return nodes;
        }

        /// <summary>The adjoints declared so far in the C# scope being written.</summary>
        private sealed class Scope
        {
            public Scope(HashSet<ValueId> declared, HashSet<ValueId>? reassign = null)
            {
                Declared = declared;
                Reassign = reassign ?? new HashSet<ValueId>();
            }

            public HashSet<ValueId> Declared { get; }

            /// <summary>Carried adjoints declared outside this reverse iteration: their first write here assigns.</summary>
            public HashSet<ValueId> Reassign { get; }

            public Scope Nested() => new Scope(new HashSet<ValueId>(Declared), new HashSet<ValueId>(Reassign));
        }

        private bool IsActive(ValueId value) => _activity.IsActive(value);

        /// <summary>
        /// True once the adjoint has been written in this scope. Parameter adjoints count too: their first
        /// write on a path assigns in Gradient (its out parameters) and adds in Backward.
        /// </summary>
        private bool HasAdjoint(ValueId value, Scope scope) => scope.Declared.Contains(Canon(value));

        /// <summary>dv += e (declaring dv on its first contribution).</summary>
        private void Add(ValueId target, Expr value, List<AdjointStatement> into, Scope scope)
        {
            if (!IsActive(target) || _constants.Contains(target)) return;
            target = Canon(target);
            if (MayBeZero(value)) _mayBeZero.Add(target);
            if (value is AdjointExpr { Value: var same } && same == target) return; // s = s + t shares s's adjoint
            bool declare = !HasAdjoint(target, scope);
            if (declare) scope.Declared.Add(target);
            // A second contribution in the same base adjoint as the first, in the same block, merges with it:
            // dX = dB * (c1 + c2), one multiply on the adjoint's chain instead of a multiply and an add.
            if (!declare && _firstWrite.TryGetValue(target, out var first) && ReferenceEquals(first.List, into) &&
                Split(first.Value) is { } a && Split(value) is { } b && SameBase(a.Base, b.Base))
            {
                var merged = new BinaryExpr(BinaryOp.Multiply, a.Base, new BinaryExpr(BinaryOp.Add, a.Coefficient, b.Coefficient));
                var old = (AccumulateStatement)first.Statement;
                var replacement = old with { Value = merged };
                for (int i = 0; i < into.Count; i++)
                {
                    if (ReferenceEquals(into[i], old)) into[i] = replacement;
                }
                _firstWrite[target] = (merged, into, replacement);
                if (_single.ContainsKey(target)) _single[target] = (merged, into, replacement);
                return;
            }
            var statement = new AccumulateStatement(target, value, declare) { Reassign = declare && scope.Reassign.Contains(target) };
            if (declare) _firstWrite[target] = (value, into, statement);
            else _firstWrite.Remove(target);
            if (declare && !scope.Reassign.Contains(target)) _single[target] = (value, into, statement);
            else _single.Remove(target);
            into.Add(statement);
        }

        /// <summary>Makes sure dv exists in this scope (as zero), for a branch or a ref argument to write into.</summary>
        private void Declare(ValueId target, List<AdjointStatement> into, Scope scope, bool mayStayZero = false)
        {
            if (_constants.Contains(target)) return;
            target = Canon(target);
            if (mayStayZero) _mayBeZero.Add(target);
            if (HasAdjoint(target, scope)) return;
            scope.Declared.Add(target);
            _single.Remove(target);
            _firstWrite.Remove(target);
            into.Add(new AccumulateStatement(target, new LiteralExpr(0), Declare: true) { Reassign = scope.Reassign.Contains(target) });
        }

        private Expr Adjoint(ValueId value) => new AdjointExpr(Canon(value));

        // Adjoints written exactly once so far, with the value written: dT = dB * c.
        private readonly Dictionary<ValueId, (Expr Value, List<AdjointStatement> List, AdjointStatement Statement)> _firstWrite =
            new Dictionary<ValueId, (Expr, List<AdjointStatement>, AdjointStatement)>();

        private readonly Dictionary<ValueId, (Expr Value, List<AdjointStatement> List, AdjointStatement Statement)> _single =
            new Dictionary<ValueId, (Expr, List<AdjointStatement>, AdjointStatement)>();

        /// <summary>
        /// The adjoint of <paramref name="result"/> as a multiple of another, when it got exactly one contribution
        /// of the form <c>dB</c>, <c>dB * c</c> or their negation (c over primal values only) and dB can no longer
        /// change. Reversing its definition then multiplies the coefficients first (<c>dB * (c * partial)</c>),
        /// which takes the adjoint temporaries off the loop-carried chain of a reverse loop: in
        /// <c>x += h * (a - x * x)</c> the carried adjoint goes through one multiply-add per iteration, not four
        /// operations in a row. Null when that does not hold.
        /// </summary>
        private Expr? Linear(ValueId result)
        {
            if (Canon(result) != result || _parameterValues.Contains(result) || _aliases.ContainsValue(result)) return null;
            if (!_single.TryGetValue(result, out var single) || !IsLinear(single.Value)) return null;
            // Its one write is folded into the uses: the declaration goes (kept in place, so indices hold).
            for (int i = 0; i < single.List.Count; i++)
            {
                if (ReferenceEquals(single.List[i], single.Statement)) single.List[i] = new NopStatement();
            }
            _single.Remove(result);
            return single.Value;
        }

        /// <summary>A linear contribution as base adjoint × coefficient (the coefficient over primal values), or null.</summary>
        private (Expr Base, Expr Coefficient)? Split(Expr expr)
        {
            if (!IsLinear(expr)) return null;
            switch (expr)
            {
                case AdjointExpr or SeedExpr: return (expr, new LiteralExpr(1));
                case NegateExpr n when Split(n.Operand) is { } inner: return (inner.Base, Negate(inner.Coefficient));
                case BinaryExpr { Op: BinaryOp.Multiply } m when Split(m.Left) is { } left: return (left.Base, left.Coefficient is LiteralExpr { Value: 1 } ? m.Right : new BinaryExpr(BinaryOp.Multiply, left.Coefficient, m.Right));
                default: return null;
            }
        }

        private static Expr Negate(Expr coefficient) => coefficient switch
        {
            LiteralExpr l => new LiteralExpr(-l.Value),
            NegateExpr n => n.Operand,
            _ => new NegateExpr(coefficient),
        };

        private static bool SameBase(Expr a, Expr b) => (a, b) switch
        {
            (SeedExpr, SeedExpr) => true,
            (AdjointExpr x, AdjointExpr y) => x.Value == y.Value,
            _ => false,
        };

        private bool IsLinear(Expr expr) => expr switch
        {
            SeedExpr => true,
            AdjointExpr a => IsStableAdjoint(a.Value),
            NegateExpr n => IsLinear(n.Operand),
            BinaryExpr { Op: BinaryOp.Multiply } b => IsLinear(b.Left) && IsPrimal(b.Right),
            _ => false,
        };

        /// <summary>An adjoint variable nothing writes again: not a parameter's, not a loop's carried one.</summary>
        private bool IsStableAdjoint(ValueId value) =>
            Canon(value) == value && !_parameterValues.Contains(value) && !_aliases.ContainsValue(value) && !_aliases.ContainsKey(value);

        private static bool IsPrimal(Expr expr) => expr switch
        {
            ValueExpr or ResultExpr or LiteralExpr => true,
            NegateExpr n => IsPrimal(n.Operand),
            BinaryExpr b => IsPrimal(b.Left) && IsPrimal(b.Right),
            MathExpr m => m.Args.All(IsPrimal),
            ConditionalExpr c => IsPrimal(c.Condition) && IsPrimal(c.WhenTrue) && IsPrimal(c.WhenFalse),
            _ => false,
        };

        private bool IsBuffer(ValueId value) => _function.TypeOf(value).IsBuffer();

        /// <summary>True when the buffer's memory has an adjoint (its root is an active parameter or a local an active value reaches).</summary>
        private bool HasShadow(ValueId buffer) => _activity.IsVaried(_activity.Roots.RootOf(buffer));

        /// <summary>
        /// The contribution adjoint × partial, simplified for ±1, and checked (<c>Grad.Mul</c>) when the rule
        /// is and the partial can be infinite or NaN: it divides, calls a function or reuses the result.
        /// A partial made of +, -, * over finite values (2 * x for Pow(x, 2)) is finite and needs no check.
        /// </summary>
        private Expr Times(Expr adjoint, Expr partial, bool isChecked) => partial switch
        {
            LiteralExpr { Value: 1 } => adjoint,
            LiteralExpr { Value: -1 } => Negated(adjoint),
            ConditionalExpr c => new ConditionalExpr(c.Condition, Times(adjoint, c.WhenTrue, isChecked), Times(adjoint, c.WhenFalse, isChecked)),
            LiteralExpr { Value: 0 } => partial,
            _ when isChecked && MayBeNonFinite(partial) => new CheckedMulExpr(adjoint, partial),
            // An adjoint that a Min, Max, ?: or if may have routed elsewhere (zero) meets a partial that may be
            // infinite (a primal value that overflowed): checked, so 0 · ∞ gives 0.
            LiteralExpr => Plain(adjoint, partial),
            ValueExpr v when _literals.TryGetValue(v.Value, out double literal) && !double.IsInfinity(literal) && !double.IsNaN(literal) => Plain(adjoint, partial),
            _ when MayBeZero(adjoint) => new CheckedMulExpr(adjoint, partial),
            _ => Plain(adjoint, partial),
        };

        private static Expr Plain(Expr adjoint, Expr partial) => partial switch
        {
            // dB * c times p is dB * (c * p): the coefficients multiply off the adjoint's chain.
            _ => adjoint switch
            {
                BinaryExpr { Op: BinaryOp.Multiply } m when IsCoefficientForm(m) => new BinaryExpr(BinaryOp.Multiply, m.Left, new BinaryExpr(BinaryOp.Multiply, m.Right, partial)),
                NegateExpr { Operand: var inner } when inner is AdjointExpr or SeedExpr => new BinaryExpr(BinaryOp.Multiply, inner, new NegateExpr(partial)),
                NegateExpr { Operand: BinaryExpr { Op: BinaryOp.Multiply } m } when IsCoefficientForm(m) =>
                    new BinaryExpr(BinaryOp.Multiply, m.Left, new NegateExpr(new BinaryExpr(BinaryOp.Multiply, m.Right, partial))),
                _ => new BinaryExpr(BinaryOp.Multiply, adjoint, partial),
            },
        };

        // Adjoints that may be zero because a Min, Max, ?: or if routed the adjoint elsewhere (or declared them as
        // zero for a branch or a loop to add into).
        private readonly HashSet<ValueId> _mayBeZero = new HashSet<ValueId>();

        // Adjoints MayBeZero answered false for, so far: if one of them turns out to be possibly zero later, the
        // reverse is built again (Build).
        private readonly HashSet<ValueId> _answeredNotZero = new HashSet<ValueId>();

        // The adjoint a loop's temporary holds (a carried adjoint moved aside for the yields).
        private readonly Dictionary<int, ValueId> _temporaryOf = new Dictionary<int, ValueId>();

        private bool AdjointMayBeZero(ValueId adjoint)
        {
            if (_mayBeZero.Contains(adjoint)) return true;
            _answeredNotZero.Add(adjoint);
            return false;
        }

        private readonly SplitChoice? _split;

        // The reverse of each branch, last built (a loop's plan puts its branches' recomputations at their start).
        private readonly Dictionary<IfInstr, BranchStatement> _branchStatements = new Dictionary<IfInstr, BranchStatement>(ReferenceComparer<IfInstr>.Instance);

        // A split form's Reverse cannot return early on a zero seed (it must pop what its Forward pushed).
        private readonly bool _seedMayBeZero;

        private readonly HashSet<CallInstr> _splitCalls;

        /// <summary>
        /// The calls that use the callee's split forms: a callee that has them (<see cref="SplitChoice.Keys"/>), called in a
        /// loop or by itself (or anywhere, in split forms), on an active result, with no constant buffer argument (those
        /// call a Backward variant).
        /// The choice depends on the call alone, never on the path, so every path's reverse pops what the forward pushed.
        /// </summary>
        private static HashSet<CallInstr> FindSplitCalls(IrFunction function, ActivityResult activity, SplitChoice? split)
        {
            var calls = new HashSet<CallInstr>(ReferenceComparer<CallInstr>.Instance);
            if (split is null || split.Keys.Count == 0) return calls;
            // Every call of a method with split forms goes through them, in a loop or not: Backward would run the callee's
            // primal again (and a caller that needs the result has already run it once), Forward and Reverse run it once.
            foreach (var call in IrFacts.AllInstructions(function.Body).OfType<CallInstr>())
            {
                if (call.Kind != CallKind.Differentiable || call.Backward is not null || call.CalleeKey is not { } key || !split.Keys.Contains(key)) continue;
                if (call.Result is not { } result || !activity.IsActive(result)) continue;
                if (ActivityVariants.Mask(call, activity, function) is not null) continue;
                calls.Add(call);
            }
            return calls;
        }

        private static bool WritesParameterBuffers(IrFunction function, ActivityResult activity) =>
            function.Parameters.Any(p => p.Type.IsBuffer() && activity.Roots.IsWritten(p.Value));

        // A method that writes a parameter buffer cannot return early on a zero seed (its buffers' adjoints come in
        // too), so its seed may be zero when it meets a partial.
        private readonly bool _writesBuffers;

        /// <summary>
        /// Whether an adjoint may be zero where it meets a partial, which then must be multiplied the checked way
        /// (0 · ∞ is 0). An element of a buffer's adjoint may always be: nothing read it after the store being
        /// reversed, or the caller passed zeros for it (a callee's Backward gets the caller's buffer adjoints, often
        /// all zero; fuzz seed 991627).
        /// </summary>
        private bool MayBeZero(Expr expr) => expr switch
        {
            ShadowExpr => true,
            SeedExpr => _writesBuffers || _seedMayBeZero,
            AdjointExpr a => AdjointMayBeZero(a.Value),
            TempExpr t => _temporaryOf.TryGetValue(t.Id, out var source) && MayBeZero(new AdjointExpr(source)),
            ConditionalExpr c => c.WhenTrue is LiteralExpr { Value: 0 } || c.WhenFalse is LiteralExpr { Value: 0 } || MayBeZero(c.WhenTrue) || MayBeZero(c.WhenFalse),
            NegateExpr n => MayBeZero(n.Operand),
            BinaryExpr b => MayBeZero(b.Left) || MayBeZero(b.Right),
            CheckedMulExpr c => MayBeZero(c.Adjoint),
            CheckedDivExpr c => MayBeZero(c.Adjoint),
            ConvertExpr c => MayBeZero(c.Operand),
            _ => false,
        };

        private static bool IsCoefficientForm(BinaryExpr m) => m.Left is AdjointExpr or SeedExpr;

        private static Expr Negated(Expr adjoint) => adjoint is NegateExpr n ? n.Operand : new NegateExpr(adjoint);

        private static bool MayBeNonFinite(Expr expr) => expr switch
        {
            BinaryExpr { Op: BinaryOp.Divide } => true,
            BinaryExpr b => MayBeNonFinite(b.Left) || MayBeNonFinite(b.Right),
            NegateExpr n => MayBeNonFinite(n.Operand),
            LiteralExpr l => double.IsNaN(l.Value) || double.IsInfinity(l.Value),
            ValueExpr => false,
            _ => true,
        };

        /// <summary>Reverses instructions last to first; returns the last comment written, so a statement is named once.</summary>
        private string? ReverseInstructions(EquatableArray<Instruction> instructions, List<AdjointStatement> into, Scope scope, string? lastComment)
        {
            for (int i = instructions.Count - 1; i >= 0; i--)
            {
                var instruction = instructions[i];
                int before = into.Count;
                if (instruction.Origin != lastComment) into.Add(new CommentStatement(instruction.Origin));
                Reverse(instruction, into, scope);
                if (into.Count == before + 1 && instruction.Origin != lastComment)
                    into.RemoveAt(before); // nothing to reverse: no comment either
                else if (into.Count > before)
                    lastComment = instruction.Origin;
            }
            return lastComment;
        }

        private void Reverse(Instruction instruction, List<AdjointStatement> into, Scope scope)
        {
            if (_fused.Contains(instruction)) return; // the load and the sum of an in-place update: its store did it all
            switch (instruction)
            {
                case IfInstr branch:
                    ReverseBranch(branch, into, scope);
                    return;
                case LoopInstr loop:
                    ReverseLoop(loop, into, scope);
                    return;
                case StoreInstr store when _inPlace.TryGetValue(store, out var update):
                    // w[i] += e: e gets w's adjoint at i, which stays (it is also the old contents' adjoint).
                    if (!HasShadow(store.Buffer)) return;
                    Expr element = new ShadowExpr(store.Buffer, store.Index);
                    Add(update.Other, update.Subtract ? new NegateExpr(element) : element, into, scope);
                    return;
                case StoreInstr store:
                    // y[i] = v: v gets y's adjoint at i, which the store consumed (the old contents are gone).
                    if (!HasShadow(store.Buffer)) return;
                    Add(store.Value, new ShadowExpr(store.Buffer, store.Index), into, scope);
                    into.Add(new ShadowStatement(store.Buffer, store.Index, new LiteralExpr(0), Assign: true));
                    return;
                case CallInstr { Kind: CallKind.Differentiable } call when call.Result is null || !HasAdjoint(call.Result.Value, scope) || !IsActive(call.Result.Value):
                    // A call whose result needs no adjoint can still write active buffers. A split call's Reverse pops
                    // what its Forward pushed, so it runs on every path, with a zero seed where nothing needs its result.
                    if (WritesActiveMemory(call) || _splitCalls.Contains(call)) ReverseCall(call, new LiteralExpr(0), into, scope);
                    return;
            }
            var result = IrFacts.Definitions(instruction).FirstOrDefault();
            if (!IrFacts.Definitions(instruction).Any() || !IsActive(result) || !HasAdjoint(result, scope)) return;
            Expr dy = Linear(result) ?? Adjoint(result);
            switch (instruction)
            {
                case UnaryInstr { Op: UnaryOp.Negate } u:
                    Add(u.Operand, new NegateExpr(dy), into, scope);
                    break;

                case BinaryInstr b:
                    ReverseBinary(b, dy, into, scope);
                    break;

                case ConvertInstr c when _function.TypeOf(c.Operand).IsFloating():
                    Add(c.Operand, new ConvertExpr(dy, _function.TypeOf(c.Result)), into, scope);
                    break;

                case LoadInstr load when HasShadow(load.Buffer):
                    // t = w[i]: dW[i] += dt
                    into.Add(new ShadowStatement(load.Buffer, load.Index, dy, Assign: false));
                    break;

                case IntrinsicInstr call:
                    var rule = DerivativeRules.Find(call.Function, call.Args.Count)!;
                    var args = call.Args.Select(Operand).ToArray();
                    for (int k = 0; k < rule.Partials.Length; k++)
                    {
                        if (!IsActive(call.Args[k])) continue;
                        var partial = rule.Partials[k](args, new ResultExpr(call.Result));
                        if (partial is not null && _siblings[call].Count > 1) partial = ReuseSiblings(partial, _siblings[call]);
                        if (partial is not null) Add(call.Args[k], Times(dy, partial, rule.Checked), into, scope);
                    }
                    break;

                case CallInstr { Kind: CallKind.Differentiable } call:
                    ReverseCall(call, dy, into, scope);
                    break;
            }
        }

        private bool WritesActiveMemory(CallInstr call)
        {
            for (int k = 0; k < call.Args.Count; k++)
            {
                if (call.ActiveParameters[k] && IsBuffer(call.Args[k]) && HasShadow(call.Args[k])) return true;
            }
            return false;
        }

        /// <summary>Callee.MBackward(args, seed, adjoints): scalar adjoints by ref (declared first), buffer adjoints as shadows.</summary>
        private void ReverseCall(CallInstr call, Expr seed, List<AdjointStatement> into, Scope scope)
        {
            var adjoints = new ValueId?[call.Args.Count];
            for (int k = 0; k < call.Args.Count; k++)
            {
                if (!call.ActiveParameters[k]) continue;
                if (IsBuffer(call.Args[k]))
                {
                    if (HasShadow(call.Args[k])) adjoints[k] = call.Args[k];
                    continue;
                }
                if (!IsActive(call.Args[k]) || _constants.Contains(call.Args[k])) continue;
                Declare(call.Args[k], into, scope, mayStayZero: true); // the callee may route its seed elsewhere
                adjoints[k] = Canon(call.Args[k]);
                // The callee adds into it by ref: it is no longer a single contribution to fold into its uses (L).
                _single.Remove(adjoints[k]!.Value);
                _firstWrite.Remove(adjoints[k]!.Value);
            }
            // Buffers go back to their contents at the call, since the callee's Backward runs it again: the ones
            // the call may write, and the ones it reads that something after it may write.
            var written = new List<ValueId>();
            for (int k = 0; k < call.Args.Count; k++)
            {
                if (!IsBuffer(call.Args[k]) || !_activity.Roots.IsWritten(call.Args[k])) continue;
                bool callWrites = call.WritableParameters.Count > k && call.WritableParameters[k];
                if (callWrites || _activity.Roots.IsWrittenAfter(_function.Body, call, call.Args[k])) written.Add(call.Args[k]);
            }
            if (written.Count > 0)
            {
                if (!_snapshots.ContainsKey(call)) _snapshots[call] = written;
                foreach (var buffer in written)
                {
                    var root = _activity.Roots.RootOf(buffer);
                    if (_parameterValues.Contains(root) && !_restoredParameters.Contains(root)) _restoredParameters.Add(root);
                }
                for (int k = written.Count - 1; k >= 0; k--) into.Add(new RestoreStatement(written[k]));
            }
            into.Add(new BackwardCallStatement(call, seed, adjoints) { Split = _splitCalls.Contains(call) });
        }

        /// <summary>True when a block stores into active memory or calls something that writes it (so its reverse has work without any active output).</summary>
        private bool HasActiveLoop(Block block) => IrFacts.AllInstructions(block).Any(i => i is LoopInstr l && HasReverse(l));

        // A split call counts as one: its Reverse must run wherever its Forward did.
        private bool HasMemoryEffects(Block block) => IrFacts.AllInstructions(block).Any(i => i switch
        {
            StoreInstr s => HasShadow(s.Buffer),
            CallInstr { Kind: CallKind.Differentiable } c => WritesActiveMemory(c) || _splitCalls.Contains(c),
            _ => false,
        });

        private void ReverseBinary(BinaryInstr b, Expr dy, List<AdjointStatement> into, Scope scope)
        {
            Expr left = new ValueExpr(b.Left), right = new ValueExpr(b.Right);
            switch (b.Op)
            {
                case BinaryOp.Add:                        // y = l + r     dl += dy;  dr += dy
                    Add(b.Left, dy, into, scope);
                    Add(b.Right, dy, into, scope);
                    break;
                case BinaryOp.Subtract:                   // y = l - r     dl += dy;  dr -= dy
                    Add(b.Left, dy, into, scope);
                    Add(b.Right, new NegateExpr(dy), into, scope);
                    break;
                case BinaryOp.Multiply when b.Left == b.Right:  // y = x * x     dx += dy * 2x
                    Add(b.Left, Times(dy, new BinaryExpr(BinaryOp.Multiply, new LiteralExpr(2), left), false), into, scope);
                    break;
                case BinaryOp.Multiply:                   // y = l * r     dl += dy * r;  dr += dy * l
                    Add(b.Left, Times(dy, right, false), into, scope);
                    Add(b.Right, Times(dy, left, false), into, scope);
                    break;
                case BinaryOp.Divide:                     // y = l / r     dl += dy / r;  dr -= dy * y / r
                    // Checked unless r is a nonzero literal: a zero adjoint over a zero r, or times an infinite y, is zero.
                    if (_literals.TryGetValue(b.Right, out double divisor) && divisor != 0 && !double.IsNaN(divisor))
                    {
                        Add(b.Left, new BinaryExpr(BinaryOp.Divide, dy, Operand(b.Right)), into, scope);
                        Add(b.Right, new NegateExpr(new BinaryExpr(BinaryOp.Divide, new BinaryExpr(BinaryOp.Multiply, dy, new ValueExpr(b.Result)), Operand(b.Right))), into, scope);
                    }
                    else
                    {
                        Add(b.Left, new CheckedDivExpr(dy, right), into, scope);
                        Add(b.Right, new NegateExpr(new CheckedMulExpr(dy, new BinaryExpr(BinaryOp.Divide, new ValueExpr(b.Result), right))), into, scope);
                    }
                    break;
                case BinaryOp.Remainder:                  // y = l - trunc(l / r) * r     dl += dy;  dr -= dy * trunc(l / r)
                    Add(b.Left, dy, into, scope);
                    Add(b.Right, new NegateExpr(Times(dy, new MathExpr("Truncate", new Expr[] { new BinaryExpr(BinaryOp.Divide, left, right) }), false)), into, scope);
                    break;
            }
        }

        /// <summary>
        /// Reverses a merging if: the adjoint of each output flows to the value its branch yielded, then
        /// the branch's own instructions run backwards. Adjoints of outer values the branch writes into
        /// are declared before it, so they outlive it.
        /// </summary>
        private void ReverseBranch(IfInstr branch, List<AdjointStatement> into, Scope scope)
        {
            bool anyOutput = branch.Outputs.Any(o => IsActive(o) && HasAdjoint(o, scope));
            // With more than one way through the method, a loop inside may record for the other path (its plan is shared,
            // the forward sweep pushes for every path): this path must pop those records too, so it reverses the branch
            // even when nothing it computes is needed here (fuzz seed 917256: the next loop's reverse popped them instead).
            bool mayHoldRecords = _function.Body.Terminator is SplitTerminator;
            if (!anyOutput && !HasMemoryEffects(branch.Then) && !HasMemoryEffects(branch.Else) &&
                !(mayHoldRecords && (HasActiveLoop(branch.Then) || HasActiveLoop(branch.Else)))) return;

            var inside = new HashSet<ValueId>();
            IrFacts.CollectDefinitions(branch.Then, inside);
            IrFacts.CollectDefinitions(branch.Else, inside);
            var used = new HashSet<ValueId>();
            IrFacts.CollectUses(branch.Then, used);
            IrFacts.CollectUses(branch.Else, used);
            foreach (var value in used.OrderBy(v => v.Index))
            {
                if (!inside.Contains(value) && IsActive(value) && !IsBuffer(value)) Declare(value, into, scope, mayStayZero: true);
            }

            var statement = new BranchStatement(branch.Condition,
                ReverseSide(branch, branch.Then, scope.Nested()),
                ReverseSide(branch, branch.Else, scope.Nested()));
            _branchStatements[branch] = statement;
            into.Add(statement);
        }

        private List<AdjointStatement> ReverseSide(IfInstr branch, Block side, Scope scope)
        {
            var statements = new List<AdjointStatement>();
            var yielded = ((YieldTerminator)side.Terminator).Values;
            for (int k = 0; k < branch.Outputs.Count; k++)
            {
                if (IsActive(branch.Outputs[k]) && HasAdjoint(branch.Outputs[k], scope))
                    Add(yielded[k], Adjoint(branch.Outputs[k]), statements, scope);
            }
            ReverseInstructions(side.Instructions, statements, scope, branch.Origin);
            return statements;
        }
    }
}
