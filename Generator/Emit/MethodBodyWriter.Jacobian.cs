using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Differentiation;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Emit
{
    internal sealed partial class MethodBodyWriter
    {
        /// <summary>
        /// <c>{M}Jacobian</c> (<see cref="JacobianForms"/>): the primal parameters, then for each active parameter but the
        /// output its block of the Jacobian, row-major: row i holds the gradient of <c>output[i]</c>, so a buffer's block is
        /// <c>output.Length × buffer.Length</c> and a scalar's <c>output.Length</c>. The blocks are overwritten; the output
        /// holds the method's results. With <see cref="JacobianPlan.OnePass"/> the forward sweep (Backward's, this writer's
        /// body) runs once and its reverse once per row, on a seed that is 1 in that row's element, with the stacks rewound
        /// to their height after the forward; otherwise each row calls <c>{M}Backward</c>.
        /// </summary>
        public void WriteJacobian(SourceWriter writer, string accessibility, JacobianPlan plan)
        {
            var f = _function;
            var output = plan.Output;
            var inputs = f.Parameters.Where(p => p.Active && p.Value != output.Value).ToList();
            var blocks = inputs.ToDictionary(p => p.Value, p => _names.Fresh(Naming.JacobianName(p.Name)));
            string element = ElementKeyword(output.Type);
            string outputName = _names.Value(output.Value);

            writer.Line("/// <summary>Runs <c>" + f.Name + "</c> and writes the Jacobian of <c>" + output.Name + "</c>: row i of each block holds the gradient of <c>" +
                output.Name + "[i]</c> with respect to that parameter.</summary>");
            writer.Line(GeneratedCode);
            var parameters = f.Parameters.Select(p => p.TypeName + " " + _names.Value(p.Value))
                .Concat(inputs.Select(p => "global::System.Span<" + (p.Type.IsBuffer() ? ElementKeyword(p.Type) : p.Type.Keyword()) + "> " + blocks[p.Value]));
            writer.Open(accessibility + " static void " + Naming.Jacobian(f.Name) + "(" + string.Join(", ", parameters) + ")");

            string rows = _names.Fresh("rows");
            writer.Line("int " + rows + " = " + outputName + ".Length;");
            var sizes = WriteJacobianChecks(writer, plan, inputs, blocks, rows);
            var arguments = f.Parameters.Select(p => _names.Value(p.Value)).ToList();
            if (!plan.OnePass)
            {
                // Every row runs the primal in Backward; with no rows it still runs once, as every generated member does.
                writer.Line("if (" + rows + " == 0) { " + f.Name + "(" + string.Join(", ", arguments) + "); return; }");
            }

            // The seed: 1 in the row's element, 0 elsewhere (Backward's shadow of the output, which its reverse consumes).
            string seed = _names.Adjoint(output.Value), rented = _names.Fresh(seed + "Array");
            writer.Line(element + "[]? " + rented + " = null;");
            writer.Line("global::System.Span<" + element + "> " + seed + " = " + rows + " <= 128 ? stackalloc " + element + "[" + rows + "] : new global::System.Span<" + element + ">(" + rented +
                " = global::System.Buffers.ArrayPool<" + element + ">.Shared.Rent(" + rows + "), 0, " + rows + ");");
            writer.Line(seed + ".Clear();");
            // In one pass: the stacks the forward records on, and their heights after it, which each row's reverse starts from.
            var stacks = plan.OnePass ? _stacks.OrderBy(st => st.Key).Select(st => (Stack: st.Value, Type: st.Key, Height: _names.Fresh(st.Value + "Height"))).ToList()
                : new List<(string Stack, IrType Type, string Height)>();
            if (plan.OnePass) WriteFiniteFlags(writer);
            foreach (var stack in stacks) writer.Line("var " + stack.Stack + " = global::Differentiable.ValueStack<" + stack.Type.Keyword() + ">.Rent();");
            writer.Open("try");
            int firstReverse = _body.FindIndex(n => n is ReverseNode);
            if (firstReverse < 0) firstReverse = _body.Count;
            if (plan.OnePass) WriteNodes(writer, _body.GetRange(0, firstReverse), new List<ValueId>());
            foreach (var stack in stacks) writer.Line("int " + stack.Height + " = " + stack.Stack + ".Count;");
            foreach (var p in inputs.Where(p => p.Type.IsBuffer())) writer.Line(blocks[p.Value] + ".Slice(0, " + sizes[p.Value] + ").Clear();");
            string row = _names.Fresh("row");
            writer.Open("for (int " + row + " = 0; " + row + " < " + rows + "; " + row + "++)");
            writer.Line(seed + "[" + row + "] = " + Literal(1, output.Type.Element()) + ";");
            foreach (var stack in stacks) writer.Line(stack.Stack + ".Rewind(" + stack.Height + ");");
            foreach (var p in inputs)
            {
                string adjoint = _names.Adjoint(p.Value);
                if (p.Type.IsBuffer())
                {
                    string length = _names.Value(p.Value) + ".Length";
                    writer.Line(ShadowType(p.Type) + " " + adjoint + " = " + blocks[p.Value] + ".Slice(" + row + " * " + length + ", " + length + ");");
                }
                else writer.Line(p.Type.Keyword() + " " + adjoint + " = " + Literal(0, p.Type) + ";");
            }
            if (plan.OnePass) WriteNodes(writer, _body.GetRange(firstReverse, _body.Count - firstReverse), new List<ValueId>());
            else
            {
                var adjoints = f.Parameters.Where(p => p.Active).Select(p => (p.Type.IsBuffer() ? "" : "ref ") + _names.Adjoint(p.Value));
                writer.Line(Naming.Backward(f.Name) + "(" + string.Join(", ", arguments.Concat(adjoints)) + ");");
            }
            foreach (var p in inputs.Where(p => !p.Type.IsBuffer())) writer.Line(blocks[p.Value] + "[" + row + "] = " + _names.Adjoint(p.Value) + ";");
            writer.Line(seed + "[" + row + "] = " + Literal(0, output.Type.Element()) + ";");
            writer.Close();
            writer.Close();
            writer.Open("finally");
            foreach (var stack in stacks) writer.Line(stack.Stack + ".Return();");
            writer.Line("if (" + rented + " is not null) global::System.Buffers.ArrayPool<" + element + ">.Shared.Return(" + rented + ");");
            writer.Close();
            writer.Close();
        }

        /// <summary>
        /// The checks of <c>{M}Jacobian</c>, before any work: each block at least its shape, the primal's overlap checks,
        /// and each block against the other blocks and the buffers. Returns each block's size (an expression).
        /// </summary>
        private Dictionary<ValueId, string> WriteJacobianChecks(SourceWriter writer, JacobianPlan plan, List<IrParameter> inputs, Dictionary<ValueId, string> blocks, string rows)
        {
            var f = _function;
            string outputName = _names.Value(plan.Output.Value);
            var sizes = new Dictionary<ValueId, string>();
            foreach (var p in inputs)
            {
                string block = blocks[p.Value];
                sizes[p.Value] = p.Type.IsBuffer() ? rows + " * " + _names.Value(p.Value) + ".Length" : rows;
                string need = p.Type.IsBuffer() ? "(long)" + sizes[p.Value] : rows;
                string shape = p.Type.IsBuffer() ? "'" + outputName + "'.Length × '" + _names.Value(p.Value) + "'.Length" : "'" + outputName + "'.Length";
                writer.Line("if (" + block + ".Length < " + need + ") throw new global::System.ArgumentException(\"The Jacobian block '" + block + "' is shorter than " +
                    shape + ".\", nameof(" + block + "));");
            }
            WriteBufferOverlapChecks(writer);
            // A block that overlaps another block, or a buffer the method writes, would be written twice. One that overlaps a
            // buffer the method reads would change it under the method, unless nothing reads the inputs once a block is
            // written (JacobianPlan.InputsReadOnce).
            var roots = _program.Activity.Roots;
            var buffers = f.Parameters.Where(p => p.Type.IsBuffer() && (!plan.InputsReadOnce || roots.IsWritten(p.Value))).ToList();
            for (int i = 0; i < inputs.Count; i++)
            {
                var p = inputs[i];
                string block = blocks[p.Value] + ".Slice(0, " + sizes[p.Value] + ")";
                var elementType = p.Type.IsBuffer() ? p.Type.Element() : p.Type;
                foreach (var buffer in buffers.Where(b => b.Type.Element() == elementType))
                    WriteOverlapThrow(writer, elementType, block, _names.Value(buffer.Value), blocks[p.Value], "the buffer '" + _names.Value(buffer.Value) + "'");
                for (int j = i + 1; j < inputs.Count; j++)
                {
                    var q = inputs[j];
                    if ((q.Type.IsBuffer() ? q.Type.Element() : q.Type) != elementType) continue;
                    WriteOverlapThrow(writer, elementType, block, blocks[q.Value] + ".Slice(0, " + sizes[q.Value] + ")", blocks[q.Value], "the block '" + blocks[p.Value] + "'");
                }
            }
            return sizes;
        }

        private static void WriteOverlapThrow(SourceWriter writer, IrType element, string a, string b, string block, string other) =>
            writer.Line("if (" + OverlapsOf(element.Keyword(), a, b) + ") throw new global::System.ArgumentException(\"The Jacobian block '" + block + "' overlaps " + other +
                "; pass buffers that do not overlap.\", nameof(" + block + "));");
    }
}
