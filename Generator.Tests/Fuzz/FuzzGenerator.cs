namespace Differentiable.Generator.Tests.Fuzz;

/// <summary>
/// Writes random well-typed programs (<see cref="FuzzProgram"/>) from a seed: the same seed gives the same program.
/// Values stay bounded by construction (bounded functions around every growth, guarded domains, loops of at most a
/// few trips over the common buffer length), so finite differences apply wherever no kink is crossed.
/// </summary>
internal sealed class FuzzGenerator
{
    private static readonly double[] Literals = { 0.25, 0.5, 0.75, 1.5, 2, 3, -0.5, -1.25 };
    private static readonly string[] CmpOps = { "<", "<=", ">", ">=" };
    private static readonly string[] SmoothFunctions = FuzzMath.All.Where(e => !e.Kink).Select(e => e.Name).ToArray();
    private static readonly string[] KinkFunctions = FuzzMath.All.Where(e => e.Kink).Select(e => e.Name).ToArray();

    private readonly Random _r;
    private int _names;

    // The method being written.
    private List<Param> _params = new();
    private List<string> _readable = new(), _writable = new(), _spanWritable = new();
    private Field[] _fields = Array.Empty<Field>();
    private Method[] _helpers = Array.Empty<Method>();
    private bool _inHelper;

    // The scalar helper the helper being written may call (H0 may call H2), or null.
    private string? _nestedHelper;
    private bool _isFloat;

    private FuzzGenerator(long seed) => _r = new Random(unchecked((int)(seed ^ (seed >> 32))));

    /// <summary>The program of <paramref name="seed"/>, in class F<paramref name="id"/>.</summary>
    public static FuzzProgram Generate(int id, long seed) => new FuzzGenerator(seed).Program(id, seed);

    private sealed class Scope
    {
        public List<string> Scalars = new();
        public List<string> Assignable = new();
        public List<string> Counters = new();
        public List<string> Ints = new();
        public int LoopDepth;
        public bool CanReturn;

        public Scope Copy() => new()
        {
            Scalars = new(Scalars), Assignable = new(Assignable), Counters = new(Counters), Ints = new(Ints),
            LoopDepth = LoopDepth, CanReturn = CanReturn,
        };
    }

    private FuzzProgram Program(int id, long seed)
    {
        _isFloat = _r.NextDouble() < 0.35;
        int length = new[] { 1, 2, 3, 4, 7, 11 }[_r.Next(6)]; // 7 and 11 run vector lanes with a remainder (4 doubles, 8 floats)
        var fields = new List<Field>();
        if (Chance(0.5)) fields.Add(new Field("K0", false, Pick(Literals)));
        if (Chance(0.4)) fields.Add(new Field("S0", true, Pick(new[] { 0.75, 1.25 })));
        _fields = fields.ToArray();

        var helpers = new List<Method>();
        if (Chance(0.35))
        {
            // Sometimes H0 has a scalar helper of its own, H2, which it may call (split forms calling split forms,
            // a helper inlined into a helper).
            if (Chance(0.4))
            {
                helpers.Add(ScalarHelper("H2"));
                _nestedHelper = "H2";
            }
            helpers.Add(ScalarHelper("H0"));
            _nestedHelper = null;
        }
        if (Chance(0.3)) helpers.Add(VoidHelper("H1"));
        _helpers = helpers.ToArray();

        return new FuzzProgram(id, seed, _isFloat, length, _fields, _helpers, MainMethod());
    }

    // ------------------------------------------------------------ methods

    // Ints a loop of the main method declares where the method starts (packed indices).
    private readonly List<Stmt> _prelude = new();

