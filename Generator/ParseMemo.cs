using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace Differentiable.Generator
{
    /// <summary>
    /// Each method's parse from the generator's previous run, reused while nothing it was made from has changed. The
    /// driver runs the parse step again for every <c>[Differentiable]</c> method of the compilation on every edit, in any
    /// file (the step takes the semantic model, which is new with each compilation), and most of that step is Roslyn
    /// binding the method bodies again; an edit of one method (or of a comment) would bind all of them.
    /// A method's parse depends on three things only, and the memo checks each without binding anything:
    /// <list type="number">
    /// <item>its declaration's text (with the column it starts at: the positions of its diagnostics are kept relative
    /// to its start and moved with it);</item>
    /// <item>the compilation's declarations (<see cref="Environment"/>): every file's tokens and directives with the
    /// bodies of methods, constructors, accessors and operators left out, the options binding sees, each file's parse
    /// options, and the referenced assemblies' module version ids; binding a body depends on nothing else, since C#
    /// infers nothing across members;</item>
    /// <item>the text of every member of this compilation its body reaches (calls, method groups, constructions,
    /// property reads, operators and conversions), transitively (<see cref="Dependencies"/>): the callee checks, the
    /// side-effect summaries and the inlining read called bodies and nothing else.</item>
    /// </list>
    /// A parse that depends on where the check started (a recursion skipped as part of the chain above it), one whose
    /// diagnostics point outside the method, and one that passes caller information (<c>[CallerLineNumber]</c> and the
    /// like) are not kept. One memo per process (<see cref="Shared"/>): the compiler server starts a new generator driver
    /// for every build, so a memo per driver would never see a second run there. An entry's key and checks hold
    /// everything its parse was made from (the assembly's name and references among them), so an entry is valid for
    /// whichever project meets it. Bounded by <see cref="MaxEntries"/>: cleared when full.
    /// </summary>
    internal sealed class ParseMemo
    {
        private const int MaxEntries = 2_000;

        /// <summary>The memo the generator uses.</summary>
        public static readonly ParseMemo Shared = new ParseMemo();

        private readonly ConcurrentDictionary<string, Entry> _entries = new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal);

        /// <summary>Test hook: on every reuse, parse again as well and throw when the two differ.</summary>
        internal static volatile bool Verify;

        /// <summary>How many parses this thread took from a memo (for the tests).</summary>
        [ThreadStatic] internal static int t_reused;

        /// <summary>Test hook: this thread parses afresh and leaves the memo as it is.</summary>
        [ThreadStatic] internal static bool t_bypass;

        /// <summary>Forgets every kept parse (the build-time benchmark's full builds).</summary>
        internal void Clear() => _entries.Clear();

        /// <summary>
        /// The method's parse: the kept one when nothing it was made from has changed, else a fresh one (kept for next
        /// time). The memo's own bookkeeping never fails a parse: an exception in it (a host whose options or
        /// references behave unlike the compiler's own) only means a fresh parse that is not kept.
        /// </summary>
        public Result<MethodModel> Parse(IMethodSymbol method, MethodDeclarationSyntax declaration, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            if (t_bypass) return MethodPipeline.Parse(method, declaration, semanticModel, cancellationToken, out _);
            Probe? probe;
            try
            {
                probe = Lookup(method, declaration, semanticModel.Compilation, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                probe = null;
            }
            if (probe?.Reused is { } reused)
            {
                t_reused++;
                if (Verify)
                {
                    var fresh = MethodPipeline.Parse(method, declaration, semanticModel, cancellationToken, out _);
                    if (!fresh.Equals(reused)) throw new InvalidOperationException("The memo's parse of '" + method.Name + "' differs from a fresh one.");
                }
                return reused;
            }

            var result = MethodPipeline.Parse(method, declaration, semanticModel, cancellationToken, out bool ownResult);
            if (probe is not null)
            {
                try
                {
                    Keep(probe, result, ownResult, method, semanticModel.Compilation, cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    _entries.TryRemove(probe.Key, out _);
                }
            }
            return result;
        }

        /// <summary>The SHA-256 of <paramref name="text"/> (UTF-8), in base 64.</summary>
        private static string Digest(StringBuilder text)
        {
            using var hash = SHA256.Create();
            return Convert.ToBase64String(hash.ComputeHash(Encoding.UTF8.GetBytes(text.ToString())));
        }

        /// <summary>What the lookup found: the method's key and place, the compilation's environment, and the kept parse if it still holds.</summary>
        private sealed record Probe(string Key, string Text, LinePosition Start, TextSpan Span, string Path, Environment Environment, Result<MethodModel>? Reused);

        /// <returns>Null when the method cannot be kept at all (no declaration id, references that cannot be identified).</returns>
        private Probe? Lookup(IMethodSymbol method, MethodDeclarationSyntax declaration, Compilation compilation, CancellationToken cancellationToken)
        {
            string? id = DocumentationCommentId.CreateDeclarationId(method);
            var environment = Environment.Of(compilation, cancellationToken);
            if (id is null || environment is null) return null;
            var tree = declaration.SyntaxTree;
            string key = compilation.AssemblyName + "\n" + tree.FilePath + "\n" + id;
            string text = declaration.ToString();
            var span = declaration.Span;
            var start = tree.GetLineSpan(span, cancellationToken).StartLinePosition;
            Result<MethodModel>? reused = null;
            if (_entries.TryGetValue(key, out var entry) && entry.Text == text && entry.Column == start.Character && entry.Environment.Equals(environment) &&
                Dependencies.Unchanged(entry.Dependencies, compilation, cancellationToken))
                reused = entry.At(tree.FilePath, span.Start, start.Line);
            return new Probe(key, text, start, span, tree.FilePath, environment, reused);
        }

        private void Keep(Probe probe, Result<MethodModel> result, bool ownResult, IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
        {
            if (ownResult && Entry.Create(probe, result, Dependencies.Of(method, compilation, cancellationToken)) is { } created)
            {
                if (_entries.Count >= MaxEntries) _entries.Clear();
                _entries[probe.Key] = created;
            }
            else
            {
                _entries.TryRemove(probe.Key, out _);
            }
        }

        /// <summary>A kept parse, with the method's text, first column, start and line when it was made, and what it was made from.</summary>
        /// <param name="Dependencies">Each member the method's body reaches: its declaration id and the digest of its declarations.</param>
        private sealed record Entry(Result<MethodModel> Result, string Text, int Column, int Start, int Line, Environment Environment,
            (string Id, string Digest)[] Dependencies)
        {
            /// <returns>Null when the parse cannot be kept: a diagnostic outside the method, or no dependencies (caller information).</returns>
            public static Entry? Create(Probe probe, Result<MethodModel> result, (string Id, string Digest)[]? dependencies)
            {
                if (dependencies is null) return null;
                foreach (var diagnostic in result.Diagnostics)
                {
                    var location = diagnostic.Location;
                    if (location is null) continue;
                    if (location.FilePath != probe.Path || location.Span.Start < probe.Span.Start || location.Span.End > probe.Span.End) return null;
                }
                return new Entry(result, probe.Text, probe.Start.Character, probe.Span.Start, probe.Start.Line, probe.Environment, dependencies);
            }

            /// <summary>The parse, its diagnostics moved to a method that starts at <paramref name="start"/>, on line <paramref name="line"/>.</summary>
            public Result<MethodModel> At(string path, int start, int line)
            {
                if ((start == Start && line == Line) || Result.Diagnostics.Count == 0) return Result;
                int shift = line - Line;
                var moved = new DiagnosticInfo[Result.Diagnostics.Count];
                for (int i = 0; i < moved.Length; i++)
                {
                    var diagnostic = Result.Diagnostics[i];
                    var location = diagnostic.Location;
                    var lines = location?.LineSpan ?? default;
                    moved[i] = location is null ? diagnostic : diagnostic with
                    {
                        Location = new LocationInfo(path, new TextSpan(location.Span.Start - Start + start, location.Span.Length),
                            new LinePositionSpan(new LinePosition(lines.Start.Line + shift, lines.Start.Character), new LinePosition(lines.End.Line + shift, lines.End.Character))),
                    };
                }
                return new Result<MethodModel>(Result.Value, new EquatableArray<DiagnosticInfo>(moved));
            }
        }

        /// <summary>
        /// What binding any body of a compilation depends on besides the body itself: the declarations (every file's
        /// tokens outside member bodies, and its directives), the options and the referenced assemblies' metadata.
        /// </summary>
        internal sealed class Environment : IEquatable<Environment>
        {
            private static readonly ConditionalWeakTable<Compilation, Environment?> s_environments = new ConditionalWeakTable<Compilation, Environment?>();
            private static readonly ConditionalWeakTable<SyntaxTree, string> s_skeletons = new ConditionalWeakTable<SyntaxTree, string>();

            private readonly string _options;
            private readonly ParseOptions[] _parseOptions;
            private readonly string _declarations;
            private readonly object[] _references;

            private Environment(string options, ParseOptions[] parseOptions, string declarations, object[] references)
            {
                _options = options;
                _parseOptions = parseOptions;
                _declarations = declarations;
                _references = references;
            }

            /// <returns>Null when a reference's metadata cannot be identified (nothing is kept then).</returns>
            public static Environment? Of(Compilation compilation, CancellationToken cancellationToken) =>
                s_environments.GetValue(compilation, c => Create(c, cancellationToken));

            private static Environment? Create(Compilation compilation, CancellationToken cancellationToken)
            {
                var references = new List<object>();
                foreach (var reference in compilation.References)
                {
                    switch (reference)
                    {
                        case PortableExecutableReference file:
                            // The module version ids: the content's identity (the compiler server makes new reference
                            // objects for every build; a rebuilt assembly gets a new id).
                            try
                            {
                                switch (file.GetMetadata())
                                {
                                    case AssemblyMetadata assembly:
                                        foreach (var module in assembly.GetModules()) references.Add(module.GetModuleVersionId());
                                        break;
                                    case ModuleMetadata module:
                                        references.Add(module.GetModuleVersionId());
                                        break;
                                    default:
                                        return null;
                                }
                            }
                            catch (Exception exception) when (exception is not OperationCanceledException)
                            {
                                return null; // unreadable: nothing is kept
                            }
                            break;
                        case CompilationReference other:
                            references.Add(new WeakReference<Compilation>(other.Compilation));
                            break;
                        default:
                            return null;
                    }
                }
                var parseOptions = new List<ParseOptions>();
                var files = new StringBuilder();
                foreach (var tree in compilation.SyntaxTrees)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!parseOptions.Contains(tree.Options)) parseOptions.Add(tree.Options);
                    var digest = s_skeletons.GetValue(tree, t => Skeleton(t, cancellationToken));
                    files.Append(tree.FilePath).Append('\0').Append(parseOptions.IndexOf(tree.Options)).Append('\0').Append(digest).Append('\0');
                }
                return new Environment(OptionsKey(compilation.Options), parseOptions.ToArray(), Digest(files), references.ToArray());
            }

            /// <summary>
            /// The compilation options binding can see. Not the options object itself: the compiler server's per-tree
            /// options provider throws from <c>Equals</c>, and its resolvers are new objects for every build.
            /// </summary>
            private static string OptionsKey(CompilationOptions options)
            {
                var key = new StringBuilder();
                key.Append(options.OutputKind).Append('|').Append(options.CheckOverflow).Append('|').Append(options.NullableContextOptions).Append('|')
                    .Append(options.Platform).Append('|').Append(options.MetadataImportOptions).Append('|').Append(options.ScriptClassName).Append('|')
                    .Append(options.ModuleName).Append('|').Append(options.MainTypeName).Append('|').Append(options.OptimizationLevel);
                if (options is CSharpCompilationOptions csharp)
                {
                    key.Append('|').Append(csharp.AllowUnsafe);
                    foreach (var @using in csharp.Usings) key.Append('|').Append(@using);
                }
                return key.ToString();
            }

            /// <summary>The digest of a file's tokens and directives outside the bodies of methods, accessors and operators.</summary>
            internal static string Skeleton(SyntaxTree tree, CancellationToken cancellationToken)
            {
                var text = new StringBuilder();
                var pending = new Stack<SyntaxNodeOrToken>();
                pending.Push(tree.GetRoot(cancellationToken));
                while (pending.Count > 0)
                {
                    var item = pending.Pop();
                    if (item.IsToken)
                    {
                        var token = item.AsToken();
                        if (token.ContainsDirectives) AppendDirectives(text, token);
                        if (EndsArrowBody(token)) continue; // `=> x;` and `{ return x; }` are the same declaration
                        text.Append(token.Text).Append('\0');
                        continue;
                    }
                    var node = item.AsNode()!;
                    if (IsBody(node))
                    {
                        // Its presence, not its text or form (a block or `=>`): a body written or removed is a declaration
                        // change (abstract, extern, a partial method's parts).
                        text.Append("{\u0001");
                        continue;
                    }
                    var children = node.ChildNodesAndTokens();
                    for (int i = children.Count - 1; i >= 0; i--) pending.Push(children[i]);
                }
                return Digest(text);
            }

            private static void AppendDirectives(StringBuilder text, SyntaxToken token)
            {
                foreach (var trivia in token.LeadingTrivia)
                    if (trivia.IsDirective) text.Append(trivia.ToString()).Append('\0');
                foreach (var trivia in token.TrailingTrivia)
                    if (trivia.IsDirective) text.Append(trivia.ToString()).Append('\0');
            }

            /// <summary>The `;` after a member's `=>` body, which a block body does not have.</summary>
            private static bool EndsArrowBody(SyntaxToken token) =>
                token.IsKind(SyntaxKind.SemicolonToken) && token.Parent switch
                {
                    BaseMethodDeclarationSyntax method => method.ExpressionBody is not null,
                    AccessorDeclarationSyntax accessor => accessor.ExpressionBody is not null,
                    _ => false,
                };

            /// <summary>A member's body: nothing outside it depends on its text (C# infers no member's type from a body).</summary>
            private static bool IsBody(SyntaxNode node) => node switch
            {
                BlockSyntax block => block.Parent is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax,
                ArrowExpressionClauseSyntax arrow => arrow.Parent is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or BasePropertyDeclarationSyntax,
                _ => false,
            };

            public bool Equals(Environment? other)
            {
                if (other is null) return false;
                if (ReferenceEquals(this, other)) return true;
                if (_declarations != other._declarations || _options != other._options) return false; // the assembly's name is in the entry's key
                if (_parseOptions.Length != other._parseOptions.Length || _references.Length != other._references.Length) return false;
                for (int i = 0; i < _parseOptions.Length; i++)
                    if (!_parseOptions[i].Equals(other._parseOptions[i])) return false;
                for (int i = 0; i < _references.Length; i++)
                {
                    if (_references[i] is WeakReference<Compilation> mine && other._references[i] is WeakReference<Compilation> theirs)
                    {
                        if (!mine.TryGetTarget(out var a) || !theirs.TryGetTarget(out var b) || !ReferenceEquals(a, b)) return false;
                    }
                    else if (!Equals(_references[i], other._references[i]))
                    {
                        return false;
                    }
                }
                return true;
            }

            public override bool Equals(object? obj) => Equals(obj as Environment);

            public override int GetHashCode() => _declarations.GetHashCode();
        }

        /// <summary>
        /// The methods of this compilation whose text a method's parse may depend on: every method its body calls or
        /// refers to, and theirs, transitively. Each is kept as its declaration id and the digest of its declarations.
        /// </summary>
        internal static class Dependencies
        {
            private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, Node?>> s_nodes =
                new ConditionalWeakTable<Compilation, ConcurrentDictionary<IMethodSymbol, Node?>>();

            private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<string, string?>> s_digests =
                new ConditionalWeakTable<Compilation, ConcurrentDictionary<string, string?>>();

            /// <summary>A method with source: its id, its digest and the methods with source its body reaches directly.</summary>
            private sealed record Node(string Id, string Digest, List<IMethodSymbol> Targets);

            /// <returns>Null when something reached passes caller information (its value depends on where the code is).</returns>
            public static (string Id, string Digest)[]? Of(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
            {
                var nodes = s_nodes.GetValue(compilation, static _ => new ConcurrentDictionary<IMethodSymbol, Node?>(SymbolEqualityComparer.Default));
                var root = NodeOf(method.OriginalDefinition, compilation, nodes, cancellationToken);
                if (root is null) return null;
                var result = new List<(string Id, string Digest)>();
                var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default) { method.OriginalDefinition };
                var pending = new Stack<IMethodSymbol>(root.Targets);
                while (pending.Count > 0)
                {
                    var target = pending.Pop();
                    if (!seen.Add(target)) continue;
                    var node = NodeOf(target, compilation, nodes, cancellationToken);
                    if (node is null) return null;
                    result.Add((node.Id, node.Digest));
                    foreach (var next in node.Targets) pending.Push(next);
                }
                return result.ToArray();
            }

            /// <summary>True when every dependency's declarations read the same in <paramref name="compilation"/>.</summary>
            public static bool Unchanged((string Id, string Digest)[] dependencies, Compilation compilation, CancellationToken cancellationToken)
            {
                var digests = s_digests.GetValue(compilation, static _ => new ConcurrentDictionary<string, string?>(StringComparer.Ordinal));
                foreach (var (id, kept) in dependencies)
                {
                    var digest = digests.GetOrAdd(id, i => CurrentDigest(i, compilation, cancellationToken));
                    if (digest != kept) return false;
                }
                return true;
            }

            private static string? CurrentDigest(string id, Compilation compilation, CancellationToken cancellationToken)
            {
                var symbols = DocumentationCommentId.GetSymbolsForDeclarationId(id, compilation);
                if (symbols.Length != 1 || symbols[0] is not IMethodSymbol method) return null;
                return Digest(method, cancellationToken);
            }

            /// <summary>The digest of the method's declarations (both parts of a partial method), or null when it has none in source.</summary>
            private static string? Digest(IMethodSymbol method, CancellationToken cancellationToken)
            {
                var text = new StringBuilder();
                foreach (var part in new[] { method, method.PartialImplementationPart, method.PartialDefinitionPart })
                {
                    if (part is null) continue;
                    foreach (var reference in part.DeclaringSyntaxReferences)
                        text.Append(reference.SyntaxTree.FilePath).Append('\0').Append(reference.GetSyntax(cancellationToken).ToString()).Append('\0');
                }
                return text.Length == 0 ? null : ParseMemo.Digest(text);
            }

            private static Node? NodeOf(IMethodSymbol method, Compilation compilation, ConcurrentDictionary<IMethodSymbol, Node?> nodes, CancellationToken cancellationToken)
            {
                if (nodes.TryGetValue(method, out var known)) return known;
                var node = CreateNode(method, compilation, cancellationToken);
                nodes.TryAdd(method, node);
                return node;
            }

            /// <returns>Null when the body passes caller information.</returns>
            private static Node? CreateNode(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
            {
                var targets = new List<IMethodSymbol>();
                foreach (var part in new[] { method, method.PartialImplementationPart })
                {
                    if (part is null) continue;
                    foreach (var reference in part.DeclaringSyntaxReferences)
                    {
                        var body = reference.GetSyntax(cancellationToken) switch
                        {
                            BaseMethodDeclarationSyntax declaration => (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody,
                            AccessorDeclarationSyntax accessor => (SyntaxNode?)accessor.Body ?? accessor.ExpressionBody,
                            ArrowExpressionClauseSyntax arrow => arrow, // a property's getter written as `=> value`
                            _ => null,
                        };
                        if (body is null || !compilation.ContainsSyntaxTree(body.SyntaxTree)) continue;
                        var operation = SemanticModels.For(compilation, body.SyntaxTree).GetOperation(body, cancellationToken);
                        if (operation is null) continue;
                        foreach (var found in operation.DescendantsAndSelf())
                        {
                            if (found is IArgumentOperation { ArgumentKind: ArgumentKind.DefaultValue, Parameter: { } parameter } && PassesCallerInformation(parameter))
                                return null;
                            foreach (var target in Runs(found))
                            {
                                if (target is null) continue;
                                var definition = (target.ReducedFrom ?? target).OriginalDefinition;
                                if (definition.MethodKind == MethodKind.LocalFunction || definition.DeclaringSyntaxReferences.Length == 0 && definition.PartialImplementationPart is null) continue;
                                targets.Add(definition);
                            }
                        }
                    }
                }
                return new Node(DocumentationCommentId.CreateDeclarationId(method) ?? method.ToDisplayString(), Digest(method, cancellationToken) ?? "", targets);
            }

            /// <summary>
            /// The members whose bodies an operation may run, as far as this compilation's source goes: calls, method
            /// references, constructors, property and indexer accessors, user-defined operators and conversions. The
            /// parse reads only called bodies; the rest keeps the set a superset if that ever changes.
            /// </summary>
            private static IEnumerable<IMethodSymbol?> Runs(IOperation operation)
            {
                switch (operation)
                {
                    case IInvocationOperation invocation:
                        yield return invocation.TargetMethod;
                        break;
                    case IMethodReferenceOperation reference:
                        yield return reference.Method;
                        break;
                    case IObjectCreationOperation creation:
                        yield return creation.Constructor;
                        break;
                    case IPropertyReferenceOperation property:
                        yield return property.Property.GetMethod;
                        yield return property.Property.SetMethod;
                        break;
                    case IBinaryOperation binary:
                        yield return binary.OperatorMethod;
                        break;
                    case IUnaryOperation unary:
                        yield return unary.OperatorMethod;
                        break;
                    case IIncrementOrDecrementOperation increment:
                        yield return increment.OperatorMethod;
                        break;
                    case ICompoundAssignmentOperation compound:
                        yield return compound.OperatorMethod;
                        break;
                    case IConversionOperation conversion:
                        yield return conversion.OperatorMethod;
                        break;
                }
            }

            private static bool PassesCallerInformation(IParameterSymbol parameter)
            {
                foreach (var attribute in parameter.GetAttributes())
                {
                    string? name = attribute.AttributeClass?.Name;
                    if (name is not null && name.StartsWith("Caller", StringComparison.Ordinal) && attribute.AttributeClass!.ContainingNamespace?.ToDisplayString() == "System.Runtime.CompilerServices")
                        return true;
                }
                return false;
            }
        }
    }
}
