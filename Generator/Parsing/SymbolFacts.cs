using Differentiable.Generator.Ir;
using Microsoft.CodeAnalysis;

namespace Differentiable.Generator.Parsing
{
    /// <summary>
    /// Roslyn facts about declarations, for every phase that reads symbols: the IR type of a C# type, the
    /// buffers, the generator's attributes, and the fully qualified names that generated code uses.
    /// </summary>
    internal static class SymbolFacts
    {
        public const string AttributeNamespace = "Differentiable";

        /// <summary>The part of <paramref name="method"/> with the body: a partial method's implementation, else the method itself.</summary>
        public static IMethodSymbol Implementation(IMethodSymbol method) => method.PartialImplementationPart ?? method;

        public static IrType? IrTypeOf(ITypeSymbol? type) => type?.SpecialType switch
        {
            SpecialType.System_Double => IrType.F64,
            SpecialType.System_Single => IrType.F32,
            SpecialType.System_Int32 => IrType.I32,
            SpecialType.System_Int64 => IrType.I64,
            SpecialType.System_Boolean => IrType.Bool,
            _ => type is null ? null : BufferElement(type) switch
            {
                SpecialType.System_Double => IrType.BufF64,
                SpecialType.System_Single => IrType.BufF32,
                SpecialType.System_Int32 => IrType.BufI32,
                _ => null,
            },
        };

        /// <summary>The element type of a one-dimensional array, Span or ReadOnlySpan; None for anything else.</summary>
        public static SpecialType BufferElement(ITypeSymbol type)
        {
            ITypeSymbol? element = type switch
            {
                IArrayTypeSymbol { Rank: 1 } array => array.ElementType,
                INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
                    when named.ContainingNamespace?.ToDisplayString() == "System" && (named.Name == "Span" || named.Name == "ReadOnlySpan")
                    => named.TypeArguments[0],
                _ => null,
            };
            return element?.SpecialType ?? SpecialType.None;
        }

        public static bool IsArray(ITypeSymbol? type) => type is IArrayTypeSymbol;

        public static bool IsReadOnlySpan(ITypeSymbol? type) => type is INamedTypeSymbol { Name: "ReadOnlySpan" };

        public static bool HasAttribute(ISymbol symbol, string name)
        {
            foreach (var attribute in symbol.GetAttributes())
            {
                var type = attribute.AttributeClass;
                if (type is not null && type.Name == name && type.ContainingNamespace?.ToDisplayString() == AttributeNamespace)
                    return true;
            }
            return false;
        }

        public static bool IsDifferentiable(IMethodSymbol method) => HasAttribute(method, "DifferentiableAttribute");

        public static bool IsNoDiff(IParameterSymbol parameter) => HasAttribute(parameter, "NoDiffAttribute");

        public static string FullyQualified(ISymbol symbol) =>
            symbol.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>A type as a generated signature writes it: <c>global::</c> names, nullable annotations kept.</summary>
        public static string TypeName(ITypeSymbol type) => type.ToDisplayString(TypeFormat);

        /// <summary>Arrays and spans of double or float: active unless [NoDiff].</summary>
        public static bool IsFloatingBuffer(ITypeSymbol type) =>
            BufferElement(type) is SpecialType.System_Double or SpecialType.System_Single;
    }
}
