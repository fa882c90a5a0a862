using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace Differentiable.Generator.CodeFixes
{
    /// <summary>
    /// Fixes DIFF0019 ("'{0}' is not the Backward of {1}: ..."): rewrites the rule's declaration to the
    /// expected Backward signature, which the generator passes in the diagnostic's properties: <c>static</c>,
    /// <c>void</c>, the primal's parameters, <c>dResult</c> and the adjoints. The body is kept.
    /// </summary>
    // No [Shared], for the same reason as AddPartialCodeFixProvider.
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseBackwardSignatureCodeFixProvider))]
    public sealed class UseBackwardSignatureCodeFixProvider : CodeFixProvider
    {
        /// <summary>The ID of the diagnostic this provider fixes (kept equal to the generator's descriptor).</summary>
        public const string DiagnosticId = "DIFF0019";

        /// <summary>The diagnostic property with the expected parameter list (kept equal to the generator's).</summary>
        public const string ExpectedSignatureProperty = "ExpectedSignature";

        internal const string Title = "Use the Backward signature";

        /// <inheritdoc />
        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(DiagnosticId);

        /// <inheritdoc />
        public override FixAllProvider? GetFixAllProvider() => null; // one signature per rule: the several DIFF0019 of one rule share it

        /// <inheritdoc />
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null) return;
            foreach (var diagnostic in context.Diagnostics)
            {
                if (!diagnostic.Properties.TryGetValue(ExpectedSignatureProperty, out var parameters) || parameters is null) continue;
                if (FindMethod(root, diagnostic.Location.SourceSpan) is null) continue;
                context.RegisterCodeFix(
                    CodeAction.Create(Title, ct => RewriteAsync(context.Document, diagnostic.Location.SourceSpan, parameters, ct),
                        equivalenceKey: nameof(UseBackwardSignatureCodeFixProvider)),
                    diagnostic);
                return; // one action is enough, whichever mismatch was clicked
            }
        }

        private static MethodDeclarationSyntax? FindMethod(SyntaxNode root, Microsoft.CodeAnalysis.Text.TextSpan span)
        {
            if (!root.FullSpan.Contains(span)) return null;
            return root.FindToken(span.Start).Parent?.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault();
        }

        private static async Task<Document> RewriteAsync(Document document, Microsoft.CodeAnalysis.Text.TextSpan span, string parameters, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var method = root is null ? null : FindMethod(root, span);
            if (root is null || method is null) return document;

            var list = SyntaxFactory.ParseParameterList("(" + parameters + ")")
                .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);
            var modifiers = method.Modifiers;
            if (!modifiers.Any(SyntaxKind.StaticKeyword))
            {
                var staticKeyword = SyntaxFactory.Token(SyntaxKind.StaticKeyword).WithTrailingTrivia(SyntaxFactory.Space);
                int at = modifiers.IndexOf(SyntaxKind.AsyncKeyword);
                modifiers = at >= 0 ? modifiers.Insert(at, staticKeyword) : modifiers.Add(staticKeyword);
            }
            var voidType = SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.VoidKeyword)).WithTriviaFrom(method.ReturnType);
            var rewritten = method
                .WithModifiers(modifiers)
                .WithReturnType(voidType)
                .WithParameterList(list.WithTriviaFrom(method.ParameterList));
            var newDocument = document.WithSyntaxRoot(root.ReplaceNode(method, rewritten));
            return await Simplifier.ReduceAsync(newDocument, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
