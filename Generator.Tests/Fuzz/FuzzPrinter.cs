using System.Globalization;
using System.Text;

namespace Differentiable.Generator.Tests.Fuzz;

/// <summary>
/// The math functions the fuzzer uses, each with a domain guard written into its template: <c>{0}</c>.. are the
/// operands, <c>M.</c> is Math/MathF, <c>P.</c> double/float, <c>@</c> the literal suffix. Twin templates (all
/// double) route kinks and discontinuities through FuzzTrace, so the finite differences can tell when a probe
/// crossed one.
/// </summary>
internal static class FuzzMath
{
    internal sealed record Entry(string Name, int Arity, string Template, string? Twin = null, bool Kink = false);

    public static readonly Entry[] All =
    {
        new("Sin", 1, "M.Sin({0})"),
        new("Cos", 1, "M.Cos({0})"),
        new("Tan", 1, "M.Tan(0.5@ * M.Tanh({0}))"),
        new("Asin", 1, "M.Asin(0.5@ * M.Tanh({0}))"),
        new("Acos", 1, "M.Acos(0.5@ * M.Tanh({0}))"),
        new("Atan", 1, "M.Atan({0})"),
        new("Atan2", 2, "M.Atan2({0}, 2@ + M.Cos({1}))"),
        new("Sinh", 1, "M.Sinh(2@ * M.Tanh({0}))"),
        new("Cosh", 1, "M.Cosh(M.Sin({0}))"),
        new("Tanh", 1, "M.Tanh({0})"),
        new("Asinh", 1, "M.Asinh({0})"),
        new("Acosh", 1, "M.Acosh(2.5@ + M.Sin({0}))"),
        new("Atanh", 1, "M.Atanh(0.5@ * M.Tanh({0}))"),
        new("Exp", 1, "M.Exp(M.Tanh({0}))"),
        new("Exp2", 1, "P.Exp2(M.Sin({0}))"),
        new("Log", 1, "M.Log(2@ + M.Sin({0}))"),
        new("LogBase", 1, "M.Log(2@ + M.Sin({0}), 3@)"),
        new("Log10", 1, "M.Log10(3@ + M.Cos({0}))"),
        new("Log2", 1, "M.Log2(2.5@ + M.Sin({0}))"),
        new("Sqrt", 1, "M.Sqrt(1.25@ + M.Sin({0}))"),
        new("Cbrt", 1, "M.Cbrt(2@ + M.Sin({0}))"),
        new("Pow", 2, "M.Pow(1.5@ + M.Sin({0}), 1.5@ + M.Cos({1}))"),
        new("PowInt", 1, "M.Pow(1.25@ + M.Cos({0}), 3@)"),
        new("FusedMultiplyAdd", 3, "M.FusedMultiplyAdd({0}, {1}, {2})"),
        new("Hypot", 1, "P.Hypot({0}, 1.5@)"),
        new("Abs", 1, "M.Abs({0})", "FuzzTrace.Abs({0})", Kink: true),
        new("Max", 2, "M.Max({0}, {1})", "FuzzTrace.Max({0}, {1})", Kink: true),
        new("Min", 2, "M.Min({0}, {1})", "FuzzTrace.Min({0}, {1})", Kink: true),
        new("Clamp", 1, "Math.Clamp({0}, -1@, 1@)", "FuzzTrace.Clamp({0}, -1, 1)", Kink: true),
        new("Floor", 1, "M.Floor({0})", "FuzzTrace.Floor({0})", Kink: true),
        new("Ceiling", 1, "M.Ceiling({0})", "FuzzTrace.Ceiling({0})", Kink: true),
        new("Round", 1, "M.Round({0})", "FuzzTrace.Round({0})", Kink: true),
        new("Truncate", 1, "M.Truncate({0})", "FuzzTrace.Truncate({0})", Kink: true),
        new("Sign", 1, "(M.Sign({0}) * 0.25@)", "(FuzzTrace.Sign({0}) * 0.25)", Kink: true),
    };

    public static readonly Dictionary<string, Entry> ByName = All.ToDictionary(e => e.Name);
}

/// <summary>Prints a <see cref="FuzzProgram"/> as the class under test and its traced double twin.</summary>
internal sealed class FuzzPrinter
{
    private readonly FuzzProgram _p;
    private readonly bool _twin;
    private readonly StringBuilder _sb = new();
    private int _indent;

