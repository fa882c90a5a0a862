using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Ir;

namespace Differentiable.Generator.Differentiation
{
    /// <summary>
    /// The invariants of a finished reverse program, checked before any code is written: every adjoint the reverse
    /// sweep reads or adds into is declared on the path that reaches it (in an enclosing C# scope), and no
    /// contribution arrives after the adjoint was read to reverse its value's definition (it would be lost). A
    /// violation is a bug of the generator: it becomes DIFF0000 naming the method, never code that does not compile
    /// or a gradient that silently misses a term.
    /// </summary>
    internal static class AdjointProgramCheck
    {
        public static void Verify(IrFunction function, ReverseProgram program)
        {
            var parameters = new HashSet<ValueId>(function.Parameters.Select(p => p.Value));
            // Adjoint variables that a loop moves and reassigns each reverse iteration (carried values share them).
            var moving = new HashSet<ValueId>(program.Aliases.Values);
            foreach (var key in program.Aliases.Keys) moving.Add(key);
            var checker = new Checker(function, parameters, moving);
            foreach (var statements in ReverseNodes(program.Nodes))
                checker.Run(statements, new Scope(null));
        }

        /// <summary>The reverse statement lists of a program's nodes, both ways of every split.</summary>
        public static IEnumerable<List<AdjointStatement>> ReverseNodes(List<BodyNode> nodes)
        {
            foreach (var node in nodes)
            {
                switch (node)
                {
                    case ReverseNode r: yield return r.Statements; break;
                    case SplitNode s:
                        foreach (var x in ReverseNodes(s.Then)) yield return x;
                        foreach (var x in ReverseNodes(s.Else)) yield return x;
                        break;
                }
            }
        }

        private sealed class Scope
        {
            public Scope(Scope? parent) => Parent = parent;

            public Scope? Parent { get; }

            public HashSet<ValueId> Declared { get; } = new HashSet<ValueId>();

            public bool IsDeclared(ValueId value) => Declared.Contains(value) || (Parent?.IsDeclared(value) ?? false);
        }

        private sealed class Checker
        {
            private readonly IrFunction _function;
            private readonly HashSet<ValueId> _parameters;
            private readonly HashSet<ValueId> _moving;

            // Adjoints read to reverse their value's definition, and where (the scope of the read).
            private readonly HashSet<ValueId> _consumed = new HashSet<ValueId>();

            public Checker(IrFunction function, HashSet<ValueId> parameters, HashSet<ValueId> moving)
            {
                _function = function;
                _parameters = parameters;
                _moving = moving;
            }

            private string Name(ValueId value) => "'d" + (_function.Values[value.Index].Hint ?? "t" + value.Index) + "' (" + value + ")";

            private void Fail(string what) =>
                throw new System.InvalidOperationException("internal invariant of the adjoint program broken in '" + _function.Name + "': " + what +
                    ". The generator wrote no code for it; please report this method.");

            private bool Available(ValueId adjoint, Scope scope) => _parameters.Contains(adjoint) || scope.IsDeclared(adjoint);

            private void Reads(Expr expr, Scope scope, bool consumes)
            {
                var read = new HashSet<ValueId>();
                ReverseModeBuilder.AdjointReads(expr, read);
                foreach (var adjoint in read)
                {
                    if (!Available(adjoint, scope)) Fail("the adjoint " + Name(adjoint) + " is read where it is not declared");
                    if (consumes && !_moving.Contains(adjoint) && !_parameters.Contains(adjoint)) _consumed.Add(adjoint);
                }
            }

            private void Writes(ValueId adjoint, Scope scope)
            {
                if (!Available(adjoint, scope)) Fail("a contribution is added to the adjoint " + Name(adjoint) + " where it is not declared");
                if (_consumed.Contains(adjoint)) Fail("a contribution reaches the adjoint " + Name(adjoint) + " after it was read, so it would be lost");
            }

            public void Run(List<AdjointStatement> statements, Scope scope)
            {
                foreach (var statement in statements)
                {
                    switch (statement)
                    {
                        case AccumulateStatement a:
                            Reads(a.Value, scope, consumes: !a.Reassign);
                            if (a.Declare && !a.Reassign && !_parameters.Contains(a.Target))
                            {
                                if (scope.Declared.Contains(a.Target)) Fail("the adjoint " + Name(a.Target) + " is declared twice in one scope");
                                scope.Declared.Add(a.Target);
                                _consumed.Remove(a.Target);
                            }
                            else if (a.Reassign)
                            {
                                if (!Available(a.Target, scope)) Fail("the adjoint " + Name(a.Target) + " is reassigned where it is not declared");
                            }
                            else
                            {
                                Writes(a.Target, scope);
                            }
                            break;
                        case SetStatement s:
                            Reads(s.Value, scope, consumes: false);
                            if (!Available(s.Target, scope)) Fail("the adjoint " + Name(s.Target) + " is set where it is not declared");
                            break;
                        case TempStatement t:
                            Reads(t.Value, scope, consumes: false);
                            break;
                        case ShadowStatement s:
                            Reads(s.Value, scope, consumes: true);
                            break;
                        case BranchStatement b:
                            Run(b.Then, new Scope(scope));
                            Run(b.Else, new Scope(scope));
                            break;
                        case LoopStatement l:
                            // A reverse iteration reads and re-adds outer adjoints every time: only declarations are checked inside.
                            var consumed = new HashSet<ValueId>(_consumed);
                            Run(l.Body, new Scope(scope));
                            _consumed.Clear();
                            _consumed.UnionWith(consumed);
                            break;
                        case BackwardCallStatement c:
                            Reads(c.Seed, scope, consumes: true);
                            foreach (var adjoint in c.Adjoints)
                            {
                                if (adjoint is { } v && !_function.TypeOf(v).IsBuffer()) Writes(v, scope);
                            }
                            break;
                    }
                }
            }
        }
    }
}
