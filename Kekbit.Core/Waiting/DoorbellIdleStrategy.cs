using System.Runtime.CompilerServices;

namespace Kekbit.Core.Waiting;

/// <summary>
/// The default strategy of a reader that can wait (<see cref="IWaitableReader"/>, such as a <see cref="ShmReader"/> of a
/// channel with a doorbell): after a poll that found nothing it spins (<see cref="MaxSpins"/> steps), yields
/// (<see cref="MaxYields"/> steps), then sleeps until the writer publishes (<see cref="IWaitableReader.WaitForData"/>, or
/// <see cref="IWaitableReader.WaitForDataAsync"/> holding no thread), for at most <see cref="MaxSleep"/> a time. Records
/// that follow each other closely are caught while spinning; an idle reader sleeps in the kernel and wakes within
/// microseconds of the next record, across processes.
/// </summary>
/// <remarks>
/// A sleep ends early when the token given to <see cref="Idle(CancellationToken)"/> is cancelled. A caller that can
/// neither block nor await the reader (a scheduler's timer, <see cref="IdleWithoutBlocking"/>) gets a
/// <see cref="PollPeriod"/> to wait before polling again instead. Dead-writer detection is the reader's:
/// a <see cref="TimeoutReader"/> ends its waits when its timeout passes.
/// </remarks>
public sealed class DoorbellIdleStrategy : IIdleStrategy
{
    /// <summary>The default number of spinning steps: 10.</summary>
    public const int DefaultMaxSpins = BackoffIdleStrategy.DefaultMaxSpins;

    /// <summary>The default number of yielding steps: 5.</summary>
    public const int DefaultMaxYields = BackoffIdleStrategy.DefaultMaxYields;

    /// <summary>
    /// The default longest single wait on the reader: 10 s. A wait ends as soon as the writer publishes, the channel ends,
    /// the token is cancelled or the reader is disposed, so its length only decides how often an idle loop wakes for
    /// nothing: a thousand idle loops at 1 s cost about 2 % of a core in wake-ups alone. Lost wake-ups are bounded by the
    /// reader (its own sleeps are shorter); a dead writer is detected by a <see cref="TimeoutReader"/>, whose waits end
    /// when its timeout passes.
    /// </summary>
    public static readonly TimeSpan DefaultMaxSleep = TimeSpan.FromSeconds(10);

    /// <summary>What <see cref="IdleWithoutBlocking"/> returns once spinning and yielding are over: 1 ms, as the longest park of <see cref="BackoffIdleStrategy"/>.</summary>
    public static readonly TimeSpan PollPeriod = BackoffIdleStrategy.DefaultMaxParkPeriod;

    private Backoff _backoff;

    /// <summary>Creates the strategy for <paramref name="reader"/>; every other argument left out takes its default.</summary>
    /// <param name="reader">The reader whose waits the strategy uses; the one its poller reads.</param>
    /// <param name="maxSpins">Spinning steps before yielding; zero or more.</param>
    /// <param name="maxYields">Yielding steps before sleeping; zero or more.</param>
    /// <param name="maxSleep">The longest single wait on the reader; positive, at most <see cref="int.MaxValue"/> milliseconds (<see cref="DefaultMaxSleep"/> when null).</param>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, or <paramref name="maxSleep"/> is not positive or too long.</exception>
    public DoorbellIdleStrategy(IWaitableReader reader, int maxSpins = DefaultMaxSpins, int maxYields = DefaultMaxYields, TimeSpan? maxSleep = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSpins);
        ArgumentOutOfRangeException.ThrowIfNegative(maxYields);
        MaxSleep = maxSleep ?? DefaultMaxSleep;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxSleep, TimeSpan.Zero, nameof(maxSleep));
        Parking.ThrowIfTooLong(MaxSleep, nameof(maxSleep));
        Reader = reader;
        MaxSpins = maxSpins;
        MaxYields = maxYields;
        _backoff = new Backoff(maxSpins, maxYields, PollPeriod, PollPeriod);
    }

    /// <summary>The reader whose waits the strategy uses.</summary>
    public IWaitableReader Reader { get; }

    /// <summary>Spinning steps before yielding.</summary>
    public int MaxSpins { get; }

    /// <summary>Yielding steps before sleeping.</summary>
    public int MaxYields { get; }

    /// <summary>The longest single wait on the reader.</summary>
    public TimeSpan MaxSleep { get; }

    /// <summary>What the next idle step does: <see cref="BackoffPhase.Parking"/> means a sleep on the reader.</summary>
    public BackoffPhase Phase => _backoff.Phase;

    /// <inheritdoc/>
    public void Idle() => Idle(CancellationToken.None);

    /// <summary>
    /// Spins or yields, or sleeps on the reader until it has something to read, <see cref="MaxSleep"/> passes or
    /// <paramref name="cancellationToken"/> is cancelled; returns normally in each case.
    /// </summary>
    /// <param name="cancellationToken">Ends a sleep early.</param>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    public void Idle(CancellationToken cancellationToken)
    {
        if (_backoff.Step() == TimeSpan.Zero)
        {
            return;
        }

        try
        {
            Reader.WaitForData(MaxSleep, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The contract of Idle(CancellationToken): cancellation ends the wait, the caller's loop sees it.
        }
    }

    /// <summary>Spins or yields and returns zero; past those steps returns <see cref="PollPeriod"/>, since no sleep on the reader is possible here.</summary>
    public TimeSpan IdleWithoutBlocking() => _backoff.Step();

    /// <summary>
    /// Spins or yields and completes at once; past those steps waits on the reader, holding no thread, until it has
    /// something to read or <see cref="MaxSleep"/> passes. <paramref name="timeProvider"/> is not used: the reader keeps time.
    /// </summary>
    /// <param name="timeProvider">Unused.</param>
    /// <param name="cancellationToken">Ends the wait: the task is then cancelled with this token.</param>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    public ValueTask IdleAsync(TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (_backoff.Step() == TimeSpan.Zero)
        {
            return default;
        }

        ValueTask<bool> wait = Reader.WaitForDataAsync(MaxSleep, cancellationToken);
        if (wait.IsCompletedSuccessfully)
        {
            _ = wait.Result; // Consumes it: the task may come from a pool.
            return default;
        }

        return AwaitAsync(wait);
    }

    /// <inheritdoc/>
    public void Reset() => _backoff.Reset();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask AwaitAsync(ValueTask<bool> wait) => await wait.ConfigureAwait(false);
}
