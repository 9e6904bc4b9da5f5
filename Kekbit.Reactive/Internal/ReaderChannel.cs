using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Core.Waiting;

namespace Kekbit.Reactive.Internal;

/// <summary>
/// A kekbit reader seen as a <see cref="ChannelReader{T}"/>, with the contract of .NET's own channel readers:
/// pending <see cref="WaitToReadAsync"/> and <see cref="ReadAsync"/> calls are pooled single-use value-task sources
/// (<see cref="ReaderOperation{T}"/>), cancellation throws <see cref="OperationCanceledException"/> with the caller's
/// token, continuations never run inside a call of ours, and <see cref="Completion"/> completes on its own once the
/// end of the channel is reached and nothing is left to read.
/// </summary>
/// <remarks>
/// <para>
/// A kekbit read cannot be undone, so a record polled ahead (by <see cref="TryPeek"/>, <see cref="WaitToReadAsync"/>,
/// or the look-ahead after each read that lets <see cref="Completion"/> complete right after the last record) is
/// held until a read takes it. One lock serialises everything that touches the reader, which
/// <see cref="IReader"/> requires and which several consumers of one adapter need.
/// </para>
/// <para>
/// The writer may be another process: a <see cref="ReaderWatch"/> waits for it (on the channel's doorbell by default,
/// through the library's one poll loop, <see cref="ReaderPoller"/>) while someone waits (a pending operation) or, once
/// <see cref="Completion"/> has been requested, until the end is reached. <see cref="Dispatch"/> is the one place
/// that hands records and the end to pending operations.
/// </para>
/// </remarks>
internal sealed class ReaderChannel : ChannelReader<Record>
{
    private readonly IReader _reader;
    private readonly Lock _gate = new();
    private readonly OperationQueue<bool> _waiters;
    private readonly OperationQueue<Record> _readers;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ReaderWatch _watch;
    private Record _held;
    private bool _holding;
    private bool _ended;
    private Exception? _error;
    private bool _completionRequested;

    public ReaderChannel(IReader reader, PollingOptions options)
    {
        _reader = reader;
        _waiters = new OperationQueue<bool>(_gate);
        _readers = new OperationQueue<Record>(_gate);
        _watch = new ReaderWatch(this, new ReaderPoller(reader, options.CreateIdleStrategy(reader), options.BatchSize, options.TimeProvider));
    }

    /// <summary>
    /// Completes once the channel's end has been reached and every record before it was read; faults with
    /// <see cref="ChannelTimeoutException"/>, <see cref="ChannelCorruptedException"/> or whatever the reader threw
    /// (<see cref="ObjectDisposedException"/> once it is disposed). The first request polls once and starts watching.
    /// </summary>
    public override Task Completion
    {
        get
        {
            if (!Volatile.Read(ref _completionRequested))
            {
                var completions = default(CompletionList);
                lock (_gate)
                {
                    if (!_completionRequested)
                    {
                        _completionRequested = true;
                        Dispatch(ref completions);
                        WatchIfNeeded();
                    }
                }

                completions.CompleteAll();
            }

            return _completion.Task;
        }
    }

    public override bool CanPeek => true;

    public override bool TryRead(out Record item)
    {
        var completions = default(CompletionList);
        bool found;
        item = default;
        lock (_gate)
        {
            // Pending reads come first, in arrival order, as they would have been served already in .NET's channels.
            found = Dispatch(ref completions) && TryTake(out item);
            if (found)
            {
                // Look ahead: completes the channel right after its last record, and serves waiters that a record
                // this call took from under them left pending.
                Dispatch(ref completions);
                WatchIfNeeded();
            }
        }

        completions.CompleteAll();
        return found;
    }

    public override bool TryPeek(out Record item)
    {
        var completions = default(CompletionList);
        bool found;
        lock (_gate)
        {
            found = Dispatch(ref completions);
            item = found ? _held : default;
        }

        completions.CompleteAll();
        return found;
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        ReaderOperation<bool>? registering = null;
        ValueTask<bool> task;
        var completions = default(CompletionList);
        lock (_gate)
        {
            if (Dispatch(ref completions))
            {
                task = new ValueTask<bool>(true);
            }
            else if (_ended)
            {
                task = _error is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_error);
            }
            else
            {
                registering = Park(_waiters, cancellationToken, out task);
            }
        }

        completions.CompleteAll();
        if (registering is not null)
        {
            RegisterThenLink(_waiters, registering, cancellationToken);
        }

