using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Differentiation
{
    /// <summary>
    /// Chooses the loops whose reverse runs in two versions: one with plain multiplies, taken when some facts tested at
    /// the loop's entry hold, and the checked one otherwise.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A checked product <c>Grad.Mul(adjoint, partial)</c> differs from <c>adjoint * partial</c> only when the adjoint
    /// is zero and the partial is infinite or NaN (and in the sign of a zero). In a tight reverse loop its compare and
    /// branch cost as much as the multiply: gmm's triangular loop ran 10–15% slower checked than plain. A partial
    /// whose finiteness is known before the loop makes the product plain:
    /// </para>
    /// <list type="bullet">
    /// <item>a partial that is the same in every iteration (it reads no value the loop defines): the loop's entry tests
    /// <c>double.IsFinite(partial)</c>;</item>
    /// <item>a partial that is an element of a read-only parameter buffer (a parameter nothing in the method writes,
    /// and that the overlap checks keep apart from every written buffer): the method tests the whole buffer once per
    /// call (<c>Grad.AllFinite</c>). Only for loops inside another loop, where the loads repeat; a loop at the top
    /// level may read a few elements of a long buffer, and the test would cost more than it saves.</item>
    /// </list>
    /// <para>
    /// A loop is versioned when every checked product in its body is covered, and only an innermost loop without calls
    /// (the copy doubles its code, not that of a nest). The checked version stays for inputs that are not finite, so
    /// the contract (a zero adjoint times anything is zero) holds on every input.
    /// </para>
    /// </remarks>
    internal static class FiniteVersions
    {
        public static void Plan(IrFunction function, ReverseProgram program)
        {
            var loads = new Dictionary<ValueId, LoadInstr>();
            foreach (var load in IrFacts.AllInstructions(function.Body).OfType<LoadInstr>()) loads[load.Result] = load;
            var depth = new Dictionary<LoopInstr, int>(ReferenceComparer<LoopInstr>.Instance);
            Depths(function.Body, 0, depth);
            var parameters = new HashSet<ValueId>(function.Parameters.Select(p => p.Value));
            foreach (var statement in AdjointProgramCheck.ReverseNodes(program.Nodes).SelectMany(Loops))
            {
                if (!program.Plans.TryGetValue(statement.Loop, out var plan) || !depth.TryGetValue(statement.Loop, out int level)) continue;
                plan.Finite = Version(function, program, statement, level, loads, parameters);
            }
        }

        private static FiniteVersion? Version(IrFunction function, ReverseProgram program, LoopStatement statement, int level,
            Dictionary<ValueId, LoadInstr> loads, HashSet<ValueId> parameters)
        {
            var products = new List<(CheckedMulExpr Product, IrType Type)>();
            if (!Products(function, statement.Body, products) || products.Count == 0) return null;
            // The copy prints the loop's recomputations twice: only straight-line ones (no branch, loop, call or buffer).
            if (!statement.Plan.Recompute.All(Straight)) return null;
            var inside = new HashSet<ValueId>(IrFacts.LoopLocals(statement.Loop));
            IrFacts.CollectDefinitions(statement.Loop.Header, inside);
            IrFacts.CollectDefinitions(statement.Loop.Body, inside);
            var version = new FiniteVersion();
            foreach (var (product, type) in products)
            {
                if (Invariant(product.Partial, inside))
                {
                    if (!version.Partials.Contains((product.Partial, type))) version.Partials.Add((product.Partial, type));
                    continue;
                }
                if (level >= 2 && product.Partial is ValueExpr { Value: var value } && loads.TryGetValue(value, out var load))
                {
                    var root = program.Activity.Roots.RootOf(load.Buffer);
                    if (parameters.Contains(root) && !program.Activity.Roots.IsWritten(root))
                    {
                        if (!version.Buffers.Contains(root)) version.Buffers.Add(root);
                        continue;
                    }
                }
                return null;
            }
            return version;
        }

        /// <summary>
        /// The checked products of a loop body with their element types; false when the body has a loop, a call or a
        /// recomputation that is not straight-line.
        /// </summary>
        private static bool Products(IrFunction function, List<AdjointStatement> statements, List<(CheckedMulExpr, IrType)> into)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case LoopStatement or BackwardCallStatement: return false;
                    case BranchStatement b:
                        if (!Products(function, b.Then, into) || !Products(function, b.Else, into)) return false;
                        break;
                    case RecomputeStatement r when !r.Instructions.All(Straight): return false;
                    case AccumulateStatement a: Collect(a.Value, function.TypeOf(a.Target), into); break;
                    case SetStatement s: Collect(s.Value, function.TypeOf(s.Target), into); break;
                    case TempStatement t: Collect(t.Value, t.Type, into); break;
                    case ShadowStatement s: Collect(s.Value, function.TypeOf(s.Buffer).Element(), into); break;
                }
            }
            return true;
        }

        private static bool Straight(Instruction instruction) => instruction is not (IfInstr or LoopInstr or CallInstr or AllocInstr);

        private static void Collect(Expr expr, IrType type, List<(CheckedMulExpr, IrType)> into)
        {
            switch (expr)
            {
                case CheckedMulExpr m:
                    into.Add((m, type));
                    Collect(m.Adjoint, type, into);
                    Collect(m.Partial, type, into);
                    break;
                case CheckedDivExpr d: Collect(d.Adjoint, type, into); Collect(d.Divisor, type, into); break;
                case NegateExpr n: Collect(n.Operand, type, into); break;
                case BinaryExpr b: Collect(b.Left, type, into); Collect(b.Right, type, into); break;
                case MathExpr m: foreach (var arg in m.Args) Collect(arg, type, into); break;
                case ConditionalExpr c: Collect(c.Condition, type, into); Collect(c.WhenTrue, type, into); Collect(c.WhenFalse, type, into); break;
                case ConvertExpr c: Collect(c.Operand, c.From, into); break;
            }
        }

        /// <summary>
        /// True for a primal expression the same in every iteration of the loop: it reads no value the loop defines and
        /// no adjoint (which the loop may change).
        /// </summary>
        private static bool Invariant(Expr expr, HashSet<ValueId> inside) => expr switch
        {
            ValueExpr v => !inside.Contains(v.Value),
            ResultExpr r => !inside.Contains(r.Value),
            LiteralExpr => true,
            NegateExpr n => Invariant(n.Operand, inside),
            BinaryExpr b => Invariant(b.Left, inside) && Invariant(b.Right, inside),
            MathExpr m => m.Args.All(a => Invariant(a, inside)),
            ConditionalExpr c => Invariant(c.Condition, inside) && Invariant(c.WhenTrue, inside) && Invariant(c.WhenFalse, inside),
            ConvertExpr c => Invariant(c.Operand, inside),
            _ => false,
        };

        /// <summary>The reverse loops of a statement list, outermost first, those inside branches included.</summary>
        internal static IEnumerable<LoopStatement> Loops(List<AdjointStatement> statements)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case LoopStatement l:
                        yield return l;
                        foreach (var inner in Loops(l.Body)) yield return inner;
                        break;
                    case BranchStatement b:
                        foreach (var inner in Loops(b.Then)) yield return inner;
                        foreach (var inner in Loops(b.Else)) yield return inner;
                        break;
                }
            }
        }

        /// <summary>How many loops enclose each loop, itself included (a loop at the top level is 1).</summary>
        private static void Depths(Block block, int enclosing, Dictionary<LoopInstr, int> into)
        {
            foreach (var instruction in block.Instructions)
            {
                switch (instruction)
                {
                    case IfInstr f:
                        Depths(f.Then, enclosing, into);
                        Depths(f.Else, enclosing, into);
                        break;
                    case LoopInstr l:
                        into[l] = enclosing + 1;
                        Depths(l.Header, enclosing + 1, into);
                        Depths(l.Body, enclosing + 1, into);
                        break;
                }
            }
            if (block.Terminator is SplitTerminator s)
            {
                Depths(s.Then, enclosing, into);
                Depths(s.Else, enclosing, into);
            }
        }
    }
}
