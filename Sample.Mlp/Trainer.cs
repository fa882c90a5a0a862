using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using Differentiable;

namespace Sample.Mlp
{
    /// <summary>
    /// Mini-batch training of an <see cref="Mlp"/>: gathers a batch, takes the generated gradient of
    /// <see cref="Mlp.Loss"/> and moves the parameters with an <see cref="Optimizer"/>. With several threads each batch
    /// is split into contiguous row blocks, one per thread, each with its own gradient buffer; the gradient of the batch
    /// is their sum weighted by block size, added in thread order, so a seed gives bitwise the same model for a given
    /// thread count. Every buffer is allocated here, so a step allocates nothing once warm.
    /// </summary>
    public sealed class Trainer : IDisposable
    {
        private const int EvaluationBatch = 500;

        private readonly int[] _sizes;
        private readonly int _features;
        private readonly int _classes;
        private readonly float[] _gradient;
        private readonly float[][] _partial;
        private readonly float[] _partialLoss;
        private readonly float[] _batchX;
        private readonly int[] _batchLabels;
        private readonly float[] _logits;
        private readonly Worker[] _workers;
        private Rng _shuffle;
        private int _rows;
        private ExceptionDispatchInfo? _failure;

        public Trainer(int[] sizes, float[] parameters, Optimizer optimizer, int batch, int threads, ulong seed)
        {
            if (sizes.Length < 3) throw new ArgumentException("An MLP needs at least one hidden layer.", nameof(sizes));
            if (parameters.Length != Mlp.ParameterCount(sizes)) throw new ArgumentException("The parameters do not match the architecture.", nameof(parameters));
            if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch));
            if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads));
            _sizes = (int[])sizes.Clone();
            _features = sizes[0];
            _classes = sizes[^1];
            Parameters = parameters;
            Optimizer = optimizer;
            Batch = batch;
            Threads = Math.Min(threads, batch);
            _gradient = new float[parameters.Length];
            _partial = new float[Threads][];
            for (int t = 0; t < Threads; t++) _partial[t] = t == 0 ? _gradient : new float[parameters.Length];
            _partialLoss = new float[Threads];
            _batchX = new float[batch * _features];
            _batchLabels = new int[batch];
            _logits = new float[EvaluationBatch * _classes];
            _shuffle = new Rng(seed ^ 0x5851F42D4C957F2DUL);
            _workers = new Worker[Threads - 1];
            for (int t = 1; t < Threads; t++) _workers[t - 1] = new Worker(this, t);
        }

        public float[] Parameters { get; }

        public ReadOnlySpan<int> Sizes => _sizes;

        public Optimizer Optimizer { get; }

        public int Batch { get; }

        public int Threads { get; }

        /// <summary>The gradient of the last step's batch loss.</summary>
        public ReadOnlySpan<float> Gradient => _gradient;

        /// <summary>A new random order of <paramref name="order"/> (the permutation of an epoch), from the trainer's seed.</summary>
        public void Shuffle(Span<int> order) => _shuffle.Shuffle(order);

        /// <summary>
        /// One step on the examples <paramref name="indices"/> of <paramref name="data"/> (at most <see cref="Batch"/>):
        /// returns their mean loss before the step.
        /// </summary>
        public float Step(DataSet data, ReadOnlySpan<int> indices)
        {
            float loss = ComputeGradient(data, indices);
            Optimizer.Step(Parameters, _gradient);
            return loss;
        }

        /// <summary>The mean loss of the examples <paramref name="indices"/> and its gradient (<see cref="Gradient"/>), without a step.</summary>
        public float ComputeGradient(DataSet data, ReadOnlySpan<int> indices)
        {
            int rows = indices.Length;
            if (rows < 1 || rows > Batch) throw new ArgumentOutOfRangeException(nameof(indices), "A step takes between 1 and Batch examples.");
            for (int r = 0; r < rows; r++)
            {
                int i = indices[r];
                data.Features.AsSpan(i * _features, _features).CopyTo(_batchX.AsSpan(r * _features));
                _batchLabels[r] = data.Labels[i];
            }
            _rows = rows;
            int active = Math.Min(Threads, rows);
            for (int t = 1; t < active; t++) _workers[t - 1].Start();
            RunBlock(0);
            for (int t = 1; t < active; t++) _workers[t - 1].Wait();
            if (_failure is { } failure)
            {
                _failure = null;
                failure.Throw();
            }
            if (active == 1) return _partialLoss[0];

            // The batch loss is the mean over rows: block t's mean counts with weight rows_t / rows. Thread order, always.
            float loss = 0;
            Span<float> gradient = _gradient;
            for (int t = 0; t < active; t++)
            {
                float weight = (float)BlockRows(t, active) / rows;
                loss += weight * _partialLoss[t];
                if (t == 0) System.Numerics.Tensors.TensorPrimitives.Multiply(gradient, weight, gradient);
                else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(_partial[t], weight, gradient, gradient);
            }
            return loss;
        }

        private int BlockStart(int t, int active) => (int)((long)_rows * t / active);

        private int BlockRows(int t, int active) => BlockStart(t + 1, active) - BlockStart(t, active);

        private void RunBlock(int t)
        {
            int active = Math.Min(Threads, _rows);
            int start = BlockStart(t, active), rows = BlockRows(t, active);
            using (Workspace.Scope())
            {
                _partialLoss[t] = Mlp.LossGradient(Parameters, _batchX.AsSpan(start * _features, rows * _features),
                    _batchLabels.AsSpan(start, rows), _sizes, rows, _partial[t]);
            }
        }

        /// <summary>The fraction of <paramref name="data"/> the model classifies correctly (arg max of the logits).</summary>
        public double Accuracy(DataSet data)
        {
            int correct = 0;
            using (Workspace.Scope())
            {
                for (int start = 0; start < data.Count; start += EvaluationBatch)
                {
                    int rows = Math.Min(EvaluationBatch, data.Count - start);
                    Mlp.Logits(Parameters, data.Features.AsSpan(start * _features, rows * _features), _sizes, rows, _logits);
                    for (int r = 0; r < rows; r++)
                    {
                        ReadOnlySpan<float> row = _logits.AsSpan(r * _classes, _classes);
                        int best = 0;
                        for (int c = 1; c < _classes; c++) if (row[c] > row[best]) best = c;
                        if (best == data.Labels[start + r]) correct++;
                    }
                }
            }
            return (double)correct / data.Count;
        }

        /// <summary>
        /// Bytes the worker threads have allocated while computing their blocks, all steps so far (with the calling
        /// thread's own <see cref="GC.GetAllocatedBytesForCurrentThread"/>, what a step allocates on all its threads).
        /// </summary>
        public long WorkerAllocatedBytes
        {
            get
            {
                long total = 0;
                foreach (var worker in _workers) total += Volatile.Read(ref worker.Allocated);
                return total;
            }
        }

        public void Dispose()
        {
            foreach (var worker in _workers) worker.Stop();
        }

        /// <summary>
        /// A one-waiter signal: spins briefly (a step's blocks finish close together), then blocks on a monitor.
        /// Unlike ManualResetEventSlim, which creates its lock object the first time a wait really blocks (24 bytes,
        /// at some step after warm-up when the machine is busy), it allocates nothing after construction.
        /// </summary>
        private sealed class Signal
        {
            private readonly object _gate = new object();
            private volatile bool _set;

            public void Set()
            {
                lock (_gate)
                {
                    _set = true;
                    Monitor.Pulse(_gate);
                }
            }

            public void WaitAndReset()
            {
                var spinner = new SpinWait();
                while (!_set && !spinner.NextSpinWillYield) spinner.SpinOnce();
                if (!_set)
                {
                    lock (_gate)
                    {
                        while (!_set) Monitor.Wait(_gate);
                    }
                }
                _set = false;
            }
        }

        /// <summary>A long-lived thread that computes one row block per step when signalled.</summary>
        private sealed class Worker
        {
            private readonly Trainer _owner;
            private readonly int _index;
            private readonly Signal _start = new Signal();
            private readonly Signal _done = new Signal();
            private readonly Thread _thread;
            private volatile bool _stopping;
            public long Allocated;

            public Worker(Trainer owner, int index)
            {
                _owner = owner;
                _index = index;
                _thread = new Thread(Run) { IsBackground = true, Name = "Mlp worker " + index };
                _thread.Start();
            }

            public void Start() => _start.Set();

            public void Wait() => _done.WaitAndReset();

            public void Stop()
            {
                _stopping = true;
                _start.Set();
                _thread.Join();
            }

            private void Run()
            {
                while (true)
                {
                    _start.WaitAndReset();
                    if (_stopping) return;
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        _owner.RunBlock(_index);
                    }
                    catch (Exception e)
                    {
                        _owner._failure ??= ExceptionDispatchInfo.Capture(e);
                    }
                    Volatile.Write(ref Allocated, Allocated + GC.GetAllocatedBytesForCurrentThread() - before);
                    _done.Set();
                }
            }
        }
    }
}
