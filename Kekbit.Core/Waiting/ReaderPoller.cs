using System.Runtime.CompilerServices;

namespace Kekbit.Core.Waiting;

/// <summary>
/// The one polling loop of the library: try to read; if nothing is there, wait with the idle strategy; blocking
/// (<see cref="Read"/>, <see cref="Poll{TState}(ReadHandler{TState}, TState, CancellationToken)"/>) or holding no thread
/// (<see cref="ReadAsync"/>, <see cref="IdleAsync"/>). The reactive sources, the channel adapter and <c>kekbit tail -f</c>
/// all read through it. By default it waits on the channel's doorbell when the reader can
/// (<see cref="CreateDefaultIdleStrategy"/>). Allocates nothing per record. Not thread-safe, like the reader it polls.
/// </summary>
public sealed class ReaderPoller
{
    /// <summary>The default batch size: 256 records per wake-up.</summary>
    public const int DefaultBatchSize = 256;

    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a poller over <paramref name="reader"/>, which stays owned by the caller.</summary>
    /// <param name="reader">The reader to poll.</param>
    /// <param name="idleStrategy">What to do when a poll finds nothing; <see cref="CreateDefaultIdleStrategy"/> of the reader when null.</param>
    /// <param name="batchSize">The most records one poll delivers; positive.</param>
    /// <param name="timeProvider">The clock of timer waits in <see cref="ReadAsync"/> and <see cref="IdleAsync"/>; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public ReaderPoller(IReader reader, IIdleStrategy? idleStrategy = null, int batchSize = DefaultBatchSize, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Reader = reader;
        IdleStrategy = idleStrategy ?? CreateDefaultIdleStrategy(reader);
        BatchSize = batchSize;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The reader polled.</summary>
    public IReader Reader { get; }

    /// <summary>The strategy applied when a poll finds nothing.</summary>
    public IIdleStrategy IdleStrategy { get; }

    /// <summary>The most records one poll delivers.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// Whether no record will ever come: the channel was closed, timed out or failed
    /// (<see cref="IReader.ExhaustedBy"/> says which).
    /// </summary>
    public bool IsExhausted => Reader.ExhaustedBy is not null;

    /// <summary>
    /// The strategy a poller of <paramref name="reader"/> uses unless told otherwise: a <see cref="DoorbellIdleStrategy"/>
    /// when the reader can wait for data (<see cref="IWaitableReader"/>) on a doorbell, so that an idle reader sleeps until
    /// the writer publishes; otherwise (a plain <see cref="IReader"/>, a channel without a doorbell) a
    /// <see cref="BackoffIdleStrategy"/> with its defaults.
    /// </summary>
    /// <param name="reader">The reader to poll.</param>
    /// <returns>A new strategy, for one poller.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is null.</exception>
    public static IIdleStrategy CreateDefaultIdleStrategy(IReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader is IWaitableReader waitable && HasDoorbell(reader)
            ? new DoorbellIdleStrategy(waitable)
            : new BackoffIdleStrategy();
    }

    /// <summary>
    /// Delivers the records available now, up to <see cref="BatchSize"/>, to <paramref name="handler"/>, in order; if
    /// there were none and the reader is not exhausted, idles with <see cref="IdleStrategy"/> (which may block); if there
    /// were some, resets the strategy.
    /// </summary>
    /// <typeparam name="TState">What the handler works on.</typeparam>
    /// <param name="handler">Receives each record; cache it (a static lambda) to avoid allocating.</param>
    /// <param name="state">Passed to <paramref name="handler"/>.</param>
    /// <returns>How many records were delivered.</returns>
    public int Poll<TState>(ReadHandler<TState> handler, TState state) => Poll(handler, state, CancellationToken.None);

    /// <summary>
    /// <see cref="Poll{TState}(ReadHandler{TState}, TState)"/> with an interruptible idle step: a park or sleep ends as
    /// soon as <paramref name="cancellationToken"/> is cancelled (<see cref="IIdleStrategy.Idle(CancellationToken)"/>).
    /// Cancellation does not throw; the caller's loop sees it.
    /// </summary>
    /// <typeparam name="TState">What the handler works on.</typeparam>
    /// <param name="handler">Receives each record; cache it (a static lambda) to avoid allocating.</param>
    /// <param name="state">Passed to <paramref name="handler"/>.</param>
    /// <param name="cancellationToken">Ends an idle wait early.</param>
    /// <returns>How many records were delivered.</returns>
    public int Poll<TState>(ReadHandler<TState> handler, TState state, CancellationToken cancellationToken)
    {
        return AfterDrain(Drain(handler, state), cancellationToken);
    }

    /// <summary>The idle step of a poll that delivered <paramref name="count"/> records: reset after records, idle after none.</summary>
    private int AfterDrain(int count, CancellationToken cancellationToken)
    {
        if (count > 0)
        {
            IdleStrategy.Reset();
        }
        else if (!IsExhausted)
        {
            IdleStrategy.Idle(cancellationToken);
        }

        return count;
    }

