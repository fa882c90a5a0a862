using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
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

    /// <summary>Roslyn facts only the lowering needs: literals and source text (the types are <see cref="SymbolFacts"/>).</summary>
    internal static class LoweringFacts
    {
        /// <summary>The namespace and metadata name of a method's type (<c>System.Math</c>; ToDisplayString would say "double" for System.Double).</summary>
        public static string OwnerName(IMethodSymbol method) =>
            method.ContainingType.ContainingNamespace.ToDisplayString() + "." + method.ContainingType.MetadataName;

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
    }
}
