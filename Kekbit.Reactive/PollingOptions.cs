using System.Reactive.Concurrency;
using Kekbit.Core;
using Kekbit.Core.Waiting;

namespace Kekbit.Reactive;

/// <summary>How a reactive source polls its reader. Immutable; one instance may serve many sources.</summary>
public sealed record PollingOptions
{
    /// <summary>
    /// The defaults: the reader's default idle strategy (<see cref="ReaderPoller.CreateDefaultIdleStrategy"/>: a sleep on the
    /// channel's doorbell when it has one, otherwise backoff), batches of <see cref="ReaderPoller.DefaultBatchSize"/>, a
    /// dedicated thread, the system clock.
    /// </summary>
    public static PollingOptions Default { get; } = new();

    /// <summary>
    /// Creates the idle strategy of each poller (each subscription or enumeration gets its own, since
    /// strategies keep state). When null, the reader's default (<see cref="ReaderPoller.CreateDefaultIdleStrategy"/>):
    /// a <see cref="DoorbellIdleStrategy"/> when the reader can sleep on the channel's doorbell, so an idle reader costs
    /// next to nothing and wakes within microseconds of a record, otherwise a <see cref="BackoffIdleStrategy"/>.
    /// Validation calls it once, so a strategy with invalid settings (a park period longer than
    /// <see cref="int.MaxValue"/> milliseconds, say) is refused when the source is created, not when it polls.
    /// </summary>
    public Func<IIdleStrategy>? IdleStrategy { get; init; }

    /// <summary>
    /// The most records delivered per wake-up before the poller checks whether it should stop; positive.
    /// Larger batches cost less per record, smaller ones stop sooner.
    /// </summary>
    public int BatchSize { get; init; } = ReaderPoller.DefaultBatchSize;

    /// <summary>
    /// Where an observable polls. Null (the default): a dedicated background thread per subscription.
    /// A scheduler with long-running support (<see cref="NewThreadScheduler"/>, <see cref="TaskPoolScheduler"/>,
    /// an <see cref="EventLoopScheduler"/>) runs the polling loop on it; any other scheduler (for example a
    /// <see cref="HistoricalScheduler"/> in tests) runs one batch per scheduled action and waits for the idle
    /// strategy's park periods (at least one tick) through the scheduler's own timer, holding no thread in between
    /// (such a scheduler cannot sleep on a doorbell: past its spins, the default strategy polls every millisecond).
    /// Ignored by asynchronous enumeration.
    /// </summary>
    public IScheduler? Scheduler { get; init; }

    /// <summary>
    /// The clock for timeouts (<see cref="KekbitObservable.FromChannel"/> wraps its readers in a
    /// <see cref="TimeoutReader"/> on it) and for timer waits of asynchronous pollers. Tests pass a fake one.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// For <see cref="KekbitObservable.FromChannel"/>: the data-area position each subscription starts from,
    /// a record boundary (<see cref="Record.Position"/> replays that record, <see cref="Record.NextPosition"/>
    /// resumes after it). Default 0: the first record.
    /// </summary>
    public long StartPosition { get; init; }

    /// <summary>
    /// For <see cref="KekbitObservable.FromChannel"/>: whether a subscription fails with
    /// <see cref="ChannelTimeoutException"/> once no record arrived for longer than the channel's timeout.
    /// Default true.
    /// </summary>
    public bool DetectTimeout { get; init; } = true;

    /// <summary>
    /// For <see cref="KekbitObservable.FromChannel"/>: how long a subscription waits for the channel to be
    /// created before it fails; <see cref="Timeout.InfiniteTimeSpan"/> waits until it exists (disposing the
    /// subscription stops the wait). Default zero: the channel must exist when subscribing.
    /// </summary>
    public TimeSpan OpenTimeout { get; init; }

    /// <summary>Creates the idle strategy for one poller of <paramref name="reader"/>.</summary>
    internal IIdleStrategy CreateIdleStrategy(IReader reader) => IdleStrategy?.Invoke() ?? ReaderPoller.CreateDefaultIdleStrategy(reader);

    /// <summary>Throws for invalid settings.</summary>
    internal PollingOptions Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(StartPosition, nameof(StartPosition));
        if (OpenTimeout < TimeSpan.Zero && OpenTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(OpenTimeout), OpenTimeout, "The open timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
        }
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        // Built-in strategies validate their periods when constructed: a probe surfaces that here.
        _ = IdleStrategy?.Invoke();
        return this;
    }
}
