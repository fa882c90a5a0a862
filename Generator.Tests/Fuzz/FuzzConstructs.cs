namespace Differentiable.Generator.Tests.Fuzz;

/// <summary>
/// The constructs a program uses, by name, counted per run so the grammar cannot quietly shrink: the CI test
/// requires every name of <see cref="Required"/> in its run.
/// </summary>
internal static class FuzzConstructs
{
    public static readonly string[] Required =
    {
        "double", "float", "param ReadOnlySpan", "param Span", "param array", "[NoDiff] span", "[NoDiff] scalar", "int param",
        "stackalloc", "new T[n]", "static readonly", "mutable static", "Bump() between reads",
        "for counted", "for backwards", "for step 2", "for with condition", "while", "while with condition", "do/while", "foreach",
        "nested loop", "break", "continue", "return in loop", "early return", "condition reads buffer", "loop condition reads buffer",
        "if", "if/else", "?:", "&&", "||", "!", "store =", "store +=", "store *=", "assign *=",
        "helper scalar call", "helper inlined in a loop", "helper split in a loop", "helper calls a helper", "helper void call", "helper buffer argument [NoDiff]", "same buffer twice", "rule Soft", "rule WSum",
        "CopyTo", "Fill", "Clear", "Grad.Stop", "via double", "counter as value", "index ^1", "index mirror", "index next",
        "sin and cos of one value", "index packed",
    };

    /// <summary>What the generator must have done with some program of the CI run, read from its output (FuzzRunner).</summary>
    public static readonly string[] RequiredOfGenerator =
    {
        "generated: loop nest in one block", "generated: Gradient over Core", "generated: plain and checked loop versions",
        "generated: records in a branch", "generated: stepped induction", "generated: reverse in lanes",
    };

    public static HashSet<string> Of(FuzzProgram p)
    {
        var set = new HashSet<string>(StringComparer.Ordinal) { p.IsFloat ? "float" : "double" };
        foreach (var param in p.Main.Params)
        {
            set.Add(param.Kind switch
            {
                ParamKind.ReadOnlySpan => "param ReadOnlySpan",
                ParamKind.Span => "param Span",
                ParamKind.Array => "param array",
                ParamKind.NoDiffSpan => "[NoDiff] span",
                ParamKind.NoDiffScalar => "[NoDiff] scalar",
                ParamKind.Int => "int param",
                _ => "param scalar",
            });
        }
        foreach (var l in p.Main.Locals) set.Add(l.Stackalloc ? "stackalloc" : "new T[n]");
        foreach (var f in p.Fields) set.Add(f.Mutable ? "mutable static" : "static readonly");
        var noDiffBuffers = p.Main.Params.Where(x => x.Kind == ParamKind.NoDiffSpan).Select(x => x.Name).ToHashSet();
        bool pureHelper = false, splitHelper = false;
        foreach (var m in p.Helpers.Append(p.Main))
        {
            var walker = new Walker(set, noDiffBuffers, m == p.Main, pureHelper, splitHelper);
            walker.Block(m.Body, 0, false);
            if (m.Result is not null) walker.Expr(m.Result);
            if (m.Name == "H0") { pureHelper = !walker.Impure; splitHelper = walker.CallsRule; }
        }
        return set;
    }

    /// <param name="pureHelper">
    /// H0 only computes (no rule call, no static field): the generator inlines a call of it in a loop. When H0 calls a rule, a
    /// call of it in a loop goes through its split forms (H0 writes no memory, and they pay: SplitForms.Worth).
    /// </param>
    private sealed class Walker(HashSet<string> set, HashSet<string> noDiff, bool main, bool pureHelper, bool splitHelper)
    {
        private bool _readSinceBump, _bumpedAfterRead;
        private int _loops;

        /// <summary>The method calls a rule or reads a static field.</summary>
        public bool Impure { get; private set; }

        /// <summary>The method calls a rule or a helper (so split forms of it pay: see SplitForms.Worth).</summary>
        public bool CallsRule { get; private set; }

        public void Block(Stmt[] body, int loops, bool inCondition)
        {
            foreach (var s in body) Statement(s, loops);
        }