    private Method MainMethod()
    {
        _inHelper = false;
        var ps = new List<Param> { new("x", ParamKind.Scalar) };
        if (Chance(0.5)) ps.Add(new Param("y", ParamKind.Scalar));
        if (Chance(0.2)) ps.Add(new Param("q", ParamKind.NoDiffScalar));
        ps.Add(new Param("w", Pick(new[] { ParamKind.ReadOnlySpan, ParamKind.ReadOnlySpan, ParamKind.Span, ParamKind.Array })));
        if (Chance(0.45)) ps.Add(new Param("u", ParamKind.Span));
        if (Chance(0.35)) ps.Add(new Param("z", ParamKind.Array));
        if (Chance(0.25)) ps.Add(new Param("c", ParamKind.NoDiffSpan));
        if (Chance(0.25)) ps.Add(new Param("n", ParamKind.Int));
        var locals = new List<LocalBuffer>();
        if (Chance(0.25)) locals.Add(new LocalBuffer("b0", Stackalloc: true));
        if (Chance(0.2)) locals.Add(new LocalBuffer("b1", Stackalloc: false));
        SetBuffers(ps, locals);

        var scope = new Scope { CanReturn = true };
        foreach (var p in ps)
        {
            if (p.Kind is ParamKind.Scalar or ParamKind.NoDiffScalar) { scope.Scalars.Add(p.Name); scope.Assignable.Add(p.Name); }
            if (p.Kind == ParamKind.Int) scope.Ints.Add(p.Name);
        }
        var body = new List<Stmt>();
        _prelude.Clear();
        int locs = 1 + _r.Next(3);
        for (int i = 0; i < locs; i++)
        {
            string name = "a" + i;
            body.Add(new Decl(name, Expr(scope, 2)));
            scope.Scalars.Add(name);
            scope.Assignable.Add(name);
        }
        body.AddRange(Statements(scope, 2 + _r.Next(5), depth: 0));
        body.InsertRange(0, _prelude);
        Expr result = new Var("a0");
        foreach (var s in scope.Scalars.Skip(1).Where(_ => Chance(0.5))) result = new Bin(Pick(new[] { '+', '-', '*' }), result, new Var(s));
        if (Chance(0.5)) result = new Bin('+', result, Expr(scope, 2));
        return new Method("M", ps.ToArray(), locals.ToArray(), body.ToArray(), result);
    }

    // A helper that only computes (math functions, its parameters, literals: no rule call, no static field), so the
    // generator lowers a call of it inside a loop in place (its inlining) instead of calling its Backward.
    private bool _pure;

    private Method ScalarHelper(string name)
    {
        _inHelper = true;
        _pure = Chance(0.5);
        try
        {
            return ScalarHelperBody(name);
        }
        finally
        {
            _pure = false;
        }
    }

    private Method ScalarHelperBody(string name)
    {
        var ps = new List<Param> { new("p", ParamKind.Scalar), new("h", ParamKind.ReadOnlySpan) };
        SetBuffers(ps, new List<LocalBuffer>());
        var scope = new Scope { Scalars = { "p" }, Assignable = { "p" } };
        var body = new List<Stmt> { new Decl("s", Expr(scope, 1)) };
        scope.Scalars.Add("s");
        scope.Assignable.Add("s");
        body.AddRange(Statements(scope, 1 + _r.Next(3), depth: 0));
        return new Method(name, ps.ToArray(), Array.Empty<LocalBuffer>(), body.ToArray(), new Bin('+', new Var("s"), Expr(scope, 1)));
    }

    private Method VoidHelper(string name)
    {
        _inHelper = true;
        var ps = new List<Param> { new("h", ParamKind.ReadOnlySpan), new("o", ParamKind.Span), new("p", ParamKind.Scalar) };
        SetBuffers(ps, new List<LocalBuffer>());
        var scope = new Scope { Scalars = { "p" }, Assignable = { "p" } };
        string i = "j" + _names++;
        var inner = scope.Copy();
        inner.Counters.Add(i);
        inner.LoopDepth = 1;
        var write = new Store("o", new Index(IndexKind.Counter, i), Pick(new[] { "=", "+=" }), Expr(inner, 2));
        var body = new List<Stmt> { new Loop(LoopKind.ForUp, i, "o.Length", null, null, new Stmt[] { write }.Concat(Statements(inner, _r.Next(2), 1)).ToArray()) };
        body.AddRange(Statements(scope, _r.Next(3), depth: 0));
        return new Method(name, ps.ToArray(), Array.Empty<LocalBuffer>(), body.ToArray(), null);
    }

    private void SetBuffers(List<Param> ps, List<LocalBuffer> locals)
    {
        _params = ps;
        _readable = ps.Where(p => p.IsBuffer).Select(p => p.Name).Concat(locals.Select(l => l.Name)).ToList();
        _writable = ps.Where(p => p.IsWritable).Select(p => p.Name).Concat(locals.Select(l => l.Name)).ToList();
        _spanWritable = ps.Where(p => p.Kind == ParamKind.Span).Select(p => p.Name).Concat(locals.Where(l => l.Stackalloc).Select(l => l.Name)).ToList();
    }

    // ------------------------------------------------------------ statements

    private List<Stmt> Statements(Scope scope, int count, int depth)
    {
        var list = new List<Stmt>();
        for (int k = 0; k < count; k++) list.Add(Statement(scope, depth));
        // An exit only ends a block (no unreachable code after it).
        if (scope.LoopDepth > 0 && Chance(0.3)) list.Add(new If(Bool(scope, 1), new[] { Exit(scope) }, null));
        else if (scope.CanReturn && !_inHelper && Chance(0.08)) list.Add(new If(Bool(scope, 1), new Stmt[] { new Return(Expr(scope, 2)) }, null));
        return list;
    }

