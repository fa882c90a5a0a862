using System;
using System.Linq;
using System.Threading;
using Differentiable.Generator.Diagnostics;
using Differentiable.Generator.Emit;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Differentiable.Generator
{
    /// <summary>The names the incremental tests look for.</summary>
    internal static class StepNames
    {
        public const string Options = nameof(Options);
        public const string Parse = nameof(Parse);
        public const string Model = nameof(Model);
        public const string Emit = nameof(Emit);
        public const string Variants = nameof(Variants);
        public const string Splits = nameof(Splits);
        public const string Diagnostics = nameof(Diagnostics);
        public const string Rules = nameof(Rules);
    }

    /// <summary>Generated text for one method, or the internal error that stopped it.</summary>
    internal sealed record GeneratedSource(string HintName, string? Text, string MethodName, string? Error);

    public sealed partial class DifferentiableGenerator
    {
        /// <summary>The internal switch the tests use: <c>build_property.DifferentiableAnalyses = off</c> turns every analysis off.</summary>
        internal const string AnalysesOption = "build_property.DifferentiableAnalyses";

        private static bool ReadAnalysesEnabled(AnalyzerConfigOptionsProvider options) =>
            !(options.GlobalOptions.TryGetValue(AnalysesOption, out var value) &&
              string.Equals(value?.Trim(), "off", StringComparison.OrdinalIgnoreCase));

        /// <summary>Test hook: throws inside the per-method work, to check that a crash becomes DIFF0000.</summary>
        [ThreadStatic]
        internal static Action<string>? FaultInjection;

        private static Result<MethodModel> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var method = (IMethodSymbol)context.TargetSymbol;
            var declaration = (MethodDeclarationSyntax)context.TargetNode;
            var semanticModel = context.SemanticModel;
            // [Differentiable] on a partial method's declaration: the method is its implementation (the part with the body).
            var implementation = SymbolFacts.Implementation(method);
            if (!SymbolEqualityComparer.Default.Equals(implementation, method) &&
                implementation.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is MethodDeclarationSyntax body)
            {
                method = implementation;
                declaration = body;
                semanticModel = SemanticModels.For(semanticModel.Compilation, body.SyntaxTree);
            }
            try
            {
                FaultInjection?.Invoke(method.Name);
                // The previous runs' parses, reused for the methods an edit did not touch (the step runs for every method on every edit).
                return ParseMemo.Shared.Parse(method, declaration, SemanticModels.Share(semanticModel), cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                var error = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, LocationInfo.From(declaration.Identifier),
                    method.Name, exception.GetType().Name + ": " + exception.Message);
                return new Result<MethodModel>(null, new EquatableArray<DiagnosticInfo>(new[] { error }));
            }
        }

        private static Result<RuleModel> ParseRule(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var method = (IMethodSymbol)context.TargetSymbol;
            var declaration = (MethodDeclarationSyntax)context.TargetNode;
            try
            {
                FaultInjection?.Invoke(method.Name);
                return RuleParser.Parse(method, declaration, context.SemanticModel.Compilation, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                var error = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, LocationInfo.From(declaration.Identifier),
                    method.Name, exception.GetType().Name + ": " + exception.Message);
                return new Result<RuleModel>(null, new EquatableArray<DiagnosticInfo>(new[] { error }));
            }
        }

        private static void AddRuleSource(SourceProductionContext context, RuleModel model)
        {
            try
            {
                context.AddSource(model.HintName, SourceText.From(RuleGradientEmitter.Emit(model), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, model.TargetName, exception.GetType().Name + ": " + exception.Message));
            }
        }

        /// <summary>The variant masks requested of this method, in a stable order.</summary>
        private static EquatableArray<string> VariantsOf(MethodModel model, EquatableArray<Differentiation.VariantRequest> requests) =>
            requests.Where(r => r.CalleeKey == model.HintName).Select(r => r.Mask).ToEquatableArray();

        private static GeneratedSource Emit(MethodModel model, EquatableArray<string> variants, EquatableArray<Differentiation.SplitKey> splits, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return EmitMemo.Emit(model, variants, splits, static (m, v, s) => EmitNew(m, v, s));
        }

        private static GeneratedSource EmitNew(MethodModel model, EquatableArray<string> variants, EquatableArray<Differentiation.SplitKey> splits)
        {
            try
            {
                return new GeneratedSource(model.HintName, CSharpEmitter.Emit(model, variants, splits), model.Function.Name, null);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new GeneratedSource(model.HintName, null, model.Function.Name, exception.GetType().Name + ": " + exception.Message);
            }
        }

        private static void AddSource(SourceProductionContext context, GeneratedSource source)
        {
            if (source.Text is not null)
                context.AddSource(source.HintName, SourceText.From(source.Text, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)));
            else
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, source.MethodName, source.Error));
        }

        private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
        {
            foreach (var diagnostic in diagnostics) context.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }
}
