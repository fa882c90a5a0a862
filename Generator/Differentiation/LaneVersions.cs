using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Differentiation
{
    /// <summary>
    /// Chooses the reverse loops that run <c>Vector&lt;T&gt;.Count</c> iterations at a time, one per lane, before a scalar
    /// loop finishes the rest.
    /// </summary>
    /// <remarks>
    /// <para>
    /// An iteration's lanes are the iterations whose counters follow it, so the reverse must not care in which order its
    /// iterations run, and each value must be an element-wise function of its iteration's elements:
    /// </para>
    /// <list type="bullet">
    /// <item>a counted, innermost loop (<c>for (i = a; i &lt; b; i++)</c> in the forward) that records at most one value
    /// per iteration (in a block, so the lanes' values are next to each other), with no branch, call or inner loop in
    /// its reverse. Checked products stay checked lane by lane (<c>Lanes.Mul</c>), except
    /// in a plain version (<see cref="FiniteVersions"/>), whose lanes multiply plainly; a loop with a plain version has
    /// lanes in it only;</item>
    /// <item>its recomputed ints are affine in the counter: each lane index moves by exactly 1 per iteration, so a lane's
    /// elements are contiguous; values the same in every iteration are broadcast;</item>
    /// <item>its floating values are loads at such indices and + − × ÷ of them (one element type);</item>
    /// <item>an adjoint of a value from outside the loop that the iteration adds to is a sum: each lane adds into its own
    /// element, and the lanes are summed after the loop. Nothing in the loop may read it. So is an element of a buffer's
    /// adjoint that every iteration adds into (<c>dX[k] += ...</c> at an index that does not move). A loop needs at least one: a
    /// scalar loop that adds into one variable waits for each add before the next, and that is what lanes remove;</item>
    /// <item>a buffer adjoint the loop both writes and reads, or assigns, is accessed at one index only, so no iteration
    /// reads what another writes. Buffers it only adds into are added in any order.</item>
    /// </list>
    /// <para>
    /// Only the sums' rounding differs from the scalar loop (the lanes' partial sums are added in another order).
    /// With the analyses off no loop runs in lanes.
    /// </para>
    /// </remarks>
    internal static class LaneVersions
    {
        public static void Plan(IrFunction function, ReverseProgram program)
        {
            if (!program.Activity.Enabled) return;
            var definitions = new Dictionary<ValueId, Instruction>();
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                foreach (var value in IrFacts.Definitions(instruction)) definitions[value] = instruction;
            }
            foreach (var statements in AdjointProgramCheck.ReverseNodes(program.Nodes))
            {
                foreach (var statement in FiniteVersions.Loops(statements))
                {
                    if (program.Plans.TryGetValue(statement.Loop, out var plan))
                        plan.Lanes = new Classifier(function, program, statement, definitions).Version();
                }
            }
        }

        private sealed class Classifier
        {
            private readonly IrFunction _function;
            private readonly ReverseProgram _program;
            private readonly LoopStatement _statement;
            private readonly Dictionary<ValueId, Instruction> _definitions;
            private readonly HashSet<ValueId> _inside = new HashSet<ValueId>();

            // Ints defined in the iteration, by how much they move per iteration (0: the same in every iteration).
            private readonly Dictionary<ValueId, int> _steps = new Dictionary<ValueId, int>();

            // Floating values defined in the iteration that the scalar code computes once for all lanes.
            private readonly HashSet<ValueId> _scalars = new HashSet<ValueId>();

            private readonly LaneVersion _version = new LaneVersion();
            private readonly List<(ValueId Root, ValueId Buffer, ValueId Index, bool Reads, bool Assigns)> _shadows =
                new List<(ValueId, ValueId, ValueId, bool, bool)>();
            private readonly HashSet<ValueId> _readAdjoints = new HashSet<ValueId>();
            private IrType? _element;

            public Classifier(IrFunction function, ReverseProgram program, LoopStatement statement, Dictionary<ValueId, Instruction> definitions)
            {
                _function = function;
                _program = program;
                _statement = statement;
                _definitions = definitions;
            }

            public LaneVersion? Version()
            {
                var loop = _statement.Loop;
                var plan = _statement.Plan;
                if (loop.Counted is not { Step: 1, Comparison: BinaryOp.Less } counted) return null;
                if (plan.SteppedInductions.Count > 0 || plan.RecordedInBranches.Count > 0) return null;
                // A recorded value is read from the loop's block, where the lanes' values are next to each other when each
                // iteration records just that one.
                if (plan.Recorded.Count > 1 || (plan.Recorded.Count == 1 && !(plan.RecordsInBlocks && Floating(plan.Recorded[0])))) return null;
                _version.Lanes.UnionWith(plan.Recorded);
                foreach (var value in IrFacts.LoopLocals(loop)) _inside.Add(value);
                IrFacts.CollectDefinitions(loop.Header, _inside);
                IrFacts.CollectDefinitions(loop.Body, _inside);

                _steps[counted.Counter] = 1;
                foreach (var induction in plan.Inductions)
                {
                    if (induction.Subtract || !IsOne(induction.Increment)) return null;
                    _steps[induction.Value] = 1;
                }
                foreach (var instruction in plan.Recompute)
                {
                    if (!Recomputed(instruction)) return null;
                }
                var declared = new HashSet<ValueId>();
                foreach (var statement in _statement.Body)
                {
                    if (!Statement(statement, declared)) return null;
                }
                // Lanes pay where the scalar loop waits on a sum: each iteration's add needs the one before, while lanes
                // keep Count sums going at once (GMM's triangle, a dot product). An element-wise loop already overlaps its
                // iterations; in lanes it gained nothing measurable and lost where its vector stores were soon read back at
                // another offset, which the store buffer cannot forward (docs/benchmarks.md).
                if (_version.Sums.Count == 0 && _version.ElementSums.Count == 0) return null;
                if (_element is not { } element || _readAdjoints.Overlaps(_version.Sums)) return null;
                foreach (var group in _shadows.GroupBy(s => s.Root))
                {
                    // A buffer adjoint only added into may be added in any order; one also read or assigned must be touched
                    // at a single index, so that each lane reads and writes only its own iteration's element.
                    bool ordered = group.Any(s => s.Assigns) || (group.Any(s => s.Reads) && group.Any(s => !s.Reads));
                    if (ordered && group.Select(s => (s.Buffer, s.Index)).Distinct().Count() > 1) return null;
                }
                _version.Element = element;
                return _version;
            }

            private bool IsOne(ValueId value) =>
                _definitions.TryGetValue(value, out var d) && d is ConstInstr c && IrFacts.TryParseNumber(c.Text, out double number) && number == 1;

            /// <summary>How much an int moves per iteration: 0 when it is the same in every iteration, null when not affine.</summary>
            private int? Step(ValueId value)
            {
                if (_steps.TryGetValue(value, out int step)) return step;
                if (!_inside.Contains(value)) return _function.TypeOf(value) == IrType.I32 ? 0 : (int?)null;
                return null;
            }

            private bool Recomputed(Instruction instruction)
            {
                switch (instruction)
                {
                    case BinaryInstr b when _function.TypeOf(b.Result) == IrType.I32:
                    {
                        if (Step(b.Left) is not { } left || Step(b.Right) is not { } right) return false;
                        int? step = b.Op switch
                        {
                            BinaryOp.Add => left + right,
                            BinaryOp.Subtract => left - right,
                            _ => left == 0 && right == 0 && !b.Op.IsComparison() ? 0 : (int?)null,
                        };
                        if (step is not { } s || s < -1 || s > 1) return false;
                        _steps[b.Result] = s;
                        return true;
                    }
                    case ConstInstr c when _function.TypeOf(c.Result) == IrType.I32 && !c.Mutable:
                        _steps[c.Result] = 0;
                        return true;
                    case LengthInstr l when !_inside.Contains(l.Buffer):
                        _steps[l.Result] = 0;
                        return true;
                    case ConstInstr c when Floating(c.Result) && !c.Mutable:
                        _scalars.Add(c.Result);
                        return true;
                    case LoadInstr l when Floating(l.Result) && !_inside.Contains(l.Buffer):
                        switch (Step(l.Index))
                        {
                            case 1: _version.Lanes.Add(l.Result); return true;
                            case 0: _scalars.Add(l.Result); return true;
                            default: return false;
                        }
                    case BinaryInstr b when Floating(b.Result) && b.Op is BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply or BinaryOp.Divide:
                        return Combine(b.Result, b.Left, b.Right);
                    case UnaryInstr u when Floating(u.Result) && u.Op is UnaryOp.Negate or UnaryOp.Plus:
                        return Combine(u.Result, u.Operand, u.Operand);
                    default:
                        return false;
                }
            }

            /// <summary>A floating value of the element type, fixing the element type at the first one.</summary>
            private bool Floating(ValueId value) => Element(_function.TypeOf(value));

            private bool Element(IrType type)
            {
                if (!type.IsFloating()) return false;
                _element ??= type;
                return _element == type;
            }

            private bool Combine(ValueId result, ValueId left, ValueId right)
            {
                if (!Available(left) || !Available(right)) return false;
                if (_version.Lanes.Contains(left) || _version.Lanes.Contains(right)) _version.Lanes.Add(result);
                else _scalars.Add(result);
                return true;
            }

            /// <summary>A floating value of the element type the iteration can read: from outside the loop, or computed in it.</summary>
            private bool Available(ValueId value) =>
                Floating(value) && (!_inside.Contains(value) || _version.Lanes.Contains(value) || _scalars.Contains(value));

            private bool Statement(AdjointStatement statement, HashSet<ValueId> declared)
            {
                switch (statement)
                {
                    case CommentStatement or NopStatement:
                        return true;
                    case AccumulateStatement a:
                        if (a.Reassign || !Element(_function.TypeOf(a.Target)) || !Expression(a.Value, declared)) return false;
                        if (a.Declare)
                        {
                            // Declared in the iteration: a value of the iteration's own, one per lane.
                            if (!_inside.Contains(a.Target) || _function.Parameters.Any(p => p.Value == a.Target)) return false;
                            declared.Add(a.Target);
                        }
                        else if (!declared.Contains(a.Target))
                        {
                            if (_inside.Contains(a.Target)) return false;
                            if (!_version.Sums.Contains(a.Target)) _version.Sums.Add(a.Target);
                        }
                        return true;
                    case TempStatement t:
                        return Element(t.Type) && Expression(t.Value, declared);
                    case ShadowStatement s:
                    {
                        bool assigns = s.Assign || _program.AssignedInGradient.Contains(s);
                        if (!assigns && !_inside.Contains(s.Buffer) && Step(s.Index) == 0)
                        {
                            // Added into one element in every iteration: a sum, added to the element after the loop.
                            _shadows.Add((_program.Activity.Roots.RootOf(s.Buffer), s.Buffer, s.Index, false, false));
                            if (!_version.ElementSums.Contains((s.Buffer, s.Index))) _version.ElementSums.Add((s.Buffer, s.Index));
                        }
                        else if (!Shadow(s.Buffer, s.Index, reads: false, assigns)) return false;
                        return Element(_function.TypeOf(s.Buffer).Element()) && Expression(s.Value, declared);
                    }
                    default:
                        return false;
                }
            }

            private bool Shadow(ValueId buffer, ValueId index, bool reads, bool assigns)
            {
                if (_inside.Contains(buffer) || Step(index) != 1) return false;
                _shadows.Add((_program.Activity.Roots.RootOf(buffer), buffer, index, reads, assigns));
                return true;
            }

            private bool Expression(Expr expr, HashSet<ValueId> declared)
            {
                switch (expr)
                {
                    case ValueExpr v: return Available(v.Value);
                    case ResultExpr r: return Available(r.Value);
                    case AdjointExpr a:
                        if (!Element(_function.TypeOf(a.Value))) return false;
                        if (!declared.Contains(a.Value))
                        {
                            if (_inside.Contains(a.Value)) return false;
                            _readAdjoints.Add(a.Value);
                        }
                        return true;
                    case ShadowExpr s: return Element(_function.TypeOf(s.Buffer).Element()) && Shadow(s.Buffer, s.Index, reads: true, assigns: false);
                    case TempExpr t: return Element(t.Type);
                    case SeedExpr or LiteralExpr: return true;
                    case NegateExpr n: return Expression(n.Operand, declared);
                    case BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract or BinaryOp.Multiply or BinaryOp.Divide } b:
                        return Expression(b.Left, declared) && Expression(b.Right, declared);
                    case CheckedMulExpr m:
                        return Expression(m.Adjoint, declared) && Expression(m.Partial, declared);
                    case CheckedDivExpr d:
                        return Expression(d.Adjoint, declared) && Expression(d.Divisor, declared);
                    default:
                        return false;
                }
            }
        }
    }
}
