using System.Threading.Tasks.Sources;

namespace Kekbit.Reactive.Internal;

/// <summary>
/// A pending asynchronous read of a <see cref="ReaderChannel"/> (a <c>WaitToReadAsync</c> or a <c>ReadAsync</c>),
/// the part that does not depend on the result type. An operation is rented from its queue's pool, completed
/// exactly once (by whoever wins <see cref="TryReserve"/>: the channel, which found a record or the end, or the
/// cancellation callback) and returned to the pool when its awaiter takes the result.
/// </summary>
/// <remarks>
/// Completion never runs a continuation on the completing thread: <see cref="Complete"/> queues the operation to
/// the thread pool as an <see cref="IThreadPoolWorkItem"/> (no allocation), and the continuation runs there.
/// A doorbell (a futex, a signal) completes waiters the same way the polling watch does: it asks the channel to
/// dispatch, and the channel reserves and completes the operations.
/// </remarks>
internal abstract class ReaderOperation : IThreadPoolWorkItem
{
    /// <summary>In the pool (or being rented): not awaitable.</summary>
    protected const int Idle = 0;

    /// <summary>Handed out and not yet decided.</summary>
    protected const int Pending = 1;

    /// <summary>Decided (result or error set) by the winner of <see cref="TryReserve"/>; completed or about to be.</summary>
    protected const int Reserved = 2;

    private static readonly Action<object?, CancellationToken> CancelCallback = static (state, token) => ((ReaderOperation)state!).OnCanceled(token);

    private int _state;
    private CancellationTokenRegistration _registration;

    /// <summary>The error the operation completes with; null for a result.</summary>
    protected Exception? Error { get; set; }

    /// <summary>The next operation to complete once the channel's lock is released.</summary>
    internal ReaderOperation? NextToComplete { get; set; }

    /// <summary>Whether the operation is still undecided.</summary>
    internal bool IsPending => Volatile.Read(ref _state) == Pending;

    /// <summary>Makes a rented operation pending. Under the channel's lock, before anyone else can see it.</summary>
    protected void Start() => Volatile.Write(ref _state, Pending);

    /// <summary>
    /// Registers <paramref name="cancellationToken"/>. Called once, after <see cref="Start"/> and before the operation is
    /// linked into its queue, outside the channel's lock: the callback may run at once, on this thread.
    /// </summary>
    internal void RegisterCancellation(CancellationToken cancellationToken) =>
        _registration = cancellationToken.UnsafeRegister(CancelCallback, this);

    /// <summary>Takes the right to decide the outcome; true for exactly one caller per rental.</summary>
    internal bool TryReserve() => Interlocked.CompareExchange(ref _state, Reserved, Pending) == Pending;

    /// <summary>Decides a reserved operation's error (set before <see cref="Complete"/>).</summary>
    internal void SetError(Exception error) => Error = error;

    /// <summary>
    /// Completes a reserved operation, outside the channel's lock: waits for a cancellation callback that lost the
    /// race to return (it touches nothing then), then queues the continuation to the thread pool.
    /// </summary>
    internal void Complete()
    {
        _registration.Dispose();
        _registration = default;
        Queue();
    }

    /// <summary>Runs on the thread pool: publishes the outcome, which runs the continuation here.</summary>
    public abstract void Execute();

    /// <summary>Removes the operation from its queue, if it is there. Takes the channel's lock.</summary>
    protected abstract void Unlink();

    /// <summary>
    /// Returns to <see cref="Idle"/> from <see cref="Reserved"/> and forgets the outcome's error and the spent
    /// registration; true for the one caller allowed to recycle.
    /// </summary>
    protected bool TryRelease()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Reserved) != Reserved)
        {
            return false;
        }

        Error = null;
        _registration = default;
        return true;
    }

    private void OnCanceled(CancellationToken cancellationToken)
    {
        if (!TryReserve())
        {
            return; // The channel decided first; it is waiting for this callback to return, in Complete.
        }

        Unlink();
        Error = new OperationCanceledException(cancellationToken);
        // The registration is spent, and may not even be stored yet when the callback runs inside the registration:
        // leave it alone (it is forgotten when the operation is recycled).
        Queue();
    }

    /// <summary>Queues the continuation of a decided operation to the thread pool, where <see cref="Execute"/> publishes it.</summary>
    private void Queue() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
}

/// <summary>A pending read with a result of type <typeparamref name="T"/>: pooled, single-use per rental, awaitable once.</summary>
/// <typeparam name="T"><see cref="bool"/> for <c>WaitToReadAsync</c>, <see cref="Record"/> for <c>ReadAsync</c>.</typeparam>
internal sealed class ReaderOperation<T> : ReaderOperation, IValueTaskSource<T>
{
    private readonly OperationQueue<T> _queue;

    // Mutable struct: never readonly. Continuations run where Execute runs (a pool thread) or in the context the
    // awaiter captured; the core never needs to queue them itself.
    private ManualResetValueTaskSourceCore<T> _core;
    private T _result = default!;

    public ReaderOperation(OperationQueue<T> queue)
    {
        _queue = queue;
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>Neighbours in the queue of pending operations, or the next free operation in the pool. Under the channel's lock.</summary>
    internal ReaderOperation<T>? Previous { get; set; }

    /// <inheritdoc cref="Previous"/>
    internal ReaderOperation<T>? Next { get; set; }

    /// <summary>Whether the operation is in its queue of pending operations. Under the channel's lock.</summary>
    internal bool IsLinked { get; set; }

    /// <summary>Makes the operation pending and returns the value task its caller awaits. Under the channel's lock.</summary>
    internal ValueTask<T> Rent()
    {
        Start();
        return new ValueTask<T>(this, _core.Version);
    }

    /// <summary>Decides a reserved operation's result (set before <see cref="ReaderOperation.Complete"/>).</summary>
    internal void SetResult(T result) => _result = result;

    /// <inheritdoc/>
    public override void Execute()
    {
        if (Error is Exception error)
        {
            _core.SetException(error);
        }
        else
        {
            _core.SetResult(_result);
        }
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>
    /// The outcome; throws <see cref="InvalidOperationException"/> before completion or for a value task already
    /// consumed (the token is stale once the operation is recycled).
    /// </summary>
    public T GetResult(short token)
    {
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            throw new InvalidOperationException("The operation has not completed yet: await the ValueTask instead of reading its result.");
        }

        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    /// <inheritdoc/>
    protected override void Unlink() => _queue.Unlink(this);

    private void Recycle()
    {
        if (!TryRelease())
        {
            return; // A concurrent GetResult (a misuse) already recycled it.
        }

        _result = default!; // A record points into the mapping: keep no reference in the pool.
        _core.Reset();
        _queue.Return(this);
    }
}
