using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Differentiable.Generator.Parsing
{
    /// <summary>
    /// One semantic model per syntax tree of a compilation, shared by every step that binds a body there. A model keeps
    /// what it bound, so a method body is bound once per compilation: before, the callee checks, the side-effect
    /// summaries and the inliner each asked the compilation for a new model and bound the callee's body again (a tenth
    /// of the generator's parse time on a corpus of callers and callees). Models are thread-safe; the table holds the
    /// compilation weakly and goes with it.
    /// </summary>
    internal static class SemanticModels
    {
        private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<SyntaxTree, SemanticModel>> Table =
            new ConditionalWeakTable<Compilation, ConcurrentDictionary<SyntaxTree, SemanticModel>>();

        private static ConcurrentDictionary<SyntaxTree, SemanticModel> Of(Compilation compilation) =>
            Table.GetValue(compilation, static _ => new ConcurrentDictionary<SyntaxTree, SemanticModel>());

        /// <summary>The shared model of <paramref name="tree"/>.</summary>
        public static SemanticModel For(Compilation compilation, SyntaxTree tree) =>
            Of(compilation).GetOrAdd(tree, t => compilation.GetSemanticModel(t));

        /// <summary>The shared model of <paramref name="model"/>'s tree: <paramref name="model"/> itself, unless another is shared already.</summary>
        public static SemanticModel Share(SemanticModel model) => Of(model.Compilation).GetOrAdd(model.SyntaxTree, model);
    }
}
