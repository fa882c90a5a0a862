using System;

namespace Differentiable.Generator.Ir
{
    /// <summary>An SSA value: defined once, by a parameter or an instruction.</summary>
    internal readonly record struct ValueId(int Index)
    {
        public override string ToString() => "%" + Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>What the function knows about a value: its type and the source name it came from, if any.</summary>
    internal sealed record ValueInfo(IrType Type, string? Hint);

    internal enum UnaryOp { Negate, Plus, Not, BitwiseNot }

    internal enum BinaryOp
    {
        Add, Subtract, Multiply, Divide, Remainder,
        Equal, NotEqual, Less, LessOrEqual, Greater, GreaterOrEqual,
        And, Or, ExclusiveOr, LeftShift, RightShift,
    }

    /// <summary>How a call is differentiated.</summary>
    internal enum CallKind
    {
        /// <summary>No derivative known: fine while every argument is inactive (the call is just evaluated).</summary>
        Opaque,

        /// <summary>A <c>[Differentiable]</c> method: the reverse sweep calls its generated <c>Backward</c>.</summary>
        Differentiable,
    }

    /// <summary>
    /// An IR instruction. <see cref="Origin"/> is the source statement it was lowered from; the reverse
    /// sweep prints it above the code that reverses it.
    /// </summary>
    internal abstract record Instruction(string Origin);

    /// <summary><c>Result = Text</c>: a literal, or a constant the source reads (a const or static field), in C# form.</summary>
    internal sealed record ConstInstr(ValueId Result, string Text, string Origin) : Instruction(Origin)
    {
        /// <summary>
        /// A read of state that may change while the method runs (a static field that is not readonly, a static
        /// property): a value of the moment it is read, never merged with another read, never read again in the
        /// reverse sweep (a loop records it when its reverse needs it).
        /// </summary>
        public bool Mutable { get; init; }
    }

    internal sealed record UnaryInstr(ValueId Result, UnaryOp Op, ValueId Operand, string Origin) : Instruction(Origin);

    internal sealed record BinaryInstr(ValueId Result, BinaryOp Op, ValueId Left, ValueId Right, string Origin) : Instruction(Origin);

    /// <summary>A numeric conversion to the result's type.</summary>
    internal sealed record ConvertInstr(ValueId Result, ValueId Operand, string Origin) : Instruction(Origin);

    /// <summary>A math function with a rule in the derivative table (<see cref="Function"/> is the rule's name).</summary>
    internal sealed record IntrinsicInstr(ValueId Result, string Function, string Spelling, EquatableArray<ValueId> Args, string Origin) : Instruction(Origin);

    /// <summary><c>Grad.Stop(x)</c>: the value of x, no derivative.</summary>
    internal sealed record StopInstr(ValueId Result, ValueId Operand, string Origin) : Instruction(Origin);

    /// <summary>
    /// A call of a static method. <see cref="Method"/> is the fully qualified callee (<c>global::N.T.M</c>).
    /// For a <see cref="CallKind.Differentiable"/> callee, <see cref="ActiveParameters"/> says which of its
    /// parameters have adjoints in its <c>Backward</c>. <see cref="Result"/> is null for a void call.
    /// </summary>
    internal sealed record CallInstr(ValueId? Result, string Method, CallKind Kind, EquatableArray<ValueId> Args,
        EquatableArray<bool> ActiveParameters, string Origin) : Instruction(Origin)
    {
        /// <summary>Per parameter, true for a <c>Span</c> or array the callee may write.</summary>
        public EquatableArray<bool> WritableParameters { get; init; } = EquatableArray<bool>.Empty;

        /// <summary>The callee's parameter names (for the names of its activity variants).</summary>
        public EquatableArray<string> ParameterNames { get; init; } = EquatableArray<string>.Empty;

        /// <summary>
        /// The callee's model key (<see cref="Parsing.MethodModel.HintName"/>) when it is generated in this
        /// compilation, so it can be asked for a variant whose constant buffers need no adjoint; null otherwise.
        /// </summary>
        public string? CalleeKey { get; init; }

        /// <summary>
        /// The fully qualified <c>[DerivativeOf]</c> rule that is the callee's Backward, or null when it is
        /// <c>{Method}Backward</c>.
        /// </summary>
        public string? Backward { get; init; }

        /// <summary>The masks of the rule's activity variants (<c>{Rule}Constant{P}</c>), '1' at each constant parameter.</summary>
        public EquatableArray<string> RuleVariants { get; init; } = EquatableArray<string>.Empty;
    }

    /// <summary>A two-way branch that merges: each branch yields one value per output.</summary>
    internal sealed record IfInstr(ValueId Condition, Block Then, Block Else, EquatableArray<ValueId> Outputs, string Origin) : Instruction(Origin);

    /// <summary><c>Result = buffer.Length</c>.</summary>
    internal sealed record LengthInstr(ValueId Result, ValueId Buffer, string Origin) : Instruction(Origin);

    /// <summary><c>Result = buffer[index]</c>: reads memory, so it is never merged with another load.</summary>
    internal sealed record LoadInstr(ValueId Result, ValueId Buffer, ValueId Index, string Origin) : Instruction(Origin);

    /// <summary><c>buffer[index] = value</c>.</summary>
    internal sealed record StoreInstr(ValueId Buffer, ValueId Index, ValueId Value, string Origin) : Instruction(Origin);

    /// <summary><c>Result = buffer.Slice(start)</c> or <c>buffer.Slice(start, length)</c>: a view of the same memory.</summary>
    internal sealed record SliceInstr(ValueId Result, ValueId Buffer, ValueId Start, ValueId? Length, string Origin) : Instruction(Origin);

    internal enum AllocKind { Stack, Array, Workspace }

    /// <summary>
    /// A local buffer of <paramref name="Length"/> zeroed elements: <c>stackalloc T[n]</c>, <c>new T[n]</c> or
    /// <c>Workspace.Rent&lt;T&gt;(n)</c> (the calling thread's arena; the generated member opens a scope around its body).
    /// </summary>
    internal sealed record AllocInstr(ValueId Result, ValueId Length, AllocKind Kind, string Origin) : Instruction(Origin);

    /// <summary>
    /// The counter of a canonical loop, <c>for (int i = Start; i CMP Bound; i += Step)</c> with Step ±1, the
    /// bound computed once before the loop and the counter written nowhere else: its reverse runs the
    /// counter backwards without recording anything.
    /// </summary>
    internal sealed record CountedLoop(ValueId Counter, ValueId Start, ValueId Bound, BinaryOp Comparison, int Step);

    /// <summary>
    /// A loop. <see cref="Carried"/> are the values of the locals the loop changes at the top of an
    /// iteration: they start as <see cref="Initial"/>, the body yields their next values, and
    /// <see cref="Outputs"/> are their values after the loop. A general loop evaluates
    /// <see cref="Header"/> (which yields the condition) before each iteration, or before each but the
    /// first when <see cref="TestFirst"/> is false (<c>do</c>/<c>while</c>); a counted loop has an empty
    /// header. <see cref="TripCount"/> is the number of times the body ran.
    /// </summary>
    internal sealed record LoopInstr(EquatableArray<ValueId> Carried, EquatableArray<ValueId> Initial, EquatableArray<ValueId> Outputs,
        CountedLoop? Counted, Block Header, bool TestFirst, Block Body, ValueId TripCount, string Origin) : Instruction(Origin);

    /// <summary>How a block ends.</summary>
    internal abstract record Terminator;

    /// <summary>Leaves the function (with a value unless the method is void).</summary>
    internal sealed record ReturnTerminator(ValueId? Value, string Origin) : Terminator;

    /// <summary>Ends a branch of an <see cref="IfInstr"/>, giving the values of its outputs.</summary>
    internal sealed record YieldTerminator(EquatableArray<ValueId> Values) : Terminator;

    /// <summary>A branch whose both sides leave the function (an <c>if</c> with a <c>return</c> inside).</summary>
    internal sealed record SplitTerminator(ValueId Condition, Block Then, Block Else, string Origin) : Terminator;

    /// <summary>A straight run of instructions and how it ends.</summary>
    internal sealed record Block(EquatableArray<Instruction> Instructions, Terminator Terminator);

    /// <summary>A parameter; <see cref="TypeName"/> is its C# type as the generated signature writes it.</summary>
    internal sealed record IrParameter(ValueId Value, string Name, IrType Type, string TypeName, bool Active);

    /// <summary>A lowered method: parameters, body, and the table of every value's type.</summary>
    internal sealed record IrFunction(string Name, EquatableArray<IrParameter> Parameters, IrType? ReturnType, Block Body, EquatableArray<ValueInfo> Values)
    {
        public IrType TypeOf(ValueId value) => Values[value.Index].Type;
    }
}