        private void Statement(Stmt s, int loops)
        {
            _loops = loops;
            switch (s)
            {
                case Decl d: Expr(d.Init); break;
                case Assign a: Expr(a.Value); if (a.Op == "*=") set.Add("assign *="); break;
                case Store st: set.Add("store " + st.Op); Index(st.Index); Expr(st.Value); break;
                case If i:
                    set.Add(i.Else is null ? "if" : "if/else");
                    Bool(i.Test, false);
                    Block(i.Then, loops, false);
                    if (i.Else is not null) Block(i.Else, loops, false);
                    break;
                case Loop l:
                    set.Add(l.Kind switch
                    {
                        LoopKind.ForUp => "for counted",
                        LoopKind.ForDown => "for backwards",
                        LoopKind.ForStep2 => "for step 2",
                        LoopKind.ForCond => "for with condition",
                        LoopKind.While => l.Extra is null ? "while" : "while with condition",
                        LoopKind.DoWhile => "do/while",
                        _ => "foreach",
                    });
                    if (l.Kind == LoopKind.While) set.Add("while");
                    if (loops > 0) set.Add("nested loop");
                    if (l.Extra is not null) Bool(l.Extra, true);
                    Block(l.Body, loops + 1, false);
                    break;
                case Break: set.Add("break"); break;
                case Continue: set.Add("continue"); break;
                case Return r: set.Add(loops > 0 ? "return in loop" : "early return"); Expr(r.Value); break;
                case CallVoid c:
                    set.Add("helper void call");
                    if (c.Args[0].Buffer == c.Args[1].Buffer) set.Add("same buffer twice");
                    foreach (var a in c.Args) Arg(a);
                    break;
                case Bump:
                    if (_readSinceBump) _bumpedAfterRead = true;
                    break;
                case BufferOp op: set.Add(op.Op); if (op.Value is not null) Expr(op.Value); break;
            }
        }

        private void Arg(Arg a)
        {
            if (a.Scalar is not null) Expr(a.Scalar);
            if (a.Buffer is not null && noDiff.Contains(a.Buffer)) set.Add("helper buffer argument [NoDiff]");
        }

        private void Index(Index i)
        {
            if (i.Kind == IndexKind.Last) set.Add("index ^1");
            if (i.Kind == IndexKind.Mirror) set.Add("index mirror");
            if (i.Kind == IndexKind.Next) set.Add("index next");
            if (i.Kind == IndexKind.Packed) set.Add("index packed");
        }

        public void Expr(Expr e)
        {
            switch (e)
            {
                case FieldRef f when f.Name.StartsWith('S'):
                    Impure = true;
                    _readSinceBump = true;
                    if (_bumpedAfterRead && main) set.Add("Bump() between reads");
                    break;
                case Load l:
                    Index(l.Index);
                    if (_inCondition) set.Add("condition reads buffer");
                    if (_inLoopCondition) set.Add("loop condition reads buffer");
                    break;
                case IntVal: set.Add("counter as value"); break;
                case Neg n: Expr(n.Operand); break;
                case Bin { Left: Fn { Name: "Sin", Args: [Var a] }, Right: Fn { Name: "Cos", Args: [Var b] } } rotation when a == b:
                    set.Add("sin and cos of one value"); Expr(rotation.Left); Expr(rotation.Right); break;
                case Bin b: Expr(b.Left); Expr(b.Right); break;
                case Fn f: set.Add("fn " + f.Name); foreach (var a in f.Args) Expr(a); break;
                case Cond c: set.Add("?:"); Bool(c.Test, false); Expr(c.IfTrue); Expr(c.IfFalse); break;
                case FieldRef: Impure = true; break;
                case CallHelper c when !main:
                    // H0 calling H2: H0 is no longer a leaf (not inlined), and its split forms pay.
                    set.Add("helper calls a helper");
                    Impure = CallsRule = true;
                    foreach (var a in c.Args) Arg(a);
                    break;
                case CallHelper c:
                    set.Add("helper scalar call");
                    if (_loops > 0 && pureHelper) set.Add("helper inlined in a loop");
                    if (_loops > 0 && splitHelper) set.Add("helper split in a loop"); // through H0's Forward and Reverse
                    foreach (var a in c.Args) Arg(a);
                    break;
                case CallRule { Buffer: not null } when _inLoopCondition: Impure = CallsRule = true; set.Add("loop condition reads buffer"); set.Add("rule WSum"); break;
                case CallRule r: Impure = CallsRule = true; set.Add("rule " + r.Name); if (r.Scalar is not null) Expr(r.Scalar); break;
                case ViaDouble v: set.Add("via double"); Expr(v.Operand); break;
                case Stop s: set.Add("Grad.Stop"); Expr(s.Operand); break;
            }
        }

        private bool _inCondition, _inLoopCondition;

        private void Bool(BoolExpr b, bool loopCondition)
        {
            bool old = _inCondition, oldLoop = _inLoopCondition;
            _inCondition = true;
            _inLoopCondition |= loopCondition;
            switch (b)
            {
                case Cmp c: Expr(c.Left); Expr(c.Right); break;
                case And a: set.Add("&&"); Bool(a.Left, loopCondition); Bool(a.Right, loopCondition); break;
                case Or o: set.Add("||"); Bool(o.Left, loopCondition); Bool(o.Right, loopCondition); break;
                case Not n: set.Add("!"); Bool(n.Operand, loopCondition); break;
            }
            _inCondition = old;
            _inLoopCondition = oldLoop;
        }
    }
}
