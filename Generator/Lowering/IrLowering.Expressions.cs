using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Operations;

namespace Differentiable.Generator.Lowering
{
    internal sealed partial class IrLowering
    {
        /// <summary>Lowers an expression and converts its value to <paramref name="type"/> if it differs.</summary>
        private ValueId LowerConverted(IOperation operation, IrType type, List<Instruction> into, Environment environment)
        {
            var value = LowerExpression(operation, into, environment);
            return Convert(value, type, into);
        }

        private ValueId Convert(ValueId value, IrType type, List<Instruction> into)
        {
            if (TypeOf(value) == type) return value;
            return Pure("convert " + value, type, result => new ConvertInstr(result, value, _origin), into);
        }

        /// <summary>A placeholder after an error, so lowering goes on and reports every problem at once.</summary>
        private ValueId Poison(IrType type) => NewValue(type, null);

        private ValueId Unsupported(IOperation operation, string what)
        {
            Report(DiagnosticDescriptors.UnsupportedExpression, operation.Syntax, what, LoweringFacts.OriginText(operation.Syntax));
            return Poison(SymbolFacts.IrTypeOf(operation.Type) ?? IrType.F64);
        }

        private ValueId Constant(string text, IrType type, List<Instruction> into)
        {
            var value = Pure("const " + text, type, result => new ConstInstr(result, text, _origin), into);
            _constantText[value] = text;
            return value;
        }

        private ValueId LowerExpression(IOperation operation, List<Instruction> into, Environment environment)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var type = SymbolFacts.IrTypeOf(operation.Type);

            if (operation.ConstantValue.HasValue && operation is not IAssignmentOperation)
            {
                if (type is { } constantType && LoweringFacts.Literal(operation.ConstantValue.Value, constantType) is { } literal)
                    return Constant(literal, constantType, into);
                return OpaqueConstant(operation, into);
            }

