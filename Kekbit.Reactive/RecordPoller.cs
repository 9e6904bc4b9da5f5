using Kekbit.Core;
using Kekbit.Reactive.Idle;

namespace Kekbit.Reactive;

/// <summary>
/// Drains a reader in batches: each poll delivers every record available now, up to <see cref="BatchSize"/>,
/// and applies the idle strategy only when it found none. The building block of the reactive sources, for
/// callers that run their own loop. Allocates nothing. Not thread-safe, like the reader it polls.
/// </summary>
public sealed class RecordPoller
{
    /// <summary>The default batch size: 256 records per wake-up.</summary>
    public const int DefaultBatchSize = 256;

    /// <summary>Creates a poller over <paramref name="reader"/>, which stays owned by the caller.</summary>
    /// <param name="reader">The reader to drain.</param>
    /// <param name="idleStrategy">What to do when a poll finds nothing; a new <see cref="BackoffIdleStrategy"/> when null.</param>
    /// <param name="batchSize">The most records one poll delivers; positive.</param>
    public RecordPoller(IReader reader, IIdleStrategy? idleStrategy = null, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Reader = reader;
        IdleStrategy = idleStrategy ?? new BackoffIdleStrategy();
        BatchSize = batchSize;
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
    /// Delivers the records available now, up to <see cref="BatchSize"/>, to <paramref name="handler"/>, in
    /// order; if there were none and the reader is not exhausted, idles with <see cref="IdleStrategy"/>
    /// (which may block briefly); if there were some, resets the strategy.
    /// </summary>
    /// <typeparam name="TState">What the handler works on.</typeparam>
    /// <param name="handler">Receives each record; cache it (a static lambda) to avoid allocating.</param>
    /// <param name="state">Passed to <paramref name="handler"/>.</param>
    /// <returns>How many records were delivered.</returns>
    public int Poll<TState>(RecordHandler<TState> handler, TState state)
    {
        int count = Drain(handler, state);
        if (count > 0)
        {
            IdleStrategy.Reset();
        }
        else if (!IsExhausted)
        {
            IdleStrategy.Idle();
        }

        return count;
    }

    /// <summary>
    /// <see cref="Poll{TState}(RecordHandler{TState}, TState)"/>, with an interruptible idle step: a park ends as
    /// soon as <paramref name="cancellationToken"/> is cancelled, whatever its length
    /// (<see cref="IIdleStrategy.Idle(CancellationToken)"/>). Cancellation does not throw; the caller's loop sees it.
    /// </summary>
    /// <typeparam name="TState">What the handler works on.</typeparam>
    /// <param name="handler">Receives each record; cache it (a static lambda) to avoid allocating.</param>
    /// <param name="state">Passed to <paramref name="handler"/>.</param>
    /// <param name="cancellationToken">Ends an idle park early.</param>
    /// <returns>How many records were delivered.</returns>
    public int Poll<TState>(RecordHandler<TState> handler, TState state, CancellationToken cancellationToken)
    {
        int count = Drain(handler, state);
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
    /// Delivers the records available now, up to <see cref="BatchSize"/>, to <paramref name="handler"/>, in
    /// order, without ever waiting or touching the idle strategy.
    /// </summary>
    /// <typeparam name="TState">What the handler works on.</typeparam>
    /// <param name="handler">Receives each record; cache it (a static lambda) to avoid allocating.</param>
    /// <param name="state">Passed to <paramref name="handler"/>.</param>
    /// <returns>How many records were delivered.</returns>
    public int Drain<TState>(RecordHandler<TState> handler, TState state)
    {
        ArgumentNullException.ThrowIfNull(handler);
        int count = 0;
        while (count < BatchSize)
        {
            ReadResult result = Reader.TryRead();
            if (!result.IsRecord)
            {
                break;
            }

            count++;
            handler(state, Record.From(result));
        }

        return count;
    }
}
