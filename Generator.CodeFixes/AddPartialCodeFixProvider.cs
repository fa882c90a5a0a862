using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator.CodeFixes
{
    /// <summary>
    /// Fixes DIFF0001 ("Type '{0}' must be declared 'partial' ..."): adds the <c>partial</c> modifier to the
    /// type declaration the diagnostic points at and to every enclosing type declaration that lacks it,
    /// since the generated members can only be added when the whole chain of types is partial.
    /// </summary>
    // No [Shared]: it would make this assembly reference System.Composition.AttributedModel at the version we
    // compile against (9.0), which older IDE hosts (Visual Studio with Roslyn 4.8) cannot bind. Without it, the
    // assembly references only Roslyn 4.8 and netstandard, and the provider is a non-shared MEF part.
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddPartialCodeFixProvider))]
    public sealed class AddPartialCodeFixProvider : CodeFixProvider
    {
        /// <summary>The ID of the diagnostic this provider fixes (kept equal to the generator's descriptor).</summary>
        public const string DiagnosticId = "DIFF0001";

        internal const string Title = "Make type partial";

        /// <inheritdoc />
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(DiagnosticId);

        /// <inheritdoc />
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc />
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null) return;

            foreach (var diagnostic in context.Diagnostics)
            {
                // The generator reports on the identifier of the type declaration; the span works whether the
                // location is a source location or an external one (file path + span), which generators use.
                var declaration = FindTypeDeclaration(root, diagnostic.Location.SourceSpan);
                if (declaration is null || TypesToFix(declaration).Count == 0) continue;

                context.RegisterCodeFix(
                    CodeAction.Create(
                        Title,
                        cancellationToken => AddPartialAsync(context.Document, diagnostic.Location.SourceSpan, cancellationToken),
                        equivalenceKey: nameof(AddPartialCodeFixProvider)),
                    diagnostic);
            }
        }

        private static TypeDeclarationSyntax? FindTypeDeclaration(SyntaxNode root, Microsoft.CodeAnalysis.Text.TextSpan span)
        {
            if (!root.FullSpan.Contains(span)) return null;
            var token = root.FindToken(span.Start);
            return token.Parent?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
        }

        /// <summary>The declaration itself and its enclosing type declarations, innermost first, that are not partial.</summary>
        private static List<TypeDeclarationSyntax> TypesToFix(TypeDeclarationSyntax declaration) =>
            declaration.AncestorsAndSelf().OfType<TypeDeclarationSyntax>()
                .Where(d => !d.Modifiers.Any(SyntaxKind.PartialKeyword))
                .ToList();

        private static async Task<Document> AddPartialAsync(Document document, Microsoft.CodeAnalysis.Text.TextSpan span, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null) return document;
            var declaration = FindTypeDeclaration(root, span);
            if (declaration is null) return document;

            var targets = TypesToFix(declaration);
            if (targets.Count == 0) return document;
            var newRoot = root.ReplaceNodes(targets, (original, rewritten) => AddPartial((TypeDeclarationSyntax)rewritten));
            return document.WithSyntaxRoot(newRoot);
        }

        /// <summary>
        /// Adds <c>partial</c> as the last modifier, right before <c>class</c>/<c>struct</c>/<c>record</c>/<c>interface</c>,
        /// where C# requires it. Trivia is kept: without modifiers, the keyword's leading trivia (indentation,
        /// comments) moves to <c>partial</c>.
        /// </summary>
        internal static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax declaration)
        {
            var modifiers = declaration.Modifiers;
            if (modifiers.Any(SyntaxKind.PartialKeyword)) return declaration;

            if (modifiers.Count == 0)
            {
                var keyword = declaration.Keyword;
                var partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
                return declaration
                    .WithKeyword(keyword.WithLeadingTrivia(SyntaxFactory.TriviaList()))
                    .WithModifiers(SyntaxFactory.TokenList(partial));
            }

            var last = modifiers.Last();
            // 'partial' goes right before the type keyword, after every other modifier ('ref' included:
            // 'public readonly ref partial struct S').
            var added = SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.PartialKeyword, last.TrailingTrivia);
            var newModifiers = modifiers
                .Replace(last, last.WithTrailingTrivia(SyntaxFactory.TriviaList(SyntaxFactory.Space)))
                .Add(added);
            return declaration.WithModifiers(newModifiers);
        }
    }
}
