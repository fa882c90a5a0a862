using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Differentiable.Generator.Lowering
{
    // Loops. The locals a loop writes become carried values (SSA values at the top of an iteration).
    // break, continue and return inside a loop set flag variables; the statements after one that may
    // exit run under "if none is set", and the loop's condition checks them, so control flow stays
    // structured. A for loop whose counter moves by one towards a bound computed once, and is written
    // nowhere else, is a counted loop: its reverse runs the counter backwards and records nothing for it.
    internal sealed partial class IrLowering
    {
        private sealed class LoopFrame
        {
            public LoopFrame(ILoopOperation operation) => Operation = operation;

            public ILoopOperation Operation { get; }

            public FlagVariable? Broke { get; set; }

            public FlagVariable? Continued { get; set; }

            /// <summary>A general foreach's index and the buffer's length (its condition is index &lt; length).</summary>
            public (FlagVariable Index, ValueId Length)? Index { get; set; }
        }

        private readonly List<LoopFrame> _loops = new List<LoopFrame>();
        private FlagVariable? _returned;
        private FlagVariable? _returnValue;

        private LoopFrame? CurrentLoop => _loops.Count > 0 ? _loops[_loops.Count - 1] : null;

        /// <summary>Lowers a loop statement. Returns true when a return inside it may have left the method.</summary>
        private bool LowerLoop(ILoopOperation loop, List<Instruction> into, Environment environment)
        {
            string origin = LoopOrigin(loop.Syntax);
            _origin = origin;
            bool returns = ContainsReturn(loop);
            if (returns)
            {
                _returned ??= new FlagVariable("returned");
                if (!environment.TryGet(_returned, out _)) environment.Set(_returned, Constant("false", IrType.Bool, into));
                if (_returnType is { } rt)
                {
                    _returnValue ??= new FlagVariable("returnValue");
                    if (!environment.TryGet(_returnValue, out _)) environment.Set(_returnValue, Constant(LoweringFacts.Literal(0, rt)!, rt, into));
                }
            }

            switch (loop)
            {
                case IForLoopOperation forLoop:
                    foreach (var before in forLoop.Before) LowerStatement(before, into, environment);
                    _origin = origin;
                    if (TryCounted(forLoop, environment, out var counter, out var comparison, out var step, out var bound))
                    {
                        var boundValue = LowerConverted(bound!, IrType.I32, into, environment);
                        environment.TryGet(counter!, out var start);
                        // The counter's name belongs to the loop's counter, not to its start value.
                        if (_values[start.Index].Hint == counter!.Name) _values[start.Index] = _values[start.Index] with { Hint = null };
                        LowerLoopCore(loop, origin, into, environment, (counter!, start, boundValue, comparison, step), null, true,
                            forLoop.Body, new List<IOperation>(), null);
                    }
                    else
                    {
                        LowerLoopCore(loop, origin, into, environment, null, forLoop.Condition, true, forLoop.Body, forLoop.AtLoopBottom.ToList(), null);
                    }
                    break;

                case IWhileLoopOperation whileLoop:
                    if (whileLoop.ConditionIsUntil)
                    {
                        Report(DiagnosticDescriptors.LoopNotSupported, LoopKeyword(loop.Syntax), LoopName(loop), "an 'until' loop is not supported");
                        return false;
                    }
                    LowerLoopCore(loop, origin, into, environment, null, whileLoop.Condition, whileLoop.ConditionIsTop, whileLoop.Body, new List<IOperation>(), null);
                    break;

                case IForEachLoopOperation forEach:
                    var collection = forEach.Collection;
                    while (collection is IConversionOperation { OperatorMethod: null } c) collection = c.Operand;
                    var local = forEach.Locals.FirstOrDefault();
                    if (SymbolFacts.IrTypeOf(collection.Type) is not { } ct || !ct.IsBuffer() || local is null ||
                        local.RefKind != RefKind.None)
                    {
                        Report(DiagnosticDescriptors.LoopNotSupported, LoopKeyword(loop.Syntax), "foreach",
                            "it iterates over '" + (collection.Type?.ToDisplayString() ?? "?") + "' by value; only spans and arrays of double, float and int are supported");
                        return false;
                    }
                    var buffer = LowerExpression(collection, into, environment);
                    _origin = origin;
                    var zero = Constant("0", IrType.I32, into);
                    var length = Length(buffer, into);
                    if (ContainsBranch(loop, BranchKind.Break) || ContainsReturn(loop))
                    {
                        // A foreach that may leave early is a general loop over its own index (a counted loop would
                        // run the rest of its iterations after the break).
                        var index = new FlagVariable("index");
                        environment.Set(index, zero);
                        _foreachIndex = (index, length);
                        LowerLoopCore(loop, origin, into, environment, null, null, true, forEach.Body, new List<IOperation>(), (local, buffer));
                        break;
                    }
                    LowerLoopCore(loop, origin, into, environment, (null, zero, length, BinaryOp.Less, 1), null, true, forEach.Body,
                        new List<IOperation>(), (local, buffer));
                    break;

                default:
                    Report(DiagnosticDescriptors.LoopNotSupported, LoopKeyword(loop.Syntax), LoopName(loop), "this kind of loop is not supported");
                    return false;
            }
            return returns;
        }

        /// <summary>
        /// The loop itself: carried values, header (a general loop's condition, with the flags), body (with the
        /// flags and the incrementor), outputs.
        /// </summary>
        // Set by a foreach lowered as a general loop, for the LowerLoopCore call that follows: its index variable and length.
        private (FlagVariable Index, ValueId Length)? _foreachIndex;

        private void LowerLoopCore(ILoopOperation loop, string origin, List<Instruction> into, Environment environment,
            (ISymbol? Symbol, ValueId Start, ValueId Bound, BinaryOp Comparison, int Step)? counted,
            IOperation? condition, bool testFirst, IOperation body, List<IOperation> bottom, (ILocalSymbol Local, ValueId Buffer)? element)
        {
            var foreachIndex = _foreachIndex;
            _foreachIndex = null;
            var frame = new LoopFrame(loop) { Index = foreachIndex };
            if (ContainsBranch(loop, BranchKind.Break)) frame.Broke = new FlagVariable("broke");
            if (ContainsBranch(loop, BranchKind.Continue)) frame.Continued = new FlagVariable("continued");
            if (frame.Broke is not null) environment.Set(frame.Broke, Constant("false", IrType.Bool, into));

            // The variables the loop writes that exist before it: locals and parameters (WrittenVariables), plus flags.
            var written = WrittenVariables.Of(loop);
            var carriedVariables = new List<object>();
            foreach (var symbol in written)
            {
                if (counted is { Symbol: { } counterSymbol } && SymbolEqualityComparer.Default.Equals(symbol, counterSymbol)) continue;
                if (environment.TryGet(symbol, out var before) && !carriedVariables.Contains(symbol, VariableComparer.Instance))
                {
                    if (TypeOf(before).IsBuffer())
                    {
                        Report(DiagnosticDescriptors.LoopNotSupported, LoopKeyword(loop.Syntax), LoopName(loop),
                            "it reassigns the span or array variable '" + symbol.Name + "' (slice inside the loop into a new local instead)");
                        return;
                    }
                    carriedVariables.Add(symbol);
                }
            }
            if (frame.Broke is not null) carriedVariables.Add(frame.Broke);
            if (frame.Index is { } ix) carriedVariables.Add(ix.Index);

            // A general loop is rotated so that every evaluation of its condition is code of the body: the first
            // one runs before the loop (a do loop's is "true"), each next one at the end of the body, into the
            // carried flag 'again' that the loop tests at the top. Values, loads and calls in a condition are then
            // reversed, recorded and recomputed as the body's are, with no special case (including the last,
            // failing evaluation, which runs at the end of the last iteration).
            FlagVariable? again = null;
            if (counted is null)
            {
                again = new FlagVariable("again");
                _origin = origin;
                ValueId first;
                if (frame.Index is { } ix2)
                {
                    environment.TryGet(ix2.Index, out var start);
                    first = Pure(start + " < " + ix2.Length, IrType.Bool, r => new BinaryInstr(r, BinaryOp.Less, start, ix2.Length, origin), into);
                }
                else if (testFirst && condition is not null)
                {
                    var before = environment.Copy();
                    first = LowerConverted(condition, IrType.Bool, into, environment);
                    CheckUnchanged(before, environment, condition);
                }
                else
                {
                    first = Constant("true", IrType.Bool, into);
                }
                environment.Set(again, first);
                carriedVariables.Add(again);
            }
            if (ContainsReturn(loop))
            {
                carriedVariables.Add(_returned!);
                if (_returnValue is not null) carriedVariables.Add(_returnValue);
            }

            var initial = new List<ValueId>();
            var carried = new List<ValueId>();
            var inner = environment.Copy();
            foreach (var variable in carriedVariables)
            {
                environment.TryGet(variable, out var value);
                initial.Add(value);
                var phi = NewValue(TypeOf(value), VariableComparer.NameOf(variable) + "Old");
                carried.Add(phi);
                inner.Set(variable, phi);
            }

            CountedLoop? countedLoop = null;
            if (counted is { } c)
            {
                var counterValue = NewValue(IrType.I32, c.Symbol?.Name ?? "i");
                if (c.Symbol is not null) inner.Set(c.Symbol, counterValue);
                countedLoop = new CountedLoop(counterValue, c.Start, c.Bound, c.Comparison, c.Step);
            }

            var headerInstructions = new List<Instruction>();
            var bodyInstructions = new List<Instruction>();
            ValueId? conditionValue = null;
            _loops.Add(frame);
            int branchDepth = _inBranch;
            _inBranch = 0; // a branch outside the loop is not a branch of its body
            try
            {
                // A while loop's body may reuse what its condition computed in the same iteration; a do loop's
                // condition runs after the body, so each gets its own scope.
                var saved = _available;
                _available = new Dictionary<string, ValueId>(saved);
                try
                {
                    LowerLoopBody(body, bottom, frame, element, countedLoop, bodyInstructions, inner, origin);
                    if (again is not null)
                    {
                        // The next iteration's condition, false once a break or a return set its flag.
                        inner.Set(again, LowerLoopCondition(condition, frame, bodyInstructions, inner, origin));
                        conditionValue = carried[carriedVariables.IndexOf(again)];
                    }
                }
                finally
                {
                    _available = saved;
                }
            }
            finally
            {
                _loops.RemoveAt(_loops.Count - 1);
                _inBranch = branchDepth;
            }

            var yields = new List<ValueId>();
            var outputs = new List<ValueId>();
            foreach (var variable in carriedVariables)
            {
                inner.TryGet(variable, out var next);
                yields.Add(next);
                var output = NewValue(TypeOf(next), VariableComparer.NameOf(variable));
                outputs.Add(output);
                environment.Set(variable, output);
            }
            var header = new Block(headerInstructions.ToEquatableArray(),
                new YieldTerminator(conditionValue is { } cv ? new[] { cv }.ToEquatableArray() : EquatableArray<ValueId>.Empty));
            var bodyBlock = new Block(bodyInstructions.ToEquatableArray(), new YieldTerminator(yields.ToEquatableArray()));
            var trips = NewValue(IrType.I32, "trips");
            _origin = origin;
            into.Add(new LoopInstr(carried.ToEquatableArray(), initial.ToEquatableArray(), outputs.ToEquatableArray(), countedLoop,
                header, true, bodyBlock, trips, origin));
        }

        /// <summary>A general loop's condition: false once a break or a return set its flag (the condition itself is then not evaluated).</summary>
        private ValueId LowerLoopCondition(IOperation? condition, LoopFrame frame, List<Instruction> into, Environment environment, string origin)
        {
            _origin = origin;
            var exit = ExitFlags(frame, into, environment, includeContinue: false);
            System.Func<List<Instruction>, Environment, ValueId> evaluate = (list, env) =>
            {
                if (frame.Index is { } ix)
                {
                    env.TryGet(ix.Index, out var index);
                    return Pure(index + " < " + ix.Length, IrType.Bool, r => new BinaryInstr(r, BinaryOp.Less, index, ix.Length, origin), list);
                }
                return condition is null ? Constant("true", IrType.Bool, list) : LowerConverted(condition, IrType.Bool, list, env);
            };
            if (exit is null)
            {
                var before = environment.Copy();
                var value = evaluate(into, environment);
                CheckUnchanged(before, environment, condition);
                return value;
            }
            var evaluated = new List<Instruction>();
            var evaluatedEnvironment = environment.Copy();
            var conditionValue = InBranch(() => evaluate(evaluated, evaluatedEnvironment));
            CheckUnchanged(environment, evaluatedEnvironment, condition);
            var stopped = new List<Instruction>();
            var falseValue = InBranch(() => Constant("false", IrType.Bool, stopped));
            return Merge(exit.Value, stopped, environment.Copy(), evaluated, evaluatedEnvironment, environment, into, origin,
                (falseValue, conditionValue, IrType.Bool))!.Value;
        }

        private void CheckUnchanged(Environment before, Environment after, IOperation? condition)
        {
            if (condition is null) return;
            foreach (var symbol in after.Symbols)
            {
                if (before.TryGet(symbol, out var b) && after.TryGet(symbol, out var a) && !a.Equals(b))
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, condition.Syntax, "A loop condition that assigns a variable", LoweringFacts.OriginText(condition.Syntax));
                    return;
                }
            }
        }

        private void LowerLoopBody(IOperation body, List<IOperation> bottom, LoopFrame frame, (ILocalSymbol Local, ValueId Buffer)? element,
            CountedLoop? counted, List<Instruction> into, Environment environment, string origin)
        {
            if (frame.Continued is not null) environment.Set(frame.Continued, Constant("false", IrType.Bool, into));
            var statements = new List<IOperation>();
            if (element is { } e)
            {
                // foreach (var v in w): v = w[i]
                _origin = origin;
                var load = NewValue(TypeOf(e.Buffer).Element(), e.Local.Name);
                ValueId position;
                if (frame.Index is { } ix) environment.TryGet(ix.Index, out position);
                else position = counted!.Counter;
                into.Add(new LoadInstr(load, e.Buffer, position, origin));
                var type = SymbolFacts.IrTypeOf(e.Local.Type);
                environment.Set(e.Local, type is { } t ? Convert(load, t, into) : load);
            }
            statements.Add(body);
            LowerSequence(statements, into, environment);
            if (frame.Index is { } index)
            {
                // index++ after the body (and after a continue), not after a break or a return.
                System.Action<List<Instruction>, Environment> increment = (list, env) =>
                {
                    _origin = origin;
                    env.TryGet(index.Index, out var current);
                    var one = Constant("1", IrType.I32, list);
                    env.Set(index.Index, Pure(current + " + " + one, IrType.I32, r => new BinaryInstr(r, BinaryOp.Add, current, one, origin), list));
                };
                var exit = ExitFlags(frame, into, environment, includeContinue: false);
                if (exit is null)
                {
                    increment(into, environment);
                    return;
                }
                var stepped = new List<Instruction>();
                var steppedEnvironment = environment.Copy();
                InBranch(() => { increment(stepped, steppedEnvironment); return 0; });
                Merge(exit.Value, new List<Instruction>(), environment.Copy(), stepped, steppedEnvironment, environment, into, "if (!(" + FlagNames(frame, false) + "))", null);
                return;
            }
            if (bottom.Count == 0) return;

            // The incrementor runs after a continue, not after a break or a return.
            var stop = ExitFlags(frame, into, environment, includeContinue: false);
            if (stop is null)
            {
                foreach (var operation in bottom) LowerStatement(operation, into, environment);
                return;
            }
            var ran = new List<Instruction>();
            var ranEnvironment = environment.Copy();
            InBranch(() =>
            {
                foreach (var operation in bottom) LowerStatement(operation, ran, ranEnvironment);
                return 0;
            });
            Merge(stop.Value, new List<Instruction>(), environment.Copy(), ran, ranEnvironment, environment, into, "if (!(" + FlagNames(frame, false) + "))", null);
        }

        /// <summary>broke | returned (| continued): the flags that skip the rest of an iteration, or null when the loop has none.</summary>
        private ValueId? ExitFlags(LoopFrame frame, List<Instruction> into, Environment environment, bool includeContinue)
        {
            var flags = new List<ValueId>();
            if (frame.Broke is not null && environment.TryGet(frame.Broke, out var broke)) flags.Add(broke);
            if (includeContinue && frame.Continued is not null && environment.TryGet(frame.Continued, out var continued)) flags.Add(continued);
            if (_returned is not null && ContainsReturn(frame.Operation) && environment.TryGet(_returned, out var returned)) flags.Add(returned);
            if (flags.Count == 0) return null;
            var result = flags[0];
            for (int i = 1; i < flags.Count; i++)
            {
                var left = result;
                var right = flags[i];
                result = Pure(left + " | " + right, IrType.Bool, r => new BinaryInstr(r, BinaryOp.Or, left, right, _origin), into);
            }
            return result;
        }

        /// <summary>break, continue or return inside a loop body: set the flags; what follows in the block cannot run.</summary>
        private void LowerLoopExit(IOperation statement, List<Instruction> into, Environment environment)
        {
            _origin = LoweringFacts.OriginText(statement.Syntax);
            var frame = CurrentLoop!;
            switch (statement)
            {
                case IReturnOperation ret:
                    if (ret.ReturnedValue is not null && _returnType is { } type)
                        environment.Set(_returnValue!, LowerConverted(ret.ReturnedValue, type, into, environment));
                    environment.Set(_returned!, Constant("true", IrType.Bool, into));
                    break;
                case IBranchOperation { BranchKind: BranchKind.Break }:
                    environment.Set(frame.Broke!, Constant("true", IrType.Bool, into));
                    break;
                case IBranchOperation { BranchKind: BranchKind.Continue }:
                    environment.Set(frame.Continued!, Constant("true", IrType.Bool, into));
                    break;
            }
        }

        /// <summary>True when the statement may leave the current iteration early: a break or continue of this loop, or a return.</summary>
        private bool MayExit(IOperation statement)
        {
            var frame = CurrentLoop;
            if (frame is null) return false;
            if (ContainsReturn(statement)) return true;
            return BranchesOf(statement).Any(b => TargetsLoop(b, frame.Operation));
        }

        private static IEnumerable<IBranchOperation> BranchesOf(IOperation operation) =>
            (operation is IBranchOperation self ? new[] { self } : Enumerable.Empty<IBranchOperation>())
                .Concat(operation.Descendants().OfType<IBranchOperation>());

        private static bool TargetsLoop(IBranchOperation branch, ILoopOperation loop) =>
            (branch.BranchKind == BranchKind.Break && SymbolEqualityComparer.Default.Equals(branch.Target, loop.ExitLabel)) ||
            (branch.BranchKind == BranchKind.Continue && SymbolEqualityComparer.Default.Equals(branch.Target, loop.ContinueLabel));

        private static bool ContainsBranch(ILoopOperation loop, BranchKind kind) =>
            loop.Body is not null && BranchesOf(loop.Body).Any(b => b.BranchKind == kind && TargetsLoop(b, loop));

        /// <summary>
        /// A canonical counted loop: <c>for (int i = a; i CMP b; i++ / i-- / i += 1 / i -= 1)</c> where the bound reads
        /// nothing the loop writes and has no call or element read, and the body neither writes i, breaks nor returns.
        /// </summary>
        private bool TryCounted(IForLoopOperation loop, Environment environment, out ILocalSymbol? counter, out BinaryOp comparison, out int step, out IOperation? bound)
        {
            counter = null;
            comparison = BinaryOp.Less;
            step = 0;
            bound = null;
            if (loop.Before.Length != 1 || loop.Before[0] is not IVariableDeclarationGroupOperation group) return false;
            var declarators = group.Declarations.SelectMany(d => d.Declarators).ToList();
            if (declarators.Count != 1 || declarators[0].Symbol.Type.SpecialType != SpecialType.System_Int32) return false;
            var local = declarators[0].Symbol;
            if (!environment.TryGet(local, out _)) return false;

            if (loop.Condition is not IBinaryOperation { OperatorMethod: null } test || test.LeftOperand is not ILocalReferenceOperation left ||
                !SymbolEqualityComparer.Default.Equals(left.Local, local))
                return false;
            comparison = test.OperatorKind switch
            {
                BinaryOperatorKind.LessThan => BinaryOp.Less,
                BinaryOperatorKind.LessThanOrEqual => BinaryOp.LessOrEqual,
                BinaryOperatorKind.GreaterThan => BinaryOp.Greater,
                BinaryOperatorKind.GreaterThanOrEqual => BinaryOp.GreaterOrEqual,
                _ => BinaryOp.Equal,
            };
            if (comparison == BinaryOp.Equal) return false;
            if (test.RightOperand.Type?.SpecialType != SpecialType.System_Int32) return false;

            if (loop.AtLoopBottom.Length != 1 || loop.AtLoopBottom[0] is not IExpressionStatementOperation { Operation: var increment }) return false;
            step = increment switch
            {
                IIncrementOrDecrementOperation { Target: ILocalReferenceOperation t } inc when SymbolEqualityComparer.Default.Equals(t.Local, local)
                    => inc.Kind == OperationKind.Increment ? 1 : -1,
                ICompoundAssignmentOperation { Target: ILocalReferenceOperation t, Value.ConstantValue: { HasValue: true, Value: 1 } } compound
                    when SymbolEqualityComparer.Default.Equals(t.Local, local) && compound.OperatorKind is BinaryOperatorKind.Add or BinaryOperatorKind.Subtract
                    => compound.OperatorKind == BinaryOperatorKind.Add ? 1 : -1,
                _ => 0,
            };
            bool upward = comparison is BinaryOp.Less or BinaryOp.LessOrEqual;
            if (step == 0 || (step == 1) != upward) return false;

            var written = WrittenVariables.Of(loop);
            var boundSyntax = test.RightOperand.Syntax;
            if (boundSyntax.DescendantNodesAndSelf().Any(n => n is InvocationExpressionSyntax or ElementAccessExpressionSyntax or AssignmentExpressionSyntax
                    or PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.PreIncrementExpression or (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.PreDecrementExpression }))
                return false;
            foreach (var read in test.RightOperand.DescendantsAndSelf())
            {
                ISymbol? symbol = read switch
                {
                    ILocalReferenceOperation l => l.Local,
                    IParameterReferenceOperation p => p.Parameter,
                    _ => null,
                };
                if (symbol is not null && written.Contains(symbol, SymbolEqualityComparer.Default)) return false;
            }
            if (loop.Body is null) return false;
            if (WrittenVariables.Of(loop.Body).Contains(local, SymbolEqualityComparer.Default)) return false;
            if (ContainsReturn(loop.Body) || ContainsBranch(loop, BranchKind.Break)) return false;
            counter = local;
            bound = test.RightOperand;
            return true;
        }

        private static string LoopOrigin(SyntaxNode syntax)
        {
            string text = syntax switch
            {
                ForStatementSyntax f => "for (" + (f.Declaration?.ToString() ?? string.Join(", ", f.Initializers)) + "; " + f.Condition + "; " + string.Join(", ", f.Incrementors) + ")",
                WhileStatementSyntax w => "while (" + w.Condition + ")",
                DoStatementSyntax d => "do ... while (" + d.Condition + ")",
                ForEachStatementSyntax f => "foreach (" + f.Type + " " + f.Identifier.Text + " in " + f.Expression + ")",
                _ => syntax.ToString(),
            };
            text = System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
            return text.Length > 120 ? text.Substring(0, 117) + "..." : text;
        }
    }
}
