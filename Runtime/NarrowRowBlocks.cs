using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace Differentiable
{
    /// <summary>
    /// Walks a row-major batch of short rows (fewer than <see cref="NarrowRow"/> values, e.g. 10 classes) a block of rows
    /// at a time, giving each row's maximum m, its exponentials e = exp(x − m) and their sum. For such rows the per-call
    /// cost of the four <see cref="TensorPrimitives"/> passes a row takes (max, shift, exp, sum) outweighs the row
    /// itself, so here the maximum, the shift and the sums are scalar loops and a single
    /// <see cref="TensorPrimitives.Exp{T}(ReadOnlySpan{T}, Span{T})"/> covers the whole block.
    /// <code>
    /// var blocks = new NarrowRowBlocks&lt;T&gt;(x, cols, stackalloc T[NarrowRowBlocks&lt;T&gt;.ScratchLength(x.Length, cols)]);
    /// while (blocks.MoveNext())
    ///     for (int r = 0; r &lt; blocks.Rows; r++) { /* row blocks.FirstRow + r: blocks.Exp(r), blocks.Max(r), blocks.Sum(r) */ }
    /// </code>
    /// </summary>
    internal ref struct NarrowRowBlocks<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Rows shorter than this take the narrow-row path.</summary>
        public const int NarrowRow = 32;

        private readonly ReadOnlySpan<T> _x;
        private readonly int _cols;
        private readonly int _blockRows;
        private readonly Span<T> _exps;
        private readonly Span<T> _maxes;
        private readonly Span<T> _sums;

        /// <summary>Walks <paramref name="x"/> (whole rows of <paramref name="cols"/> values) with <paramref name="scratch"/> of <see cref="ScratchLength"/> values.</summary>
        public NarrowRowBlocks(ReadOnlySpan<T> x, int cols, Span<T> scratch)
        {
            _x = x;
            _cols = cols;
            _blockRows = scratch.Length / (cols + 2);
            _exps = scratch.Slice(0, _blockRows * cols);
            _maxes = scratch.Slice(_blockRows * cols, _blockRows);
            _sums = scratch.Slice(_blockRows * (cols + 1), _blockRows);
            FirstRow = 0;
            Rows = 0;
        }

        /// <summary>
        /// The scratch a walk needs: a block of at most <see cref="OpKernels.ScratchLength"/> exponentials (fewer if the
        /// batch is smaller), plus the block's maxima and sums.
        /// </summary>
        public static int ScratchLength(int length, int cols)
        {
            int blockRows = Math.Min(Math.Max(1, OpKernels.ScratchLength / cols), length / cols);
            return blockRows * (cols + 2);
        }

        /// <summary>The batch's index of the current block's first row.</summary>
        public int FirstRow { get; private set; }

        /// <summary>The number of rows in the current block.</summary>
        public int Rows { get; private set; }

        /// <summary>Moves to the next block and computes its maxima, exponentials and sums; false after the last.</summary>
        public bool MoveNext()
        {
            FirstRow += Rows;
            int totalRows = _x.Length / _cols;
            if (FirstRow >= totalRows || _blockRows == 0) return false;
            Rows = Math.Min(_blockRows, totalRows - FirstRow);
            ReadOnlySpan<T> block = _x.Slice(FirstRow * _cols, Rows * _cols);
            Span<T> exps = _exps.Slice(0, block.Length);
            for (int r = 0; r < Rows; r++)
            {
                ReadOnlySpan<T> row = block.Slice(r * _cols, _cols);
                Span<T> shifted = exps.Slice(r * _cols, _cols);
                T max = row[0];
                for (int j = 1; j < row.Length; j++) max = T.Max(max, row[j]); // NaN propagates, as in TensorPrimitives.Max
                for (int j = 0; j < row.Length; j++) shifted[j] = row[j] - max;
                _maxes[r] = max;
            }
            TensorPrimitives.Exp<T>(exps, exps);
            for (int r = 0; r < Rows; r++)
            {
                ReadOnlySpan<T> row = exps.Slice(r * _cols, _cols);
                T sum = T.Zero;
                for (int j = 0; j < row.Length; j++) sum += row[j];
                _sums[r] = sum;
            }
            return true;
        }

        /// <summary>exp(x − max) of row <paramref name="r"/> of the current block.</summary>
        public readonly ReadOnlySpan<T> Exp(int r) => _exps.Slice(r * _cols, _cols);

        /// <summary>The maximum of row <paramref name="r"/> of the current block.</summary>
        public readonly T Max(int r) => _maxes[r];

        /// <summary>Σ exp(x − max) of row <paramref name="r"/> of the current block.</summary>
        public readonly T Sum(int r) => _sums[r];
    }
}