    private readonly bool _adjointDrivers;

    private FuzzPrinter(FuzzProgram program, bool twin, bool adjointDrivers = false)
    {
        _p = program;
        _twin = twin;
        _adjointDrivers = adjointDrivers;
    }

    private bool IsFloat => _p.IsFloat && !_twin;

    private string T => IsFloat ? "float" : "double";

    /// <summary>The class under test (with [Differentiable]) and its drivers.</summary>
    public static string Real(FuzzProgram p, bool withAdjoints = true) => new FuzzPrinter(p, twin: false, withAdjoints).Class();

    /// <summary>The traced double twin and its value driver.</summary>
    public static string Twin(FuzzProgram p) => new FuzzPrinter(p, twin: true).Class();

    /// <summary>Just the source of the program (fields, helpers, M), as a reproduction.</summary>
    public static string Repro(FuzzProgram p)
    {
        var printer = new FuzzPrinter(p, twin: false);
        printer.Members(withDrivers: false);
        return printer._sb.ToString();
    }

    /// <summary>The text of the main method alone (for LoopSignature.Parse).</summary>
    public static string MainText(FuzzProgram p, bool twin)
    {
        var printer = new FuzzPrinter(p, twin);
        printer.MethodDecl(p.Main, isMain: true);
        return printer._sb.ToString();
    }

    private string Class()
    {
        Line($"public static partial class {(_twin ? _p.TwinClassName : _p.ClassName)}");
        Line("{");
        _indent++;
        Members(withDrivers: true);
        _indent--;
        Line("}");
        return _sb.ToString();
    }

    private void Members(bool withDrivers)
    {
        foreach (var f in _p.Fields)
        {
            Line(f.Mutable ? $"public static {T} {f.Name} = {Lit(f.Initial)};" : $"public static readonly {T} {f.Name} = {Lit(f.Initial)};");
            if (f.Mutable) Line($"public static void Bump{f.Name.Substring(1)}() {{ {f.Name} = {f.Name} * {Lit(0.5)} + {Lit(0.25)}; }}");
        }
        if (withDrivers)
        {
            Line("public static void Reset__() { " + string.Concat(_p.Fields.Where(f => f.Mutable).Select(f => $"{f.Name} = {Lit(f.Initial)}; ")) + "}");
        }
        foreach (var h in _p.Helpers) MethodDecl(h, isMain: false);
        MethodDecl(_p.Main, isMain: true);
        if (withDrivers)
        {
            var signature = Corpus.LoopSignature.Parse(MainText(_p, _twin), "M");
            foreach (var line in signature.Drivers(withAdjoints: _adjointDrivers).Split('\n')) if (line.Length > 0) Line(line);
        }
    }

    private Method? _method;

    private bool IsArray(string buffer) =>
        _method is not null && (_method.Params.Any(p => p.Name == buffer && p.Kind == ParamKind.Array) || _method.Locals.Any(l => l.Name == buffer && !l.Stackalloc));

    private void MethodDecl(Method m, bool isMain)
    {
        _method = m;
        if (!_twin) Line("[Differentiable]");
        string parameters = string.Join(", ", m.Params.Select(ParamDecl));
        Line($"public static {(m.ReturnsValue ? T : "void")} {m.Name}({parameters})");
        Line("{");
        _indent++;
        foreach (var b in m.Locals)
        {
            string length = m.LengthSource + ".Length";
            Line(b.Stackalloc ? $"Span<{T}> {b.Name} = stackalloc {T}[{length}];" : $"{T}[] {b.Name} = new {T}[{length}];");
        }
        foreach (var s in m.Body) Statement(s);
        if (m.Result is not null) Line($"return {E(m.Result)};");
        _indent--;
        Line("}");
    }

    private string ParamDecl(Param p) => p.Kind switch
    {
        ParamKind.Scalar => $"{T} {p.Name}",
        ParamKind.ReadOnlySpan => $"ReadOnlySpan<{T}> {p.Name}",
        ParamKind.Span => $"Span<{T}> {p.Name}",
        ParamKind.Array => $"{T}[] {p.Name}",
        ParamKind.NoDiffSpan => $"[NoDiff] ReadOnlySpan<{T}> {p.Name}",
        ParamKind.NoDiffScalar => $"[NoDiff] {T} {p.Name}",
        ParamKind.Int => $"int {p.Name}",
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };

