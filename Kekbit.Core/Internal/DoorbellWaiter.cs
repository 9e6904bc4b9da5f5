namespace Kekbit.Core.Internal;

/// <summary>
/// The process-wide waiter of <see cref="ShmReader.WaitForDataAsync"/> on channels with a doorbell: a few background
/// threads ("Kekbit doorbell waiter"), each asleep in one futex_waitv over up to <see cref="DoorbellWaiterThread.Capacity"/>
/// channels' wake sequences, complete the awaiting readers' value tasks when a writer rings. A thread is started when
/// the running ones are full and exits once it has had no slot for <see cref="DoorbellWaiterThread.Linger"/>, so 1,000
/// idle async readers hold 8 threads, 10 hold one, and none hold none. A reader keeps its slot between waits (see
/// <see cref="ReaderWait"/>), so a loop that waits again and again costs its thread nothing when it begins a wait.
/// </summary>
internal static class DoorbellWaiter
{
    // Guards the thread list, each thread's assigned count and its hand-over queue. Taken once when a wait begins and
    // once when a thread lets go of the waits it completed (batched), never while completing one.
    private static readonly Lock Gate = new();
    private static readonly List<DoorbellWaiterThread> Threads = [];

    /// <summary>Whether async waits on a doorbell use this waiter: the kernel has futex_waitv (otherwise they poll on a timer).</summary>
    public static bool IsSupported => Futex.IsWaitAnySupported;

    /// <summary>The waiter threads running now (those lingering without waits included).</summary>
    public static int ThreadCount
    {
        get
        {
            lock (Gate)
            {
                return Threads.Count;
            }
        }
    }

    private static int s_pendingWaits;

    /// <summary>The async waits on a doorbell begun and not finished; a wait is finished (this count drops) before its task completes.</summary>
    public static int PendingWaits => Volatile.Read(ref s_pendingWaits);

    /// <summary>The slots the threads hold (pending waits, and idle slots kept for readers that wait again).</summary>
    public static int Slots => (int)SumOverThreads(static thread => thread.Assigned);

    /// <summary>Counts a wait that begins (<see cref="PendingWaits"/>).</summary>
    public static void WaitBegins() => Interlocked.Increment(ref s_pendingWaits);

    /// <summary>Counts a wait that ends, before its task completes (<see cref="PendingWaits"/>).</summary>
    public static void WaitEnds() => Interlocked.Decrement(ref s_pendingWaits);

    /// <summary>What the running threads have allocated so far, as they last sampled it (for tests: it must not grow in steady state).</summary>
    public static long AllocatedBytes => SumOverThreads(static thread => thread.AllocatedBytes);

    /// <summary>Pokes every thread, so each looks at its waits and at its linger now (for tests that shorten the linger).</summary>
    public static void PokeAll()
    {
        lock (Gate)
        {
            foreach (DoorbellWaiterThread thread in Threads)
            {
                thread.Poke();
            }
        }
    }

    private static long SumOverThreads(Func<DoorbellWaiterThread, long> value)
    {
        lock (Gate)
        {
            long sum = 0;
            foreach (DoorbellWaiterThread thread in Threads)
            {
                sum += value(thread);
            }

            return sum;
        }
    }

    /// <summary>
    /// Hands <paramref name="wait"/> to the first thread with room (starting one if none has), which looks at it at once
    /// and then sleeps on its word. Allocates nothing unless it starts a thread.
    /// </summary>
    public static void Add(ReaderWait wait)
    {
        DoorbellWaiterThread? target = null;
        lock (Gate)
        {
            foreach (DoorbellWaiterThread thread in Threads)
            {
                if (thread.Assigned < DoorbellWaiterThread.Capacity)
                {
                    target = thread;
                    break;
                }
            }

            if (target is null)
            {
                target = new DoorbellWaiterThread(Gate, Threads);
                // Listed once started (a failed start leaves nothing behind); it waits for this lock before its first look.
                target.Start();
                Threads.Add(target);
            }

            target.Enqueue(wait);
        }

        target.Poke();
    }
}
