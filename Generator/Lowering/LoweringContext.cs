using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Microsoft.CodeAnalysis;

namespace Differentiable.Generator.Lowering
{
    /// <summary>The SSA value each local or parameter holds at a point of the method.</summary>
    internal sealed class Environment
    {
        private readonly Dictionary<ISymbol, ValueId> _values;

        public Environment() => _values = new Dictionary<ISymbol, ValueId>(SymbolEqualityComparer.Default);

        private Environment(Dictionary<ISymbol, ValueId> values) =>
            _values = new Dictionary<ISymbol, ValueId>(values, SymbolEqualityComparer.Default);

        public Environment Copy() => new Environment(_values);

        public bool TryGet(ISymbol symbol, out ValueId value) => _values.TryGetValue(symbol, out value);

        public void Set(ISymbol symbol, ValueId value) => _values[symbol] = value;

        public IEnumerable<ISymbol> Symbols => _values.Keys;
    }

    /// <summary>Roslyn facts the lowering needs: types, literals, names.</summary>
    internal static class LoweringFacts
    {
        public const string AttributeNamespace = "Differentiable";

        public static IrType? IrTypeOf(ITypeSymbol? type) => type?.SpecialType switch
        {
            SpecialType.System_Double => IrType.F64,
            SpecialType.System_Single => IrType.F32,
            SpecialType.System_Int32 => IrType.I32,
            SpecialType.System_Int64 => IrType.I64,
            SpecialType.System_Boolean => IrType.Bool,
            _ => null,
        };

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

        /// <summary>A C# literal for a constant of an IR type, exact (round-trip) and typed by its suffix.</summary>
        public static string? Literal(object? value, IrType type)
        {
            switch (type)
            {
                case IrType.F64:
                    double d = System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    if (double.IsNaN(d)) return "double.NaN";
                    if (double.IsPositiveInfinity(d)) return "double.PositiveInfinity";
                    if (double.IsNegativeInfinity(d)) return "double.NegativeInfinity";
                    return d.ToString("R", CultureInfo.InvariantCulture) + "d";
                case IrType.F32:
                    float f = System.Convert.ToSingle(value, CultureInfo.InvariantCulture);
                    if (float.IsNaN(f)) return "float.NaN";
                    if (float.IsPositiveInfinity(f)) return "float.PositiveInfinity";
                    if (float.IsNegativeInfinity(f)) return "float.NegativeInfinity";
                    return f.ToString("R", CultureInfo.InvariantCulture) + "f";
                case IrType.I32:
                    return System.Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
                case IrType.I64:
                    return System.Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) + "L";
                case IrType.Bool:
                    return (bool)value! ? "true" : "false";
                default:
                    return null;
            }
        }

        private static readonly Regex Whitespace = new Regex(@"\s+", RegexOptions.Compiled);

        /// <summary>The source text of a statement on one line, for the comments of the reverse sweep.</summary>
        public static string OriginText(SyntaxNode syntax)
        {
            string text = Whitespace.Replace(syntax.ToString(), " ").Trim();
            if (text.EndsWith(";", System.StringComparison.Ordinal)) text = text.Substring(0, text.Length - 1).TrimEnd();
            return text.Length > 120 ? text.Substring(0, 117) + "..." : text;
        }

        public static string FullyQualified(ISymbol symbol) =>
            symbol.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>A type as a generated signature writes it: <c>global::</c> names, nullable annotations kept.</summary>
        public static string TypeName(ITypeSymbol type) => type.ToDisplayString(TypeFormat);

        /// <summary>Arrays and spans of double or float: active by default, differentiable in a later release.</summary>
        public static bool IsFloatingBuffer(ITypeSymbol type)
        {
            ITypeSymbol? element = type switch
            {
                IArrayTypeSymbol array => array.ElementType,
                INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
                    when named.ContainingNamespace?.ToDisplayString() == "System" && (named.Name == "Span" || named.Name == "ReadOnlySpan")
                    => named.TypeArguments[0],
                _ => null,
            };
            return element?.SpecialType is SpecialType.System_Double or SpecialType.System_Single;
        }
    }
}
