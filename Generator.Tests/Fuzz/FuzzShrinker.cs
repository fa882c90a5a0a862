using System.Diagnostics;

namespace Differentiable.Generator.Tests.Fuzz;

/// <summary>
/// Shrinks a failing program: repeatedly takes the first one-step simplification (drop a helper, a field, a local
/// buffer or a statement; unwrap an if or a loop; drop an else or a loop condition; make a loop a counted for;
/// replace an expression by one of its operands or a constant) that still fails with the same key, until none
/// does or the time budget runs out. Candidates are compiled 16 to a compilation.
/// </summary>
internal static class FuzzShrinker
{
    private const int Chunk = 16;

    public static (FuzzProgram Program, Outcome Outcome, int Steps) Shrink(FuzzProgram program, Outcome failure, TimeSpan budget, bool analysesOff = false)
    {
        var clock = Stopwatch.StartNew();
        var current = program;
        var outcome = failure;
        var tried = new HashSet<string>(StringComparer.Ordinal);
        int steps = 0;
        bool wholeBatch = failure.Key.StartsWith("generator", StringComparison.Ordinal) || failure.Key == "emit";
        bool compileOnly = wholeBatch || failure.Key.StartsWith("generated code", StringComparison.Ordinal) || failure.Key == "DIFF0000";
        while (clock.Elapsed < budget)
        {
            int size = FuzzPrinter.Repro(current).Length;
            var candidates = Candidates(current)
                .Where(c => !HasDegenerateCondition(c) && FuzzPrinter.Repro(c).Length < size && tried.Add(FuzzPrinter.Repro(c)));
            bool improved = false;
            // Small chunks first: the first candidate (dropping a statement) often still fails.
            foreach (var chunk in Chunks(candidates, wholeBatch))
            {
                if (clock.Elapsed >= budget) break;
                var numbered = chunk.Select((c, k) => c with { Id = 100000 + k }).ToList();
                var outcomes = FuzzRunner.RunBatch(numbered, stats: null, analysesOff, compileOnly);
                var hit = numbered.FirstOrDefault(c => outcomes.TryGetValue(c.Id, out var o) && o.Kind == OutcomeKind.Failed && o.Key == failure.Key);
                if (hit is not null)
                {
                    outcome = outcomes[hit.Id];
                    current = hit with { Id = program.Id };
                    steps++;
                    improved = true;
                    break;
                }
            }
            if (!improved) break;
        }
        return (current, outcome, steps);
    }

    /// <summary>
    /// A comparison of two literals or of an expression with itself: C# warns about it in the fuzzed source (CS0162,
    /// CS1718) and the generated code copies the warning; the generator never writes one, so neither does the shrinker.
    /// </summary>
    internal static bool HasDegenerateCondition(FuzzProgram p) =>
        p.Helpers.Append(p.Main).Any(m => m.Body.Any(Degenerate) || (m.Result is not null && Degenerate(m.Result)));

    private static bool Degenerate(Stmt s) => s switch
    {
        Decl d => Degenerate(d.Init),
        Assign a => Degenerate(a.Value),
        Store st => Degenerate(st.Value),
        If i => Degenerate(i.Test) || i.Then.Any(Degenerate) || (i.Else?.Any(Degenerate) ?? false),
        Loop l => (l.Extra is not null && Degenerate(l.Extra)) || l.Body.Any(Degenerate),
        Return r => Degenerate(r.Value),
        CallVoid c => c.Args.Any(a => a.Scalar is not null && Degenerate(a.Scalar)),
        BufferOp { Value: { } v } => Degenerate(v),
        _ => false,
    };

    private static bool Degenerate(BoolExpr b) => b switch
    {
        Cmp c => (IsConstant(c.Left) && IsConstant(c.Right)) || c.Left == c.Right || Degenerate(c.Left) || Degenerate(c.Right),
        And a => Degenerate(a.Left) || Degenerate(a.Right),
        Or o => Degenerate(o.Left) || Degenerate(o.Right),
        Not n => Degenerate(n.Operand),
        _ => false,
    };

    /// <summary>A C# constant expression (literals and arithmetic on them; Math calls are not constants).</summary>
    internal static bool IsConstant(Expr e) => e switch
    {
        Num => true,
        Neg n => IsConstant(n.Operand),
        Bin { Op: not '/' } b => IsConstant(b.Left) && IsConstant(b.Right),
        _ => false,
    };