    // ------------------------------------------------------------ statements

    private void Statement(Stmt s)
    {
        switch (s)
        {
            case Decl d: Line($"{T} {d.Name} = {E(d.Init)};"); break;
            case IntDecl d: Line($"int {d.Name} = 0;"); break;
            case IntStep step: Line(step.By == 1 ? $"{step.Name}++;" : $"{step.Name} += {step.By};"); break;
            case Assign a: Line(TwinSum(a.Name, a.Op, a.Value) ?? $"{a.Name} {a.Op} {E(a.Value)};"); break;
            case Store st: Line(TwinSum(Idx(st.Buffer, st.Index), st.Op, st.Value) ?? $"{Idx(st.Buffer, st.Index)} {st.Op} {E(st.Value)};"); break;
            case If i:
                Line($"if ({B(i.Test)})");
                Block(i.Then);
                if (i.Else is not null)
                {
                    Line("else");
                    Block(i.Else);
                }
                break;
            case Loop l: LoopStatement(l); break;
            case Break: Line("break;"); break;
            case Continue: Line("continue;"); break;
            case Return r: Line($"return {E(r.Value)};"); break;
            case CallVoid c: Line($"{c.Helper}({Args(c.Args)});"); break;
            case Bump b: Line($"Bump{b.Field}();"); break;
            case BufferOp op:
                Line(op.Op switch
                {
                    // array.CopyTo(array) is ambiguous between the Span and Memory overloads of MemoryExtensions.
                    "CopyTo" when IsArray(op.Source!) && IsArray(op.Target) => $"{op.Source}.AsSpan().CopyTo({op.Target});",
                    "CopyTo" => $"{op.Source}.CopyTo({op.Target});",
                    "Fill" => $"{op.Target}.Fill({E(op.Value!)});",
                    "Clear" => $"{op.Target}.Clear();",
                    _ => throw new ArgumentOutOfRangeException(nameof(s)),
                });
                break;
            default: throw new ArgumentOutOfRangeException(nameof(s), s.GetType().Name);
        }
    }

    private void LoopStatement(Loop l)
    {
        string i = l.Counter, n = l.Bound, k = l.WhileCounter;
        string extra = l.Extra is null ? "" : " && " + B(l.Extra);
        switch (l.Kind)
        {
            case LoopKind.ForUp: Line($"for (int {i} = 0; {i} < {n}; {i}++)"); Block(l.Body); break;
            case LoopKind.ForDown: Line($"for (int {i} = {n} - 1; {i} >= 0; {i}--)"); Block(l.Body); break;
            case LoopKind.ForStep2: Line($"for (int {i} = 0; {i} < {n}; {i} += 2)"); Block(l.Body); break;
            case LoopKind.ForCond: Line($"for (int {i} = 0; {i} < {n}{extra}; {i}++)"); Block(l.Body); break;
            case LoopKind.Foreach: Line($"foreach ({T} {i} in {l.Over})"); Block(l.Body); break;
            case LoopKind.While:
                Line($"int {k} = 0;");
                Line($"while ({k} < {n}{extra})");
                Block(l.Body, $"int {i} = {k};", $"{k}++;");
                break;
            case LoopKind.DoWhile:
                Line($"int {k} = 0;");
                Line("do");
                Block(l.Body, $"int {i} = {k};", $"{k}++;");
                Line($"while ({k} < {n}{extra});");
                break;
            default: throw new ArgumentOutOfRangeException(nameof(l));
        }
    }

    private void Block(Stmt[] body, params string[] prefix)
    {
        Line("{");
        _indent++;
        foreach (var line in prefix) Line(line);
        foreach (var s in body) Statement(s);
        _indent--;
        Line("}");
    }

    /// <summary>In the twin, <c>t += e</c> as <c>t = FuzzTrace.Add(t, e)</c> (and <c>-=</c>): the same sum, its size noted.</summary>
    private string? TwinSum(string target, string op, Expr value) =>
        _twin && op is "+=" or "-=" ? $"{target} = FuzzTrace.{(op == "+=" ? "Add" : "Sub")}({target}, {E(value)});" : null;

    // ------------------------------------------------------------ expressions

