using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Differentiable
{
    /// <summary>
    /// LIFO stack of recorded values for generated reverse sweeps: the primal sweep pushes the values a loop
    /// overwrites, the reverse sweep pops them back in reverse order. A stack is rented, pushed and popped by
    /// one thread, and returned in a <c>finally</c>:
    /// <code>
    /// var saved = ValueStack&lt;double&gt;.Rent(n);
    /// try { /* saved.Push(...) ... saved.Pop() */ }
    /// finally { saved.Return(); }
    /// </code>
    /// </summary>
    /// <remarks>
    /// <para>
    /// <b>Pooling.</b> Each thread keeps up to <c>8</c> returned stacks per element type in a
    /// <see cref="ThreadStaticAttribute">thread-static</see> list, so renting and returning take no lock and
    /// allocate nothing. When that list is empty, <see cref="Rent"/> takes a stack from a shared pool
    /// (guarded by a lock, at most <c>4 × </c><see cref="Environment.ProcessorCount"/> stacks per element
    /// type), and when that is empty too it creates one. When the thread's list is full, <see cref="Return"/>
    /// puts a stack in the shared pool, and when that is full too it leaves the stack to the garbage
    /// collector. The last stack a thread returns is the first it rents again, so nested rentals (a
    /// <c>Backward</c> that calls another) get back the stacks they had, already grown.
    /// </para>
    /// <para>
    /// <b>Memory.</b> Growth doubles the backing array (the first one holds 16 values) and a returned stack
    /// keeps it, so a warm stack does not grow again. A stack whose array holds more than
    /// 16,777,216 (2²⁴) values drops the array when it is returned; the next rental starts small again.
    /// Values are not cleared on return (<typeparamref name="T"/> holds no references).
    /// </para>
    /// <para>
    /// <b>Misuse.</b> <see cref="Push"/>, <see cref="Pop"/> and <see cref="Return"/> on a stack that has been
    /// returned throw <see cref="InvalidOperationException"/>, and <see cref="Count"/> reads 0; the pool is
    /// left intact. The pool cannot tell a stale reference from the stack's next owner, though: keeping a
    /// stack after returning it, and using it after it has been rented again, corrupts the new owner's data.
    /// </para>
    /// </remarks>
    /// <typeparam name="T">The element type: <see cref="double"/>, <see cref="float"/>, <see cref="int"/>, <see cref="bool"/> or any other unmanaged type.</typeparam>
    public sealed class ValueStack<T> where T : unmanaged
    {
        private const int DefaultCapacity = 16;
        private const int MaxPooledCapacity = 1 << 24;
        private const int ThreadCacheSize = 8;

        /// <summary>The array a returned stack exposes to <see cref="Push"/> and <see cref="Pop"/>: empty, so both take their slow path and throw.</summary>
        private static readonly T[] s_returned = new T[0];

        private static readonly object s_sharedLock = new object();
        private static readonly int s_sharedMax = 4 * Math.Max(1, Environment.ProcessorCount);
        private static ValueStack<T>? s_sharedHead;
        private static int s_sharedCount;

        [ThreadStatic] private static ValueStack<T>? t_head;
        [ThreadStatic] private static int t_count;

        private T[] _items;
        private int _count;
        /// <summary>While pooled: the kept array (<see cref="_items"/> is <see cref="s_returned"/>). While rented: null.</summary>
        private T[]? _pooledItems;
        /// <summary>The next stack in the thread's list or the shared pool.</summary>
        private ValueStack<T>? _next;

        private ValueStack()
        {
            _items = s_returned;
            _pooledItems = Array.Empty<T>();
        }

        /// <summary>
        /// Rents an empty stack from the pool (or creates one) whose capacity is at least
        /// <paramref name="capacityHint"/>, so a loop with a known trip count grows it at most once.
        /// Give it back with <see cref="Return"/>, in a <c>finally</c>.
        /// </summary>
        /// <param name="capacityHint">The number of values the caller expects to push; 0 when unknown.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacityHint"/> is negative.</exception>
        public static ValueStack<T> Rent(int capacityHint = 0)
        {
            if (capacityHint < 0) ThrowNegativeCapacityHint(capacityHint);
            ValueStack<T>? stack = t_head;
            if (stack is not null)
            {
                t_head = stack._next;
                t_count--;
                stack._next = null;
            }
            else
            {
                stack = RentShared() ?? new ValueStack<T>();
            }
            T[] items = stack._pooledItems!;
            stack._pooledItems = null;
            stack._items = items;
            if (items.Length < capacityHint) stack.Grow(capacityHint);
            return stack;
        }

        /// <summary>The number of values on the stack; 0 once the stack has been returned.</summary>
        public int Count => _count;

        /// <summary>Pushes <paramref name="value"/>; doubles the backing array when it is full.</summary>
        /// <exception cref="InvalidOperationException">The stack has been returned to the pool.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Push(T value)
        {
            T[] items = _items;
            int count = _count;
            if ((uint)count < (uint)items.Length)
            {
                items[count] = value;
                _count = count + 1;
            }
            else
            {
                PushWithGrowth(value);
            }
        }

        /// <summary>Removes and returns the value pushed last.</summary>
        /// <exception cref="InvalidOperationException">The stack is empty, or has been returned to the pool.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public T Pop()
        {
            T[] items = _items;
            int index = unchecked(_count - 1);
            // One unsigned compare: an empty stack gives index -1, which is above any length. It also proves
            // the index in range, so the JIT drops the array's own bounds check.
            if ((uint)index < (uint)items.Length)
            {
                _count = index;
                return items[index];
            }
            return ThrowPopFailed();
        }

        /// <summary>
        /// Empties the stack and gives it back to the pool; it keeps its array unless the array holds more than
        /// 2²⁴ values. Call it exactly once per <see cref="Rent"/> and drop the reference afterwards.
        /// </summary>
        /// <exception cref="InvalidOperationException">
        /// The stack has already been returned. The second call changes nothing: the pool is not corrupted.
        /// </exception>
        public void Return()
        {
            T[] items = _items;
            if (ReferenceEquals(items, s_returned)) ThrowReturned();
            _count = 0;
            _pooledItems = items.Length > MaxPooledCapacity ? Array.Empty<T>() : items;
            _items = s_returned;

            ValueStack<T>? head = t_head;
            if (t_count < ThreadCacheSize)
            {
                _next = head;
                t_head = this;
                t_count++;
            }
            else
            {
                // The thread's list is full: this stack (the most recently used) stays, the previous head moves to the shared pool.
                _next = head!._next;
                t_head = this;
                head._next = null;
                ReturnShared(head);
            }
        }

        /// <summary>
        /// Pushes <paramref name="count"/> slots at once and returns them, for a loop whose trip count is known
        /// before it starts: iteration <c>j</c> writes its values at <c>j * perIteration</c>, with no field
        /// update per value. The span stays valid until the next <see cref="Push"/> or <see cref="PushSpan"/>,
        /// which may move the storage; generated code pushes nothing else on this stack while it fills it.
        /// </summary>
        /// <param name="count">The number of slots; zero gives an empty span.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
        /// <exception cref="InvalidOperationException">The stack has been returned.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<T> PushSpan(int count)
        {
            if (count < 0) ThrowNegativeCount(count);
            if (ReferenceEquals(_items, s_returned)) ThrowReturned();
            int start = _count;
            if ((long)start + count > _items.Length) Grow((int)Math.Min((long)start + count, Array.MaxLength));
            _count = start + count;
            return new Span<T>(_items, start, count);
        }

        /// <summary>
        /// Pops the top <paramref name="count"/> values at once and returns them in push order (the first pushed
        /// at index 0). The span reads the stack's storage: it stays valid until the next push.
        /// </summary>
        /// <param name="count">The number of values.</param>
        /// <exception cref="InvalidOperationException">Fewer than <paramref name="count"/> values are on the stack, or it has been returned.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ReadOnlySpan<T> PopSpan(int count)
        {
            if (ReferenceEquals(_items, s_returned)) ThrowReturned();
            if ((uint)count > (uint)_count) ThrowPopSpanFailed(count);
            _count -= count;
            return new ReadOnlySpan<T>(_items, _count, count);
        }

        /// <summary>
        /// Puts the stack back at a height it had, so the values popped since are on it again (a pop leaves them in the
        /// storage): for a reverse sweep that runs more than once on one forward sweep (<c>{M}Jacobian</c>, one reverse
        /// sweep per row). Valid when nothing was pushed since the stack was last at <paramref name="count"/>.
        /// </summary>
        /// <param name="count">The height: at least 0, at most the storage's length.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or above the storage's length.</exception>
        /// <exception cref="InvalidOperationException">The stack has been returned.</exception>
        public void Rewind(int count)
        {
            if (ReferenceEquals(_items, s_returned)) ThrowReturned();
            if ((uint)count > (uint)_items.Length) ThrowRewindOutOfRange(count);
            _count = count;
        }

        [DoesNotReturn]
        private void ThrowRewindOutOfRange(int count)
            => throw new ArgumentOutOfRangeException(nameof(count), count, "The height must be between 0 and the stack's storage length, " + _items.Length + ".");

        [DoesNotReturn]
        private static void ThrowNegativeCount(int count)
            => throw new ArgumentOutOfRangeException(nameof(count), count, "The count must not be negative.");

        [DoesNotReturn]
        private void ThrowPopSpanFailed(int count)
            => throw new InvalidOperationException("Cannot pop " + count + " values from a ValueStack holding " + _count + ".");

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void PushWithGrowth(T value)
        {
            if (ReferenceEquals(_items, s_returned)) ThrowReturned();
            Grow(_count + 1);
            _items[_count] = value;
            _count++;
        }

        /// <summary>Replaces the array by one of at least <paramref name="minimum"/> values (at least twice the old length), keeping the contents.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Grow(int minimum)
        {
            T[] old = _items;
            long doubled = Math.Max(2L * old.Length, DefaultCapacity);
            int capacity = (int)Math.Min(doubled, Array.MaxLength);
            if (capacity < minimum) capacity = minimum;
            T[] items = GC.AllocateUninitializedArray<T>(capacity);
            old.AsSpan(0, _count).CopyTo(items);
            _items = items;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static ValueStack<T>? RentShared()
        {
            lock (s_sharedLock)
            {
                ValueStack<T>? stack = s_sharedHead;
                if (stack is null) return null;
                s_sharedHead = stack._next;
                s_sharedCount--;
                stack._next = null;
                return stack;
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void ReturnShared(ValueStack<T> stack)
        {
            lock (s_sharedLock)
            {
                if (s_sharedCount >= s_sharedMax) return; // left to the garbage collector
                stack._next = s_sharedHead;
                s_sharedHead = stack;
                s_sharedCount++;
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private T ThrowPopFailed()
        {
            if (ReferenceEquals(_items, s_returned)) ThrowReturned();
            throw new InvalidOperationException("Pop on an empty ValueStack: the reverse sweep popped more values than the primal sweep pushed.");
        }

        [DoesNotReturn]
        private static void ThrowReturned()
            => throw new InvalidOperationException("This ValueStack has been returned to the pool; rent a new one.");

        [DoesNotReturn]
        private static void ThrowNegativeCapacityHint(int capacityHint)
            => throw new ArgumentOutOfRangeException(nameof(capacityHint), capacityHint, "The capacity hint must not be negative.");
    }
}
