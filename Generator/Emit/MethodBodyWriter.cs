using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Differentiable.Generator.Differentiation;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Emit
{
    /// <summary>
    /// Prints one generated method: the signature by the calling convention, the primal (one local per
    /// SSA value, literals inline), and the reverse sweep with a comment naming each reversed statement.
    /// </summary>
    internal sealed class MethodBodyWriter
    {
        private const string GeneratedCode = "[global::System.CodeDom.Compiler.GeneratedCode(\"Differentiable.Generator\", \"0.1.0\")]";

        private readonly IrFunction _function;
        private readonly List<BodyNode> _body;
        private readonly bool _gradientMode;
        private readonly NameAllocator _names;
        private readonly Dictionary<ValueId, string> _inline = new Dictionary<ValueId, string>();
        private readonly HashSet<ValueId> _hoisted = new HashSet<ValueId>();
        private readonly HashSet<ValueId> _hoistedDeclared = new HashSet<ValueId>();
        private readonly HashSet<ValueId> _parameters;

        public MethodBodyWriter(IrFunction function, List<BodyNode> body, bool gradientMode)
        {
            _function = function;
            _body = body;
            _gradientMode = gradientMode;
            _names = new NameAllocator(function);
            _parameters = new HashSet<ValueId>(function.Parameters.Select(p => p.Value));
            foreach (var instruction in IrFacts.AllInstructions(function.Body))
            {
                if (instruction is ConstInstr c && !c.Text.StartsWith("global::", System.StringComparison.Ordinal))
                    _inline[c.Result] = c.Text.StartsWith("-", System.StringComparison.Ordinal) ? "(" + c.Text + ")" : c.Text;
            }
            FindHoisted();
        }

        public void Write(SourceWriter writer, string accessibility)
        {
            var f = _function;
            var primal = f.Parameters.Select(p => p.TypeName + " " + _names.Value(p.Value));
            var active = f.Parameters.Where(p => p.Active).ToList();
            string type = f.ReturnType?.Keyword() ?? "void";
            string parameters;
            if (_gradientMode)
            {
                writer.Line("/// <summary>Returns <c>" + f.Name + "</c> and writes its gradient with respect to each active parameter.</summary>");
                parameters = string.Join(", ", primal.Concat(active.Select(p => "out " + p.Type.Keyword() + " " + _names.Adjoint(p.Value))));
                writer.Line(GeneratedCode);
                writer.Open(accessibility + " static " + type + " " + f.Name + "Gradient(" + parameters + ")");
            }
            else
            {
                writer.Line("/// <summary>Runs <c>" + f.Name + "</c> and adds the seed times its gradient to the adjoint of each active parameter.</summary>");
                var seed = f.ReturnType is { } r ? new[] { r.Keyword() + " dResult" } : new string[0];
                parameters = string.Join(", ", primal.Concat(seed).Concat(active.Select(p => "ref " + p.Type.Keyword() + " " + _names.Adjoint(p.Value))));
                writer.Line(GeneratedCode);
                writer.Open(accessibility + " static void " + f.Name + "Backward(" + parameters + ")");
            }
            WriteNodes(writer, _body);
            writer.Close();
        }

        // ---- setup ----

        /// <summary>Values computed inside a merging branch that the reverse sweep reads are declared before the branch.</summary>
        private void FindHoisted()
        {
            var referenced = new HashSet<ValueId>();
            CollectReferences(_body, referenced);
            var inside = new HashSet<ValueId>();
            CollectBranchDefinitions(_function.Body, inside);
            foreach (var value in inside)
            {
                if (referenced.Contains(value)) _hoisted.Add(value);
            }
        }

        private static void CollectBranchDefinitions(Block block, HashSet<ValueId> into)
        {
            foreach (var instruction in block.Instructions)
            {
                if (instruction is not IfInstr branch) continue;
                IrFacts.CollectDefinitions(branch.Then, into);
                IrFacts.CollectDefinitions(branch.Else, into);
            }
            if (block.Terminator is SplitTerminator split)
            {
                CollectBranchDefinitions(split.Then, into);
                CollectBranchDefinitions(split.Else, into);
            }
        }

        private static void CollectReferences(IEnumerable<BodyNode> nodes, HashSet<ValueId> into)
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case ReverseNode r: CollectReferences(r.Statements, into); break;
                    case SplitNode s: CollectReferences(s.Then, into); CollectReferences(s.Else, into); break;
                }
            }
        }

        private static void CollectReferences(IEnumerable<AdjointStatement> statements, HashSet<ValueId> into)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case AccumulateStatement a: CollectReferences(a.Value, into); break;
                    case BranchStatement b:
                        into.Add(b.Condition);
                        CollectReferences(b.Then, into);
                        CollectReferences(b.Else, into);
                        break;
                    case BackwardCallStatement c:
                        foreach (var arg in c.Call.Args) into.Add(arg);
                        break;
                }
            }
        }

        private static void CollectReferences(Expr expr, HashSet<ValueId> into)
        {
            switch (expr)
            {
                case ValueExpr v: into.Add(v.Value); break;
                case ResultExpr r: into.Add(r.Value); break;
                case NegateExpr n: CollectReferences(n.Operand, into); break;
                case BinaryExpr b: CollectReferences(b.Left, into); CollectReferences(b.Right, into); break;
                case MathExpr m: foreach (var a in m.Args) CollectReferences(a, into); break;
                case CheckedMulExpr c: CollectReferences(c.Adjoint, into); CollectReferences(c.Partial, into); break;
                case ConditionalExpr c: CollectReferences(c.Condition, into); CollectReferences(c.WhenTrue, into); CollectReferences(c.WhenFalse, into); break;
                case ConvertExpr c: CollectReferences(c.Operand, into); break;
            }
        }

        // ---- the body ----

        private void WriteNodes(SourceWriter writer, List<BodyNode> nodes)
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case PrimalNode p:
                        WritePrimal(writer, p.Block.Instructions);
                        break;
                    case ReverseNode r:
                        writer.Line();
                        WriteStatements(writer, r.Statements);
                        break;
                    case SplitNode s:
                        writer.Open("if (" + Operand(s.Condition) + ")");
                        WriteNodes(writer, s.Then);
                        writer.Close();
                        writer.Open("else");
                        WriteNodes(writer, s.Else);
                        writer.Close();
                        break;
                    case ReturnNode ret:
                        if (!_gradientMode) break;
                        foreach (var untouched in ret.Untouched)
                            writer.Line(_names.Adjoint(untouched) + " = " + Literal(0, _function.TypeOf(untouched)) + ";");
                        writer.Line("return " + (ret.Value is { } v ? Operand(v) : "") + ";");
                        break;
                }
            }
        }

        private void WritePrimal(SourceWriter writer, EquatableArray<Instruction> instructions)
        {
            foreach (var instruction in instructions)
            {
                switch (instruction)
                {
                    case ConstInstr c when _inline.ContainsKey(c.Result):
                        break;
                    case IfInstr branch:
                        WritePrimalBranch(writer, branch);
                        break;
                    case CallInstr { Result: null } call:
                        writer.Line(call.Method + "(" + Arguments(call.Args) + ");");
                        break;
                    default:
                        var result = IrFacts.Definitions(instruction).Single();
                        string target = _hoisted.Contains(result) ? _names.Value(result) : _function.TypeOf(result).Keyword() + " " + _names.Value(result);
                        writer.Line(target + " = " + PrimalExpression(instruction) + ";");
                        break;
                }
            }
        }

        private void WritePrimalBranch(SourceWriter writer, IfInstr branch)
        {
            foreach (var output in branch.Outputs) writer.Line(_function.TypeOf(output).Keyword() + " " + _names.Value(output) + ";");
            var inside = new HashSet<ValueId>();
            IrFacts.CollectDefinitions(branch.Then, inside);
            IrFacts.CollectDefinitions(branch.Else, inside);
            foreach (var value in inside.Where(_hoisted.Contains).OrderBy(v => v.Index))
            {
                if (_inline.ContainsKey(value) || !_hoistedDeclared.Add(value)) continue; // declared once, before the outermost branch
                writer.Line(_function.TypeOf(value).Keyword() + " " + _names.Value(value) + " = default;");
            }
            WriteSide(writer, "if (" + Operand(branch.Condition) + ")", branch, branch.Then);
            WriteSide(writer, "else", branch, branch.Else);
        }

        private void WriteSide(SourceWriter writer, string header, IfInstr branch, Block side)
        {
            writer.Open(header);
            WritePrimal(writer, side.Instructions);
            var values = ((YieldTerminator)side.Terminator).Values;
            for (int i = 0; i < values.Count; i++) writer.Line(_names.Value(branch.Outputs[i]) + " = " + Operand(values[i]) + ";");
            writer.Close();
        }

        private string PrimalExpression(Instruction instruction) => instruction switch
        {
            ConstInstr c => c.Text,
            UnaryInstr u => u.Op.Symbol() + Operand(u.Operand),
            BinaryInstr b => Operand(b.Left) + " " + b.Op.Symbol() + " " + Operand(b.Right),
            ConvertInstr c => "(" + _function.TypeOf(c.Result).Keyword() + ")" + Operand(c.Operand),
            IntrinsicInstr i => i.Spelling + "(" + Arguments(i.Args) + ")",
            StopInstr s => "global::Differentiable.Grad.Stop(" + Operand(s.Operand) + ")",
            CallInstr c => c.Method + "(" + Arguments(c.Args) + ")",
            _ => throw new System.InvalidOperationException("No primal form for " + instruction.GetType().Name),
        };

        private string Arguments(EquatableArray<ValueId> args) => string.Join(", ", args.Select(Operand));

        private string Operand(ValueId value) => _inline.TryGetValue(value, out var text) ? text : _names.Value(value);

        // ---- the reverse sweep ----

        private void WriteStatements(SourceWriter writer, List<AdjointStatement> statements)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case CommentStatement c:
                        writer.Line("// " + c.Text);
                        break;

                    case AccumulateStatement a:
                        var type = _function.TypeOf(a.Target);
                        string name = _names.Adjoint(a.Target);
                        bool parameter = _parameters.Contains(a.Target);
                        if (a.Declare && parameter && !_gradientMode && a.Value is LiteralExpr { Value: 0 }) break; // += 0
                        if (a.Declare && parameter && _gradientMode) writer.Line(name + " = " + Print(a.Value, type) + ";");
                        else if (a.Declare && !parameter) writer.Line(type.Keyword() + " " + name + " = " + Print(a.Value, type) + ";");
                        else if (a.Value is NegateExpr n) writer.Line(name + " -= " + Print(n.Operand, type) + ";");
                        else writer.Line(name + " += " + Print(a.Value, type) + ";");
                        break;

                    case BranchStatement b:
                        bool hasThen = b.Then.Count > 0, hasElse = b.Else.Count > 0;
                        if (!hasThen && !hasElse) break;
                        if (hasThen)
                        {
                            writer.Open("if (" + Operand(b.Condition) + ")");
                            WriteStatements(writer, b.Then);
                            writer.Close();
                            if (hasElse)
                            {
                                writer.Open("else");
                                WriteStatements(writer, b.Else);
                                writer.Close();
                            }
                        }
                        else
                        {
                            writer.Open("if (!" + Operand(b.Condition) + ")");
                            WriteStatements(writer, b.Else);
                            writer.Close();
                        }
                        break;

                    case BackwardCallStatement call:
                        WriteBackwardCall(writer, call);
                        break;
                }
            }
        }

        private void WriteBackwardCall(SourceWriter writer, BackwardCallStatement statement)
        {
            var call = statement.Call;
            var parts = call.Args.Select(Operand).ToList();
            parts.Add(Print(statement.Seed, _function.TypeOf(call.Result!.Value)));
            for (int k = 0; k < call.Args.Count; k++)
            {
                if (!call.ActiveParameters[k]) continue;
                if (statement.Adjoints[k] is { } adjoint)
                {
                    parts.Add("ref " + _names.Adjoint(adjoint));
                }
                else
                {
                    var type = _function.TypeOf(call.Args[k]);
                    string scratch = _names.Fresh("unused");
                    writer.Line(type.Keyword() + " " + scratch + " = " + Literal(0, type) + "; // the argument is constant here");
                    parts.Add("ref " + scratch);
                }
            }
            writer.Line(call.Method + "Backward(" + string.Join(", ", parts) + ");");
        }

        // Precedence, as in C#: higher binds tighter.
        private static int Precedence(Expr expr) => expr switch
        {
            ConditionalExpr => 1,
            BinaryExpr { Op: BinaryOp.Equal or BinaryOp.NotEqual } => 3,
            BinaryExpr { Op: BinaryOp.Less or BinaryOp.LessOrEqual or BinaryOp.Greater or BinaryOp.GreaterOrEqual } => 4,
            BinaryExpr { Op: BinaryOp.Add or BinaryOp.Subtract } => 5,
            BinaryExpr => 6,
            NegateExpr or ConvertExpr => 7,
            _ => 8,
        };

        private string Print(Expr expr, IrType type, int parent = 0)
        {
            string text = PrintBare(expr, type);
            return Precedence(Simplified(expr)) < parent ? "(" + text + ")" : text;
        }

        /// <summary>In Gradient the seed is 1: seed × e prints as e.</summary>
        private Expr Simplified(Expr expr)
        {
            if (!_gradientMode) return expr;
            return expr switch
            {
                BinaryExpr { Op: BinaryOp.Multiply, Left: SeedExpr } b => Simplified(b.Right),
                BinaryExpr { Op: BinaryOp.Multiply, Right: SeedExpr } b => Simplified(b.Left),
                CheckedMulExpr { Adjoint: SeedExpr } c => Simplified(c.Partial),
                _ => expr,
            };
        }

        private string PrintBare(Expr expr, IrType type)
        {
            expr = Simplified(expr);
            switch (expr)
            {
                case ValueExpr v: return Operand(v.Value);
                case ResultExpr r: return Operand(r.Value);
                case AdjointExpr a: return _names.Adjoint(a.Value);
                case SeedExpr: return _gradientMode ? Literal(1, type) : "dResult";
                case LiteralExpr l: return Literal(l.Value, type);
                case NegateExpr n:
                    string operand = Print(n.Operand, type, 7);
                    return operand.StartsWith("-", System.StringComparison.Ordinal) ? "-(" + operand + ")" : "-" + operand;
                case BinaryExpr b:
                    int precedence = Precedence(b);
                    return Print(b.Left, type, precedence) + " " + b.Op.Symbol() + " " + Print(b.Right, type, precedence + 1);
                case MathExpr m:
                    return (type == IrType.F32 ? "global::System.MathF." : "global::System.Math.") + m.Function + "(" +
                        string.Join(", ", m.Args.Select(a => Print(a, type))) + ")";
                case CheckedMulExpr c:
                    return "global::Differentiable.Grad.Mul(" + Print(c.Adjoint, type) + ", " + Print(c.Partial, type) + ")";
                case ConditionalExpr c:
                    return Print(c.Condition, type, 2) + " ? " + Print(c.WhenTrue, type, 2) + " : " + Print(c.WhenFalse, type, 1);
                case ConvertExpr c:
                    return "(" + type.Keyword() + ")" + Print(c.Operand, c.From, 8);
                default:
                    throw new System.InvalidOperationException("No C# form for " + expr.GetType().Name);
            }
        }

        private static string Literal(double value, IrType type)
        {
            string text = type == IrType.F32
                ? ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f"
                : value.ToString("R", CultureInfo.InvariantCulture) + "d";
            return value < 0 ? "(" + text + ")" : text;
        }
    }
}