    private static bool Degenerate(Expr e) => e switch
    {
        Cond c => Degenerate(c.Test) || Degenerate(c.IfTrue) || Degenerate(c.IfFalse),
        _ => Children(e).Any(Degenerate),
    };

    // ------------------------------------------------------------ candidates

    private static IEnumerable<FuzzProgram[]> Chunks(IEnumerable<FuzzProgram> candidates, bool single)
    {
        int size = single ? 1 : 4;
        var chunk = new List<FuzzProgram>();
        foreach (var c in candidates)
        {
            chunk.Add(c);
            if (chunk.Count < size) continue;
            yield return chunk.ToArray();
            chunk.Clear();
            if (!single) size = Chunk;
        }
        if (chunk.Count > 0) yield return chunk.ToArray();
    }

    private static IEnumerable<FuzzProgram> Candidates(FuzzProgram p)
    {
        for (int i = 0; i < p.Helpers.Length; i++) yield return p with { Helpers = p.Helpers.Where((_, k) => k != i).ToArray() };
        for (int i = 0; i < p.Fields.Length; i++) yield return p with { Fields = p.Fields.Where((_, k) => k != i).ToArray() };
        for (int i = 0; i < p.Main.Locals.Length; i++) yield return p with { Main = p.Main with { Locals = p.Main.Locals.Where((_, k) => k != i).ToArray() } };
        if (p.Length > 1) yield return p with { Length = 1 };
        foreach (var m in MethodCandidates(p.Main)) yield return p with { Main = m };
        for (int i = 0; i < p.Helpers.Length; i++)
            foreach (var m in MethodCandidates(p.Helpers[i]))
            {
                var helpers = (Method[])p.Helpers.Clone();
                helpers[i] = m;
                yield return p with { Helpers = helpers };
            }
        for (int i = 0; i < p.Main.Params.Length; i++)
            if (p.Main.Params[i].Kind is ParamKind.Array or ParamKind.Span)
            {
                var ps = (Param[])p.Main.Params.Clone();
                ps[i] = ps[i] with { Kind = ParamKind.ReadOnlySpan };
                yield return p with { Main = p.Main with { Params = ps } };
            }
        for (int i = 0; i < p.Main.Params.Length; i++)
            yield return p with { Main = p.Main with { Params = p.Main.Params.Where((_, k) => k != i).ToArray() } };
    }

    private static IEnumerable<Method> MethodCandidates(Method m)
    {
        foreach (var body in Block(m.Body)) yield return m with { Body = body };
        if (m.Result is not null)
            foreach (var e in Expr(m.Result)) yield return m with { Result = e };
    }

    private static IEnumerable<Stmt[]> Block(Stmt[] body)
    {
        for (int i = 0; i < body.Length; i++) yield return body.Where((_, k) => k != i).ToArray();
        for (int i = 0; i < body.Length; i++)
            foreach (var replacement in Statement(body[i]))
                yield return body.Take(i).Concat(replacement).Concat(body.Skip(i + 1)).ToArray();
    }

    private static IEnumerable<Stmt[]> Statement(Stmt s)
    {
        switch (s)
        {
            case If i:
                yield return i.Then;
                if (i.Else is not null)
                {
                    yield return i.Else;
                    yield return new Stmt[] { i with { Else = null } };
                }
                foreach (var b in Bool(i.Test)) yield return new Stmt[] { i with { Test = b } };
                foreach (var t in Block(i.Then)) yield return new Stmt[] { i with { Then = t } };
                if (i.Else is not null)
                    foreach (var e in Block(i.Else)) yield return new Stmt[] { i with { Else = e } };
                break;
            case Loop l:
                var head = l.Kind == LoopKind.Foreach ? (Stmt)new Decl(l.Counter, new Num(0.5)) : new IntDecl(l.Counter);
                yield return new[] { head }.Concat(l.Body).ToArray();
                if (l.Extra is not null) yield return new Stmt[] { l with { Extra = null, Kind = l.Kind == LoopKind.ForCond ? LoopKind.ForUp : l.Kind } };
                if (l.Kind is not (LoopKind.ForUp or LoopKind.Foreach)) yield return new Stmt[] { l with { Kind = LoopKind.ForUp, Extra = null } };
                if (l.Extra is not null)
                    foreach (var b in Bool(l.Extra)) yield return new Stmt[] { l with { Extra = b } };
                foreach (var b in Block(l.Body)) yield return new Stmt[] { l with { Body = b } };
                break;
            case Decl d:
                foreach (var e in Expr(d.Init)) yield return new Stmt[] { d with { Init = e } };
                break;
            case Assign a:
                if (a.Op != "=") yield return new Stmt[] { a with { Op = "=" } };
                foreach (var e in Expr(a.Value)) yield return new Stmt[] { a with { Value = e } };
                break;
            case Store st:
                if (st.Op != "=") yield return new Stmt[] { st with { Op = "=" } };
                if (st.Index.Kind != IndexKind.Zero) yield return new Stmt[] { st with { Index = new Index(IndexKind.Zero, null) } };
                foreach (var e in Expr(st.Value)) yield return new Stmt[] { st with { Value = e } };
                break;
            case Return r:
                foreach (var e in Expr(r.Value)) yield return new Stmt[] { r with { Value = e } };
                break;
            case CallVoid c:
                foreach (var args in Args(c.Args)) yield return new Stmt[] { c with { Args = args } };
                break;
            case BufferOp { Value: { } v } op:
                foreach (var e in Expr(v)) yield return new Stmt[] { op with { Value = e } };
                break;
        }
    }

