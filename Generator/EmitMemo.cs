using System;
using System.Collections.Concurrent;
using Differentiable.Generator.Differentiation;
using Differentiable.Generator.Ir;
using Differentiable.Generator.Parsing;

namespace Differentiable.Generator
{
    /// <summary>
    /// Each method's generated text by the emit step's inputs, kept across drivers. The compiler server starts a new
    /// driver for every build, so the incremental pipeline's own cache is empty there and every method would be
    /// differentiated and printed again; <see cref="ParseMemo"/> gives back equal models, and equal inputs give the same
    /// text (the emit step is a function of its equatable inputs, the contract the pipeline's own cache relies on).
    /// Failures are not kept. Bounded by <see cref="MaxEntries"/>: cleared when full.
    /// </summary>
    internal static class EmitMemo
    {
        private const int MaxEntries = 2_000;

        private sealed record Key(MethodModel Model, EquatableArray<string> Variants, EquatableArray<SplitKey> Splits);

        private static readonly ConcurrentDictionary<Key, GeneratedSource> s_sources = new ConcurrentDictionary<Key, GeneratedSource>();

        /// <summary>How many sources this thread took from the memo (for the tests).</summary>
        [ThreadStatic] internal static int t_reused;

        public static GeneratedSource Emit(MethodModel model, EquatableArray<string> variants, EquatableArray<SplitKey> splits,
            Func<MethodModel, EquatableArray<string>, EquatableArray<SplitKey>, GeneratedSource> emit)
        {
            if (ParseMemo.t_bypass) return emit(model, variants, splits);
            var key = new Key(model, variants, splits);
            if (s_sources.TryGetValue(key, out var known))
            {
                t_reused++;
                return known;
            }
            var source = emit(model, variants, splits);
            if (source.Error is null)
            {
                if (s_sources.Count >= MaxEntries) s_sources.Clear();
                s_sources[key] = source;
            }
            return source;
        }

        /// <summary>Forgets every kept text (the build-time benchmark's full builds).</summary>
        internal static void Clear() => s_sources.Clear();
    }
}
