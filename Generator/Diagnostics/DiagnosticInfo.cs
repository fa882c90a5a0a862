using System.Linq;
using Differentiable.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Differentiable.Generator.Diagnostics
{
    /// <summary>A location without the syntax tree, so it can live in an equatable model.</summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        public static LocationInfo? From(Location? location) =>
            location is null || location.SourceTree is null
                ? null
                : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

        public static LocationInfo? From(SyntaxNode node) => From(node.GetLocation());

        public static LocationInfo? From(SyntaxToken token) => From(token.GetLocation());
    }

    /// <summary>An equatable description of a diagnostic, turned into a <see cref="Diagnostic"/> only when reported.</summary>
    internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
            new DiagnosticInfo(descriptor, location, new EquatableArray<string>(arguments));

        /// <summary>What a code fix needs (<see cref="ExpectedSignatureProperty"/>), or null.</summary>
        public string? ExpectedSignature { get; init; }

        /// <summary>The diagnostic property holding the signature a code fix writes.</summary>
        public const string ExpectedSignatureProperty = "ExpectedSignature";

        public Diagnostic ToDiagnostic() =>
            Diagnostic.Create(Descriptor, Location?.ToLocation(),
                ExpectedSignature is null ? null : System.Collections.Immutable.ImmutableDictionary<string, string?>.Empty.Add(ExpectedSignatureProperty, ExpectedSignature),
                Arguments.Cast<object>().ToArray());
    }

    /// <summary>A value (null when the input could not be handled) and the diagnostics found while building it.</summary>
    internal sealed record Result<T>(T? Value, EquatableArray<DiagnosticInfo> Diagnostics) where T : class;
}
