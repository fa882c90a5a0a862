namespace Differentiable.Generator.Tests.Fuzz;

// The fuzzer's program model: a small typed AST of [Differentiable] methods, printed to C# twice (FuzzPrinter): as
// the method under test (double or float, with [Differentiable]) and as its "twin" (everything in double, no
// attribute, every branch decision and kink recorded by FuzzTrace) that the finite differences run. Records, so the
// shrinker (FuzzShrinker) rebuilds smaller programs with 'with'.
//
// Every scalar expression has the program's element type T (double or float). Domain guards are part of the
// nodes (a Log prints as Log(2 + Sin(e))), so shrinking an operand can never leave a function's domain.

/// <summary>A scalar expression of the program's element type.</summary>
internal abstract record Expr;

/// <summary>A literal, exactly representable in float (so the double twin sees the same value).</summary>
internal sealed record Num(double Value) : Expr;

/// <summary>A scalar local, parameter or foreach variable.</summary>
internal sealed record Var(string Name) : Expr;

/// <summary>An int loop counter or parameter used as a value: <c>(T)i</c>.</summary>
internal sealed record IntVal(string Name) : Expr;

/// <summary>A static field: <c>K*</c> static readonly, <c>S*</c> mutable.</summary>
internal sealed record FieldRef(string Name) : Expr;

/// <summary><c>buf[index]</c>.</summary>
internal sealed record Load(string Buffer, Index Index) : Expr;

internal sealed record Neg(Expr Operand) : Expr;

/// <summary><c>+ - *</c>, and <c>/</c> whose right operand is printed as a guarded denominator <c>(1.5 + Cos(b))</c>.</summary>
internal sealed record Bin(char Op, Expr Left, Expr Right) : Expr;

/// <summary>A math function from the rule table, with its domain guard (<see cref="FuzzMath"/>).</summary>
internal sealed record Fn(string Name, Expr[] Args) : Expr
{
    public bool Equals(Fn? other) => other is not null && Name == other.Name && Args.SequenceEqual(other.Args);
    public override int GetHashCode() => Name.GetHashCode();
}

/// <summary><c>c ? a : b</c>.</summary>
internal sealed record Cond(BoolExpr Test, Expr IfTrue, Expr IfFalse) : Expr;

/// <summary>A call of a generated scalar helper: scalar and buffer arguments in the helper's parameter order.</summary>
internal sealed record CallHelper(string Helper, Arg[] Args) : Expr
{
    public bool Equals(CallHelper? other) => other is not null && Helper == other.Helper && Args.SequenceEqual(other.Args);
    public override int GetHashCode() => Helper.GetHashCode();
}

/// <summary>A call of a library function with a [DerivativeOf] rule: Soft(e) (scalar) or WSum(buf).</summary>
internal sealed record CallRule(string Name, Expr? Scalar, string? Buffer) : Expr;

/// <summary>In a float program, <c>(float)Math.Sin((double)e)</c>: a round trip through double.</summary>
internal sealed record ViaDouble(Expr Operand) : Expr;

/// <summary><c>Grad.Stop(e)</c>.</summary>
internal sealed record Stop(Expr Operand) : Expr;

/// <summary>An argument of a helper call: a scalar expression or a buffer name.</summary>
internal sealed record Arg(Expr? Scalar, string? Buffer);

/// <summary>A condition.</summary>
internal abstract record BoolExpr;

/// <summary><c>a op b</c>, op one of &lt; &lt;= &gt; &gt;=.</summary>
internal sealed record Cmp(string Op, Expr Left, Expr Right) : BoolExpr;

internal sealed record And(BoolExpr Left, BoolExpr Right) : BoolExpr;

internal sealed record Or(BoolExpr Left, BoolExpr Right) : BoolExpr;

internal sealed record Not(BoolExpr Operand) : BoolExpr;

/// <summary>How a buffer is indexed. Every buffer of a program has the same length, so any loop counter fits any buffer.</summary>
internal enum IndexKind { Counter, Zero, Last, Mirror, Next, Packed }

internal sealed record Index(IndexKind Kind, string? Counter);

/// <summary>A statement.</summary>
internal abstract record Stmt;

/// <summary><c>T name = e;</c></summary>
internal sealed record Decl(string Name, Expr Init) : Stmt;

/// <summary><c>int name = 0;</c> (what the shrinker leaves of a loop's counter when it unwraps the loop).</summary>
internal sealed record IntDecl(string Name) : Stmt;

/// <summary><c>name++;</c> or <c>name += By;</c> on an int (a packed index that an inner loop moves on).</summary>
internal sealed record IntStep(string Name, int By) : Stmt;

/// <summary><c>name op e;</c>, op one of = += -= *=.</summary>
internal sealed record Assign(string Name, string Op, Expr Value) : Stmt;

/// <summary><c>buf[index] op e;</c></summary>
internal sealed record Store(string Buffer, Index Index, string Op, Expr Value) : Stmt;

internal sealed record If(BoolExpr Test, Stmt[] Then, Stmt[]? Else) : Stmt
{
    public bool Equals(If? other) => other is not null && Test == other.Test && Then.SequenceEqual(other.Then)
        && (Else is null ? other.Else is null : other.Else is not null && Else.SequenceEqual(other.Else));
    public override int GetHashCode() => Test.GetHashCode();
}

