using System.Linq;
using Differentiable.Generator.Analysis;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Differentiation
{
    /// <summary>
    /// A method's <c>{M}Jacobian</c>: which buffer is its output, and whether one forward sweep serves every row.
    /// </summary>
    /// <param name="Output">The one buffer the method writes, whose elements are the Jacobian's rows.</param>
    /// <param name="OnePass">
    /// The forward sweep runs once and the reverse sweep once per row: the reverse reads only the forward's locals and
    /// stacks (rewound before each row), and writes no primal memory, so it can run again. Otherwise each row calls
    /// <c>{M}Backward</c>.
    /// </param>
    /// <param name="InputsReadOnce">
    /// In one pass, and with no loop: the forward reads every input before a block is written, and the reverse reads no
    /// buffer (every value it needs is a local of the straight-line forward), so a block may share memory with an input.
    /// A loop's reverse reads inputs (and the output) again: loads it does not record.
    /// </param>
    internal sealed record JacobianPlan(IrParameter Output, bool OnePass, bool InputsReadOnce);

    /// <summary>
    /// <c>{M}Jacobian</c> is generated for a <c>void</c> method that writes exactly one buffer, an active parameter it
    /// only stores into (never reads, slices or passes on, so its contents at entry cannot reach the results), and has at
    /// least one other active parameter. Row i of the Jacobian is the gradient of <c>output[i]</c>: one reverse sweep
    /// seeded 1 in element i. Residual functions of least squares (bundle adjustment's reprojection) have this shape.
    /// </summary>
    internal static class JacobianForms
    {
        public static JacobianPlan? Plan(IrFunction function, ReverseProgram program)
        {
            if (function.ReturnType is not null) return null;
            var roots = program.Activity.Roots;
            IrParameter? output = null;
            foreach (var parameter in function.Parameters)
            {
                if (!parameter.Type.IsBuffer() || !roots.IsWritten(parameter.Value)) continue;
                if (!parameter.Active || output is not null) return null;
                output = parameter;
            }
            if (output is null || !function.Parameters.Any(p => p.Active && p.Value != output.Value)) return null;
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                foreach (var operand in IrFacts.Operands(instruction))
                {
                    if (!function.TypeOf(operand).IsBuffer() || roots.RootOf(operand) != output.Value) continue;
                    bool storeOrLength = instruction switch
                    {
                        StoreInstr store => store.Buffer == operand,
                        LengthInstr => true,
                        _ => false,
                    };
                    if (!storeOrLength) return null;
                }
            }
            bool onePass = OnePass(function, program);
            return new JacobianPlan(output, onePass, onePass && !IrFacts.AllInstructions(function.Body).Any(i => i is LoopInstr));
        }

        /// <summary>
        /// The reverse sweep can run again on the forward's values: it writes no primal memory and what it pops can be
        /// put back. So no local buffer (whose shadow would keep one row's adjoints), no call with a buffer argument (its
        /// Backward would write it), nothing snapshotted or restored, no split call, and the body one forward sweep followed
        /// by the reverse (no early way out, which splits the body into paths). Loops may record: the stacks are rewound
        /// to their height after the forward before each row (<c>ValueStack.Rewind</c>); a pop leaves the values in place.
        /// </summary>
        private static bool OnePass(IrFunction function, ReverseProgram program)
        {
            if (program.Snapshots.Count > 0 || program.FinalContents.Count > 0 || program.SplitCalls.Count > 0) return false;
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                switch (instruction)
                {
                    case AllocInstr:
                    case CallInstr call when call.Args.Any(a => function.TypeOf(a).IsBuffer()):
                        return false;
                }
            }
            bool reversing = false;
            foreach (var node in program.Nodes)
            {
                switch (node)
                {
                    case ReverseNode: reversing = true; break;
                    case PrimalNode when !reversing: break;
                    case ReturnNode: break;
                    default: return false;
                }
            }
            return true;
        }
    }
}
