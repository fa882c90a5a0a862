using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Differentiable.Generator.Lowering
{
    /// <summary>
    /// What a <c>[Differentiable]</c> callee does besides computing: calls that may have side effects, and reads of
    /// state that may change. A caller's <c>Backward</c> runs the callee's <c>Backward</c>, which runs the callee
    /// again: a side effect would happen twice, and state read again may have changed in between. Such calls are
    /// refused (DIFF0024) rather than differentiated wrongly.
    /// </summary>
    internal static class SideEffects
    {
        /// <summary>What a method's body does, found once per compilation.</summary>
        internal sealed class Summary
        {
            /// <summary>The first call with a possible side effect, as written (with the chain of callees), or null.</summary>
            public string? Effect { get; set; }

            /// <summary>The first read of state that may change (a static field that is not readonly, a static property), or null.</summary>
            public string? MutableRead { get; set; }
        }

        private static readonly ConditionalWeakTable<Compilation, Dictionary<IMethodSymbol, Summary>> Cache =
            new ConditionalWeakTable<Compilation, Dictionary<IMethodSymbol, Summary>>();

        // Types whose static methods compute and return, with no effect: running them again is harmless.
        private static readonly HashSet<string> PureTypes = new HashSet<string>
        {
            "System.Math", "System.MathF", "System.Double", "System.Single", "System.Int32", "System.Int64", "System.UInt32",
            "System.UInt64", "System.Int16", "System.UInt16", "System.Byte", "System.SByte", "System.Boolean", "System.Char",
            "System.Decimal", "System.BitConverter", "System.Numerics.BitOperations", "System.Diagnostics.Debug", "Differentiable.Grad",
            // Views and copies of buffers: the generator tracks what they write like any store.
            "System.Span`1", "System.ReadOnlySpan`1", "System.MemoryExtensions", "Differentiable.Ops",
        };

        /// <summary>The summary of a method with a body in <paramref name="compilation"/> (an empty one otherwise).</summary>
        public static Summary Of(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
        {
            var table = Cache.GetValue(compilation, _ => new Dictionary<IMethodSymbol, Summary>(SymbolEqualityComparer.Default));
            lock (table)
            {
                return Summarize(method.OriginalDefinition, compilation, table, cancellationToken);
            }
        }

        private static Summary Summarize(IMethodSymbol method, Compilation compilation, Dictionary<IMethodSymbol, Summary> table, CancellationToken cancellationToken)
        {
            if (table.TryGetValue(method, out var known)) return known;
            var summary = new Summary();
            table[method] = summary; // a recursion sees what is known so far
            var body = BodyOf(method, cancellationToken);
            if (body is null) return summary;
            var operation = SemanticModels.For(compilation, body.SyntaxTree).GetOperation(body, cancellationToken);
            if (operation is null) return summary;
            foreach (var node in operation.DescendantsAndSelf())
            {
                switch (node)
                {
                    case IInvocationOperation invocation:
                    {
                        var target = invocation.TargetMethod.OriginalDefinition;
                        string call = Describe(invocation);
                        if (SymbolFacts.IsDifferentiable(target) || CustomDerivatives.For(compilation).Find(invocation.TargetMethod) is not null)
                        {
                            if (!SymbolFacts.IsDifferentiable(target)) break; // a rule's Backward is the user's own contract
                            var inner = Summarize(target, compilation, table, cancellationToken);
                            summary.Effect ??= inner.Effect is null ? null : call + ", which calls " + inner.Effect;
                            summary.MutableRead ??= inner.MutableRead is null ? null : call + ", which reads " + inner.MutableRead;
                            break;
                        }
                        if (IsPure(target, compilation, table, cancellationToken)) break;
                        summary.Effect ??= call;
                        break;
                    }
                    case IFieldReferenceOperation { Field: { IsStatic: true, IsConst: false, IsReadOnly: false } field }:
                        summary.MutableRead ??= "'" + field.ContainingType.Name + "." + field.Name + "'";
                        break;
                    case IPropertyReferenceOperation { Property: { IsStatic: true } property }:
                        summary.MutableRead ??= "'" + property.ContainingType.Name + "." + property.Name + "'";
                        break;
                }
            }
            return summary;
        }

        /// <summary>The method's body in source (a partial method's is its implementation's), or null.</summary>
        private static SyntaxNode? BodyOf(IMethodSymbol method, CancellationToken cancellationToken) =>
            SymbolFacts.Implementation(method).DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<BaseMethodDeclarationSyntax>()
                .Select(d => (SyntaxNode?)d.Body ?? d.ExpressionBody).FirstOrDefault(b => b is not null);

        /// <summary>
        /// True for a method whose call only computes its result: a static method of the math and primitive types,
        /// one marked <c>[Pure]</c>, or a method of this compilation that returns a value, takes its parameters by
        /// value, assigns only its own locals and calls only such methods.
        /// </summary>
        private static bool IsPure(IMethodSymbol method, Compilation compilation, Dictionary<IMethodSymbol, Summary> table, CancellationToken cancellationToken)
        {
            if (PureTypes.Contains(LoweringFacts.OwnerName(method))) return true;
            if (method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.Diagnostics.Contracts.PureAttribute")) return true;
            if (method.ReturnsVoid || method.Parameters.Any(p => p.RefKind != RefKind.None) || method.DeclaringSyntaxReferences.Length == 0) return false;
            var summary = Summarize(method, compilation, table, cancellationToken);
            if (summary.Effect is not null || summary.MutableRead is not null) return false;
            var body = BodyOf(method, cancellationToken);
            var operation = body is null ? null : SemanticModels.For(compilation, body.SyntaxTree).GetOperation(body, cancellationToken);
            return operation is not null && AssignsOnlyLocals(operation);
        }

        /// <summary>
        /// True when everything the body writes (<see cref="WrittenVariables.WriteTargets"/>: assignments, increments,
        /// <c>ref</c>/<c>out</c> arguments, <c>ref</c> locals, struct methods) is a local or a parameter (no element, field
        /// or property).
        /// </summary>
        public static bool AssignsOnlyLocals(IOperation body)
        {
            foreach (var node in body.DescendantsAndSelf())
            {
                foreach (var target in WrittenVariables.WriteTargets(node))
                    if (!IsVariable(target)) return false;
            }
            return true;
        }

        // A local, a parameter, a discard, or a tuple of them (a deconstruction's target).
        private static bool IsVariable(IOperation target) => target switch
        {
            ILocalReferenceOperation or IParameterReferenceOperation or IDiscardOperation => true,
            ITupleOperation tuple => tuple.Elements.All(IsVariable),
            IDeclarationExpressionOperation declaration => IsVariable(declaration.Expression),
            IConversionOperation conversion => IsVariable(conversion.Operand),
            _ => false,
        };

        private static string Describe(IInvocationOperation invocation)
        {
            string text = invocation.Syntax.ToString();
            text = System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
            return "'" + (text.Length > 60 ? text.Substring(0, 57) + "..." : text) + "'";
        }
    }
}
