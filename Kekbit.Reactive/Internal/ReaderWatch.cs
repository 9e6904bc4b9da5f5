using Kekbit.Reactive.Idle;

namespace Kekbit.Reactive.Internal;

/// <summary>
/// Polls a <see cref="ReaderChannel"/> on its own while it needs watching (someone waits, or its completion is
/// watched), holding no thread while idle: each round polls once through <see cref="ReaderChannel.Dispatch"/>,
/// then takes one step of the idle strategy; spins and yields run inside the round, a park becomes a timer of the
/// channel's <see cref="TimeProvider"/>. The first round is queued to the thread pool, so a wait never polls on
/// its caller's thread beyond its own first check.
/// </summary>
/// <remarks>
/// Cost: with the default <see cref="BackoffIdleStrategy"/>, a watched idle channel costs one timer wake-up, a
/// thread-pool hop and one poll per park period (at most 1 ms, so up to about a thousand a second), as an idle
/// <c>ReadAllAsync</c> enumeration does, and a few microseconds of spinning and yielding each time a wait starts. The watch stops as soon as nothing needs it, and for good at the end of
/// the channel. Strategies that never park (busy spin, yielding, no-op) keep polling on a pool thread, giving it
/// back to the pool every <see cref="StepsPerRound"/> steps.
/// </remarks>
internal sealed class ReaderWatch : IThreadPoolWorkItem
{
    /// <summary>Idle steps that did not park after which a round requeues itself, so that a strategy that never parks does not keep one pool thread.</summary>
    internal const int StepsPerRound = 64;

    private static readonly TimerCallback OnTimer = static state => ((ReaderWatch)state!).Execute();

    private readonly ReaderChannel _channel;
    private readonly IIdleStrategy _idle;
    private readonly TimeProvider _timeProvider;
    private ITimer? _timer;
    private bool _running;

    public ReaderWatch(ReaderChannel channel, IIdleStrategy idle, TimeProvider timeProvider)
    {
        _channel = channel;
        _idle = idle;
        _timeProvider = timeProvider;
    }

    /// <summary>Starts watching unless a round is already running or scheduled. Under the channel's lock.</summary>
    public void Start()
    {
        if (_running)
        {
            return;
        }

        _running = true;
        // No round is running (the last one cleared _running under this lock), so the strategy is ours to reset.
        _idle.Reset();
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>One round: polls, completes what it can, then idles until the next round (spinning here, or a timer).</summary>
    public void Execute()
    {
        for (int steps = 0; steps < StepsPerRound; steps++)
        {
            var completions = default(CompletionList);
            bool watching;
            bool ended;
            bool progress;
            lock (_channel.Gate)
            {
                long polled = _channel.RecordsPolled;
                _channel.Dispatch(ref completions);
                progress = _channel.RecordsPolled != polled;
                watching = _channel.NeedsWatching;
                ended = _channel.IsEnded;
                _running = watching;
            }

            completions.CompleteAll();
            if (!watching)
            {
                // Another round may start from here on, unless the channel ended: then no round ever will.
                if (ended)
                {
                    _timer?.Dispose();
                }

                return;
            }

            // Only the running round uses the strategy and the timer, outside the lock: spins and yields must not hold it.
            TimeSpan park;
            try
            {
                if (progress)
                {
                    _idle.Reset();
                }

                park = _idle.IdleWithoutBlocking();
            }
            catch (Exception error)
            {
                // A user strategy threw: the channel can no longer be watched. Fail it rather than the process.
                lock (_channel.Gate)
                {
                    _channel.Fail(error, ref completions);
                    _running = false;
                }

                completions.CompleteAll();
                return;
            }

            if (park > TimeSpan.Zero)
            {
                Schedule(park);
                return;
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    private void Schedule(TimeSpan park)
    {
        if (_timer is null)
        {
            // A timer captures the execution context of its creator: the watch must not carry a caller's async locals.
            bool suppress = !ExecutionContext.IsFlowSuppressed();
            AsyncFlowControl flow = suppress ? ExecutionContext.SuppressFlow() : default;
            try
            {
                _timer = _timeProvider.CreateTimer(OnTimer, this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
            finally
            {
                if (suppress)
                {
                    flow.Undo();
                }
            }
        }

        _timer.Change(park, Timeout.InfiniteTimeSpan);
    }
}
