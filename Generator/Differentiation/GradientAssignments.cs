using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Differentiation
{
    /// <summary>
    /// For <c>Gradient</c> only: the span adjoints whose every element is written exactly once, by one statement of one
    /// reverse loop over the whole buffer. <c>Gradient</c> overwrites its adjoint spans, so those need no clearing
    /// first, and that statement assigns (<c>dW[i] = e</c>) instead of adding. <c>Backward</c> adds, as always.
    /// </summary>
    internal static class GradientAssignments
    {
        public static void Find(IrFunction function, ReverseProgram program)
        {
            if (program.Nodes.Any(n => n is SplitNode)) return; // one path only: every return runs the loop
            var definition = new Dictionary<ValueId, Instruction>();
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
                foreach (var d in IrFacts.Definitions(instruction)) definition[d] = instruction;
            var roots = program.Activity.Roots;
            var top = program.Nodes.OfType<ReverseNode>().SelectMany(r => r.Statements).ToList();
            foreach (var parameter in function.Parameters.Where(p => p.Active && p.Type.IsBuffer()))
            {
                if (roots.IsWritten(parameter.Value)) continue;
                var uses = new List<(AdjointStatement Statement, LoopStatement? Loop)>();
                bool other = false;
                CollectShadowUses(function, roots, top, parameter.Value, null, uses, ref other);
                if (other || uses.Count != 1 || uses[0].Loop is not { } loop || uses[0].Statement is not ShadowStatement shadow) continue;
                if (shadow.Assign || loop.Loop.Counted is not { } counted || shadow.Index != counted.Counter) continue;
                if (!top.Contains(loop) || !loop.Body.Contains(shadow) || !CoversWholeBuffer(definition, counted, parameter.Value)) continue;
                program.AssignedInGradient.Add(shadow);
                program.UnclearedInGradient.Add(parameter.Value);
            }
        }

        private static void CollectShadowUses(IrFunction function, BufferRoots roots, IEnumerable<AdjointStatement> statements, ValueId buffer,
            LoopStatement? loop, List<(AdjointStatement, LoopStatement?)> uses, ref bool other)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case ShadowStatement s when roots.RootOf(s.Buffer) == buffer:
                        if (s.Buffer != buffer) other = true;
                        uses.Add((s, loop));
                        break;
                    case BackwardCallStatement c when c.Call.Args.Any(a => function.TypeOf(a).IsBuffer() && roots.RootOf(a) == buffer):
                        other = true;
                        break;
                    case BranchStatement b:
                        CollectShadowUses(function, roots, b.Then, buffer, loop, uses, ref other);
                        CollectShadowUses(function, roots, b.Else, buffer, loop, uses, ref other);
                        break;
                    case LoopStatement l:
                        // Uses are attributed to the outermost loop; only one directly in its body runs once per element.
                        CollectShadowUses(function, roots, l.Body, buffer, loop ?? l, uses, ref other);
                        break;
                }
            }
        }

        /// <summary><c>for (i = 0; i &lt; w.Length; i++)</c> or <c>for (i = w.Length - 1; i &gt;= 0; i--)</c>.</summary>
        private static bool CoversWholeBuffer(Dictionary<ValueId, Instruction> definition, CountedLoop counted, ValueId buffer)
        {
            bool IsLength(ValueId v) => definition.TryGetValue(v, out var d) && d is LengthInstr l && l.Buffer == buffer;
            bool Is(ValueId v, string literal) => definition.TryGetValue(v, out var d) && d is ConstInstr c && c.Text == literal;
            if (counted.Step == 1 && counted.Comparison == BinaryOp.Less) return Is(counted.Start, "0") && IsLength(counted.Bound);
            if (counted.Step == -1 && counted.Comparison == BinaryOp.GreaterOrEqual)
                return Is(counted.Bound, "0") && definition.TryGetValue(counted.Start, out var d) &&
                    d is BinaryInstr { Op: BinaryOp.Subtract } b && IsLength(b.Left) && Is(b.Right, "1");
            return false;
        }
    }
}