            switch (operation)
            {
                case IConversionOperation conversion when type is { } bufferType && bufferType.IsBuffer():
                    // double[] -> Span<double>, Span -> ReadOnlySpan, stackalloc -> Span: the same memory.
                    if (conversion.Operand.Kind == OperationKind.None)
                        return LowerAllocation(conversion.Operand, conversion.Type, into, environment) ?? Unsupported(conversion.Operand, ExpressionName(conversion.Operand));
                    var converted = LowerExpression(conversion.Operand, into, environment);
                    if (TypeOf(converted) != bufferType) return Unsupported(operation, "A conversion between buffers of different element types");
                    return converted;

                case IConversionOperation conversion:
                    if (conversion.OperatorMethod is not null) return Unsupported(operation, "A user-defined conversion");
                    if (type is null) return Unsupported(operation, "A conversion to '" + operation.Type?.ToDisplayString() + "'");
                    return Convert(LowerExpression(conversion.Operand, into, environment), type.Value, into);

                case ILocalReferenceOperation local:
                    return Read(local.Local, operation, environment);

                case IParameterReferenceOperation parameter:
                    return Read(parameter.Parameter, operation, environment);

                case IFieldReferenceOperation field when field.Field.IsStatic && type is not null:
                {
                    string text = SymbolFacts.FullyQualified(field.Field.ContainingType) + "." + field.Field.Name;
                    // A static readonly field keeps its value (an array's elements may change: loads from it are
                    // never re-read, see BufferRoots); any other static field is a value of the moment it is read.
                    if (field.Field.IsReadOnly) return Constant(text, type.Value, into);
                    var value = NewValue(type.Value, null);
                    into.Add(new ConstInstr(value, text, _origin) { Mutable = true });
                    return value;
                }

                case IPropertyReferenceOperation property when property.Property.IsStatic && property.Arguments.Length == 0 && type is not null:
                    // A getter may compute something: each read is its own value.
                    var read = NewValue(type.Value, null);
                    into.Add(new ConstInstr(read, SymbolFacts.FullyQualified(property.Property.ContainingType) + "." + property.Property.Name, _origin) { Mutable = true });
                    return read;

                case IBinaryOperation binary:
                    return LowerBinary(binary, into, environment);

                case IUnaryOperation unary:
                    return LowerUnary(unary, into, environment);

                case IInvocationOperation invocation:
                    return LowerInvocation(invocation, into, environment) ?? Poison(type ?? IrType.F64);

                case IConditionalOperation when type is { } conditionalType && conditionalType.IsBuffer():
                    return Unsupported(operation, "A conditional choice between spans or arrays");

                case IConditionalOperation conditional when type is not null:
                    return LowerConditionalExpression(conditional, type.Value, into, environment);

                case ISimpleAssignmentOperation assignment:
                    return LowerAssignment(assignment, into, environment);

                case ICompoundAssignmentOperation compound:
                    return LowerCompoundAssignment(compound, into, environment);

                case IIncrementOrDecrementOperation increment:
                    return LowerIncrement(increment, into, environment);

                case IParenthesizedOperation parenthesized:
                    return LowerExpression(parenthesized.Operand, into, environment);

                case IPropertyReferenceOperation { Property.Name: "Length", Instance: { } lengthOf } when SymbolFacts.IrTypeOf(lengthOf.Type) is { } lt && lt.IsBuffer():
                    return Convert(Length(LowerExpression(lengthOf, into, environment), into), type ?? IrType.I32, into);

                case IArrayElementReferenceOperation or IPropertyReferenceOperation or IImplicitIndexerReferenceOperation when IsElementReference(operation):
                    return LowerLoad(operation, into, environment);

                case IImplicitIndexerReferenceOperation { Argument: IRangeOperation } rangeIndexer when type is { } rt && rt.IsBuffer():
                    if (SymbolFacts.IsArray(rangeIndexer.Instance.Type))
                        return Unsupported(operation, "A range of an array (it copies the array; use AsSpan)");
                    return LowerRangeSlice(rangeIndexer, into, environment);

                case IArrayCreationOperation:
                    return LowerAllocation(operation, null, into, environment) ?? Poison(IrType.BufF64);

                case { Kind: OperationKind.None } when operation.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.StackAllocArrayCreationExpressionSyntax:
                    return LowerAllocation(operation, null, into, environment) ?? Unsupported(operation, "This stackalloc");

                case IFieldReferenceOperation or IPropertyReferenceOperation:
                    return Unsupported(operation, "An instance member access");

                default:
                    if (operation.Type is not null && type is null)
                        return Unsupported(operation, "An expression of type '" + operation.Type.ToDisplayString() + "'");
                    return Unsupported(operation, ExpressionName(operation));
            }
        }

        private ValueId Read(ISymbol symbol, IOperation operation, Environment environment)
        {
            if (environment.TryGet(symbol, out var value)) return value;
            return Unsupported(operation, "A read of '" + symbol.Name + "' of unsupported type or before assignment:");
        }

