using System.Collections.Generic;
using System.Linq;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Differentiable.Generator.Lowering
{
    internal sealed partial class IrLowering
    {
        private readonly Dictionary<Instruction, (LocationInfo? Location, string Callee)> _opaqueSites =
            new Dictionary<Instruction, (LocationInfo?, string)>(InstanceComparer.Instance);

        private readonly Dictionary<Instruction, (LocationInfo? Location, string Name)> _sites =
            new Dictionary<Instruction, (LocationInfo?, string)>(InstanceComparer.Instance);

        /// <summary>Where each call and store was written (with the callee's or the buffer's name), by instruction.</summary>
        public IReadOnlyDictionary<Instruction, (LocationInfo? Location, string Name)> Sites => _sites;

        /// <summary>Where each opaque call was written, by instruction.</summary>
        public IReadOnlyDictionary<Instruction, (LocationInfo? Location, string Callee)> OpaqueSites => _opaqueSites;

        private static readonly string[] MathTypes = { "System.Math", "System.MathF", "System.Double", "System.Single" };

        /// <summary>
        /// A call becomes, in this order of preference: <c>Grad.Stop</c>; a math function with a rule in
        /// <see cref="DerivativeCatalog"/>; a call of another <c>[Differentiable]</c> method; an opaque call,
        /// which is fine as long as no argument is active (checked after activity analysis).
        /// </summary>
        private ValueId? LowerInvocation(IInvocationOperation invocation, List<Instruction> into, Environment environment)
        {
            var method = invocation.TargetMethod;
            if ((method.Name == "Slice" && invocation.Instance is { } sliced && SymbolFacts.IrTypeOf(sliced.Type) is { } st && st.IsBuffer()) ||
                (method.Name == "AsSpan" && method.ContainingType.Name == "MemoryExtensions" && invocation.Arguments.Length > 0 &&
                 SymbolFacts.IsArray(invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).First().Value.Type)))
                return LowerSliceCall(invocation, into, environment);
            if (IsWorkspaceRent(method)) return LowerAllocation(invocation, null, into, environment);
            if (BufferMethod(invocation) is { } buffer) return buffer.Ops is null ? null : LowerBufferMethod(invocation, buffer.Ops, buffer.Arguments, into, environment);
            if (!method.IsStatic || invocation.Instance is not null)
            {
                Unsupported(invocation, "An instance method call");
                return null;
            }
            if (method.IsGenericMethod && method.TypeArguments.Any(t => t.TypeKind == TypeKind.TypeParameter))
            {
                Unsupported(invocation, "A call of an open generic method");
                return null;
            }

            var args = LowerArguments(invocation, into, environment);
            if (args is null) return null;
            var resultType = method.ReturnsVoid ? (IrType?)null : SymbolFacts.IrTypeOf(method.ReturnType);
            if (!method.ReturnsVoid && resultType is null)
            {
                Unsupported(invocation, "A call returning '" + method.ReturnType.ToDisplayString() + "'");
                return null;
            }

            string owner = LoweringFacts.OwnerName(method);
            if (owner == "Differentiable.Grad" && method.Name == "Stop" && args.Length == 1 && resultType is { } stopType)
            {
                var stopped = NewValue(stopType, null);
                into.Add(new StopInstr(stopped, args[0], _origin));
                return stopped;
            }

            // A [DerivativeOf] rule comes first: it overrides a built-in Math rule and a generated Backward.
            if (CustomDerivatives.For(_semanticModel.Compilation).Find(method) is { } custom && (resultType is null || resultType.Value.IsFloating()))
                return LowerRuleCall(invocation, method, custom, args, resultType, into);

            // A rule applies to a math function returning double or float; a zero-derivative one (Round with
            // a MidpointRounding, say) also takes arguments of other types, passed through as they are.
            var rule = MathTypes.Contains(owner) ? DerivativeCatalog.Find(method.Name, args.Length) : null;
            bool applies = rule is not null && resultType is { } r && r.IsFloating() &&
                (rule.IsZero || method.Parameters.All(p => SymbolFacts.IrTypeOf(p.Type) is not null));
            if (applies)
            {
                string spelling = SymbolFacts.FullyQualified(method.ContainingType) + "." + method.Name;
                return Pure(spelling + "(" + string.Join(", ", args) + ")", resultType!.Value,
                    result => new IntrinsicInstr(result, rule!.Name, spelling, args.ToEquatableArray(), _origin), into);
            }

            string callee = SymbolFacts.FullyQualified(method.ContainingType) + "." + method.Name;
            ValueId? value = resultType is { } t ? NewValue(t, null) : (ValueId?)null;
            var writable = WritableParameters(method);
            if (SymbolFacts.IsDifferentiable(method) && resultType is { } inlinedType && inlinedType.IsFloating() &&
                Inlinable(method) is { } inlinable && LowerInlined(method, inlinable.Declaration, inlinable.Model, args, inlinedType, into) is { } inlined)
            {
                // Still checked as a callee: it must be differentiable on its own, wherever it is called.
                DifferentiableCallees.Add((method.OriginalDefinition, LocationInfo.From(invocation.Syntax)));
                return inlined;
            }
            if (SymbolFacts.IsDifferentiable(method) && (resultType is null || resultType.Value.IsFloating()))
            {
                var active = method.Parameters.Select(p => SymbolFacts.IrTypeOf(p.Type) is { } pt && pt.IsDifferentiable() && !SymbolFacts.IsNoDiff(p));
                into.Add(new CallInstr(value, callee, CallKind.Differentiable, args.ToEquatableArray(), active.ToEquatableArray(), _origin)
                {
                    WritableParameters = writable,
                    ParameterNames = method.Parameters.Select(p => p.Name).ToEquatableArray(),
                    CalleeKey = method.DeclaringSyntaxReferences.Length > 0 ? Parsing.MethodParser.HintName(method.OriginalDefinition) : null,
                });
                _sites[into[into.Count - 1]] = (LocationInfo.From(invocation.Syntax), method.Name);
                DifferentiableCallees.Add((method.OriginalDefinition, LocationInfo.From(invocation.Syntax)));
                return value;
            }

            into.Add(new CallInstr(value, callee, CallKind.Opaque, args.ToEquatableArray(), EquatableArray<bool>.Empty, _origin) { WritableParameters = writable });
            if (value is { } v) OpaqueCalls[v] = (LocationInfo.From(invocation.Syntax), method.ContainingType.Name + "." + method.Name);
            _opaqueSites[into[into.Count - 1]] = (LocationInfo.From(invocation.Syntax), method.ContainingType.Name + "." + method.Name);
            _sites[into[into.Count - 1]] = (LocationInfo.From(invocation.Syntax), method.Name);
            return value;
        }

        /// <summary>A call of a method with a <c>[DerivativeOf]</c> rule: the reverse sweep calls the rule.</summary>
        private ValueId? LowerRuleCall(IInvocationOperation invocation, IMethodSymbol method, IMethodSymbol rule, ValueId[] args, IrType? resultType, List<Instruction> into)
        {
            if (!_semanticModel.Compilation.IsSymbolAccessibleWithin(rule, _method.ContainingType))
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DerivativeNotAccessible, LocationInfo.From(invocation.Syntax),
                    rule.ContainingType.Name + "." + rule.Name, method.ContainingType.Name + "." + method.Name, _method.Name));
                return null;
            }
            string callee = SymbolFacts.FullyQualified(method.ContainingType) + "." + method.Name;
            ValueId? value = resultType is { } t ? NewValue(t, null) : (ValueId?)null;
            into.Add(new CallInstr(value, callee, CallKind.Differentiable, args.ToEquatableArray(),
                method.Parameters.Select(BackwardSignature.IsActive).ToEquatableArray(), _origin)
            {
                WritableParameters = WritableParameters(method),
                ParameterNames = method.Parameters.Select(p => p.Name).ToEquatableArray(),
                Backward = SymbolFacts.FullyQualified(rule.ContainingType) + "." + rule.Name,
                RuleVariants = CustomDerivatives.Variants(rule, method.OriginalDefinition).ToEquatableArray(),
            });
            _sites[into[into.Count - 1]] = (LocationInfo.From(invocation.Syntax), method.Name);
            return value;
        }

        /// <summary>
        /// <c>x.CopyTo(y)</c>, <c>x.Clear()</c> and <c>x.Fill(v)</c> on spans and arrays of double or float: the
        /// runtime's <c>Ops.Copy</c>, <c>Ops.Clear</c> and <c>Ops.Fill</c>, whose derivatives are rules. Null for any
        /// other call; a null method when the runtime has no such Op (an error is reported).
        /// </summary>
        private (IMethodSymbol? Ops, IOperation[] Arguments)? BufferMethod(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            IOperation[] arguments;
            string name;
            if (invocation.Instance is { } instance && method.Name is "CopyTo" or "Clear" or "Fill" &&
                SymbolFacts.IsFloatingBuffer(instance.Type!) && !SymbolFacts.IsArray(instance.Type))
            {
                arguments = new[] { instance }.Concat(invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => a.Value)).ToArray();
                name = method.Name == "CopyTo" ? "Copy" : method.Name;
            }
            else if (invocation.Instance is null && method.ContainingType.Name == "MemoryExtensions" && method.Name == "CopyTo" &&
                     invocation.Arguments.Length == 2 && SymbolFacts.IsFloatingBuffer(invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).First().Value.Type!))
            {
                arguments = invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => a.Value).ToArray();
                name = "Copy";
            }
            else
            {
                return null;
            }
            if (name == "Copy" && (arguments.Length != 2 || !SymbolFacts.IsFloatingBuffer(arguments[1].Type!))) return null;
            if (name == "Clear" && arguments.Length != 1) return null;
            if (name == "Fill" && arguments.Length != 2) return null;
            var element = SymbolFacts.BufferElement(arguments[0].Type!);
            var ops = _semanticModel.Compilation.GetTypeByMetadataName("Differentiable.Ops")?.GetMembers(name).OfType<IMethodSymbol>()
                .FirstOrDefault(m => m.Parameters.Length == arguments.Length && SymbolFacts.BufferElement(m.Parameters[0].Type) == element);
            if (ops is null) Unsupported(invocation, "'" + method.Name + "' (this version of the Differentiable runtime has no Ops." + name + ")");
            return (ops, arguments);
        }

        private ValueId? LowerBufferMethod(IInvocationOperation invocation, IMethodSymbol ops, IOperation[] arguments, List<Instruction> into, Environment environment)
        {
            var rule = CustomDerivatives.For(_semanticModel.Compilation).Find(ops);
            if (rule is null)
            {
                Unsupported(invocation, "'" + invocation.TargetMethod.Name + "' (no derivative registered for Ops." + ops.Name + ")");
                return null;
            }
            var args = new ValueId[arguments.Length];
            for (int k = 0; k < arguments.Length; k++)
            {
                var type = SymbolFacts.IrTypeOf(ops.Parameters[k].Type);
                args[k] = type is { } t && !t.IsBuffer() ? LowerConverted(arguments[k], t, into, environment) : LowerExpression(arguments[k], into, environment);
            }
            return LowerRuleCall(invocation, ops, rule, args, null, into);
        }

        /// <summary>Per parameter, true for a <c>Span</c> or array the callee may write.</summary>
        private static EquatableArray<bool> WritableParameters(IMethodSymbol method) =>
            method.Parameters.Select(p => SymbolFacts.IrTypeOf(p.Type) is { } pt && pt.IsBuffer() && !SymbolFacts.IsReadOnlySpan(p.Type)).ToEquatableArray();

        /// <summary>Lowers the arguments in evaluation order and returns them in parameter order.</summary>
        private ValueId[]? LowerArguments(IInvocationOperation invocation, List<Instruction> into, Environment environment)
        {
            var method = invocation.TargetMethod;
            var result = new ValueId[method.Parameters.Length];
            foreach (var argument in invocation.Arguments)
            {
                var parameter = argument.Parameter;
                if (parameter is null || parameter.RefKind != RefKind.None || argument.ArgumentKind == ArgumentKind.ParamArray)
                {
                    Unsupported(argument.Value, "A ref, out, in or params argument");
                    return null;
                }
                var type = SymbolFacts.IrTypeOf(parameter.Type);
                result[parameter.Ordinal] = type is { } t
                    ? LowerConverted(argument.Value, t, into, environment)
                    : LowerExpression(argument.Value, into, environment);
            }
            return result;
        }
        }

    /// <summary>Compares instructions by reference: two identical-looking calls at different places are different sites.</summary>
    internal sealed class InstanceComparer : IEqualityComparer<Instruction>
    {
        public static readonly InstanceComparer Instance = new InstanceComparer();

        public bool Equals(Instruction? x, Instruction? y) => ReferenceEquals(x, y);

        public int GetHashCode(Instruction obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }
}