    private string E(Expr e) => e switch
    {
        Num n => Lit(n.Value),
        Var v => v.Name,
        IntVal i => $"(({T}){i.Name})",
        FieldRef f => f.Name,
        Load l => Idx(l.Buffer, l.Index),
        Neg n => $"(-{E(n.Operand)})",
        Bin { Op: '/' } b => $"({E(b.Left)} / ({Lit(1.5)} + {Math("Cos")}({E(b.Right)})))",
        // The twin notes the size of what it adds (FuzzTrace.Size), for the finite differences' rounding.
        Bin { Op: '+' or '-' } b when _twin => $"FuzzTrace.{(b.Op == '+' ? "Add" : "Sub")}({E(b.Left)}, {E(b.Right)})",
        Bin b => $"({E(b.Left)} {b.Op} {E(b.Right)})",
        Fn f => Function(f),
        Cond c => $"({B(c.Test)} ? {E(c.IfTrue)} : {E(c.IfFalse)})",
        CallHelper c => $"{c.Helper}({Args(c.Args)})",
        CallRule { Buffer: { } buffer } r => $"FuzzLib.{r.Name}{(IsFloat ? "F" : "")}({buffer})",
        CallRule r => $"FuzzLib.{r.Name}{(IsFloat ? "F" : "")}({E(r.Scalar!)})",
        ViaDouble v when IsFloat => $"(float)Math.Sin((double){E(v.Operand)})",
        ViaDouble v => $"Math.Sin({E(v.Operand)})",
        Stop s when _twin => $"FuzzTrace.Stop({E(s.Operand)})",
        Stop s => $"Grad.Stop({E(s.Operand)})",
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name),
    };

    private string Function(Fn f)
    {
        var entry = FuzzMath.ByName[f.Name];
        string template = _twin && entry.Twin is not null ? entry.Twin : entry.Template;
        string text = template.Replace("M.", IsFloat ? "MathF." : "Math.", StringComparison.Ordinal)
            .Replace("P.", IsFloat ? "float." : "double.", StringComparison.Ordinal)
            .Replace("@", IsFloat ? "f" : "", StringComparison.Ordinal);
        for (int i = 0; i < f.Args.Length; i++) text = text.Replace("{" + i + "}", E(f.Args[i]), StringComparison.Ordinal);
        // A float program's twin notes a tanh near saturation (see FuzzTrace.Saturated).
        if (_twin && _p.IsFloat) text = text.Replace("Math.Tanh(", "FuzzTrace.Tanh(", StringComparison.Ordinal);
        return text;
    }

    private string Math(string name) => (IsFloat ? "MathF." : "Math.") + name;

    private string B(BoolExpr b) => b switch
    {
        // A float program's twin compares its operands rounded to float, so both take the same branch when the
        // float program's value rounds onto a boundary (MathF.Tanh of a large sum is exactly 1f; Math.Tanh is not).
        Cmp c when _twin && _p.IsFloat => $"FuzzTrace.B((float)({E(c.Left)}) {c.Op} (float)({E(c.Right)}))",
        Cmp c when _twin => $"FuzzTrace.B({E(c.Left)} {c.Op} {E(c.Right)})",
        Cmp c => $"{E(c.Left)} {c.Op} {E(c.Right)}",
        And a => $"({B(a.Left)} && {B(a.Right)})",
        Or o => $"({B(o.Left)} || {B(o.Right)})",
        Not n => $"!({B(n.Operand)})",
        _ => throw new ArgumentOutOfRangeException(nameof(b)),
    };

    private string Args(Arg[] args) => string.Join(", ", args.Select(a => a.Buffer ?? E(a.Scalar!)));

    private static string Idx(string buffer, Index index) => index.Kind switch
    {
        IndexKind.Counter => $"{buffer}[{index.Counter}]",
        IndexKind.Zero => $"{buffer}[0]",
        IndexKind.Last => $"{buffer}[^1]",
        IndexKind.Mirror => $"{buffer}[{buffer}.Length - 1 - {index.Counter}]",
        IndexKind.Next => $"{buffer}[({index.Counter} + 1) % {buffer}.Length]",
        IndexKind.Packed => $"{buffer}[{index.Counter} % {buffer}.Length]",
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    private string Lit(double v)
    {
        string text = v.ToString("R", CultureInfo.InvariantCulture);
        if (!text.Contains('.') && !text.Contains('E')) text += ".0";
        text = IsFloat ? text + "f" : text;
        return v < 0 ? "(" + text + ")" : text;
    }

    private void Line(string text) => _sb.Append(' ', 4 * _indent).Append(text).Append('\n');
}
