using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Microsoft.CodeAnalysis;

namespace Differentiable.Generator.Lowering
{
    /// <summary>
    /// A variable the lowering adds to a loop: whether it broke, whether an iteration continued, whether
    /// the method returned from inside it and with what value.
    /// </summary>
    internal sealed class FlagVariable
    {
        public FlagVariable(string name) => Name = name;

        public string Name { get; }

        public override string ToString() => Name;
    }

    /// <summary>Compares symbols as Roslyn does and flag variables by reference.</summary>
    internal sealed class VariableComparer : IEqualityComparer<object>
    {
        public static readonly VariableComparer Instance = new VariableComparer();

        public new bool Equals(object? x, object? y) =>
            x is ISymbol a && y is ISymbol b ? SymbolEqualityComparer.Default.Equals(a, b) : ReferenceEquals(x, y);

        public int GetHashCode(object obj) => obj is ISymbol s ? SymbolEqualityComparer.Default.GetHashCode(s) : obj.GetHashCode();

        public static string NameOf(object variable) => variable is ISymbol s ? s.Name : ((FlagVariable)variable).Name;
    }

    /// <summary>The SSA value each local, parameter or flag variable holds at a point of the method.</summary>
    internal sealed class Environment
    {
        private readonly Dictionary<object, ValueId> _values;

        public Environment() => _values = new Dictionary<object, ValueId>(VariableComparer.Instance);

        private Environment(Dictionary<object, ValueId> values) =>
            _values = new Dictionary<object, ValueId>(values, VariableComparer.Instance);

        public Environment Copy() => new Environment(_values);

        public bool TryGet(object variable, out ValueId value) => _values.TryGetValue(variable, out value);

        public void Set(object variable, ValueId value) => _values[variable] = value;

        public IEnumerable<object> Symbols => _values.Keys;
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

        /// <summary>Arrays and spans of double or float: active unless [NoDiff].</summary>
        public static bool IsFloatingBuffer(ITypeSymbol type) =>
            BufferElement(type) is SpecialType.System_Double or SpecialType.System_Single;
    }
}