    /// <summary>
    /// Delivers the records available now, up to <see cref="BatchSize"/>, to <paramref name="handler"/>, in order,
    /// without ever waiting or touching the idle strategy.
    /// </summary>
    /// <typeparam name="TState">What the handler works on.</typeparam>
    /// <param name="handler">Receives each record; cache it (a static lambda) to avoid allocating.</param>
    /// <param name="state">Passed to <paramref name="handler"/>.</param>
    /// <returns>How many records were delivered.</returns>
    public int Drain<TState>(ReadHandler<TState> handler, TState state)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var delegated = new DelegateHandler<TState>(handler, state);
        return Reader.ReadBatch(ref delegated, BatchSize);
    }

    /// <summary>
    /// <see cref="Drain{TState}(ReadHandler{TState}, TState)"/> with a struct handler, which the batch read inlines: the
    /// fastest way to consume records (<see cref="IReader.ReadBatch{THandler}"/>, up to <see cref="BatchSize"/> records).
    /// </summary>
    /// <typeparam name="THandler">The handler; a struct.</typeparam>
    /// <param name="handler">Receives each record; passed by reference, so it keeps what it accumulates.</param>
    /// <returns>How many records were delivered.</returns>
    public int Drain<THandler>(ref THandler handler)
        where THandler : IRecordHandler => Reader.ReadBatch(ref handler, BatchSize);

    /// <summary>
    /// <see cref="Poll{TState}(ReadHandler{TState}, TState, CancellationToken)"/> with a struct handler
    /// (<see cref="Drain{THandler}(ref THandler)"/>), then the idle strategy as every poll.
    /// </summary>
    /// <typeparam name="THandler">The handler; a struct.</typeparam>
    /// <param name="handler">Receives each record; passed by reference, so it keeps what it accumulates.</param>
    /// <param name="cancellationToken">Ends an idle wait early.</param>
    /// <returns>How many records were delivered.</returns>
    public int Poll<THandler>(ref THandler handler, CancellationToken cancellationToken = default)
        where THandler : IRecordHandler => AfterDrain(Reader.ReadBatch(ref handler, BatchSize), cancellationToken);

    /// <summary>
    /// Reads the next record, waiting with the idle strategy while there is none: returns a record, or the final
    /// status once the reader is exhausted (<see cref="ReadStatus.Closed"/>, <see cref="ReadStatus.Timeout"/>,
    /// <see cref="ReadStatus.Failed"/>). Blocks the calling thread.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A record or a final status; never <see cref="ReadStatus.Nothing"/>.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ReadResult Read(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryReadSomething(out ReadResult result))
            {
                return result;
            }

            IdleStrategy.Idle(cancellationToken);
        }
    }

    /// <summary>
    /// <see cref="Read"/> holding no thread while it waits: completes synchronously when a record (or the end) is there,
    /// otherwise waits through <see cref="IIdleStrategy.IdleAsync"/> (the doorbell, or a timer of the poller's clock).
    /// Allocates nothing when it completes synchronously, and nothing per wait once warm with the doorbell.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; the task is then cancelled with this token.</param>
    /// <returns>A record or a final status; never <see cref="ReadStatus.Nothing"/>.</returns>
    public ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ReadResult>(cancellationToken);
        }

        return TryReadSomething(out ReadResult result) ? new ValueTask<ReadResult>(result) : ReadAfterIdleAsync(cancellationToken);
    }

    /// <summary>
    /// One asynchronous idle step after a poll that found nothing: <see cref="IIdleStrategy.IdleAsync"/> on the poller's
    /// clock. For loops that read through other means (a channel adapter) but wait like every poller.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait: the task is then cancelled with this token.</param>
    public ValueTask IdleAsync(CancellationToken cancellationToken = default) => IdleStrategy.IdleAsync(_timeProvider, cancellationToken);

    /// <summary>
    /// One idle step for a caller that cannot block or await (a scheduler): spins and yields happen inside, and the
    /// period to wait before polling again is returned, capped at <see cref="int.MaxValue"/> milliseconds (the most a
    /// timer takes) whatever the strategy says.
    /// </summary>
    /// <returns>Zero to poll again at once, or how long to wait first.</returns>
    public TimeSpan IdleWithoutBlocking() => Parking.Bounded(IdleStrategy.IdleWithoutBlocking());

    /// <summary>Whether a reader sleeps on a doorbell when it waits: a <see cref="ShmReader"/> says so; decorators ask their inner reader.</summary>
    private static bool HasDoorbell(IReader reader) => reader switch
    {
        ShmReader shm => shm.HasDoorbell,
        TimeoutReader timeout => HasDoorbell(timeout.Inner),
        _ => true, // Another waitable reader (a journal's) waits as it can; trust it.
    };

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReadAfterIdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await IdleStrategy.IdleAsync(_timeProvider, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (TryReadSomething(out ReadResult result))
            {
                return result;
            }
        }
    }

    /// <summary>One read: true with a record (the idle strategy starts over) or a final status; false when nothing is there yet.</summary>
    private bool TryReadSomething(out ReadResult result)
    {
        result = Reader.TryRead();
        if (result.IsRecord)
        {
            IdleStrategy.Reset();
        }

        return result.Status != ReadStatus.Nothing;
    }

    /// <summary>A <see cref="ReadHandler{TState}"/> as an <see cref="IRecordHandler"/>, for the one batch read.</summary>
    private readonly struct DelegateHandler<TState>(ReadHandler<TState> handler, TState state) : IRecordHandler
    {
        public bool OnRecord(in ReadResult record)
        {
            handler(state, record);
            return true;
        }
    }
}
