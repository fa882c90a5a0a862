using System.Collections.Generic;
using Differentiable.Generator.Differentiation;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Emit
{
    internal sealed partial class MethodBodyWriter
    {
        // Set while a loop's lanes are written: values and adjoints print as vectors (LaneVersions).
        private LaneVersion? _lanes;

        // For each of the lanes' ElementSums: its vector of sums and the variable keeping its index.
        private List<(string Lanes, string At)> _elementSums = new List<(string, string)>();

        // The adjoints declared in the lanes' iteration (vectors); other adjoints read there are broadcast.
        private readonly HashSet<ValueId> _laneAdjoints = new HashSet<ValueId>();

        /// <summary>
        /// Writes the lanes of a reverse loop the builder chose (<see cref="LoopPlan.Lanes"/>) and returns the variable that
        /// holds where the scalar loop starts; null when the loop has none. For <c>for (i = a; i &lt; b; i++)</c>:
        /// <code>
        /// int iTop = b;
        /// if (Vector.IsHardwareAccelerated &amp;&amp; (long)iTop - a &gt;= Vector&lt;double&gt;.Count)
        /// {
        ///     Vector&lt;double&gt; dSLanes = Vector&lt;double&gt;.Zero;
        ///     for (; (long)iTop - a &gt;= Vector&lt;double&gt;.Count; iTop -= Vector&lt;double&gt;.Count)
        ///     {
        ///         int i = iTop - Vector&lt;double&gt;.Count; // the first lane's iteration
        ///         ...
        ///     }
        ///     dS += Vector.Sum(dSLanes);
        /// }
        /// </code>
        /// </summary>
        private string? WriteLanes(SourceWriter writer, LoopStatement statement, Dictionary<IrType, (string Name, List<ValueId> Values)>? blocks)
        {
            if (statement.Plan.Lanes is not { } lanes || statement.Loop.Counted is not { } counted) return null;
            string vector = VectorType(lanes.Element), count = vector + ".Count";
            string counter = _names.Value(counted.Counter), start = Operand(counted.Start);
            string top = _names.Fresh(counter + "Top");
            string more = (start == "0" ? top : "(long)" + top + " - " + start) + " >= " + count; // long: b − a may overflow an int
            writer.Line("int " + top + " = " + Operand(counted.Bound) + "; // the iterations below it are left to the scalar loop");
            writer.Open("if (global::System.Numerics.Vector.IsHardwareAccelerated && " + more + ")");
            var sums = new List<(string Lanes, string Target)>();
            foreach (var sum in lanes.Sums)
            {
                string target = AdjointTarget(sum);
                string name = _names.Fresh(target + "Lanes");
                sums.Add((name, target));
                writer.Line(vector + " " + name + " = " + vector + ".Zero;");
            }
            // An element every iteration adds into: its lanes' sums, and its index (the same in every iteration) kept for after the loop.
            var elementSums = new List<(string Lanes, string At)>();
            foreach (var (buffer, _) in lanes.ElementSums)
            {
                string name = _names.Fresh(_names.Adjoint(buffer) + "Lanes");
                string at = _names.Fresh(_names.Adjoint(buffer) + "At");
                elementSums.Add((name, at));
                writer.Line(vector + " " + name + " = " + vector + ".Zero;");
                writer.Line("int " + at + " = 0;");
            }
            _elementSums = elementSums;
            writer.Open("for (; " + more + "; " + top + " -= " + count + ")");
            writer.Line("int " + counter + " = " + top + " - " + count + "; // the first lane's iteration");
            foreach (var value in statement.Plan.Recorded)
            {
                // One value per iteration, so the lanes' values are next to each other in the block.
                var (block, slot) = BlockAndSlot(blocks!, statement.Loop, value);
                writer.Line(vector + " " + _names.Value(value) + " = global::Differentiable.Lanes.Load(" + block + ", " + slot + ");");
            }
            WriteInductions(writer, counted, statement.Plan.Inductions); // the first lane's; they step by 1, so lane k's is k more
            _lanes = lanes;
            foreach (var instruction in statement.Plan.Recompute)
            {
                if (IrFacts.Definitions(instruction) is var defined && lanes.Lanes.Overlaps(defined)) WriteLaneInstruction(writer, instruction);
                else WritePrimalInstruction(writer, instruction, insideLoop: true, reverse: true);
            }
            WriteLaneStatements(writer, statement.Body, sums);
            _lanes = null;
            _laneAdjoints.Clear();
            writer.Close();
            foreach (var (name, target) in sums) writer.Line(target + " += global::System.Numerics.Vector.Sum(" + name + ");");
            for (int k = 0; k < elementSums.Count; k++)
                writer.Line(_names.Adjoint(lanes.ElementSums[k].Buffer) + "[" + elementSums[k].At + "] += global::System.Numerics.Vector.Sum(" + elementSums[k].Lanes + ");");
            writer.Close();
            return top;
        }

        /// <summary>The class whose Mul and Div check a zero adjoint: per lane inside lanes.</summary>
        private string CheckedHelpers => _lanes is null ? "global::Differentiable.Grad." : "global::Differentiable.Lanes.";

        private static string VectorType(IrType element) => "global::System.Numerics.Vector<" + element.Keyword() + ">";

        private string Broadcast(string scalar) => "new " + VectorType(_lanes!.Element) + "(" + scalar + ")";

        /// <summary>A primal value inside lanes: its vector, or the value every lane shares, broadcast.</summary>
        private string LaneOperand(ValueId value) => _lanes!.Lanes.Contains(value) ? _names.Value(value) : Broadcast(Operand(value));

        private void WriteLaneInstruction(SourceWriter writer, Instruction instruction)
        {
            string type = VectorType(_lanes!.Element);
            switch (instruction)
            {
                case LoadInstr l:
                    writer.Line(type + " " + _names.Value(l.Result) + " = global::Differentiable.Lanes.Load(" + Operand(l.Buffer) + ", " + Operand(l.Index) + ");");
                    break;
                case BinaryInstr b:
                    writer.Line(type + " " + _names.Value(b.Result) + " = " + LaneOperand(b.Left) + " " + b.Op.Symbol() + " " + LaneOperand(b.Right) + ";");
                    break;
                case UnaryInstr u:
                    writer.Line(type + " " + _names.Value(u.Result) + " = " + (u.Op == UnaryOp.Negate ? "-" : "") + LaneOperand(u.Operand) + ";");
                    break;
                default:
                    throw new System.InvalidOperationException("No lane form for " + instruction.GetType().Name);
            }
        }

        private void WriteLaneStatements(SourceWriter writer, List<AdjointStatement> statements, List<(string Lanes, string Target)> sums)
        {
            var lanes = _lanes!;
            string type = VectorType(lanes.Element);
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case NopStatement:
                        break;
                    case CommentStatement c:
                        writer.Line("// " + c.Text);
                        break;
                    case AccumulateStatement a:
                    {
                        string value = Print(a.Value, lanes.Element);
                        if (a.Declare)
                        {
                            _laneAdjoints.Add(a.Target);
                            writer.Line(type + " " + _names.Adjoint(a.Target) + " = " + value + ";");
                            break;
                        }
                        string target = _laneAdjoints.Contains(a.Target) ? _names.Adjoint(a.Target) : sums[lanes.Sums.IndexOf(a.Target)].Lanes;
                        writer.Line(target + " += " + value + ";");
                        break;
                    }
                    case TempStatement t:
                        string temp = _names.Fresh("dNext");
                        _temps[t.Id] = temp;
                        writer.Line(type + " " + temp + " = " + Print(t.Value, lanes.Element) + ";");
                        break;
                    case ShadowStatement s when lanes.ElementSums.IndexOf((s.Buffer, s.Index)) is var k && k >= 0:
                        writer.Line(_elementSums[k].Lanes + " += " + Print(s.Value, lanes.Element) + ";");
                        writer.Line(_elementSums[k].At + " = " + Operand(s.Index) + ";");
                        break;
                    case ShadowStatement s:
                    {
                        bool assign = s.Assign || (_gradientMode && _program.AssignedInGradient.Contains(s));
                        writer.Line("global::Differentiable.Lanes." + (assign ? "Store(" : "Add(") + _names.Adjoint(s.Buffer) + ", " + Operand(s.Index) + ", " +
                            Print(s.Value, lanes.Element) + ");");
                        break;
                    }
                    default:
                        throw new System.InvalidOperationException("No lane form for " + statement.GetType().Name);
                }
            }
        }

        /// <summary>An expression's leaf inside lanes; null for an expression printed as usual (operators work on vectors).</summary>
        private string? LaneLeaf(Expr expr, IrType type) => expr switch
        {
            ValueExpr v => LaneOperand(v.Value),
            ResultExpr r => LaneOperand(r.Value),
            AdjointExpr a => _laneAdjoints.Contains(a.Value) ? _names.Adjoint(a.Value) : Broadcast(_names.Adjoint(a.Value)),
            ShadowExpr s => "global::Differentiable.Lanes.Load(" + _names.Adjoint(s.Buffer) + ", " + Operand(s.Index) + ")",
            SeedExpr => Broadcast(_gradientMode ? Literal(1, type) : Naming.Seed),
            LiteralExpr l => Broadcast(Literal(l.Value, type)),
            _ => null,
        };
    }
}