    private Stmt Exit(Scope scope)
    {
        int k = _r.Next(10);
        if (k < 4) return new Break();
        if (k < 8) return new Continue();
        return scope.CanReturn && !_inHelper ? new Return(Expr(scope, 1)) : new Break();
    }

    private Stmt Statement(Scope scope, int depth)
    {
        while (true)
        {
            int k = _r.Next(100);
            if (k < 28) return AssignStatement(scope);
            if (k < 40 && _writable.Count > 0) return StoreStatement(scope);
            if (k < 52 && depth < 2)
            {
                var test = Bool(scope, 2);
                var then = Statements(scope.Copy(), 1 + _r.Next(2), depth + 1);
                var @else = Chance(0.35) ? Statements(scope.Copy(), 1, depth + 1) : null;
                return new If(test, then.ToArray(), @else?.ToArray());
            }
            if (k < 70 && scope.LoopDepth < 2 && depth < 3) return LoopStatement(scope, depth);
            if (k < 78)
            {
                string name = "t" + _names++;
                var decl = new Decl(name, Expr(scope, 2));
                scope.Scalars.Add(name);
                scope.Assignable.Add(name);
                return decl;
            }
            if (k < 84 && !_inHelper && _helpers.Any(h => !h.ReturnsValue) && _writable.Count > 0)
            {
                string output = Pick(_writable);
                string input = Chance(0.06) ? output : Pick(_readable);
                return new CallVoid("H1", new[] { new Arg(null, input), new Arg(null, output), new Arg(Expr(scope, 1), null) });
            }
            if (k < 88 && !_inHelper && _fields.Any(f => f.Mutable)) return new Bump(0);
            if (k < 94 && !_inHelper && _writable.Count > 0)
            {
                int op = _r.Next(3);
                string target = Pick(_writable), source = Pick(_readable);
                if (op == 0 && source != target) return new BufferOp("CopyTo", target, source, null);
                if (op > 0 && _spanWritable.Count > 0) return op == 1
                    ? new BufferOp("Fill", Pick(_spanWritable), null, Expr(scope, 1))
                    : new BufferOp("Clear", Pick(_spanWritable), null, null);
            }
        }
    }

    private Stmt AssignStatement(Scope scope)
    {
        if (scope.Assignable.Count == 0) return new Decl("t" + _names++, Expr(scope, 2));
        string target = Pick(scope.Assignable);
        int k = _r.Next(10);
        if (k < 3) return new Assign(target, "=", Expr(scope, 3));
        if (k < 7) return new Assign(target, "+=", Expr(scope, 2));
        if (k < 8) return new Assign(target, "-=", Expr(scope, 2));
        if (k == 9 && scope.Scalars.Count > 0 && Chance(0.5))
        {
            // Sine and cosine of one value side by side (a rotation): the reverse reads each as the other's partial.
            var angle = new Var(Pick(scope.Scalars));
            return new Assign(target, "+=", new Bin('*', new Fn("Sin", new Expr[] { angle }), new Fn("Cos", new Expr[] { angle })));
        }
        return new Assign(target, "*=", new Fn(Pick(new[] { "Cos", "Tanh", "Sin" }), new[] { Expr(scope, 2) }));
    }

    private Stmt StoreStatement(Scope scope)
    {
        string buffer = Pick(_writable);
        var index = IndexFor(scope, buffer);
        int k = _r.Next(10);
        if (k < 4) return new Store(buffer, index, "=", Expr(scope, 2));
        if (k < 8) return new Store(buffer, index, "+=", Expr(scope, 2));
        return new Store(buffer, index, "*=", new Fn(Pick(new[] { "Cos", "Tanh" }), new[] { Expr(scope, 2) }));
    }

