using System.Collections.Generic;

namespace Differentiable.Generator.Ir
{
    /// <summary>What each instruction reads and defines, in one place for every analysis.</summary>
    internal static class IrFacts
    {
        /// <summary>The values an instruction reads directly (not those read inside an If's branches).</summary>
        public static IEnumerable<ValueId> Operands(Instruction instruction)
        {
            switch (instruction)
            {
                case UnaryInstr u: yield return u.Operand; break;
                case BinaryInstr b: yield return b.Left; yield return b.Right; break;
                case ConvertInstr c: yield return c.Operand; break;
                case StopInstr s: yield return s.Operand; break;
                case IntrinsicInstr i: foreach (var a in i.Args) yield return a; break;
                case CallInstr c: foreach (var a in c.Args) yield return a; break;
                case IfInstr f: yield return f.Condition; break;
                case LengthInstr l: yield return l.Buffer; break;
                case LoadInstr l: yield return l.Buffer; yield return l.Index; break;
                case StoreInstr s: yield return s.Buffer; yield return s.Index; yield return s.Value; break;
                case SliceInstr s:
                    yield return s.Buffer;
                    yield return s.Start;
                    if (s.Length is { } length) yield return length;
                    break;
                case AllocInstr a: yield return a.Length; break;
                case LoopInstr l:
                    foreach (var v in l.Initial) yield return v;
                    if (l.Counted is { } counted) { yield return counted.Start; yield return counted.Bound; }
                    break;
            }
        }

        /// <summary>The values a loop defines for its own header and body: the carried values and the counter.</summary>
        public static IEnumerable<ValueId> LoopLocals(LoopInstr loop)
        {
            foreach (var v in loop.Carried) yield return v;
            if (loop.Counted is { } c) yield return c.Counter;
        }

        /// <summary>The values an instruction defines (an If defines its outputs).</summary>
        public static IEnumerable<ValueId> Definitions(Instruction instruction)
        {
            switch (instruction)
            {
                case ConstInstr c: yield return c.Result; break;
                case UnaryInstr u: yield return u.Result; break;
                case BinaryInstr b: yield return b.Result; break;
                case ConvertInstr c: yield return c.Result; break;
                case StopInstr s: yield return s.Result; break;
                case IntrinsicInstr i: yield return i.Result; break;
                case CallInstr c when c.Result is { } r: yield return r; break;
                case IfInstr f: foreach (var o in f.Outputs) yield return o; break;
                case LengthInstr l: yield return l.Result; break;
                case LoadInstr l: yield return l.Result; break;
                case SliceInstr s: yield return s.Result; break;
                case AllocInstr a: yield return a.Result; break;
                case LoopInstr l:
                    foreach (var o in l.Outputs) yield return o;
                    yield return l.TripCount;
                    break;
            }
        }

        /// <summary>
        /// True for an instruction that changes no memory and no state and has no effect (arithmetic, intrinsics, loads,
        /// lengths, slices, conversions, Grad.Stop, constants that are not reads of mutable state): code between a load or
        /// store and a later use of the same element that cannot have changed the element.
        /// </summary>
        public static bool ChangesNothing(Instruction instruction) =>
            instruction is BinaryInstr or UnaryInstr or ConvertInstr or ConstInstr { Mutable: false } or IntrinsicInstr or LoadInstr or LengthInstr or SliceInstr or StopInstr;

        /// <summary>A block and every block inside it: branches, loop headers and bodies, splits.</summary>
        public static IEnumerable<Block> AllBlocks(Block block)
        {
            yield return block;
            foreach (var instruction in block.Instructions)
            {
                var inner = instruction switch
                {
                    IfInstr f => new[] { f.Then, f.Else },
                    LoopInstr l => new[] { l.Header, l.Body },
                    _ => null,
                };
                if (inner is null) continue;
                foreach (var child in inner)
                    foreach (var nested in AllBlocks(child)) yield return nested;
            }
            if (block.Terminator is SplitTerminator s)
            {
                foreach (var nested in AllBlocks(s.Then)) yield return nested;
                foreach (var nested in AllBlocks(s.Else)) yield return nested;
            }
        }

