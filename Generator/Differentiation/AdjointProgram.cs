using System.Collections.Generic;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Differentiation
{
    // The reverse sweep as the ReverseModeBuilder writes it and the emitter prints it: statements on
    // adjoint variables, with expressions over primal values. Every expression of one statement has the
    // type of the adjoint it updates.

    internal abstract record Expr;

    /// <summary>A primal value (it is still in its local when the reverse sweep runs).</summary>
    internal sealed record ValueExpr(ValueId Value) : Expr;

    /// <summary>
    /// The primal result of the instruction a rule differentiates (tanh' = 1 - y²): printed like a
    /// <see cref="ValueExpr"/>, but it may have overflowed, so a partial that reuses it is checked.
    /// </summary>
    internal sealed record ResultExpr(ValueId Value) : Expr;

    /// <summary>The adjoint of a value.</summary>
    internal sealed record AdjointExpr(ValueId Value) : Expr;

    /// <summary>An element of a buffer's adjoint: <c>dW[i]</c>.</summary>
    internal sealed record ShadowExpr(ValueId Buffer, ValueId Index) : Expr;

    /// <summary>A temporary the builder declared with <see cref="TempStatement"/>.</summary>
    internal sealed record TempExpr(int Id, IrType Type) : Expr;

    /// <summary>The seed: <c>dResult</c> in Backward, 1 in Gradient.</summary>
    internal sealed record SeedExpr : Expr;

    internal sealed record LiteralExpr(double Value) : Expr;

    internal sealed record NegateExpr(Expr Operand) : Expr;

    internal sealed record BinaryExpr(BinaryOp Op, Expr Left, Expr Right) : Expr;

    /// <summary>A math function, printed as <c>Math.F</c> or <c>MathF.F</c> by the statement's type.</summary>
    internal sealed record MathExpr(string Function, Expr[] Args) : Expr;

    /// <summary><c>Grad.Mul(adjoint, partial)</c>: zero when the adjoint is zero, whatever the partial.</summary>
    internal sealed record CheckedMulExpr(Expr Adjoint, Expr Partial) : Expr;

    /// <summary><c>Grad.Div(adjoint, divisor)</c>: zero when the adjoint is zero, whatever the divisor.</summary>
    internal sealed record CheckedDivExpr(Expr Adjoint, Expr Divisor) : Expr;

    internal sealed record ConditionalExpr(Expr Condition, Expr WhenTrue, Expr WhenFalse) : Expr;

    /// <summary>Converts an expression of <paramref name="From"/> to the statement's type.</summary>
    internal sealed record ConvertExpr(Expr Operand, IrType From) : Expr;

    internal abstract record AdjointStatement;

    /// <summary>A statement taken out after it was written (an adjoint whose only reader was folded away).</summary>
    internal sealed record NopStatement : AdjointStatement;

    /// <summary>Names the primal statement the following code reverses.</summary>
    internal sealed record CommentStatement(string Text) : AdjointStatement;

    /// <summary><c>dV = e</c> declaring dV when <paramref name="Declare"/>, else <c>dV += e</c>.</summary>
    internal sealed record AccumulateStatement(ValueId Target, Expr Value, bool Declare) : AdjointStatement
    {
        /// <summary>The first write of a carried adjoint in a reverse iteration: <c>dV = e</c> on the existing variable.</summary>
        public bool Reassign { get; init; }
    }

    /// <summary><c>dV = e</c> on an adjoint that already exists (a carried value's adjoint, reset each iteration).</summary>
    internal sealed record SetStatement(ValueId Target, Expr Value) : AdjointStatement;

    /// <summary><c>T tN = e</c>: a temporary (a carried adjoint being moved to another carried value).</summary>
    internal sealed record TempStatement(int Id, IrType Type, Expr Value) : AdjointStatement;

    /// <summary><c>dW[i] += e</c>, or <c>dW[i] = e</c> when <paramref name="Assign"/>.</summary>
    internal sealed record ShadowStatement(ValueId Buffer, ValueId Index, Expr Value, bool Assign) : AdjointStatement;

    /// <summary>
    /// Reverses a loop: iterations run last to first, each popping what the forward loop recorded and
    /// recomputing what the plan says, then running <paramref name="Body"/>.
    /// </summary>
    internal sealed record LoopStatement(LoopInstr Loop, LoopPlan Plan, List<AdjointStatement> Body) : AdjointStatement;

    /// <summary>
    /// What a loop's reverse needs from each forward iteration: <see cref="Recorded"/> values are pushed at
    /// the end of the iteration and popped (last first) at the start of its reverse; <see cref="Recompute"/>
    /// instructions of the body are run again; <see cref="NeedsTripCount"/> when the reverse counts iterations.
    /// </summary>
    internal sealed class LoopPlan
    {
        public List<ValueId> Recorded { get; } = new List<ValueId>();

        public List<Instruction> Recompute { get; } = new List<Instruction>();

        /// <summary>Carried ints that step by a loop-invariant amount: recomputed from the counter, never recorded.</summary>
        public List<Induction> Inductions { get; } = new List<Induction>();

        /// <summary>
        /// Carried ints that each iteration moves by what an inner loop added to them (<c>li</c> of a triangular loop):
        /// recomputed backwards from their value after the loop, never recorded (<see cref="SteppedInduction"/>).
        /// </summary>
        public List<SteppedInduction> SteppedInductions { get; } = new List<SteppedInduction>();

        public bool NeedsTripCount { get; set; }

        /// <summary>
        /// A counted loop with nothing else pushing on its stacks while it runs records into one block per type,
        /// pushed before it (<c>PushSpan</c>) and indexed by iteration, instead of a Push per value.
        /// </summary>
        public bool RecordsInBlocks { get; set; }

        /// <summary>
        /// Set on a counted loop whose inner loops' records have the same size in every iteration: each recording
        /// loop inside it is counted, at the top level of its parent loop's body, with a trip count computed from
        /// values defined before this loop. The whole nest can then record into one block per type, reserved before
        /// this loop (one <c>PushSpan</c> instead of one per inner loop per iteration). Whether it does is decided
        /// once every loop is planned: an enclosing loop that can take the nest in its own block does
        /// (<see cref="BlockParent"/>).
        /// </summary>
        public BlockNest? Nest { get; set; }

        /// <summary>
        /// The loop whose block this loop's block is cut from: each iteration of that loop has a segment holding its
        /// own values, then the blocks of its inner loops in body order.
        /// </summary>
        public LoopInstr? BlockParent { get; set; }

        /// <summary>
        /// Instructions inside the body's branches that the reverse runs again at the start of the same branch's reverse
        /// (<see cref="RecomputeStatement"/>), instead of recording their values: for the annotations.
        /// </summary>
        public List<Instruction> RecomputeInBranches { get; } = new List<Instruction>();

        /// <summary>
        /// Set on an innermost loop when every checked product of its reverse body (<see cref="CheckedMulExpr"/>) is
        /// the plain product once the <see cref="FiniteVersion"/>'s facts hold: the reverse tests them before the loop
        /// and runs a copy of it with plain multiplies when they do (<see cref="FiniteVersions"/>).
        /// </summary>
        public FiniteVersion? Finite { get; set; }

        /// <summary>
        /// Set on an innermost loop whose reverse iterations are independent element-wise work: the reverse runs them
        /// <c>Vector&lt;T&gt;.Count</c> at a time, one per lane, before the scalar loop does the rest (<see cref="LaneVersions"/>).
        /// When the loop has a <see cref="Finite"/> version, only its plain version has lanes.
        /// </summary>
        public LaneVersion? Lanes { get; set; }

        /// <summary>
        /// Recorded values pushed at the end of one side of a branch of the body, and popped at the start of that side's
        /// reverse (<see cref="PopStatement"/>), instead of at the end of every iteration: the reverse reads them only
        /// there. Not in <see cref="Recorded"/>.
        /// </summary>
        public List<BranchRecords> RecordedInBranches { get; } = new List<BranchRecords>();
    }

    /// <summary>The values one side of a branch inside a loop body pushes as it ends, in push order.</summary>
    internal sealed class BranchRecords
    {
        public BranchRecords(IfInstr branch, bool then)
        {
            Branch = branch;
            Then = then;
        }

        public IfInstr Branch { get; }

        public bool Then { get; }

        public List<ValueId> Values { get; } = new List<ValueId>();
    }

    /// <summary>
    /// What makes a loop's checked products plain: each partial in <see cref="Partials"/> (the same in every
    /// iteration) is finite, and so is every element of each buffer in <see cref="Buffers"/> (read-only parameters,
    /// tested once per call).
    /// </summary>
    internal sealed class FiniteVersion
    {
        public List<(Expr Partial, IrType Type)> Partials { get; } = new List<(Expr, IrType)>();

        public List<ValueId> Buffers { get; } = new List<ValueId>();
    }

    /// <summary>
    /// What a loop's lanes hold: <see cref="Lanes"/> are the primal values of the iteration that differ from lane to lane
    /// (a <c>Vector&lt;T&gt;</c> each; the iteration's other values are the same in every lane and broadcast where a lane
    /// value meets them), <see cref="Sums"/> the adjoints of values from outside the loop that each lane adds into
    /// separately, summed across lanes after the loop, and <see cref="ElementSums"/> likewise for buffer adjoint elements.
    /// </summary>
    internal sealed class LaneVersion
    {
        public IrType Element { get; set; }

        public HashSet<ValueId> Lanes { get; } = new HashSet<ValueId>();

        public List<ValueId> Sums { get; } = new List<ValueId>();

        /// <summary>
        /// The elements of buffer adjoints (buffer, index) that every iteration adds into at the same index: summed across
        /// lanes like <see cref="Sums"/>, and added to the element after the loop.
        /// </summary>
        public List<(ValueId Buffer, ValueId Index)> ElementSums { get; } = new List<(ValueId, ValueId)>();
    }

    /// <summary>The loops whose records go in one block with their outermost loop's, outermost first, in body order.</summary>
    internal sealed class BlockNest
    {
        public BlockNest(List<NestedLoop> members) => Members = members;

        public List<NestedLoop> Members { get; }

        /// <summary>The values the sizes read: defined before the nest, so available where the block is reserved and popped.</summary>
        public IEnumerable<ValueId> Leaves
        {
            get
            {
                var leaves = new List<ValueId>();
                foreach (var member in Members)
                {
                    member.Start.CollectLeaves(leaves);
                    member.Bound.CollectLeaves(leaves);
                }
                return leaves;
            }
        }
    }

    /// <summary>A loop inside a nest: its parent loop in the nest, and its bounds in values defined before the nest.</summary>
    internal sealed record NestedLoop(LoopInstr Loop, LoopInstr Parent, Available Start, Available Bound, BinaryOp Comparison);

    /// <summary>An int computed from values defined before a loop nest (a value, a constant, a length, + − ×).</summary>
    internal abstract record Available
    {
        public void CollectLeaves(List<ValueId> into)
        {
            switch (this)
            {
                case AvailableValue v: into.Add(v.Value); break;
                case AvailableLength l: into.Add(l.Buffer); break;
                case AvailableBinary b: b.Left.CollectLeaves(into); b.Right.CollectLeaves(into); break;
            }
        }
    }

    internal sealed record AvailableValue(ValueId Value) : Available;

    /// <summary>A literal or a constant that cannot change, in C# form.</summary>
    internal sealed record AvailableText(string Text) : Available;

    internal sealed record AvailableLength(ValueId Buffer) : Available;

    internal sealed record AvailableBinary(BinaryOp Op, Available Left, Available Right) : Available;

    /// <summary>
    /// Runs pure instructions of a branch of a loop's body again, at the start of that branch's reverse, where the same
    /// condition holds as when the forward iteration ran them (so a load is in range, a division by an int is not by
    /// zero, exactly as in the forward).
    /// </summary>
    internal sealed record RecomputeStatement(List<Instruction> Instructions) : AdjointStatement;

    /// <summary>
    /// Pops, last first, the values the same side of the branch pushed as it ended in the forward iteration
    /// (<see cref="LoopPlan.RecordedInBranches"/>): the first statement of that side's reverse.
    /// </summary>
    internal sealed record PopStatement(List<ValueId> Values) : AdjointStatement;

    /// <summary>
    /// A carried int of a counted loop that every iteration changes by the same amount (<c>li++</c>,
    /// <c>k += stride</c>): in the iteration whose counter is <c>i</c> it is
    /// <c>Initial ± (i − start)·step·Increment</c>, so the reverse computes it from the counter.
    /// </summary>
    internal sealed record Induction(ValueId Value, ValueId Initial, ValueId Increment, bool Subtract)
    {
        public System.Collections.Generic.IEnumerable<ValueId> Operands => new[] { Initial, Increment };
    }

    /// <summary>
    /// A carried int whose next value is what a counted inner loop at the top level of the body leaves in it, where that
    /// loop starts it at the carried value and changes it by the same amount each iteration (<c>li++</c> in
    /// <c>for (row = col + 1; row &lt; d; row++)</c>): each iteration moves it by the inner loop's trip count times
    /// <see cref="Increment"/>. Integer addition undoes exactly (wrapping included), so the reverse starts from the value
    /// after the loop (<see cref="Final"/>) and takes each iteration's step off as it goes back.
    /// </summary>
    internal sealed record SteppedInduction(ValueId Value, ValueId Final, CountedLoop Inner, ValueId Increment, bool Subtract)
    {
        /// <summary>What the reverse iteration reads: the value after the loop (before the first reverse iteration) and the step's parts.</summary>
        public System.Collections.Generic.IEnumerable<ValueId> Operands => new[] { Final, Inner.Start, Inner.Bound, Increment };
    }

    /// <summary>
    /// Puts back the contents a buffer had when a call that writes it ran (the forward sweep pushed them),
    /// so the callee's Backward, which runs the callee again, starts from the same memory.
    /// </summary>
    internal sealed record RestoreStatement(ValueId Buffer) : AdjointStatement;

    /// <summary>
    /// Saves (<paramref name="Save"/>) a parameter buffer's contents as the primal left them, before the
    /// reverse sweep puts it back for a call's Backward, and restores them after the sweep: a written
    /// parameter ends with the primal's results whatever the calls' Backwards did to it.
    /// </summary>
    internal sealed record FinalContentsStatement(ValueId Buffer, bool Save) : AdjointStatement;

    /// <summary>Reverses a merging branch: the same condition picks the same side.</summary>
    internal sealed record BranchStatement(ValueId Condition, List<AdjointStatement> Then, List<AdjointStatement> Else) : AdjointStatement;

    /// <summary>
    /// <c>Callee.MBackward(args, seed, ref adjoints)</c>; a null adjoint is a parameter whose argument is
    /// inactive here, passed a scratch variable.
    /// </summary>
    internal sealed record BackwardCallStatement(CallInstr Call, Expr Seed, ValueId?[] Adjoints) : AdjointStatement
    {
        /// <summary><c>Callee.MReverse(args, seed, adjoints, stacks)</c>: the reverse half of a split call (<see cref="ReverseProgram.SplitCalls"/>).</summary>
        public bool Split { get; init; }
    }
}