    private Stmt LoopStatement(Scope scope, int depth)
    {
        var kind = (LoopKind)_r.Next(7);
        string counter = (kind == LoopKind.Foreach ? "v" : "i") + _names++;
        string bound = scope.Ints.Count > 0 && Chance(0.3) && !_inHelper ? Pick(scope.Ints) : Pick(_readable) + ".Length";
        string? over = kind == LoopKind.Foreach ? Pick(_readable) : null;
        BoolExpr? extra = null;
        if (kind == LoopKind.ForCond || ((kind is LoopKind.While or LoopKind.DoWhile) && Chance(0.6)))
        {
            var header = scope.Copy();
            header.Counters.Add(kind == LoopKind.ForCond ? counter : "k" + counter);
            extra = Bool(header, 2);
        }
        var inner = scope.Copy();
        inner.LoopDepth++;
        if (kind == LoopKind.Foreach) inner.Scalars.Add(counter);
        else inner.Counters.Add(counter);
        // Now and then a counted outer loop starts with a counted inner loop over a length that records (a product of
        // tanh): a nest the generator records into one block (inner loops at fixed places, bounds from before the nest).
        Stmt? first = null;
        if (kind is LoopKind.ForUp or LoopKind.ForDown && scope.LoopDepth == 0 && inner.Assignable.Count > 0 && Chance(0.3))
        {
            string innerCounter = "i" + _names++;
            var nested = inner.Copy();
            nested.LoopDepth++;
            nested.Counters.Add(innerCounter);
            var update = new Assign(Pick(inner.Assignable), "*=", new Fn("Tanh", new[] { Expr(nested, 2) }));
            first = new Loop(LoopKind.ForUp, innerCounter, Pick(_readable) + ".Length", null, null, new Stmt[] { update });
        }
        else if (kind is LoopKind.ForUp or LoopKind.ForDown && scope.LoopDepth == 0 && _writable.Count > 0 && inner.Scalars.Count > 0 && Chance(0.2))
        {
            // Or with a product into a buffer (GMM's triangular loop): the reverse multiplies the buffer's adjoint, which
            // may be zero, by an element of a read-only buffer and by a scalar the same in every inner iteration, the
            // shape the generator runs in a plain and a checked version.
            string innerCounter = "i" + _names++;
            var readOnly = _readable.Except(_writable).ToList();
            string source = Pick(readOnly.Count > 0 ? readOnly : _readable);
            var product = new Bin('*', new Load(source, new Index(IndexKind.Counter, innerCounter)), new Var(Pick(inner.Scalars)));
            var store = new Store(Pick(_writable), new Index(IndexKind.Counter, innerCounter), "+=", product);
            first = new Loop(LoopKind.ForUp, innerCounter, source + ".Length", null, null, new Stmt[] { store });
        }
        if (first is null && kind is LoopKind.ForUp or LoopKind.ForDown && scope.LoopDepth == 0 && !_inHelper && inner.Assignable.Count > 0 && Chance(0.2))
        {
            // Or a packed index (gmm's lower triangle): an int declared where the method starts, moved on by a counted
            // inner loop, carried by this loop from one iteration to the next; each iteration's reverse finds it again
            // from its value after the loop. It only grows, so it stays an index modulo the length.
            string innerCounter = "i" + _names++, packed = "p" + _names++;
            _prelude.Add(new IntDecl(packed));
            var nested = inner.Copy();
            nested.LoopDepth++;
            nested.Counters.Add(innerCounter);
            string source = Pick(_readable);
            var term = new Bin('*', new Fn("Sin", new Expr[] { new Load(Pick(_readable), new Index(IndexKind.Packed, packed)) }),
                new Load(source, new Index(IndexKind.Counter, innerCounter)));
            first = new Loop(Pick(new[] { LoopKind.ForUp, LoopKind.ForDown }), innerCounter, source + ".Length", null, null, new Stmt[]
            {
                new Assign(Pick(inner.Assignable), "+=", Chance(0.5) ? term : new Bin('*', term, Expr(nested, 1))),
                new IntStep(packed, Chance(0.7) ? 1 : 2),
            });
        }
        Stmt? weight = null;
        if (first is null && kind is LoopKind.ForUp or LoopKind.ForDown && scope.LoopDepth == 0 && inner.Assignable.Count > 0 && Chance(0.2))
        {
            // Or a power series (llsq's shape): a weight that only the loop's own arithmetic changes, which the reverse
            // reads from the loop's records.
            string innerCounter = "i" + _names++, w = "w" + _names++;
            string source = Pick(_readable);
            var nested = inner.Copy();
            nested.LoopDepth++;
            nested.Counters.Add(innerCounter);
            weight = new Decl(w, new Num(1));
            first = new Loop(LoopKind.ForUp, innerCounter, source + ".Length", null, null, new Stmt[]
            {
                new Assign(Pick(inner.Assignable), "+=", new Bin('*', new Load(source, new Index(IndexKind.Counter, innerCounter)), new Var(w))),
                new Assign(w, "=", new Bin('+', new Bin('*', new Var(w), new Num(0.75)), new Num(0.125))),
            });
        }
        var body = Statements(inner, 1 + _r.Next(2), depth + 1);
        if (first is not null) body.Insert(0, first);
        if (weight is not null) body.Insert(0, weight);
        return new Loop(kind, counter, bound, over, extra, body.ToArray());
    }

