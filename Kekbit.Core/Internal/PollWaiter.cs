using System.Diagnostics;

namespace Kekbit.Core.Internal;

/// <summary>
/// The process-wide waiter of <see cref="ShmReader.WaitForDataAsync"/> where there is no doorbell to sleep on (a channel
/// without one, a platform without futexes or futex_waitv): one timer looks at every pending wait each
/// <see cref="ShmReader.PollInterval"/> or so, holding no thread between looks. It runs only while a wait is pending, and
/// a look is a load per channel, so a thousand polled waits cost one timer tick, not a thousand.
/// </summary>
internal static class PollWaiter
{
    private static readonly Lock Gate = new();
    private static readonly Timer Ticker = CreateTicker();

    // Guarded by Gate. Grown, never shrunk: steady-state waits allocate nothing.
    private static ReaderWait?[] s_waits = new ReaderWait?[16];
    private static int s_count;
    private static bool s_armed;

    // The tick's own (ticks never overlap: the timer is re-armed at the end of each).
    private static ReaderWait?[] s_done = new ReaderWait?[16];

    /// <summary>Adds a wait, looked at from the next tick on.</summary>
    public static void Add(ReaderWait wait)
    {
        lock (Gate)
        {
            if (s_count == s_waits.Length)
            {
                Array.Resize(ref s_waits, s_count * 2);
            }

            s_waits[s_count++] = wait;
            if (!s_armed)
            {
                s_armed = true;
                Ticker.Change(ShmReader.PollInterval, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private static Timer CreateTicker()
    {
        // Without the first caller's execution context (its AsyncLocals would flow into every tick).
        using AsyncFlowControl noFlow = ExecutionContext.SuppressFlow();
        return new Timer(static _ => Tick(), null, Timeout.Infinite, Timeout.Infinite);
    }

    private static void Tick()
    {
        long now = Stopwatch.GetTimestamp();
        int done = 0;
        lock (Gate)
        {
            if (s_done.Length < s_waits.Length)
            {
                s_done = new ReaderWait?[s_waits.Length];
            }

            for (int i = s_count - 1; i >= 0; i--)
            {
                ReaderWait wait = s_waits[i]!;
                ReaderWait.Outcome outcome = wait.Look(now, doorbell: false);
                if (outcome == ReaderWait.Outcome.Pending)
                {
                    continue;
                }

                wait.Finish(outcome);
                s_done[done++] = wait;
                s_waits[i] = s_waits[--s_count];
                s_waits[s_count] = null;
            }

        }

        // Outside the lock: completing disposes cancellation registrations, which may wait for a callback to finish.
        for (int i = 0; i < done; i++)
        {
            ReaderWait wait = s_done[i]!;
            s_done[i] = null;
            wait.Complete();
        }

        // Re-armed only now (s_armed stayed set, so no Add armed it meanwhile): ticks never overlap.
        lock (Gate)
        {
            s_armed = s_count > 0;
            if (s_armed)
            {
                Ticker.Change(ShmReader.PollInterval, Timeout.InfiniteTimeSpan);
            }
        }
    }
}