        /// <summary>A constant of a type outside the IR (an enum member, a string) passed through as C# text.</summary>
        private ValueId OpaqueConstant(IOperation operation, List<Instruction> into)
        {
            var value = operation.ConstantValue.Value;
            string? text = operation.Type switch
            {
                INamedTypeSymbol { TypeKind: TypeKind.Enum } e => "(" + SymbolFacts.FullyQualified(e) + ")(" +
                    System.Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) + ")",
                { SpecialType: SpecialType.System_String } => value is null ? "null" : SymbolDisplay.FormatLiteral((string)value, quote: true),
                { SpecialType: SpecialType.System_Char } => SymbolDisplay.FormatLiteral((char)value!, quote: true),
                _ => null,
            };
            if (text is null) return Unsupported(operation, "A constant of type '" + operation.Type?.ToDisplayString() + "'");
            return Constant(text, IrType.Opaque, into);
        }

        private ValueId LowerBinary(IBinaryOperation binary, List<Instruction> into, Environment environment)
        {
            if (binary.OperatorMethod is not null) return Unsupported(binary, "A user-defined operator");
            var type = SymbolFacts.IrTypeOf(binary.Type);
            if (type is null) return Unsupported(binary, "An operator on type '" + binary.Type?.ToDisplayString() + "'");

            if (binary.OperatorKind is BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr)
                return LowerShortCircuit(binary, into, environment);

            BinaryOp? op = binary.OperatorKind switch
            {
                BinaryOperatorKind.Add => BinaryOp.Add,
                BinaryOperatorKind.Subtract => BinaryOp.Subtract,
                BinaryOperatorKind.Multiply => BinaryOp.Multiply,
                BinaryOperatorKind.Divide => BinaryOp.Divide,
                BinaryOperatorKind.Remainder => BinaryOp.Remainder,
                BinaryOperatorKind.Equals => BinaryOp.Equal,
                BinaryOperatorKind.NotEquals => BinaryOp.NotEqual,
                BinaryOperatorKind.LessThan => BinaryOp.Less,
                BinaryOperatorKind.LessThanOrEqual => BinaryOp.LessOrEqual,
                BinaryOperatorKind.GreaterThan => BinaryOp.Greater,
                BinaryOperatorKind.GreaterThanOrEqual => BinaryOp.GreaterOrEqual,
                BinaryOperatorKind.And => BinaryOp.And,
                BinaryOperatorKind.Or => BinaryOp.Or,
                BinaryOperatorKind.ExclusiveOr => BinaryOp.ExclusiveOr,
                BinaryOperatorKind.LeftShift => BinaryOp.LeftShift,
                BinaryOperatorKind.RightShift => BinaryOp.RightShift,
                _ => null,
            };
            if (op is null) return Unsupported(binary, "The operator '" + binary.OperatorKind + "'");

            var left = LowerExpression(binary.LeftOperand, into, environment);
            var right = LowerExpression(binary.RightOperand, into, environment);
            return Pure(left + " " + op + " " + right, type.Value, result => new BinaryInstr(result, op.Value, left, right, _origin), into);
        }

        /// <summary><c>a &amp;&amp; b</c> is <c>a ? b : false</c>, and <c>a || b</c> is <c>a ? true : b</c>: b runs only when C# would run it.</summary>
        private ValueId LowerShortCircuit(IBinaryOperation binary, List<Instruction> into, Environment environment)
        {
            bool isAnd = binary.OperatorKind == BinaryOperatorKind.ConditionalAnd;
            var condition = LowerConverted(binary.LeftOperand, IrType.Bool, into, environment);

            var evaluated = new List<Instruction>();
            var evaluatedEnvironment = environment.Copy();
            var right = InBranch(() => LowerConverted(binary.RightOperand, IrType.Bool, evaluated, evaluatedEnvironment));

            var fixedInstructions = new List<Instruction>();
            var fixedValue = InBranch(() => Constant(isAnd ? "false" : "true", IrType.Bool, fixedInstructions));

            return isAnd
                ? Merge(condition, evaluated, evaluatedEnvironment, fixedInstructions, environment.Copy(), environment, into, _origin, (right, fixedValue, IrType.Bool))!.Value
                : Merge(condition, fixedInstructions, environment.Copy(), evaluated, evaluatedEnvironment, environment, into, _origin, (fixedValue, right, IrType.Bool))!.Value;
        }

        private ValueId LowerUnary(IUnaryOperation unary, List<Instruction> into, Environment environment)
        {
            if (unary.OperatorMethod is not null) return Unsupported(unary, "A user-defined operator");
            var type = SymbolFacts.IrTypeOf(unary.Type);
            UnaryOp? op = unary.OperatorKind switch
            {
                UnaryOperatorKind.Minus => UnaryOp.Negate,
                UnaryOperatorKind.Plus => UnaryOp.Plus,
                UnaryOperatorKind.Not => UnaryOp.Not,
                UnaryOperatorKind.BitwiseNegation => UnaryOp.BitwiseNot,
                _ => null,
            };
            if (type is null || op is null) return Unsupported(unary, "The operator '" + unary.OperatorKind + "'");
            var operand = LowerExpression(unary.Operand, into, environment);
            if (op == UnaryOp.Plus) return operand;
            return Pure(op + " " + operand, type.Value, result => new UnaryInstr(result, op.Value, operand, _origin), into);
        }

        private ValueId LowerConditionalExpression(IConditionalOperation conditional, IrType type, List<Instruction> into, Environment environment)
        {
            var condition = LowerConverted(conditional.Condition, IrType.Bool, into, environment);
            var thenInstructions = new List<Instruction>();
            var thenEnvironment = environment.Copy();
            var whenTrue = InBranch(() => LowerConverted(conditional.WhenTrue, type, thenInstructions, thenEnvironment));
            var elseInstructions = new List<Instruction>();
            var elseEnvironment = environment.Copy();
            var whenFalse = InBranch(() => LowerConverted(conditional.WhenFalse!, type, elseInstructions, elseEnvironment));
            return Merge(condition, thenInstructions, thenEnvironment, elseInstructions, elseEnvironment, environment, into, _origin,
                (whenTrue, whenFalse, type))!.Value;
        }

        /// <summary>The local or parameter an assignment writes, or null (with DIFF0006) for any other target.</summary>
        private ISymbol? AssignedSymbol(IOperation target, IOperation assignment)
        {
            switch (target)
            {
                case ILocalReferenceOperation local when SymbolFacts.IrTypeOf(local.Type) is not null:
                    return local.Local;
                case IParameterReferenceOperation parameter when SymbolFacts.IrTypeOf(parameter.Type) is not null:
                    return parameter.Parameter;
                case ILocalReferenceOperation or IParameterReferenceOperation:
                    var symbol = target is ILocalReferenceOperation l ? (ISymbol)l.Local : ((IParameterReferenceOperation)target).Parameter;
                    if (_reportedLocals.Add(symbol))
                        Report(DiagnosticDescriptors.UnsupportedLocalType, target.Syntax, target.Syntax.ToString(), target.Type?.ToDisplayString() ?? "?");
                    return null;
                default:
                    string what = target switch
                    {
                        IFieldReferenceOperation f => "the field '" + f.Field.Name + "'",
                        IPropertyReferenceOperation p => "the property '" + p.Property.Name + "'",
                        IArrayElementReferenceOperation => "an array element",
                        _ => "a location",
                    };
                    Report(DiagnosticDescriptors.WriteToOuterState, assignment.Syntax, LoweringFacts.OriginText(assignment.Syntax), what);
                    return null;
            }
        }

        private ValueId LowerAssignment(ISimpleAssignmentOperation assignment, List<Instruction> into, Environment environment)
        {
            if (IsElementReference(assignment.Target))
            {
                var element = LowerElementReference(assignment.Target, into, environment);
                var elementType = SymbolFacts.IrTypeOf(assignment.Target.Type) ?? IrType.F64;
                var stored = LowerConverted(assignment.Value, elementType, into, environment);
                if (element is { } e) Store(e, stored, into, assignment.Target);
                return stored;
            }
            var symbol = AssignedSymbol(assignment.Target, assignment);
            if (symbol is null) return Poison(SymbolFacts.IrTypeOf(assignment.Type) ?? IrType.F64);
            var type = SymbolFacts.IrTypeOf(assignment.Target.Type)!.Value;
            var value = Named(LowerConverted(assignment.Value, type, into, environment), symbol.Name, into);
            environment.Set(symbol, value);
            return value;
        }

        /// <summary>
        /// The current value of what a compound assignment or an increment updates: a buffer element (loaded)
        /// or a local. False, with a diagnostic, when it is neither.
        /// </summary>
        private bool ReadTarget(IOperation target, IOperation update, List<Instruction> into, Environment environment,
            out ElementRef? element, out ISymbol? symbol, out ValueId current)
        {
            element = null;
            symbol = null;
            current = default;
            if (IsElementReference(target))
            {
                element = LowerElementReference(target, into, environment);
                if (element is not { } e) return false;
                current = Load(e, into);
                return true;
            }
            symbol = AssignedSymbol(target, update);
            return symbol is not null && environment.TryGet(symbol, out current);
        }

        /// <summary><c>x op= v</c> is <c>x = (T)(x op v)</c>, with the conversions Roslyn reports.</summary>
        private ValueId LowerCompoundAssignment(ICompoundAssignmentOperation compound, List<Instruction> into, Environment environment)
        {
            if (compound.OperatorMethod is not null) return Unsupported(compound, "A user-defined operator");
            if (!ReadTarget(compound.Target, compound, into, environment, out var element, out var symbol, out var current)) return Poison(IrType.F64);
            var targetType = SymbolFacts.IrTypeOf(compound.Target.Type)!.Value;
            var right = LowerExpression(compound.Value, into, environment);
            var operationType = TypeOf(right) == IrType.Bool ? targetType : Wider(targetType, TypeOf(right));
            BinaryOp? op = compound.OperatorKind switch
            {
                BinaryOperatorKind.Add => BinaryOp.Add,
                BinaryOperatorKind.Subtract => BinaryOp.Subtract,
                BinaryOperatorKind.Multiply => BinaryOp.Multiply,
                BinaryOperatorKind.Divide => BinaryOp.Divide,
                BinaryOperatorKind.Remainder => BinaryOp.Remainder,
                BinaryOperatorKind.And => BinaryOp.And,
                BinaryOperatorKind.Or => BinaryOp.Or,
                BinaryOperatorKind.ExclusiveOr => BinaryOp.ExclusiveOr,
                BinaryOperatorKind.LeftShift => BinaryOp.LeftShift,
                BinaryOperatorKind.RightShift => BinaryOp.RightShift,
                _ => null,
            };
            if (op is null) return Unsupported(compound, "The operator '" + compound.OperatorKind + "='");
            if (op is BinaryOp.LeftShift or BinaryOp.RightShift) operationType = targetType;
            var left = Convert(current, operationType, into);
            if (op is not (BinaryOp.LeftShift or BinaryOp.RightShift)) right = Convert(right, operationType, into);
            var combined = Pure(left + " " + op + " " + right, operationType, result => new BinaryInstr(result, op.Value, left, right, _origin), into);
            if (element is { } target)
            {
                var stored = Convert(combined, targetType, into);
                Store(target, stored, into, compound.Target);
                return stored;
            }
            var result = Named(Convert(combined, targetType, into), symbol!.Name, into);
            environment.Set(symbol, result);
            return result;
        }

        /// <summary>The type C#'s binary numeric promotion picks for two IR types.</summary>
        private static IrType Wider(IrType a, IrType b)
        {
            if (a == IrType.F64 || b == IrType.F64) return IrType.F64;
            if (a == IrType.F32 || b == IrType.F32) return IrType.F32;
            if (a == IrType.I64 || b == IrType.I64) return IrType.I64;
            return a;
        }

        private ValueId LowerIncrement(IIncrementOrDecrementOperation increment, List<Instruction> into, Environment environment)
        {
            if (increment.OperatorMethod is not null) return Unsupported(increment, "A user-defined operator");
            if (!ReadTarget(increment.Target, increment, into, environment, out var element, out var symbol, out var current)) return Poison(IrType.F64);
            var type = TypeOf(current);
            var one = Constant(LoweringFacts.Literal(1, type)!, type, into);
            var op = increment.Kind == OperationKind.Increment ? BinaryOp.Add : BinaryOp.Subtract;
            var updated = Pure(current + " " + op + " " + one, type, result => new BinaryInstr(result, op, current, one, _origin), into);
            if (element is { } target) Store(target, updated, into, increment.Target);
            else
            {
                updated = Named(updated, symbol!.Name, into);
                environment.Set(symbol, updated);
            }
            return increment.IsPostfix ? current : updated;
        }

        private static string ExpressionName(IOperation operation) => operation switch
        {
            IAnonymousFunctionOperation => "A lambda",
            IObjectCreationOperation => "An object creation",
            IArrayCreationOperation => "An array creation",
            IArrayElementReferenceOperation => "An array element access",
            IInterpolatedStringOperation => "An interpolated string",
            IThrowOperation => "A throw expression",
            ISwitchExpressionOperation => "A switch expression",
            IIsPatternOperation => "A pattern match",
            IDynamicInvocationOperation or IDynamicMemberReferenceOperation => "A dynamic operation",
            _ => "An expression of kind '" + operation.Kind + "'",
        };
    }
}
