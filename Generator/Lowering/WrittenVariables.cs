using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Differentiable.Generator.Lowering
{
    /// <summary>
    /// The locals and parameters a piece of a method writes, read off its operation tree: assigned (<c>=</c>, <c>op=</c>,
    /// <c>??=</c>, deconstruction), incremented or decremented, passed by <c>ref</c> or <c>out</c>, bound to a <c>ref</c> local, written in a field or by a method of its own (a struct), or declared there (with
    /// an initializer, as a foreach or pattern or catch variable, a lambda's or local function's parameter). The same set, in the same order (by declaration), as Roslyn's
    /// data-flow <c>WrittenInside</c> for the region (tested side by side), without its cost: that analysis runs
    /// definite assignment over the whole method body for every region asked about, which was a fifth of the
    /// generator's parse time on a corpus of loops.
    /// </summary>
    internal static class WrittenVariables
    {
        public static List<ISymbol> Of(IOperation root)
        {
            var written = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var operation in root.DescendantsAndSelf())
            {
                foreach (var target in WriteTargets(operation)) AddTarget(target, written);
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when declarator.GetVariableInitializer() is not null:
                        written.Add(declarator.Symbol);
                        break;
                    case ICatchClauseOperation { ExceptionDeclarationOrExpression: IVariableDeclaratorOperation caught }:
                        written.Add(caught.Symbol);
                        break;
                    case IForEachLoopOperation { LoopControlVariable: IVariableDeclaratorOperation iteration }:
                        written.Add(iteration.Symbol);
                        break;
                    case IForEachLoopOperation loop: // foreach (var (a, b) in pairs)
                        AddTarget(loop.LoopControlVariable, written);
                        break;
                    case IDeclarationPatternOperation { DeclaredSymbol: { } declared }:
                        written.Add(declared);
                        break;
                    case IRecursivePatternOperation { DeclaredSymbol: { } declared }:
                        written.Add(declared);
                        break;
                    case IListPatternOperation { DeclaredSymbol: { } declared }:
                        written.Add(declared);
                        break;
                    case IAnonymousFunctionOperation lambda: // its parameters are written on each call
                        foreach (var parameter in lambda.Symbol.Parameters) written.Add(parameter);
                        break;
                    case ILocalFunctionOperation function:
                        foreach (var parameter in function.Symbol.Parameters) written.Add(parameter);
                        break;
                }
            }
            return written.OrderBy(Position).ThenBy(s => s.Name, System.StringComparer.Ordinal).ToList();
        }

        /// <summary>
        /// What one operation writes, as written there (a local, a parameter, an element, a field, a tuple of them): an
        /// assignment's target (and, for <c>r = ref v</c>, <c>v</c>), an increment's, a <c>ref</c>/<c>out</c> argument, the
        /// variable a <c>ref</c> local is bound to, and a struct variable whose own method is called. Shared with
        /// <see cref="SideEffects.AssignsOnlyLocals"/>.
        /// </summary>
        public static IEnumerable<IOperation> WriteTargets(IOperation operation)
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation { IsRef: true } refAssignment: // r = ref v: v may be written through r
                    yield return refAssignment.Target;
                    yield return refAssignment.Value;
                    break;
                case IAssignmentOperation assignment:
                    yield return assignment.Target;
                    break;
                case IIncrementOrDecrementOperation step:
                    yield return step.Target;
                    break;
                case IInvocationOperation { Instance: { Type: { IsValueType: true, IsReadOnly: false } } receiver, TargetMethod.IsReadOnly: false }:
                    yield return receiver; // a struct variable's own method may change it
                    break;
                case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument:
                    yield return argument.Value;
                    break;
                case IVariableDeclaratorOperation { Symbol.RefKind: RefKind.Ref } declarator when declarator.GetVariableInitializer() is { } initializer:
                    yield return initializer.Value; // ref var r = ref v
                    break;
            }
        }

        private static void AddTarget(IOperation target, HashSet<ISymbol> written)
        {
            switch (target)
            {
                case ILocalReferenceOperation local:
                    written.Add(local.Local);
                    break;
                case IParameterReferenceOperation parameter:
                    written.Add(parameter.Parameter);
                    break;
                case ITupleOperation tuple:
                    foreach (var element in tuple.Elements) AddTarget(element, written);
                    break;
                case IDeclarationExpressionOperation declaration:
                    AddTarget(declaration.Expression, written);
                    break;
                case IConversionOperation conversion:
                    AddTarget(conversion.Operand, written);
                    break;
                case IFieldReferenceOperation { Instance: { Type.IsValueType: true } instance }: // a field of a struct variable is part of it
                    AddTarget(instance, written);
                    break;
            }
        }

        private static int Position(ISymbol symbol) => symbol.Locations.Length > 0 ? symbol.Locations[0].SourceSpan.Start : int.MaxValue;
    }
}
