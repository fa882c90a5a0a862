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
    // Buffers: spans and arrays of double, float and int. Their elements are memory: reads become Load,
    // writes become Store, and nothing assumes a value read once is still there later.
    internal sealed partial class IrLowering
    {
        /// <summary>An element of a buffer being read or written: <c>w[i]</c>, <c>w[^1]</c>.</summary>
        private readonly struct ElementRef
        {
            public ElementRef(ValueId buffer, ValueId index)
            {
                Buffer = buffer;
                Index = index;
            }

            public ValueId Buffer { get; }

            public ValueId Index { get; }
        }

        /// <summary>True for the operations that name a buffer element.</summary>
        private static bool IsElementReference(IOperation operation) => operation switch
        {
            IArrayElementReferenceOperation => true,
            IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } instance } => SymbolFacts.IrTypeOf(instance.Type) is { } t && t.IsBuffer(),
            IImplicitIndexerReferenceOperation { Argument.Type: { } argumentType, Instance: { } instance } =>
                argumentType.Name != "Range" && SymbolFacts.IrTypeOf(instance.Type) is { } t && t.IsBuffer(),
            _ => false,
        };

        private ElementRef? LowerElementReference(IOperation operation, List<Instruction> into, Environment environment)
        {
            switch (operation)
            {
                case IArrayElementReferenceOperation array when array.Indices.Length == 1:
                {
                    var buffer = LowerExpression(array.ArrayReference, into, environment);
                    // z[^1] on an array is an element reference whose index is a System.Index.
                    var index = LowerIndex(array.Indices[0], buffer, into, environment);
                    return index is { } i ? new ElementRef(buffer, i) : null;
                }
                case IPropertyReferenceOperation { Instance: { } instance } indexer when indexer.Arguments.Length == 1:
                {
                    var buffer = LowerExpression(instance, into, environment);
                    var index = LowerConverted(indexer.Arguments[0].Value, IrType.I32, into, environment);
                    return new ElementRef(buffer, index);
                }
                case IImplicitIndexerReferenceOperation { Instance: { } instance } implicitIndexer:
                {
                    var buffer = LowerExpression(instance, into, environment);
                    var index = LowerIndex(implicitIndexer.Argument, buffer, into, environment);
                    return index is { } i ? new ElementRef(buffer, i) : null;
                }
                default:
                    Unsupported(operation, "This element access");
                    return null;
            }
        }

        /// <summary>An <c>Index</c> (<c>3</c> or <c>^1</c>) as an int offset from the start of <paramref name="buffer"/>.</summary>
        private ValueId? LowerIndex(IOperation index, ValueId buffer, List<Instruction> into, Environment environment)
        {
            while (index is IConversionOperation conversion && conversion.Type?.Name == "Index") index = conversion.Operand;
            if (index is IUnaryOperation { OperatorKind: UnaryOperatorKind.Hat } hat)
            {
                var fromEnd = LowerConverted(hat.Operand, IrType.I32, into, environment);
                var length = Length(buffer, into);
                return Pure(length + " - " + fromEnd, IrType.I32, r => new BinaryInstr(r, BinaryOp.Subtract, length, fromEnd, _origin), into);
            }
            if (SymbolFacts.IrTypeOf(index.Type) is IrType.I32 or IrType.I64)
                return LowerConverted(index, IrType.I32, into, environment);
            Unsupported(index, "This index");
            return null;
        }

        private ValueId Length(ValueId buffer, List<Instruction> into) =>
            Pure("length " + buffer, IrType.I32, r => new LengthInstr(r, buffer, _origin), into);

        private readonly HashSet<SyntaxNode> _reportedSliceStatements = new HashSet<SyntaxNode>();

        /// <summary>Read-only spans (parameters and their slices): no code can write them, so their loads are pure.</summary>
        private readonly HashSet<ValueId> _readOnly = new HashSet<ValueId>();

        private ValueId LowerLoad(IOperation operation, List<Instruction> into, Environment environment)
        {
            var element = LowerElementReference(operation, into, environment);
            var type = SymbolFacts.IrTypeOf(operation.Type) ?? IrType.F64;
            if (element is not { } e) return Poison(type);
            if (_readOnly.Contains(e.Buffer))
                return Pure("load " + e.Buffer + "[" + e.Index + "]", TypeOf(e.Buffer).Element(), r => new LoadInstr(r, e.Buffer, e.Index, _origin), into);
            return Load(e, into);
        }

        /// <summary>Reads the element's current value (for a compound assignment or an increment).</summary>
        private ValueId Load(ElementRef element, List<Instruction> into)
        {
            if (Known(element, into) is { } known) return known;
            var result = NewValue(TypeOf(element.Buffer).Element(), null);
            into.Add(new LoadInstr(result, element.Buffer, element.Index, _origin));
            _memory[(element.Buffer, element.Index)] = new KnownElement(into, into[into.Count - 1], result);
            return result;
        }

        private void Store(ElementRef element, ValueId value, List<Instruction> into, IOperation target)
        {
            var stored = Convert(value, TypeOf(element.Buffer).Element(), into);
            into.Add(new StoreInstr(element.Buffer, element.Index, stored, _origin));
            _sites[into[into.Count - 1]] = (LocationInfo.From(target.Syntax), LoweringFacts.OriginText(target.Syntax));
            _memory[(element.Buffer, element.Index)] = new KnownElement(into, into[into.Count - 1], stored);
        }

        /// <summary>What a store wrote to, or a load read from, one element, and where in which block.</summary>
        private readonly struct KnownElement
        {
            public KnownElement(List<Instruction> block, Instruction site, ValueId value)
            {
                Block = block;
                Site = site;
                Value = value;
            }

            public List<Instruction> Block { get; }

            public Instruction Site { get; }

            public ValueId Value { get; }
        }

        // Store-to-load forwarding and one value for repeated loads, within one block: the element's value when
        // the same block wrote or read it and only pure instructions ran since (no store to any buffer, no call,
        // no branch or loop). Any store may alias (slices of one array), so any store ends what is known.
        private readonly Dictionary<(ValueId Buffer, ValueId Index), KnownElement> _memory = new Dictionary<(ValueId Buffer, ValueId Index), KnownElement>();

        private ValueId? Known(ElementRef element, List<Instruction> into)
        {
            if (!_memory.TryGetValue((element.Buffer, element.Index), out var known) || !ReferenceEquals(known.Block, into)) return null;
            int at = into.Count - 1;
            while (at >= 0 && !ReferenceEquals(into[at], known.Site))
            {
                if (!IrFacts.ChangesNothing(into[at])) return null;
                at--;
            }
            return at >= 0 ? known.Value : null;
        }

        /// <summary><c>w.Slice(a)</c>, <c>w.Slice(a, n)</c>, <c>w[a..b]</c>, <c>array.AsSpan(...)</c>: a view of the same memory.</summary>
        private ValueId? LowerSliceCall(IInvocationOperation invocation, List<Instruction> into, Environment environment)
        {
            var method = invocation.TargetMethod;
            IOperation? source;
            var arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => a.Value).ToList();
            if (method.Name == "Slice" && invocation.Instance is { } instance)
            {
                source = instance;
            }
            else if (method.Name == "AsSpan" && method.ContainingType.Name == "MemoryExtensions")
            {
                source = arguments[0];
                arguments.RemoveAt(0);
            }
            else
            {
                return null;
            }
            if (arguments.Any(a => SymbolFacts.IrTypeOf(a.Type) is not IrType.I32))
            {
                Unsupported(invocation, "A slice by Index or Range arguments");
                return Poison(IrType.BufF64);
            }
            var buffer = LowerExpression(source, into, environment);
            if (arguments.Count == 0) return buffer;
            var start = LowerConverted(arguments[0], IrType.I32, into, environment);
            ValueId? length = arguments.Count > 1 ? LowerConverted(arguments[1], IrType.I32, into, environment) : (ValueId?)null;
            return Slice(buffer, start, length, into);
        }

        private ValueId Slice(ValueId buffer, ValueId start, ValueId? length, List<Instruction> into)
        {
            var slice = Pure("slice " + buffer + " " + start + " " + length, TypeOf(buffer), r => new SliceInstr(r, buffer, start, length, _origin), into);
            if (_readOnly.Contains(buffer)) _readOnly.Add(slice);
            if (_inBranch > 0 && _loops.Count > 0 && _statement is not null && _reportedSliceStatements.Add(_statement))
            {
                // The reverse iteration would need this view again, and can only rebuild views at its top.
                Report(DiagnosticDescriptors.UnsupportedExpression, _statement,
                    "A slice taken inside a branch of a loop (take it before the branch)", LoweringFacts.OriginText(_statement));
            }
            return slice;
        }

        /// <summary><c>w[a..b]</c> on a span.</summary>
        private ValueId LowerRangeSlice(IImplicitIndexerReferenceOperation indexer, List<Instruction> into, Environment environment)
        {
            var buffer = LowerExpression(indexer.Instance, into, environment);
            if (indexer.Argument is not IRangeOperation range)
                return Unsupported(indexer, "A slice by a Range variable");
            ValueId start = range.LeftOperand is { } left ? LowerIndex(left, buffer, into, environment) ?? Poison(IrType.I32) : Constant("0", IrType.I32, into);
            if (range.RightOperand is null) return Slice(buffer, start, null, into);
            var end = LowerIndex(range.RightOperand, buffer, into, environment) ?? Poison(IrType.I32);
            var length = Pure(end + " - " + start, IrType.I32, r => new BinaryInstr(r, BinaryOp.Subtract, end, start, _origin), into);
            return Slice(buffer, start, length, into);
        }

        /// <summary><c>Differentiable.Workspace.Rent&lt;T&gt;(n)</c>: a local buffer from the thread's arena.</summary>
        private static bool IsWorkspaceRent(IMethodSymbol method) =>
            method.Name == "Rent" && method.IsStatic && method.TypeArguments.Length == 1 && method.Parameters.Length == 1 &&
            method.ContainingType is { Name: "Workspace", ContainingType: null } owner && owner.ContainingNamespace.ToDisplayString() == "Differentiable";

        /// <summary><c>stackalloc T[n]</c> (an operation Roslyn does not model), <c>new T[n]</c> and <c>Workspace.Rent&lt;T&gt;(n)</c>.</summary>
        private ValueId? LowerAllocation(IOperation operation, ITypeSymbol? targetType, List<Instruction> into, Environment environment)
        {
            IOperation? size = null;
            AllocKind kind;
            SpecialType element;
            if (operation is IArrayCreationOperation creation)
            {
                if (creation.Initializer is not null || creation.DimensionSizes.Length != 1)
                {
                    Unsupported(operation, "An array creation with an initializer");
                    return Poison(IrType.BufF64);
                }
                size = creation.DimensionSizes[0];
                kind = AllocKind.Array;
                element = SymbolFacts.BufferElement(creation.Type!);
            }
            else if (operation is IInvocationOperation rent && IsWorkspaceRent(rent.TargetMethod))
            {
                size = rent.Arguments[0].Value;
                kind = AllocKind.Workspace;
                element = rent.TargetMethod.TypeArguments[0].SpecialType;
            }
            else if (operation.Kind == OperationKind.None && operation.Syntax is StackAllocArrayCreationExpressionSyntax stackAlloc
                     && stackAlloc.Initializer is null && operation.ChildOperations.Count == 1)
            {
                size = operation.ChildOperations.First();
                kind = AllocKind.Stack;
                element = (stackAlloc.Type as ArrayTypeSyntax)?.ElementType is { } elementSyntax
                    ? _semanticModel.GetTypeInfo(elementSyntax, _cancellationToken).Type?.SpecialType ?? SpecialType.None
                    : SpecialType.None;
                if (targetType is not null && SymbolFacts.BufferElement(targetType) == SpecialType.None) element = SpecialType.None;
            }
            else
            {
                return null;
            }
            IrType? type = element switch
            {
                SpecialType.System_Double => IrType.BufF64,
                SpecialType.System_Single => IrType.BufF32,
                SpecialType.System_Int32 => IrType.BufI32,
                _ => null,
            };
            if (type is null)
            {
                Unsupported(operation, "A buffer of this element type");
                return Poison(IrType.BufF64);
            }
            if (_loops.Count > 0)
            {
                Unsupported(operation, "A buffer allocated inside a loop (allocate it once, before the loop)");
                return Poison(type.Value);
            }
            var length = LowerConverted(size!, IrType.I32, into, environment);
            var result = NewValue(type.Value, null);
            into.Add(new AllocInstr(result, length, kind, _origin));
            return result;
        }
    }
}