        return task;
    }

    public override ValueTask<Record> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<Record>(cancellationToken);
        }

        ReaderOperation<Record>? registering = null;
        ValueTask<Record> task;
        var completions = default(CompletionList);
        lock (_gate)
        {
            if (Dispatch(ref completions) && TryTake(out Record record))
            {
                Dispatch(ref completions);
                WatchIfNeeded();
                task = new ValueTask<Record>(record);
            }
            else if (_ended)
            {
                task = ValueTask.FromException<Record>(ClosedError());
            }
            else
            {
                registering = Park(_readers, cancellationToken, out task);
            }
        }

        completions.CompleteAll();
        if (registering is not null)
        {
            RegisterThenLink(_readers, registering, cancellationToken);
        }

        return task;
    }

    /// <summary>
    /// Polls if nothing is held, hands held records to pending reads in arrival order, tells pending waiters that a
    /// record is there, and ends everything once the reader is exhausted. True when a record is held afterwards.
    /// Under the lock. A doorbell or the watch calls it to wake waiters.
    /// </summary>
    internal bool Dispatch(ref CompletionList completions)
    {
        while (Fill())
        {
            if (!_readers.TryReserveFirst(out ReaderOperation<Record> read))
            {
                _waiters.ReserveAll(true, null, ref completions);
                return true;
            }

            read.SetResult(_held);
            completions.Add(read);
            _held = default;
            _holding = false;
        }

        if (_ended)
        {
            _readers.ReserveAll(default, ClosedError(), ref completions);
            _waiters.ReserveAll(false, _error, ref completions);
        }

        return false;
    }

    /// <summary>
    /// Dispatches now, from any thread, so that pending operations complete without waiting for the watch's next
    /// round: what anything that learns of a published record (a signal of the caller's) may call. The watch's rounds,
    /// woken by the channel's doorbell, dispatch the same way.
    /// </summary>
    internal void Wake()
    {
        var completions = default(CompletionList);
        lock (_gate)
        {
            Dispatch(ref completions);
            WatchIfNeeded();
        }

        completions.CompleteAll();
    }

    /// <summary>Whether the channel must be polled for something to happen: someone waits, or the completion is watched. Under the lock.</summary>
    internal bool NeedsWatching => !_ended && !_holding && (_completionRequested || !_waiters.IsEmpty || !_readers.IsEmpty);

    /// <summary>How many records the adapter has taken from the reader; the watch resets its idle strategy when it grows. Under the lock.</summary>
    internal long RecordsPolled { get; private set; }

    /// <summary>Whether the end was reached and nothing is left to read: no record, no wait will ever come. Under the lock.</summary>
    internal bool IsEnded => _ended;

    /// <summary>The lock the watch takes to call <see cref="Dispatch"/>.</summary>
    internal Lock Gate => _gate;

    /// <summary>
    /// Ends the channel with <paramref name="error"/> (the idle strategy threw in the watch): faults the completion
    /// and fails everyone waiting. Under the lock.
    /// </summary>
    internal void Fail(Exception error, ref CompletionList completions)
    {
        if (!_ended)
        {
            End(error);
        }

        Dispatch(ref completions);
    }

    /// <summary>
    /// Rents a pending operation; links it and watches at once when <paramref name="cancellationToken"/> cannot be
    /// cancelled, otherwise returns it for <see cref="RegisterThenLink"/>. Under the lock.
    /// </summary>
    private ReaderOperation<T>? Park<T>(OperationQueue<T> queue, CancellationToken cancellationToken, out ValueTask<T> task)
    {
        ReaderOperation<T> operation = queue.Rent(out task);
        if (cancellationToken.CanBeCanceled)
        {
            return operation;
        }

        queue.Link(operation);
        WatchIfNeeded();
        return null;
    }

    /// <summary>
    /// Registers the cancellation of a parked operation outside the lock (the callback may run at once, on this
    /// thread, and takes the lock), then links it unless the cancellation already decided it.
    /// </summary>
    private void RegisterThenLink<T>(OperationQueue<T> queue, ReaderOperation<T> operation, CancellationToken cancellationToken)
    {
        operation.RegisterCancellation(cancellationToken);
        var completions = default(CompletionList);
        lock (_gate)
        {
            if (operation.IsPending)
            {
                queue.Link(operation);
                // The lock was released while registering: a record, or the end, may have been seen meanwhile.
                Dispatch(ref completions);
                WatchIfNeeded();
            }
        }

        completions.CompleteAll();
    }

    private void WatchIfNeeded()
    {
        if (NeedsWatching)
        {
            _watch.Start();
        }
    }

    /// <summary>Takes the held record, polling first if none is held. Under the lock.</summary>
    private bool TryTake(out Record item)
    {
        if (Fill())
        {
            item = _held;
            _held = default;
            _holding = false;
            return true;
        }

        item = default;
        return false;
    }

    /// <summary>Makes sure a record is held if one is available; ends the channel when the reader is exhausted. Under the lock.</summary>
    private bool Fill()
    {
        if (_holding)
        {
            return true;
        }

        if (_ended)
        {
            return false;
        }

        ReadResult result;
        try
        {
            result = _reader.TryRead();
        }
        catch (Exception error)
        {
            // The reader was disposed under the adapter, or failed: nothing more can be read.
            End(error);
            return false;
        }

        if (result.IsRecord)
        {
            RecordsPolled++;
            _held = Record.From(result);
            _holding = true;
            return true;
        }

        if (result.IsFinal)
        {
            End(ChannelReadException.ForEndOf(_reader));
        }

        return false;
    }

    private void End(Exception? error)
    {
        _ended = true;
        _error = error;
        if (error is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(error);
        }
    }

    /// <summary>What <see cref="ReadAsync"/> throws once the channel has ended, as .NET's channels do.</summary>
    private ChannelClosedException ClosedError() => _error is null ? new ChannelClosedException() : new ChannelClosedException(_error);
}