internal enum LoopKind
{
    /// <summary><c>for (int i = 0; i &lt; n; i++)</c></summary>
    ForUp,
    /// <summary><c>for (int i = n - 1; i &gt;= 0; i--)</c></summary>
    ForDown,
    /// <summary><c>for (int i = 0; i &lt; n; i += 2)</c></summary>
    ForStep2,
    /// <summary><c>for (int i = 0; i &lt; n &amp;&amp; extra; i++)</c>: a condition that computes (non-canonical).</summary>
    ForCond,
    /// <summary><c>int k = 0; while (k &lt; n &amp;&amp; extra) { int i = k; k++; ... }</c></summary>
    While,
    /// <summary><c>int k = 0; do { int i = k; k++; ... } while (k &lt; n &amp;&amp; extra);</c></summary>
    DoWhile,
    /// <summary><c>foreach (T v in buf)</c>: Counter names the element variable.</summary>
    Foreach,
}

/// <summary>
/// A loop over the common length (<see cref="Bound"/>: a buffer's <c>.Length</c> or the int parameter <c>n</c>).
/// <see cref="Extra"/> is an additional condition (&amp;&amp; after the bound) for ForCond, While and DoWhile, where the
/// counter (or, for While/DoWhile, <c>k</c>) is in range when it runs.
/// </summary>
internal sealed record Loop(LoopKind Kind, string Counter, string Bound, string? Over, BoolExpr? Extra, Stmt[] Body) : Stmt
{
    public bool Equals(Loop? other) => other is not null && Kind == other.Kind && Counter == other.Counter && Bound == other.Bound
        && Over == other.Over && Extra == other.Extra && Body.SequenceEqual(other.Body);
    public override int GetHashCode() => Counter.GetHashCode();

    /// <summary>The while/do counter: k + the loop variable's name.</summary>
    public string WhileCounter => "k" + Counter;
}

internal sealed record Break : Stmt;

internal sealed record Continue : Stmt;

internal sealed record Return(Expr Value) : Stmt;

/// <summary>A call of a generated void helper (writes its Span parameter).</summary>
internal sealed record CallVoid(string Helper, Arg[] Args) : Stmt
{
    public bool Equals(CallVoid? other) => other is not null && Helper == other.Helper && Args.SequenceEqual(other.Args);
    public override int GetHashCode() => Helper.GetHashCode();
}

/// <summary><c>BumpN();</c>: a non-differentiable method that changes the mutable static <c>S{N}</c>.</summary>
internal sealed record Bump(int Field) : Stmt;

/// <summary><c>src.CopyTo(dst)</c>, <c>dst.Fill(e)</c> or <c>dst.Clear()</c>.</summary>
internal sealed record BufferOp(string Op, string Target, string? Source, Expr? Value) : Stmt;

internal enum ParamKind { Scalar, ReadOnlySpan, Span, Array, NoDiffSpan, NoDiffScalar, Int }

internal sealed record Param(string Name, ParamKind Kind)
{
    public bool IsBuffer => Kind is ParamKind.ReadOnlySpan or ParamKind.Span or ParamKind.Array or ParamKind.NoDiffSpan;
    public bool IsWritable => Kind is ParamKind.Span or ParamKind.Array;
}

/// <summary>A local buffer allocated at the top of a method: <c>stackalloc</c> or <c>new T[n]</c>.</summary>
internal sealed record LocalBuffer(string Name, bool Stackalloc);

/// <summary>A method: the main one (M) or a helper (H0, H1...). A void method has no <see cref="Result"/>.</summary>
internal sealed record Method(string Name, Param[] Params, LocalBuffer[] Locals, Stmt[] Body, Expr? Result)
{
    public bool Equals(Method? other) => other is not null && Name == other.Name && Params.SequenceEqual(other.Params)
        && Locals.SequenceEqual(other.Locals) && Body.SequenceEqual(other.Body) && Result == other.Result;
    public override int GetHashCode() => Name.GetHashCode();

    public bool ReturnsValue => Result is not null;

    /// <summary>The name of a buffer whose <c>.Length</c> is the common length.</summary>
    public string? LengthSource => Params.FirstOrDefault(p => p.IsBuffer)?.Name;
}

/// <summary>A static field of the program's class: <c>K*</c> static readonly, <c>S*</c> mutable (reset before every run).</summary>
internal sealed record Field(string Name, bool Mutable, double Initial);

/// <summary>One fuzzed program: its own class F{Id} with fields, helpers and the method M under test.</summary>
internal sealed record FuzzProgram(int Id, long Seed, bool IsFloat, int Length, Field[] Fields, Method[] Helpers, Method Main)
{
    public bool Equals(FuzzProgram? other) => other is not null && Id == other.Id && IsFloat == other.IsFloat && Length == other.Length
        && Fields.SequenceEqual(other.Fields) && Helpers.SequenceEqual(other.Helpers) && Main == other.Main;
    public override int GetHashCode() => Id;

    public string ClassName => "F" + Id;

    public string TwinClassName => "F" + Id + "Twin";

    public string T => IsFloat ? "float" : "double";
}
