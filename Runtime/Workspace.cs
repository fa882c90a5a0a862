using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Differentiable
{
    /// <summary>
    /// A per-thread arena for the buffers a <c>[Differentiable]</c> method declares inside its body (layer
    /// activations, logits), for any size, with no allocation once warm:
    /// <code>
    /// [Differentiable]
    /// static float Loss(ReadOnlySpan&lt;float&gt; w, [NoDiff] ReadOnlySpan&lt;float&gt; x, ...)
    /// {
    ///     Span&lt;float&gt; h = Workspace.Rent&lt;float&gt;(batch * hidden);
    ///     ...
    /// }
    ///
    /// using (Workspace.Scope())          // around a training step, or any call of the plain method
    /// {
    ///     float loss = Model.LossGradient(w, x, ..., dW);
    /// }
    /// </code>
    /// </summary>
    /// <remarks>
    /// <para>
    /// <b>Scopes.</b> <see cref="Rent{T}"/> hands out zeroed memory from the calling thread's arena; everything
    /// rented inside a <see cref="Scope"/> goes back when the scope is disposed, exceptions included (a
    /// <c>using</c> disposes it in a <c>finally</c>). Scopes nest: an inner scope gives back only what was rented
    /// inside it. Renting with no scope open on the thread throws <see cref="InvalidOperationException"/>, so
    /// memory cannot leak unnoticed. A generated <c>Gradient</c> or <c>Backward</c> opens its own scope around
    /// its body: its buffers and their adjoints go back when it returns, so calling it needs no scope.
    /// </para>
    /// <para>
    /// <b>Memory.</b> A thread's arena is one block of bytes. When a rental does not fit, a larger block is
    /// allocated (buffers already handed out keep the old one alive until they are dropped); when the outermost
    /// scope closes, the block grows to the largest amount any scope used since it last grew, so from the second
    /// step of the same shape on, renting allocates nothing. Buffers start on 64-byte boundaries of the block.
    /// </para>
    /// <para>
    /// <b>Misuse.</b> A span rented in a scope must not be used after the scope is disposed: its memory is handed
    /// out again. Disposing scopes out of order, twice, or on another thread throws
    /// <see cref="InvalidOperationException"/>.
    /// </para>
    /// </remarks>
    public static class Workspace
    {
        private const int Alignment = 64;
        private const int InitialBytes = 64 * 1024;

        [ThreadStatic] private static Arena? t_arena;

        /// <summary>Opens a scope on the calling thread; disposing it gives back every buffer rented inside it.</summary>
        public static WorkspaceScope Scope()
        {
            var arena = t_arena ??= new Arena();
            arena.Depth++;
            return new WorkspaceScope(arena, arena.Block, arena.Offset, arena.Depth);
        }

        /// <summary>
        /// <paramref name="length"/> zeroed elements of the calling thread's arena, valid until the innermost open
        /// scope is disposed (like <c>new T[length]</c>, without the allocation).
        /// </summary>
        /// <exception cref="InvalidOperationException">No scope is open on this thread.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
        public static Span<T> Rent<T>(int length) where T : unmanaged
        {
            if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "A buffer length cannot be negative.");
            var arena = t_arena;
            if (arena is null || arena.Depth == 0)
                throw new InvalidOperationException("Workspace.Rent needs an open Workspace.Scope() on this thread: wrap the call in 'using (Workspace.Scope()) { ... }'.");
            long bytes = (long)length * Unsafe.SizeOf<T>();
            if (bytes > int.MaxValue - Alignment) throw new ArgumentOutOfRangeException(nameof(length), length, "The buffer is larger than 2 GB.");
            int size = (int)bytes;
            int start = arena.Take(size);
            Span<T> span = MemoryMarshal.Cast<byte, T>(arena.Block.AsSpan(start, size));
            span.Clear();
            return span;
        }

        /// <summary>The size in bytes of the calling thread's arena block (0 before its first scope).</summary>
        public static int CapacityBytes => t_arena?.Block.Length ?? 0;

        internal static Arena? CurrentArena => t_arena;

        internal sealed class Arena
        {
            public byte[] Block = new byte[InitialBytes];
            public int Offset;
            public int Depth;

            /// <summary>Bytes in use across blocks since the outermost scope opened (an upper bound), and its maximum.</summary>
            private long _abandoned;
            private long _highWater;

            public int Take(int size)
            {
                int start = (Offset + Alignment - 1) & ~(Alignment - 1);
                if (start > Block.Length - size)
                {
                    // Too small: a new block, at least twice the old. The old one stays alive through the spans into it.
                    _abandoned += Offset;
                    Block = new byte[(int)Math.Min(int.MaxValue, Math.Max(2L * Block.Length, (long)size + Alignment))];
                    start = 0;
                }
                Offset = start + size;
                long used = _abandoned + Offset;
                if (used > _highWater) _highWater = used;
                return start;
            }

            public void Release(byte[] block, int offset, int depth)
            {
                if (depth != Depth) throw new InvalidOperationException("Workspace scopes must be disposed once each, innermost first, on the thread that opened them.");
                Depth--;
                // Everything in a block newer than the scope's was rented after the scope opened: all of it goes back.
                Offset = ReferenceEquals(block, Block) ? offset : 0;
                if (Depth > 0) return;
                if (_highWater > Block.Length)
                    Block = new byte[(int)Math.Min(int.MaxValue, _highWater + Alignment)];
                Offset = 0;
                _abandoned = 0;
                _highWater = 0;
            }
        }
    }

    /// <summary>An open <see cref="Workspace.Scope"/>: disposing it gives back what was rented inside it.</summary>
    public struct WorkspaceScope : IDisposable
    {
        private Workspace.Arena? _arena;
        private readonly byte[] _block;
        private readonly int _offset;
        private readonly int _depth;

        internal WorkspaceScope(Workspace.Arena arena, byte[] block, int offset, int depth)
        {
            _arena = arena;
            _block = block;
            _offset = offset;
            _depth = depth;
        }

        /// <summary>Gives back every buffer rented on this thread since the scope opened.</summary>
        public void Dispose()
        {
            var arena = _arena ?? throw new InvalidOperationException("This workspace scope was disposed already, or never opened.");
            if (!ReferenceEquals(arena, Workspace.CurrentArena))
                throw new InvalidOperationException("A workspace scope must be disposed on the thread that opened it.");
            arena.Release(_block, _offset, _depth);
            _arena = null;
        }
    }
}
