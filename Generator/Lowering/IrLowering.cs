using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Differentiable.Generator.Lowering
{
    /// <summary>
    /// Lowers a method body (IOperation) to IR. This and its partial files are the only code that reads
    /// Roslyn's operations and symbols. Statements are lowered with their continuation: an <c>if</c> that
    /// contains a <c>return</c> takes the statements after it into both branches, so every branch of the
    /// IR either merges (an <see cref="IfInstr"/>) or leaves the function (a <see cref="SplitTerminator"/>).
    /// </summary>
    internal sealed partial class IrLowering
    {
        private SemanticModel _semanticModel; // the callee's while one is inlined (IrLowering.Inlining.cs)
        private readonly IMethodSymbol _method;
        private readonly CancellationToken _cancellationToken;
        private readonly List<ValueInfo> _values = new List<ValueInfo>();
        private readonly List<DiagnosticInfo> _diagnostics = new List<DiagnosticInfo>();
        private readonly IrType? _returnType;
        private string _origin = "";

        // The statement being lowered, for errors found below the expression level.
        private SyntaxNode? _statement;
        private readonly HashSet<ISymbol> _reportedLocals = new HashSet<ISymbol>(SymbolEqualityComparer.Default);

        // Pure values already computed on this path, by what computes them: "x * x" written twice is
        // computed once. A branch sees what was computed before it; what it computes stays inside.
        private Dictionary<string, ValueId> _available = new Dictionary<string, ValueId>();

        // The text of each constant the lowering made (ConstInstr), by value: Merge recognizes a flag set to true in one
        // branch and false in the other.
        private readonly Dictionary<ValueId, string> _constantText = new Dictionary<ValueId, string>();

        private IrLowering(SemanticModel semanticModel, IMethodSymbol method, IrType? returnType, CancellationToken cancellationToken)
        {
            _semanticModel = semanticModel;
            _method = method;
            _returnType = returnType;
            _cancellationToken = cancellationToken;
        }

        /// <summary>Where each opaque call was written, for the activity-dependent check that follows lowering.</summary>
        public Dictionary<ValueId, (LocationInfo? Location, string Callee)> OpaqueCalls { get; } = new Dictionary<ValueId, (LocationInfo?, string)>();

        /// <summary>Differentiable callees this method calls, with where, to check that they can be differentiated too.</summary>
        public List<(IMethodSymbol Callee, LocationInfo? Location)> DifferentiableCallees { get; } = new List<(IMethodSymbol, LocationInfo?)>();

        public IReadOnlyList<DiagnosticInfo> Diagnostics => _diagnostics;

        /// <summary>
        /// Lowers <paramref name="method"/>, whose parameters <see cref="Parsing.MethodParser"/> has already checked.
        /// Returns null with diagnostics when the body uses something unsupported.
        /// </summary>
        public static (IrFunction? Function, IrLowering Lowering) Lower(
            IMethodSymbol method, BaseMethodDeclarationSyntax declaration, IReadOnlyList<(IParameterSymbol Symbol, IrType Type, bool Active)> parameters,
            IrType? returnType, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            var lowering = new IrLowering(semanticModel, method, returnType, cancellationToken);
            var function = lowering.LowerMethod(declaration, parameters);
            return (lowering._diagnostics.Count == 0 ? function : null, lowering);
        }

        private IrFunction? LowerMethod(BaseMethodDeclarationSyntax declaration, IReadOnlyList<(IParameterSymbol Symbol, IrType Type, bool Active)> parameters)
        {
            var environment = new Environment();
            var irParameters = new List<IrParameter>();
            foreach (var (symbol, type, active) in parameters)
            {
                var value = NewValue(type, symbol.Name);
                environment.Set(symbol, value);
                string typeName = type == IrType.Opaque || type.IsBuffer() ? SymbolFacts.TypeName(symbol.Type) : type.Keyword();
                irParameters.Add(new IrParameter(value, symbol.Name, type, typeName, active));
                if (SymbolFacts.IsReadOnlySpan(symbol.Type)) _readOnly.Add(value);
            }

            SyntaxNode? bodySyntax = (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody;
            if (bodySyntax is null)
            {
                Report(DiagnosticDescriptors.UnsupportedStatement, declaration, "A method without a body");
                return null;
            }

            var instructions = new List<Instruction>();
            Terminator terminator;
            if (declaration.ExpressionBody is { } arrow)
            {
                var operation = _semanticModel.GetOperation(arrow.Expression, _cancellationToken);
                _origin = (_returnType is null ? "" : "return ") + LoweringFacts.OriginText(arrow.Expression);
                if (operation is null)
                {
                    Report(DiagnosticDescriptors.UnsupportedExpression, arrow.Expression, "Expression", arrow.Expression.ToString());
                    return null;
                }
                if (_returnType is { } type)
                {
                    terminator = new ReturnTerminator(LowerConverted(operation, type, instructions, environment), _origin);
                }
                else
                {
                    LowerExpression(operation, instructions, environment);
                    terminator = new ReturnTerminator(null, _origin);
                }
            }
            else
            {
                var block = (IBlockOperation?)_semanticModel.GetOperation(declaration.Body!, _cancellationToken);
                if (block is null) return null;
                terminator = LowerSequence(block.Operations.ToList(), instructions, environment)
                    ?? new ReturnTerminator(null, "return");
            }

            var body = HoistInvariantLoads(new Block(instructions.ToEquatableArray(), terminator), irParameters);
            return new IrFunction(_method.Name, irParameters.ToEquatableArray(), _returnType, body, _values.ToEquatableArray());
        }

        private ValueId NewValue(IrType type, string? hint)
        {
            _values.Add(new ValueInfo(type, hint));
            return new ValueId(_values.Count - 1);
        }

        private IrType TypeOf(ValueId value) => _values[value.Index].Type;

        /// <summary>Emits a pure instruction, or reuses the value an identical one computed earlier on this path.</summary>
        private ValueId Pure(string key, IrType type, System.Func<ValueId, Instruction> make, List<Instruction> into)
        {
            key = key + ":" + type;
            if (_available.TryGetValue(key, out var existing)) return existing;
            var result = NewValue(type, null);
            into.Add(make(result));
            _available[key] = result;
            return result;
        }

        /// <summary>Runs <paramref name="lower"/> for one branch: what it computes is not available after it.</summary>
        private T InBranch<T>(System.Func<T> lower)
        {
            var saved = _available;
            _available = new Dictionary<string, ValueId>(saved);
            _inBranch++;
            try
            {
                return lower();
            }
            finally
            {
                _available = saved;
                _inBranch--;
            }
        }

        // How many branches deep the lowering is (a loop body resets nothing: its branches count from the loop's).
        private int _inBranch;

        private void Report(DiagnosticDescriptor descriptor, SyntaxNodeOrToken syntax, params string[] arguments) =>
            _diagnostics.Add(DiagnosticInfo.Create(descriptor, LocationInfo.From(syntax.GetLocation()), arguments));

        // ---- statements ----------------------------------------------------------------------------

        /// <summary>
        /// Lowers <paramref name="statements"/> in order into <paramref name="into"/>. Returns the terminator
        /// when the sequence leaves the function, or null when it falls through its end.
        /// </summary>
        private Terminator? LowerSequence(List<IOperation> statements, List<Instruction> into, Environment environment)
        {
            for (int i = 0; i < statements.Count; i++)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                var statement = statements[i];
                var rest = statements.Skip(i + 1).ToList();
                if (CurrentLoop is not null)
                {
                    // Inside a loop body, break, continue and return set flags; what follows one that may
                    // have run is guarded by "no flag set".
                    switch (statement)
                    {
                        case IReturnOperation:
                        case IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue }:
                            LowerLoopExit(statement, into, environment);
                            return null;
                        case IBlockOperation block:
                            var nested = block.Operations.ToList();
                            nested.AddRange(rest);
                            return LowerSequence(nested, into, environment);
                    }
                    LowerStatement(statement, into, environment);
                    if (rest.Count > 0 && MayExit(statement))
                    {
                        LowerGuardedRest(rest, into, environment);
                        return null;
                    }
                    continue;
                }

                switch (statement)
                {
                    case IReturnOperation ret:
                        _origin = LoweringFacts.OriginText(ret.Syntax);
                        ValueId? value = ret.ReturnedValue is null || _returnType is null
                            ? (ValueId?)null
                            : LowerConverted(ret.ReturnedValue, _returnType.Value, into, environment);
                        return new ReturnTerminator(value, _origin);

                    case IBlockOperation block:
                        // A nested block's statements run in line; its locals are distinct symbols.
                        var inner = block.Operations.ToList();
                        if (ContainsReturn(block))
                        {
                            inner.AddRange(rest);
                            return LowerSequence(inner, into, environment);
                        }
                        LowerSequence(inner, into, environment);
                        break;

                    case IConditionalOperation branch when ContainsReturn(branch):
                        return LowerReturningIf(branch, rest, into, environment);

                    case ILoopOperation loop:
                        if (LowerLoop(loop, into, environment))
                        {
                            // A return inside the loop: leave with its value, or go on with the rest.
                            environment.TryGet(_returned!, out var returned);
                            ValueId? returnValue = null;
                            if (_returnValue is not null && environment.TryGet(_returnValue, out var rv)) returnValue = rv;
                            string origin = "return (from inside " + LoopOrigin(loop.Syntax) + ")";
                            var leave = new Block(EquatableArray<Instruction>.Empty, new ReturnTerminator(returnValue, origin));
                            var goOn = InBranch(() => LowerLeavingBranch(rest, environment.Copy(), loop));
                            return new SplitTerminator(returned, leave, goOn, LoopOrigin(loop.Syntax));
                        }
                        break;

                    default:
                        LowerStatement(statement, into, environment);
                        break;
                }
            }
            return null;
        }

        /// <summary><c>rest</c> after a statement that may exit the iteration: <c>if (!(broke | continued | returned)) { rest }</c>.</summary>
        private void LowerGuardedRest(List<IOperation> rest, List<Instruction> into, Environment environment)
        {
            var frame = CurrentLoop!;
            var exit = ExitFlags(frame, into, environment, includeContinue: true);
            if (exit is null)
            {
                LowerSequence(rest, into, environment);
                return;
            }
            string origin = _origin;
            var skipped = new List<Instruction>();
            var ran = new List<Instruction>();
            var ranEnvironment = environment.Copy();
            InBranch(() => LowerSequence(rest, ran, ranEnvironment));
            Merge(exit.Value, skipped, environment.Copy(), ran, ranEnvironment, environment, into, "if (!(" + FlagNames(frame, includeContinue: true) + "))", null);
            _origin = origin;
        }

        private string FlagNames(LoopFrame frame, bool includeContinue)
        {
            var names = new List<string>();
            if (frame.Broke is not null) names.Add("broke");
            if (includeContinue && frame.Continued is not null) names.Add("continued");
            if (_returned is not null && ContainsReturn(frame.Operation)) names.Add("returned");
            return string.Join(" || ", names);
        }

        /// <summary><c>if (c) A else B; rest</c> with a return inside becomes <c>split c { A; rest } { B; rest }</c>.</summary>
        private Terminator LowerReturningIf(IConditionalOperation branch, List<IOperation> rest, List<Instruction> into, Environment environment)
        {
            _origin = "if (" + LoweringFacts.OriginText(branch.Condition.Syntax) + ")";
            string origin = _origin;
            var condition = LowerConverted(branch.Condition, IrType.Bool, into, environment);
            var thenBlock = InBranch(() => LowerLeavingBranch(Prepend(branch.WhenTrue, rest), environment.Copy(), branch));
            var elseBlock = InBranch(() => LowerLeavingBranch(Prepend(branch.WhenFalse, rest), environment.Copy(), branch));
            return new SplitTerminator(condition, thenBlock, elseBlock, origin);
        }

        private Block LowerLeavingBranch(List<IOperation> statements, Environment environment, IOperation owner)
        {
            var instructions = new List<Instruction>();
            var terminator = LowerSequence(statements, instructions, environment);
            if (terminator is null)
            {
                if (_returnType is not null)
                {
                    // C# only lets a path of a value-returning method end without return by throwing.
                    Report(DiagnosticDescriptors.UnsupportedStatement, owner.Syntax, "A path that ends without returning a value");
                }
                terminator = new ReturnTerminator(null, "return");
            }
            return new Block(instructions.ToEquatableArray(), terminator);
        }

        private static List<IOperation> Prepend(IOperation? first, List<IOperation> rest)
        {
            var list = new List<IOperation>(rest.Count + 1);
            if (first is not null) list.Add(first);
            list.AddRange(rest);
            return list;
        }

        private static bool ContainsReturn(IOperation operation) =>
            operation is IReturnOperation || operation.Descendants().Any(d => d is IReturnOperation);

        private void LowerStatement(IOperation statement, List<Instruction> into, Environment environment)
        {
            _origin = LoweringFacts.OriginText(statement.Syntax);
            _statement = statement.Syntax;
            switch (statement)
            {
                case IExpressionStatementOperation expression:
                    LowerExpression(expression.Operation, into, environment);
                    break;

                case IVariableDeclarationGroupOperation group:
                    foreach (var declaration in group.Declarations)
                    {
                        foreach (var declarator in declaration.Declarators)
                        {
                            var local = declarator.Symbol;
                            var type = SymbolFacts.IrTypeOf(local.Type);
                            if (type is null)
                            {
                                Report(DiagnosticDescriptors.UnsupportedLocalType, declarator.Syntax, local.Name, local.Type.ToDisplayString());
                                _reportedLocals.Add(local); // reported once, not again at each use
                                environment.Set(local, Poison(IrType.Opaque));
                                continue;
                            }
                            var initializer = declarator.Initializer ?? declaration.Initializer;
                            if (local.IsRef)
                            {
                                // A ref local is an alias of another variable or element: lowering it as a copy would
                                // give a wrong value and gradient, so it is refused.
                                Report(DiagnosticDescriptors.UnsupportedStatement, declarator.Syntax.Parent ?? declarator.Syntax,
                                    "A ref local ('" + local.Name + "' would be an alias of another variable or element, not a copy; use that variable or element directly)");
                                _reportedLocals.Add(local);
                                environment.Set(local, Poison(type.Value));
                                continue;
                            }
                            if (initializer is not null)
                            {
                                var value = LowerConverted(initializer.Value, type.Value, into, environment);
                                environment.Set(local, Named(value, local.Name, into));
                            }
                            else if (!type.Value.IsBuffer())
                            {
                                // C# rejects a read before assignment, so this value is never observed; giving the local
                                // one makes it an ordinary carried value of a loop that assigns it (definite assignment
                                // through a do loop's body, say), whatever path C#'s analysis followed.
                                environment.Set(local, Constant(type.Value == IrType.Bool ? "false" : LoweringFacts.Literal(0, type.Value)!, type.Value, into));
                            }
                        }
                    }
                    break;

                case IConditionalOperation branch:
                    _origin = "if (" + LoweringFacts.OriginText(branch.Condition.Syntax) + ")";
                    LowerMergingIf(branch, into, environment);
                    break;

                case IEmptyOperation:
                    break;

                case ILoopOperation loop:
                    if (LowerLoop(loop, into, environment) && CurrentLoop is null)
                        Report(DiagnosticDescriptors.LoopNotSupported, LoopKeyword(loop.Syntax), LoopName(loop), "it returns from inside a branch that merges");
                    break;

                default:
                    Report(DiagnosticDescriptors.UnsupportedStatement, statement.Syntax, StatementName(statement));
                    break;
            }
        }

        /// <summary>An <c>if</c> with no return inside: both branches run to its end and merge the locals they change.</summary>
        private void LowerMergingIf(IConditionalOperation branch, List<Instruction> into, Environment environment)
        {
            string origin = _origin;
            var condition = LowerConverted(branch.Condition, IrType.Bool, into, environment);
            var thenEnvironment = environment.Copy();
            var thenInstructions = new List<Instruction>();
            InBranch(() => LowerSequence(Prepend(branch.WhenTrue, new List<IOperation>()), thenInstructions, thenEnvironment));
            var elseEnvironment = environment.Copy();
            var elseInstructions = new List<Instruction>();
            InBranch(() => LowerSequence(Prepend(branch.WhenFalse, new List<IOperation>()), elseInstructions, elseEnvironment));
            Merge(condition, thenInstructions, thenEnvironment, elseInstructions, elseEnvironment, environment, into, origin, null);
        }

        /// <summary>
        /// Emits an <see cref="IfInstr"/> whose outputs are the locals either branch changed (and, for a
        /// conditional expression, its value as the last output); updates <paramref name="environment"/>.
        /// </summary>
        private ValueId? Merge(ValueId condition, List<Instruction> thenInstructions, Environment thenEnvironment,
            List<Instruction> elseInstructions, Environment elseEnvironment, Environment environment, List<Instruction> into,
            string origin, (ValueId Then, ValueId Else, IrType Type)? expression)
        {
            var changed = new List<object>();
            foreach (var symbol in thenEnvironment.Symbols.Concat(elseEnvironment.Symbols))
            {
                if (changed.Contains(symbol, VariableComparer.Instance)) continue;
                if (!thenEnvironment.TryGet(symbol, out var t) || !elseEnvironment.TryGet(symbol, out var e)) continue;
                bool had = environment.TryGet(symbol, out var before);
                if (!had || !t.Equals(before) || !e.Equals(before)) changed.Add(symbol);
            }

            var outputs = new List<ValueId>();
            var thenYield = new List<ValueId>();
            var elseYield = new List<ValueId>();
            var negations = new List<(object Symbol, ValueId Result)>();
            foreach (var symbol in changed)
            {
                // A bool set to true in one branch and false in the other is the condition (or its negation): a pure
                // value of the condition's operands, which the reverse sweep can recompute instead of recording a
                // branch's output (a loop's 'continued' flag after `if (...) continue;`).
                thenEnvironment.TryGet(symbol, out var whenTrue);
                elseEnvironment.TryGet(symbol, out var whenFalse);
                if (_constantText.TryGetValue(whenTrue, out var thenText) && _constantText.TryGetValue(whenFalse, out var elseText) && TypeOf(whenTrue) == IrType.Bool)
                {
                    if (thenText == "true" && elseText == "false")
                    {
                        environment.Set(symbol, condition);
                        continue;
                    }
                    if (thenText == "false" && elseText == "true")
                    {
                        negations.Add((symbol, NewValue(IrType.Bool, VariableComparer.NameOf(symbol))));
                        continue;
                    }
                }
                thenEnvironment.TryGet(symbol, out var branchValue);
                if (TypeOf(branchValue).IsBuffer() && _statement is not null)
                {
                    // Which memory a span views would depend on the branch taken: its adjoint view could not follow.
                    Report(DiagnosticDescriptors.UnsupportedStatement, _statement,
                        "A branch that makes the span or array variable '" + VariableComparer.NameOf(symbol) + "' view different memory");
                    _statement = null;
                }
                thenEnvironment.TryGet(symbol, out var t);
                elseEnvironment.TryGet(symbol, out var e);
                var output = NewValue(TypeOf(t), VariableComparer.NameOf(symbol));
                outputs.Add(output);
                thenYield.Add(t);
                elseYield.Add(e);
                environment.Set(symbol, output);
            }

            ValueId? result = null;
            if (expression is { } x)
            {
                result = NewValue(x.Type, null);
                outputs.Add(result.Value);
                thenYield.Add(x.Then);
                elseYield.Add(x.Else);
            }

            // A branch left with nothing to yield and only constants inside (`if (c) continue;` once its flag is the
            // condition itself) does nothing: no IfInstr, nothing to print or reverse.
            bool empty = outputs.Count == 0 && thenInstructions.All(i => i is ConstInstr) && elseInstructions.All(i => i is ConstInstr);
            if (!empty)
            {
                into.Add(new IfInstr(condition,
                    new Block(thenInstructions.ToEquatableArray(), new YieldTerminator(thenYield.ToEquatableArray())),
                    new Block(elseInstructions.ToEquatableArray(), new YieldTerminator(elseYield.ToEquatableArray())),
                    outputs.ToEquatableArray(), origin));
            }
            foreach (var (symbol, negation) in negations)
            {
                into.Add(new UnaryInstr(negation, UnaryOp.Not, condition, origin));
                environment.Set(symbol, negation);
            }
            return result;
        }

        /// <summary>Gives the value a local's name when it was computed by the instruction just emitted.</summary>
        private ValueId Named(ValueId value, string name, List<Instruction> into)
        {
            var info = _values[value.Index];
            bool justComputed = into.Count > 0 && IrFacts.Definitions(into[into.Count - 1]).Contains(value);
            if (info.Hint is null && justComputed) _values[value.Index] = info with { Hint = name };
            return value;
        }

        private static SyntaxNodeOrToken LoopKeyword(SyntaxNode syntax) => syntax switch
        {
            ForStatementSyntax f => f.ForKeyword,
            ForEachStatementSyntax f => f.ForEachKeyword,
            WhileStatementSyntax w => w.WhileKeyword,
            DoStatementSyntax d => d.DoKeyword,
            _ => syntax,
        };

        private static string LoopName(ILoopOperation loop) => loop.LoopKind switch
        {
            LoopKind.For => "for",
            LoopKind.ForEach => "foreach",
            LoopKind.While => loop.Syntax is DoStatementSyntax ? "do" : "while",
            _ => loop.LoopKind.ToString(),
        };

        private static string StatementName(IOperation statement) => statement switch
        {
            IThrowOperation => "A 'throw' statement",
            IBranchOperation b => "A '" + b.BranchKind.ToString().ToLowerInvariant() + "' statement",
            ISwitchOperation => "A 'switch' statement",
            ITryOperation => "A 'try' statement",
            IUsingOperation => "A 'using' statement",
            ILockOperation => "A 'lock' statement",
            ILocalFunctionOperation => "A local function",
            ILabeledOperation => "A labeled statement",
            _ => "A statement of kind '" + statement.Kind + "'",
        };
    }
}