        /// <summary>Every instruction of a block, in order, with those of its branches and splits.</summary>
        public static IEnumerable<Instruction> AllInstructions(Block block)
        {
            foreach (var instruction in block.Instructions)
            {
                yield return instruction;
                if (instruction is IfInstr f)
                {
                    foreach (var inner in AllInstructions(f.Then)) yield return inner;
                    foreach (var inner in AllInstructions(f.Else)) yield return inner;
                }
                else if (instruction is LoopInstr l)
                {
                    foreach (var inner in AllInstructions(l.Header)) yield return inner;
                    foreach (var inner in AllInstructions(l.Body)) yield return inner;
                }
            }
            if (block.Terminator is SplitTerminator s)
            {
                foreach (var inner in AllInstructions(s.Then)) yield return inner;
                foreach (var inner in AllInstructions(s.Else)) yield return inner;
            }
        }

        /// <summary>Every value read anywhere in a block, nested branches and terminators included.</summary>
        public static void CollectUses(Block block, HashSet<ValueId> into)
        {
            foreach (var instruction in block.Instructions)
            {
                foreach (var operand in Operands(instruction)) into.Add(operand);
                if (instruction is IfInstr f)
                {
                    CollectUses(f.Then, into);
                    CollectUses(f.Else, into);
                }
                else if (instruction is LoopInstr l)
                {
                    CollectUses(l.Header, into);
                    CollectUses(l.Body, into);
                }
            }
            switch (block.Terminator)
            {
                case ReturnTerminator { Value: { } v }: into.Add(v); break;
                case YieldTerminator y: foreach (var v in y.Values) into.Add(v); break;
                case SplitTerminator s:
                    into.Add(s.Condition);
                    CollectUses(s.Then, into);
                    CollectUses(s.Else, into);
                    break;
            }
        }

        /// <summary>Every value defined anywhere in a block, nested branches included.</summary>
        public static void CollectDefinitions(Block block, HashSet<ValueId> into)
        {
            foreach (var instruction in AllInstructions(block))
            {
                foreach (var d in Definitions(instruction)) into.Add(d);
                if (instruction is LoopInstr loop)
                {
                    foreach (var d in LoopLocals(loop)) into.Add(d);
                }
            }
        }

        /// <summary>The value of a numeric literal as lowering writes it (<c>2.5d</c>, <c>1f</c>, <c>3</c>, <c>4L</c>).</summary>
        public static bool TryParseNumber(string text, out double value)
        {
            string digits = text.Length > 0 && (text[text.Length - 1] is 'd' or 'f' or 'L') ? text.Substring(0, text.Length - 1) : text;
            return double.TryParse(digits, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value);
        }

        public static string Symbol(this BinaryOp op) => op switch
        {
            BinaryOp.Add => "+",
            BinaryOp.Subtract => "-",
            BinaryOp.Multiply => "*",
            BinaryOp.Divide => "/",
            BinaryOp.Remainder => "%",
            BinaryOp.Equal => "==",
            BinaryOp.NotEqual => "!=",
            BinaryOp.Less => "<",
            BinaryOp.LessOrEqual => "<=",
            BinaryOp.Greater => ">",
            BinaryOp.GreaterOrEqual => ">=",
            BinaryOp.And => "&",
            BinaryOp.Or => "|",
            BinaryOp.ExclusiveOr => "^",
            BinaryOp.LeftShift => "<<",
            _ => ">>",
        };

        public static string Symbol(this UnaryOp op) => op switch
        {
            UnaryOp.Negate => "-",
            UnaryOp.Plus => "+",
            UnaryOp.Not => "!",
            _ => "~",
        };

        public static bool IsComparison(this BinaryOp op) => op >= BinaryOp.Equal && op <= BinaryOp.GreaterOrEqual;
    }
}
