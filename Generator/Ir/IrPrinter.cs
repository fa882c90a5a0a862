using System;
using System.Linq;
using System.Text;

namespace Differentiable.Generator.Ir
{
    /// <summary>
    /// Prints IR in a stable text form, one instruction a line. Tests compare this text, and analyses
    /// pass <c>annotate</c> to print their facts at the end of each defining line.
    /// </summary>
    internal static class IrPrinter
    {
        /// <param name="annotateLoop">A note printed after a loop's trip count (where its records go, when its products run plain).</param>
        public static string Print(IrFunction function, Func<ValueId, string?>? annotate = null, Func<LoopInstr, string?>? annotateLoop = null)
        {
            var text = new StringBuilder();
            text.Append("func ").Append(function.Name).Append('(');
            text.Append(string.Join(", ", function.Parameters.Select(p =>
                $"{p.Value} {p.Name}: {p.Type.Short()}{(p.Active ? "" : " const")}{Note(annotate, p.Value)}")));
            text.Append(") -> ").Append(function.ReturnType?.Short() ?? "void").Append('\n');
            PrintBlock(function, function.Body, 1, text, annotate, annotateLoop);
            return text.ToString();
        }

        private static string Note(Func<ValueId, string?>? annotate, ValueId value) =>
            annotate?.Invoke(value) is { } note ? " [" + note + "]" : "";

        private static void PrintBlock(IrFunction f, Block block, int depth, StringBuilder text, Func<ValueId, string?>? annotate, Func<LoopInstr, string?>? annotateLoop)
        {
            string indent = new string(' ', depth * 2);
            foreach (var instruction in block.Instructions)
            {
                text.Append(indent);
                if (instruction is IfInstr branch)
                {
                    text.Append(Outputs(f, branch.Outputs, annotate)).Append("if ").Append(branch.Condition).Append('\n');
                    PrintBlock(f, branch.Then, depth + 1, text, annotate, annotateLoop);
                    text.Append(indent).Append("else\n");
                    PrintBlock(f, branch.Else, depth + 1, text, annotate, annotateLoop);
                    continue;
                }
                if (instruction is LoopInstr loop)
                {
                    text.Append(Outputs(f, loop.Outputs, annotate)).Append("loop");
                    if (loop.Counted is { } c)
                        text.Append(" for ").Append(c.Counter).Append(" = ").Append(c.Start).Append(' ').Append(c.Comparison.Symbol())
                            .Append(' ').Append(c.Bound).Append(" step ").Append(c.Step.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    else
                        text.Append(loop.TestFirst ? " while" : " do-while");
                    text.Append(" trips ").Append(loop.TripCount);
                    if (annotateLoop?.Invoke(loop) is { } where) text.Append(" [").Append(where).Append(']');
                    if (loop.Carried.Count > 0)
                        text.Append(" carry ").Append(string.Join(", ", loop.Carried.Zip(loop.Initial, (p, i) => $"{p}: {f.TypeOf(p).Short()}{Note(annotate, p)} <- {i}")));
                    text.Append('\n');
                    if (loop.Counted is null)
                    {
                        text.Append(indent).Append("header\n");
                        PrintBlock(f, loop.Header, depth + 1, text, annotate, annotateLoop);
                    }
                    text.Append(indent).Append("body\n");
                    PrintBlock(f, loop.Body, depth + 1, text, annotate, annotateLoop);
                    continue;
                }
                var result = IrFacts.Definitions(instruction).ToList();
                if (result.Count == 1) text.Append(result[0]).Append(" = ");
                text.Append(Describe(instruction));
                if (result.Count == 1) text.Append(" : ").Append(f.TypeOf(result[0]).Short()).Append(Note(annotate, result[0]));
                text.Append('\n');
            }
            text.Append(indent);
            switch (block.Terminator)
            {
                case ReturnTerminator r:
                    text.Append("return").Append(r.Value is { } v ? " " + v : "").Append('\n');
                    break;
                case YieldTerminator y:
                    text.Append("yield ").Append(string.Join(", ", y.Values)).Append('\n');
                    break;
                case SplitTerminator s:
                    text.Append("split ").Append(s.Condition).Append('\n');
                    PrintBlock(f, s.Then, depth + 1, text, annotate, annotateLoop);
                    text.Append(indent).Append("otherwise\n");
                    PrintBlock(f, s.Else, depth + 1, text, annotate, annotateLoop);
                    break;
            }
        }

        private static string Outputs(IrFunction f, EquatableArray<ValueId> outputs, Func<ValueId, string?>? annotate) =>
            outputs.Count == 0 ? "" : string.Join(", ", outputs.Select(o => $"{o}: {f.TypeOf(o).Short()}{Note(annotate, o)}")) + " = ";

        private static string Describe(Instruction instruction) => instruction switch
        {
            ConstInstr c => "const " + c.Text,
            UnaryInstr u => "unary " + u.Op.Symbol() + " " + u.Operand,
            BinaryInstr b => "binary " + b.Left + " " + b.Op.Symbol() + " " + b.Right,
            ConvertInstr c => "convert " + c.Operand,
            StopInstr s => "stop " + s.Operand,
            IntrinsicInstr i => "intrinsic " + i.Function + "(" + string.Join(", ", i.Args) + ")",
            LengthInstr l => "length " + l.Buffer,
            LoadInstr l => "load " + l.Buffer + "[" + l.Index + "]",
            StoreInstr s => "store " + s.Buffer + "[" + s.Index + "] = " + s.Value,
            SliceInstr s => "slice " + s.Buffer + "[" + s.Start + (s.Length is { } n ? ", " + n : "") + "]",
            AllocInstr a => (a.Kind switch { AllocKind.Stack => "stackalloc ", AllocKind.Workspace => "workspace ", _ => "new " }) + a.Length,
            CallInstr c => "call " + (c.Kind == CallKind.Differentiable ? "differentiable " : "") + c.Method + "(" + string.Join(", ", c.Args) + ")",
            _ => instruction.GetType().Name,
        };
    }
}