    // ------------------------------------------------------------ expressions

    private Expr Expr(Scope scope, int depth)
    {
        if (depth <= 0 || Chance(0.3)) return Atom(scope);
        int k = _r.Next(100);
        if (k < 30) return new Bin(Pick(new[] { '+', '-', '*', '+' }), Expr(scope, depth - 1), Expr(scope, depth - 1));
        if (k < 35) return new Bin('/', Expr(scope, depth - 1), Expr(scope, depth - 1));
        if (k < 38) return new Neg(Expr(scope, depth - 1));
        if (k < 62) return Function(Pick(SmoothFunctions), scope, depth);
        if (k < 70) return Function(Pick(KinkFunctions), scope, depth);
        if (k < 77) return new Cond(Bool(scope, 1), Expr(scope, depth - 1), Expr(scope, depth - 1));
        if (k < 84 && !_inHelper && _helpers.Any(h => h.ReturnsValue))
            return new CallHelper("H0", new[] { new Arg(Expr(scope, depth - 1), null), new Arg(null, Pick(_readable)) });
        if (k < 84 && _inHelper && _nestedHelper is not null)
            return new CallHelper(_nestedHelper, new[] { new Arg(Expr(scope, depth - 1), null), new Arg(null, Pick(_readable)) });
        if (k < 90 && !_pure) return Chance(0.5) ? new CallRule("Soft", Expr(scope, depth - 1), null) : new CallRule("WSum", null, Pick(_readable));
        if (k < 95 && _isFloat) return new ViaDouble(Expr(scope, depth - 1));
        if (k < 97) return new Stop(Expr(scope, depth - 1));
        return Atom(scope);
    }

    private Expr Function(string name, Scope scope, int depth)
    {
        var entry = FuzzMath.ByName[name];
        var args = new Expr[entry.Arity];
        for (int i = 0; i < args.Length; i++) args[i] = Expr(scope, depth - 1);
        return new Fn(name, args);
    }

    private Expr Atom(Scope scope)
    {
        while (true)
        {
            int k = _r.Next(100);
            if (k < 40 && scope.Scalars.Count > 0) return new Var(Pick(scope.Scalars));
            if (k < 65 && _readable.Count > 0)
            {
                string buffer = Pick(_readable);
                return new Load(buffer, IndexFor(scope, buffer));
            }
            if (k < 75 && _fields.Length > 0 && !_pure) return new FieldRef(Pick(_fields).Name);
            if (k < 82 && (scope.Counters.Count > 0 || scope.Ints.Count > 0))
                return new Bin('*', new Num(0.25), new IntVal(Pick(scope.Counters.Concat(scope.Ints).ToList())));
            if (k >= 82) return new Num(Pick(Literals));
        }
    }

    private Index IndexFor(Scope scope, string buffer)
    {
        // array[^1] is refused today (DIFF0008, the generator lowers ^ only for spans): rare, so it does not hide the rest.
        bool isArray = _params.Any(p => p.Name == buffer && p.Kind == ParamKind.Array) || buffer == "b1";
        int k = _r.Next(10);
        if (scope.Counters.Count > 0 && k < 6) return new Index(IndexKind.Counter, Pick(scope.Counters));
        if (scope.Counters.Count > 0 && k < 7) return new Index(IndexKind.Mirror, Pick(scope.Counters));
        if (scope.Counters.Count > 0 && k < 8) return new Index(IndexKind.Next, Pick(scope.Counters));
        return new Index(k % 2 == 0 || (isArray && !Chance(0.05)) ? IndexKind.Zero : IndexKind.Last, null);
    }

    private BoolExpr Bool(Scope scope, int depth)
    {
        int k = _r.Next(100);
        if (depth > 0 && k < 15) return new And(Bool(scope, depth - 1), Bool(scope, depth - 1));
        if (depth > 0 && k < 27) return new Or(Bool(scope, depth - 1), Bool(scope, depth - 1));
        if (depth > 0 && k < 32) return new Not(Bool(scope, depth - 1));
        var left = Expr(scope, 1);
        var right = Chance(0.5) ? new Num(Pick(Literals)) : Expr(scope, 1);
        // Never two literals or one expression twice: C# warns (CS0162, CS1718), and so would the generated copy.
        while (FuzzShrinker.IsConstant(left) || left == right) left = Expr(scope, 1);
        return new Cmp(Pick(CmpOps), left, right);
    }

    private bool Chance(double p) => _r.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[_r.Next(items.Count)];
}
