using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Differentiable.GradBench.Tape
{
    /// <summary>
    /// A tensor on this thread's <see cref="BlockTape"/>: the index of its row in the tape's tensor table.
    /// </summary>
    public readonly struct TapeTensor
    {
        public readonly int Id;

        internal TapeTensor(int id) => Id = id;
    }

    /// <summary>
    /// A float tape whose entries are whole array operations, the way PyTorch's autograd (and any tensor-level tape)
    /// records a network: a matrix product is <b>one</b> node with its own adjoint, not m·n·k scalar entries. It is
    /// the fair tape baseline for <c>Sample.Mlp</c>'s loss (benchmarks only, not part of the package).
    /// </summary>
    /// <remarks>
    /// <para>
    /// <b>Tensors.</b> A table of (values array, offset, length, adjoint array, offset): a leaf references the
    /// caller's arrays (a parameter slice and its slice of the caller's gradient, which the sweep accumulates into,
    /// as PyTorch accumulates into <c>.grad</c>; a constant has no adjoint); a node's result gets zeroed values and
    /// a zeroed adjoint from the tape's own arena.
    /// </para>
    /// <para>
    /// <b>Nodes.</b> Flat arrays: the operation, up to two operand tensors, the result tensor and the sizes. The
    /// forward runs the <see cref="Ops"/> kernel; the reverse sweep walks the nodes backwards and calls each
    /// operation's adjoint kernel (for the product the same <c>…WithoutPrimal</c> adjoint products the generated
    /// code calls, skipping the product for an operand without adjoint), so the tape does the generated gradient's
    /// arithmetic plus its bookkeeping: a table row per tensor, a node per operation, a dispatch per node.
    /// </para>
    /// <para>
    /// Thread-local and reused: <see cref="Clear"/> rewinds it. When a recording outgrows the arena, the extra
    /// results get a block of their own and at the next <see cref="Clear"/> the arena grows to the recording's
    /// size, so from the second recording of the same shape on nothing is allocated.
    /// </para>
    /// </remarks>
    public sealed class BlockTape
    {
        [ThreadStatic] private static BlockTape? _current;

        /// <summary>This thread's tape.</summary>
        public static BlockTape Current
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => _current ??= new BlockTape();
        }

        private enum Op : byte { MatMulTransposeB, AddRowBias, Relu, SoftmaxCrossEntropy }

        // ---- tensors ----
        private float[][] _values = new float[64][];
        private int[] _valueOffset = new int[64];
        private int[] _length = new int[64];
        private float[]?[] _adjoints = new float[]?[64];
        private int[] _adjointOffset = new int[64];
        private int _tensors;

        // ---- nodes ----
        private Op[] _op = new Op[64];
        private int[] _a = new int[64], _b = new int[64], _c = new int[64];
        private int[] _m = new int[64], _k = new int[64], _n = new int[64];
        private int[]?[] _labels = new int[]?[64];
        private int[] _labelOffset = new int[64];
        private int _nodes;

        // ---- the arena for results: values and adjoints ----
        private float[] _arenaValues = new float[4096], _arenaAdjoints = new float[4096];
        private int _used;      // floats of the arena handed out
        private long _recorded; // floats of results this recording asked for (arena or not)

        /// <summary>Tensors recorded since the last <see cref="Clear"/>.</summary>
        public int TensorCount => _tensors;

        /// <summary>Nodes recorded since the last <see cref="Clear"/>.</summary>
        public int NodeCount => _nodes;

        /// <summary>Rewinds the tape (tensors, nodes, arena); grows the arena to the last recording's size if needed.</summary>
        public void Clear()
        {
            for (int t = 0; t < _tensors; t++)
            {
                _values[t] = null!;   // drop references to the caller's arrays
                _adjoints[t] = null;
            }
            for (int e = 0; e < _nodes; e++) _labels[e] = null;
            if (_recorded > _arenaValues.Length)
            {
                int size = checked((int)_recorded);
                _arenaValues = new float[size];
                _arenaAdjoints = new float[size];
            }
            _tensors = 0;
            _nodes = 0;
            _used = 0;
            _recorded = 0;
        }

        /// <summary>A constant input: <paramref name="length"/> values of <paramref name="values"/> from <paramref name="offset"/>, no adjoint.</summary>
        public TapeTensor Constant(float[] values, int offset, int length) => new(AddTensor(values, offset, length, null, 0));

        /// <summary>
        /// A parameter: <paramref name="length"/> values of <paramref name="values"/> from <paramref name="offset"/>;
        /// the sweep accumulates its adjoint into <paramref name="gradient"/> from <paramref name="gradientOffset"/>.
        /// </summary>
        public TapeTensor Parameter(float[] values, int offset, int length, float[] gradient, int gradientOffset) =>
            new(AddTensor(values, offset, length, gradient, gradientOffset));

        /// <summary>The values of <paramref name="t"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<float> Value(TapeTensor t) => _values[t.Id].AsSpan(_valueOffset[t.Id], _length[t.Id]);

        /// <summary>The adjoint of <paramref name="t"/> (empty for a constant).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<float> Adjoint(TapeTensor t)
        {
            float[]? adjoint = _adjoints[t.Id];
            return adjoint is null ? Span<float>.Empty : adjoint.AsSpan(_adjointOffset[t.Id], _length[t.Id]);
        }

        private bool HasAdjoint(int t) => _adjoints[t] is not null;

        /// <summary><c>c = a · bᵀ</c>, a m×k, b n×k: one node.</summary>
        public TapeTensor MatMulTransposeB(TapeTensor a, TapeTensor b, int m, int k, int n)
        {
            TapeTensor c = Result(m * n, HasAdjoint(a.Id) || HasAdjoint(b.Id));
            Ops.MatMulTransposeB(Value(a), Value(b), Value(c), m, k, n);
            AddNode(Op.MatMulTransposeB, a.Id, b.Id, c.Id, m, k, n, null, 0);
            return c;
        }

        /// <summary>
        /// <c>x[r, j] += bias[j]</c> in place, one node: the result is <paramref name="x"/>'s storage under a new
        /// tensor, and shares its adjoint (the map is the identity in x), so the node's adjoint only adds the column
        /// sums of the result's adjoint to the bias's.
        /// </summary>
        public TapeTensor AddRowBias(TapeTensor x, TapeTensor bias)
        {
            Ops.AddRowBias(Value(x), Value(bias));
            int y = _tensors;
            AddTensor(_values[x.Id], _valueOffset[x.Id], _length[x.Id], _adjoints[x.Id], _adjointOffset[x.Id]);
            if (!HasAdjoint(y) && HasAdjoint(bias.Id)) throw new NotSupportedException("An in-place bias on a constant tensor.");
            AddNode(Op.AddRowBias, x.Id, bias.Id, y, 0, 0, 0, null, 0);
            return new TapeTensor(y);
        }

        /// <summary><c>y = max(x, 0)</c>: one node.</summary>
        public TapeTensor Relu(TapeTensor x)
        {
            TapeTensor y = Result(_length[x.Id], HasAdjoint(x.Id));
            Ops.Relu(Value(x), Value(y));
            AddNode(Op.Relu, x.Id, 0, y.Id, 0, 0, 0, null, 0);
            return y;
        }

        /// <summary>
        /// The mean softmax cross-entropy of <paramref name="rows"/> rows of <paramref name="classes"/> logits with
        /// <paramref name="rows"/> labels of <paramref name="labels"/> from <paramref name="labelOffset"/>: one node,
        /// a one-element result.
        /// </summary>
        public TapeTensor SoftmaxCrossEntropy(TapeTensor logits, int[] labels, int labelOffset, int rows, int classes)
        {
            TapeTensor loss = Result(1, HasAdjoint(logits.Id));
            Value(loss)[0] = Ops.SoftmaxCrossEntropy(Value(logits), labels.AsSpan(labelOffset, rows), classes);
            AddNode(Op.SoftmaxCrossEntropy, logits.Id, 0, loss.Id, rows, 0, classes, labels, labelOffset);
            return loss;
        }

        /// <summary>The reverse sweep from the one-element <paramref name="output"/>, seeded with 1.</summary>
        public void Backward(TapeTensor output)
        {
            Adjoint(output)[0] = 1;
            for (int e = _nodes - 1; e >= 0; e--)
            {
                int a = _a[e], b = _b[e], c = _c[e];
                switch (_op[e])
                {
                    case Op.MatMulTransposeB:
                    {
                        var ta = new TapeTensor(a);
                        var tb = new TapeTensor(b);
                        var tc = new TapeTensor(c);
                        int m = _m[e], k = _k[e], n = _n[e];
                        if (HasAdjoint(a) && HasAdjoint(b))
                            Ops.MatMulTransposeBBackwardWithoutPrimal(Value(ta), Value(tb), Value(tc), m, k, n, Adjoint(ta), Adjoint(tb), Adjoint(tc));
                        else if (HasAdjoint(b))
                            Ops.MatMulTransposeBBackwardConstantAWithoutPrimal(Value(ta), Value(tb), Value(tc), m, k, n, Adjoint(tb), Adjoint(tc));
                        else if (HasAdjoint(a))
                            Ops.MatMulTransposeBBackwardConstantBWithoutPrimal(Value(ta), Value(tb), Value(tc), m, k, n, Adjoint(ta), Adjoint(tc));
                        break;
                    }
                    case Op.AddRowBias:
                    {
                        if (!HasAdjoint(b)) break;
                        // dx: the identity (x and the result share the adjoint); dbias += Σ_r dy[r, ·], as AddRowBiasBackward sums.
                        Span<float> dBias = Adjoint(new TapeTensor(b));
                        ReadOnlySpan<float> dY = Adjoint(new TapeTensor(c));
                        if (dBias.Length == 1) dBias[0] += TensorPrimitives.Sum(dY);
                        else for (int start = 0; start < dY.Length; start += dBias.Length) TensorPrimitives.Add(dBias, dY.Slice(start, dBias.Length), dBias);
                        break;
                    }
                    case Op.Relu:
                        if (HasAdjoint(a)) Ops.ReluBackward(Value(new TapeTensor(a)), Value(new TapeTensor(c)), Adjoint(new TapeTensor(a)), Adjoint(new TapeTensor(c)));
                        break;
                    case Op.SoftmaxCrossEntropy:
                        if (HasAdjoint(a))
                        {
                            var loss = new TapeTensor(c);
                            Ops.SoftmaxCrossEntropyBackward(Value(new TapeTensor(a)), _labels[e]!.AsSpan(_labelOffset[e], _m[e]), _n[e],
                                Adjoint(loss)[0], Adjoint(new TapeTensor(a)));
                        }
                        break;
                }
            }
        }

        private TapeTensor Result(int length, bool withAdjoint)
        {
            _recorded += length;
            float[] values, adjoints;
            int offset;
            if (_used + length <= _arenaValues.Length)
            {
                values = _arenaValues;
                adjoints = _arenaAdjoints;
                offset = _used;
                _used += length;
                values.AsSpan(offset, length).Clear();
                if (withAdjoint) adjoints.AsSpan(offset, length).Clear();
            }
            else
            {
                // Outgrown: a block of its own for now; Clear sizes the arena for the next recording.
                values = new float[length];
                adjoints = new float[length];
                offset = 0;
            }
            return new TapeTensor(AddTensor(values, offset, length, withAdjoint ? adjoints : null, offset));
        }

        private int AddTensor(float[] values, int offset, int length, float[]? adjoint, int adjointOffset)
        {
            int t = _tensors;
            if (t == _length.Length)
            {
                int size = t * 2;
                Array.Resize(ref _values, size);
                Array.Resize(ref _valueOffset, size);
                Array.Resize(ref _length, size);
                Array.Resize(ref _adjoints, size);
                Array.Resize(ref _adjointOffset, size);
            }
            _values[t] = values;
            _valueOffset[t] = offset;
            _length[t] = length;
            _adjoints[t] = adjoint;
            _adjointOffset[t] = adjointOffset;
            _tensors = t + 1;
            return t;
        }

        private void AddNode(Op op, int a, int b, int c, int m, int k, int n, int[]? labels, int labelOffset)
        {
            int e = _nodes;
            if (e == _op.Length)
            {
                int size = e * 2;
                Array.Resize(ref _op, size);
                Array.Resize(ref _a, size);
                Array.Resize(ref _b, size);
                Array.Resize(ref _c, size);
                Array.Resize(ref _m, size);
                Array.Resize(ref _k, size);
                Array.Resize(ref _n, size);
                Array.Resize(ref _labels, size);
                Array.Resize(ref _labelOffset, size);
            }
            _op[e] = op;
            _a[e] = a;
            _b[e] = b;
            _c[e] = c;
            _m[e] = m;
            _k[e] = k;
            _n[e] = n;
            _labels[e] = labels;
            _labelOffset[e] = labelOffset;
            _nodes = e + 1;
        }
    }
}
