using System.Runtime.CompilerServices;
using Kekbit.Core.Waiting;

namespace Kekbit.Reactive.Internal;

/// <summary>
/// Polls a <see cref="ReaderChannel"/> on its own while it needs watching (someone waits, or its completion is
/// watched), holding no thread while idle: each round polls once through <see cref="ReaderChannel.Dispatch"/>,
/// then takes one asynchronous idle step of the channel's <see cref="ReaderPoller"/>; spins and yields run inside the
/// round, a sleep on the channel's doorbell or a park (a timer of the channel's <see cref="TimeProvider"/>) completes
/// later and starts the next round. The first round is queued to the thread pool, so a wait never polls on its
/// caller's thread beyond its own first check.
/// </summary>
/// <remarks>
/// Cost: with the default strategy on a channel with a doorbell, a watched idle channel sleeps in the process-wide
/// waiter until the writer publishes (or the strategy's longest sleep passes), and costs a few microseconds of
/// spinning and yielding each time a wait starts. Without a doorbell, the default <see cref="BackoffIdleStrategy"/>
/// costs one timer wake-up, a thread-pool hop and one poll per park period (at most 1 ms). The watch stops as soon as
/// nothing needs it, and for good at the end of the channel. Strategies that never park (busy spin, yielding, no-op)
/// keep polling on a pool thread, giving it back to the pool every <see cref="StepsPerRound"/> steps.
/// </remarks>
internal sealed class ReaderWatch : IThreadPoolWorkItem
{
    /// <summary>Idle steps that did not park after which a round requeues itself, so that a strategy that never parks does not keep one pool thread.</summary>
    internal const int StepsPerRound = 64;

    private readonly ReaderChannel _channel;
    private readonly ReaderPoller _poller;
    private readonly Action _onWaited;
    private ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter _wait;
    private bool _running;

    public ReaderWatch(ReaderChannel channel, ReaderPoller poller)
    {
        _channel = channel;
        _poller = poller;
        _onWaited = OnWaited;
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
        _poller.IdleStrategy.Reset();
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>One round: polls, completes what it can, then idles until the next round (spinning here, or an asynchronous wait).</summary>
    public void Execute()
    {
        for (int steps = 0; steps < StepsPerRound; steps++)
        {
            var completions = default(CompletionList);
            bool watching;
            bool progress;
            lock (_channel.Gate)
            {
                long polled = _channel.RecordsPolled;
                _channel.Dispatch(ref completions);
                progress = _channel.RecordsPolled != polled;
                watching = _channel.NeedsWatching;
                _running = watching;
            }

            completions.CompleteAll();
            if (!watching)
            {
                return; // Another round may start from here on, unless the channel ended: then no round ever will.
            }

            // Only the running round uses the strategy, outside the lock: spins, yields and waits must not hold it.
            try
            {
                if (progress)
                {
                    _poller.IdleStrategy.Reset();
                }

                ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter wait = StartIdle();
                if (!wait.IsCompleted)
                {
                    _wait = wait;
                    // Unsafe: the next round must not run in a caller's execution context.
                    wait.UnsafeOnCompleted(_onWaited);
                    return;
                }

                wait.GetResult();
            }
            catch (Exception error)
            {
                Fail(error);
                return;
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Starts one idle step without capturing the caller's execution context into a timer it may create.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2012", Justification = "The awaiter is consumed exactly once, by Execute or OnWaited.")]
    private ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter StartIdle()
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return _poller.IdleAsync().ConfigureAwait(false).GetAwaiter();
        }

        using (ExecutionContext.SuppressFlow())
        {
            return _poller.IdleAsync().ConfigureAwait(false).GetAwaiter();
        }
    }

    /// <summary>An idle wait ended: takes its outcome, then runs the next round on the thread pool (never on the thread that completed the wait, a process-wide waiter's, say).</summary>
    private void OnWaited()
    {
        ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter wait = _wait;
        _wait = default;
        try
        {
            wait.GetResult();
        }
        catch (Exception error)
        {
            Fail(error);
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>A user strategy threw, or the reader was disposed under the wait: the channel can no longer be watched. Fails it rather than the process.</summary>
    private void Fail(Exception error)
    {
        var completions = default(CompletionList);
        lock (_channel.Gate)
        {
            _channel.Fail(error, ref completions);
            _running = false;
        }

        completions.CompleteAll();
    }
}
