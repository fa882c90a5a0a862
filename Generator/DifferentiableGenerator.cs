using System.Linq;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Differentiation;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Differentiable.Generator
{
    /// <summary>
    /// Writes <c>{M}Gradient</c> and <c>{M}Backward</c> for every <c>[Differentiable]</c> method. The
    /// pipeline, top to bottom: find the methods; parse and lower each to an equatable model plus its
    /// diagnostics; differentiate and emit the models; report the diagnostics on their own path, so a
    /// moved line re-reports them without regenerating code.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class DifferentiableGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var analysesEnabled = context.AnalyzerConfigOptionsProvider
                .Select(static (options, _) => ReadAnalysesEnabled(options))
                .WithTrackingName(StepNames.Options);

            var parsed = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    "Differentiable.DifferentiableAttribute",
                    static (node, _) => node is MethodDeclarationSyntax,
                    static (context, cancellationToken) => Parse(context, cancellationToken))
                .WithTrackingName(StepNames.Parse);

            var models = parsed
                .Where(static result => result.Value is not null)
                .Select(static (result, _) => result.Value!)
                .Combine(analysesEnabled)
                .Select(static (pair, _) => pair.Left with { AnalysesEnabled = pair.Right })
                .WithTrackingName(StepNames.Model);

            // Activity variants: what every method asks of the callees it passes constant buffers to, and what those
            // variants ask of theirs in turn.
            var variants = models
                .Select(static (model, _) => ActivityVariants.Requests(model))
                .Collect()
                .Combine(models.Collect())
                .Select(static (pair, _) => ActivityVariants.Close(pair.Left.SelectMany(r => r), pair.Right))
                .WithTrackingName(StepNames.Variants);

            // Split forms: the methods that get {M}Forward and {M}Reverse (eligible ones that some method calls in a loop or recursively).
            var splits = models
                .Select(static (model, _) => SplitForms.Facts(model))
                .Collect()
                .Select(static (all, _) => SplitForms.Keys(all))
                .WithTrackingName(StepNames.Splits);

            var sources = models
                .Combine(variants)
                .Combine(splits)
                .Select(static (pair, cancellationToken) => Emit(pair.Left.Left, VariantsOf(pair.Left.Left, pair.Left.Right), pair.Right, cancellationToken))
                .WithTrackingName(StepNames.Emit);

            var diagnostics = parsed
                .Select(static (result, _) => result.Diagnostics)
                .WithTrackingName(StepNames.Diagnostics);

            // [DerivativeOf] rules: their checks, and a Gradient for the ones whose target returns a scalar.
            var rules = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    "Differentiable.DerivativeOfAttribute",
                    static (node, _) => node is MethodDeclarationSyntax,
                    static (context, cancellationToken) => ParseRule(context, cancellationToken))
                .WithTrackingName(StepNames.Rules);

            context.RegisterSourceOutput(sources, static (context, source) => AddSource(context, source));
            context.RegisterSourceOutput(rules.Select(static (r, _) => r.Value).Where(static m => m is not null),
                static (context, model) => AddRuleSource(context, model!));
            context.RegisterSourceOutput(rules.Select(static (r, _) => r.Diagnostics), static (context, found) => Report(context, found));
            context.RegisterSourceOutput(diagnostics, static (context, found) => Report(context, found));
        }
    }
}