    private static IEnumerable<Arg[]> Args(Arg[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].Scalar is null) continue;
            foreach (var e in Expr(args[i].Scalar!))
            {
                var copy = (Arg[])args.Clone();
                copy[i] = new Arg(e, null);
                yield return copy;
            }
        }
    }

    private static IEnumerable<Expr> Expr(Expr e)
    {
        if (e is not Num) yield return new Num(0.5);
        foreach (var child in Children(e)) yield return child;
        switch (e)
        {
            case Load l when l.Index.Kind != IndexKind.Zero: yield return l with { Index = new Index(IndexKind.Zero, null) }; break;
            case Neg n: foreach (var x in Expr(n.Operand)) yield return n with { Operand = x }; break;
            case Bin b:
                foreach (var x in Expr(b.Left)) yield return b with { Left = x };
                foreach (var x in Expr(b.Right)) yield return b with { Right = x };
                break;
            case Fn f:
                for (int i = 0; i < f.Args.Length; i++)
                    foreach (var x in Expr(f.Args[i]))
                    {
                        var args = (Expr[])f.Args.Clone();
                        args[i] = x;
                        yield return f with { Args = args };
                    }
                break;
            case Cond c:
                foreach (var b in Bool(c.Test)) yield return c with { Test = b };
                foreach (var x in Expr(c.IfTrue)) yield return c with { IfTrue = x };
                foreach (var x in Expr(c.IfFalse)) yield return c with { IfFalse = x };
                break;
            case CallHelper c: foreach (var args in Args(c.Args)) yield return c with { Args = args }; break;
            case CallRule { Scalar: { } s } r: foreach (var x in Expr(s)) yield return r with { Scalar = x }; break;
            case ViaDouble v: foreach (var x in Expr(v.Operand)) yield return v with { Operand = x }; break;
            case Stop s: foreach (var x in Expr(s.Operand)) yield return s with { Operand = x }; break;
        }
    }

    private static IEnumerable<Expr> Children(Expr e) => e switch
    {
        Neg n => new[] { n.Operand },
        Bin b => new[] { b.Left, b.Right },
        Fn f => f.Args,
        Cond c => new[] { c.IfTrue, c.IfFalse },
        CallHelper c => c.Args.Where(a => a.Scalar is not null).Select(a => a.Scalar!),
        CallRule { Scalar: { } s } => new[] { s },
        ViaDouble v => new[] { v.Operand },
        Stop s => new[] { s.Operand },
        _ => Array.Empty<Expr>(),
    };

    private static IEnumerable<BoolExpr> Bool(BoolExpr b)
    {
        switch (b)
        {
            case And a:
                yield return a.Left;
                yield return a.Right;
                foreach (var x in Bool(a.Left)) yield return a with { Left = x };
                foreach (var x in Bool(a.Right)) yield return a with { Right = x };
                break;
            case Or o:
                yield return o.Left;
                yield return o.Right;
                foreach (var x in Bool(o.Left)) yield return o with { Left = x };
                foreach (var x in Bool(o.Right)) yield return o with { Right = x };
                break;
            case Not n:
                yield return n.Operand;
                foreach (var x in Bool(n.Operand)) yield return n with { Operand = x };
                break;
            case Cmp c:
                foreach (var x in Expr(c.Left)) yield return c with { Left = x };
                foreach (var x in Expr(c.Right)) yield return c with { Right = x };
                break;
        }
    }
}
