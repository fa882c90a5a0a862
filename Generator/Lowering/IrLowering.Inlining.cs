using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Differentiable.Generator.Lowering
{
    // Inlining small callees at call sites inside loops. A call of another [Differentiable] method is reversed by its
    // Backward, which runs the callee again to get what its own reverse needs: once per iteration when the call is in a
    // loop (GradBench's gmm calls LogSumExp for every point: k exponentials again in each reverse iteration). A small
    // callee that only computes (no calls but math functions, no writes to memory, no allocation, one return at the
    // end) is lowered in place instead, its parameters bound to the arguments: its values become the caller's, and the
    // caller's own analyses decide what to record, recompute or read again. The callee is still checked as a callee
    // (it must be differentiable on its own, CalleeChecks), so what is accepted does not depend on where it is called.
    internal sealed partial class IrLowering
    {
        /// <summary>Callees larger than this (syntax nodes of the declaration) are called, not inlined: the code would grow.</summary>
        private const int MaxInlinedNodes = 400;

        /// <summary>
        /// The callee's declaration and semantic model when a call of it, here, is inlined: the call is inside a loop of
        /// this method, and the callee is a small static method of this compilation, not this one, returning double or
        /// float, whose body calls only math functions and <c>Grad.Stop</c>, reads no static state, writes no element of
        /// any buffer, allocates nothing and returns once, at its end; no <c>[NoDiff]</c> buffer parameter.
        /// </summary>
        private (MethodDeclarationSyntax Declaration, SemanticModel Model)? Inlinable(IMethodSymbol method)
        {
            if (CurrentLoop is null) return null;
            var definition = method.OriginalDefinition;
            if (SymbolEqualityComparer.Default.Equals(definition, _method.OriginalDefinition) || method.IsGenericMethod ||
                definition.DeclaringSyntaxReferences.Length != 1) return null;
            if (definition.Parameters.Any(p => p.RefKind != RefKind.None || p.IsParams ||
                    (SymbolFacts.IsNoDiff(p) && SymbolFacts.IrTypeOf(p.Type) is { } t && t.IsBuffer())))
                return null;
            if (definition.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) is not MethodDeclarationSyntax declaration) return null;
            if (declaration.Body is null && declaration.ExpressionBody is null) return null;
            int nodes = 0;
            foreach (var node in declaration.DescendantNodes())
            {
                if (++nodes > MaxInlinedNodes) return null;
                if (node is StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax or ArrayCreationExpressionSyntax or
                    ImplicitArrayCreationExpressionSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or
                    RefExpressionSyntax or RefTypeSyntax)
                    return null;
            }
            var model = SemanticModels.For(_semanticModel.Compilation, declaration.SyntaxTree);
            SyntaxNode body = (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody!.Expression;
            var operation = model.GetOperation(body, _cancellationToken);
            if (operation is null) return null;
            var returns = operation.DescendantsAndSelf().OfType<IReturnOperation>().ToList();
            if (declaration.Body is not null &&
                (returns.Count != 1 || operation is not IBlockOperation block || block.Operations.Length == 0 || !ReferenceEquals(block.Operations[block.Operations.Length - 1], returns[0])))
                return null;
            if (!SideEffects.AssignsOnlyLocals(operation)) return null; // no element of any buffer, no field
            foreach (var inner in operation.DescendantsAndSelf())
            {
                switch (inner)
                {
                    case IInvocationOperation call:
                        string owner = LoweringFacts.OwnerName(call.TargetMethod);
                        if (!MathTypes.Contains(owner) && !(owner == "Differentiable.Grad" && call.TargetMethod.Name == "Stop")) return null;
                        break;
                    case IFieldReferenceOperation field when !field.Field.IsConst:
                        return null;
                    case IPropertyReferenceOperation property when !property.Property.IsIndexer && property.Property.Name != "Length":
                        return null;
                    case IObjectCreationOperation or IArrayCreationOperation or IAnonymousFunctionOperation or ILocalFunctionOperation or IThrowOperation:
                        return null;
                }
            }
            return (declaration, model);
        }

        /// <summary>
        /// Lowers the callee's body in place, its parameters bound to <paramref name="args"/> (a <c>[NoDiff]</c> scalar
        /// parameter through <c>Grad.Stop</c>: the callee's Backward gives it no gradient, and neither does this), and
        /// returns its result; null, with nothing added, if anything in it could not be lowered here.
        /// </summary>
        private ValueId? LowerInlined(IMethodSymbol method, MethodDeclarationSyntax declaration, SemanticModel model, ValueId[] args, IrType resultType,
            List<Instruction> into)
        {
            var savedModel = _semanticModel;
            var savedOrigin = _origin;
            var savedStatement = _statement;
            var savedLoops = _loops.ToList();
            int savedBranch = _inBranch;
            var savedAvailable = new Dictionary<string, ValueId>(_available);
            int diagnostics = _diagnostics.Count, instructions = into.Count;
            try
            {
                var environment = new Environment();
                var parameters = method.OriginalDefinition.Parameters;
                for (int k = 0; k < parameters.Length; k++)
                {
                    var value = args[k];
                    if (SymbolFacts.IsNoDiff(parameters[k]) && TypeOf(value).IsFloating())
                    {
                        var stopped = NewValue(TypeOf(value), null);
                        into.Add(new StopInstr(stopped, value, _origin));
                        value = stopped;
                    }
                    environment.Set(parameters[k], value);
                }
                _semanticModel = model;
                _loops.Clear();
                _inBranch = 0;
                ValueId? result = null;
                if (declaration.ExpressionBody is { } arrow)
                {
                    _origin = "return " + LoweringFacts.OriginText(arrow.Expression);
                    if (model.GetOperation(arrow.Expression, _cancellationToken) is { } expression)
                        result = LowerConverted(expression, resultType, into, environment);
                }
                else if (model.GetOperation(declaration.Body!, _cancellationToken) is IBlockOperation block &&
                         block.Operations[block.Operations.Length - 1] is IReturnOperation { ReturnedValue: { } returned } last)
                {
                    var statements = block.Operations.Take(block.Operations.Length - 1).ToList();
                    if (LowerSequence(statements, into, environment) is null)
                    {
                        _origin = LoweringFacts.OriginText(last.Syntax);
                        result = LowerConverted(returned, resultType, into, environment);
                    }
                }
                if (result is not null && _diagnostics.Count == diagnostics) return result;
                // Not lowered here: leave no trace, and call it instead.
                _diagnostics.RemoveRange(diagnostics, _diagnostics.Count - diagnostics);
                into.RemoveRange(instructions, into.Count - instructions);
                _available = savedAvailable;
                return null;
            }
            finally
            {
                _semanticModel = savedModel;
                _origin = savedOrigin;
                _statement = savedStatement;
                _loops.Clear();
                _loops.AddRange(savedLoops);
                _inBranch = savedBranch;
            }
        }
    }
}
