using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// One thread of <see cref="DoorbellWaiter"/>: sleeps in futex_waitv on a private control word (slot 0) and the wake
/// sequences of up to <see cref="Capacity"/> pending waits, and completes each wait once its reader has something to
/// read, its deadline passed, its token was cancelled, or its reader was disposed.
/// </summary>
/// <remarks>
/// <para>
/// Lost wake-ups. A wait's registration (ShmReader.PrepareDoorbellSleep) is the blocking path's, and so is its argument
/// (ShmWriter.RingIfWaiting): after it, either the look that follows sees the record, or the writer rings, which changes
/// the word this thread sleeps on (futex_waitv compares every word atomically with going to sleep). Where that argument
/// fails (a membarrier refused, a writer killed between publishing and ringing), every wait is looked at again every
/// <see cref="SafetyLook"/> (backing off to <see cref="MaxSafetyLook"/> while the looks find nothing the doorbell
/// missed); a wait whose registration failed, every <see cref="ShmReader.MaxDoorbellSleep"/>.
/// </para>
/// <para>
/// Lifetimes. A slot's word lies in its reader's mapping, which stays mapped (as zeros once the reader is disposed; see
/// RetiredMapping) while the reader is reachable, and the slot references the reader through its wait: a stale word never
/// faults. The vector and the control word live in pinned arrays owned by this object, which every wait it holds and every
/// poke reference. A wait is let go of (removed from the vector and the slots) before it is completed, so it may begin
/// its next wait, on this thread or another, as soon as its task completes.
/// </para>
/// </remarks>
internal sealed unsafe class DoorbellWaiterThread
{
    /// <summary>The waits one thread holds: futex_waitv takes 128 words, and the control word is one of them.</summary>
    public const int Capacity = 127;

    /// <summary>
    /// How often every wait is looked at although its word did not change, at first: bounds what a lost wake-up (or any
    /// failure of the doorbell) costs an async wait. While the looks find nothing a ring did not announce, the period doubles
    /// up to <see cref="MaxSafetyLook"/>; a look that finds such a record (a lost wake-up) brings it back to this.
    /// </summary>
    /// <remarks>
    /// Each wake of a thread costs a futex_waitv call, whose setup looks up every shared word it names (get_user_pages
    /// under the kernel's futex key lookup: most of the waiter threads' CPU in a perf profile). At one look per 500 ms,
    /// 1,000 idle waits (8 threads) cost their waiter threads 0.36-0.46% of a core on the shared 2-core test machine; the
    /// back-off to <see cref="MaxSafetyLook"/> divides their idle wakes by 8.
    /// </remarks>
    public static readonly TimeSpan SafetyLook = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest period between two looks at a wait whose word did not change (see <see cref="SafetyLook"/>).</summary>
    public static readonly TimeSpan MaxSafetyLook = TimeSpan.FromSeconds(4);

    /// <summary>How long a reader's slot stays, idle, after its last wait (a reader that waits again within it costs the thread nothing). Settable for tests.</summary>
    public static TimeSpan DetachAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a thread with no slot stays (parked on its control word) before it exits. Settable for tests.</summary>
    public static TimeSpan Linger { get; set; } = TimeSpan.FromSeconds(5);

    private const string ThreadName = "Kekbit doorbell waiter";

    private readonly Lock _gate;
    private readonly List<DoorbellWaiterThread> _threads;

    // Pinned (never moved), so the kernel may be given their addresses: [0] is the control word's entry.
    private readonly Futex.WaitvEntry[] _vector = GC.AllocateArray<Futex.WaitvEntry>(Capacity + 1, pinned: true);
    private readonly uint[] _control = GC.AllocateArray<uint>(1, pinned: true);

    // This thread's own: the waits in the vector (slot i is entry i + 1), and those it completed in one pass.
    private readonly ReaderWait?[] _slots = new ReaderWait?[Capacity];
    private readonly ReaderWait?[] _done = new ReaderWait?[Capacity];
    private int _count;

    // Guarded by _gate: waits handed over and not yet taken into the slots, and how many waits this thread holds in all.
    private readonly ReaderWait?[] _incoming = new ReaderWait?[Capacity];
    private int _incomingCount;
    private int _assigned;

    private static long s_wakeupsByLook;

    // The current period of the safety looks (SafetyLook, doubling to MaxSafetyLook while they find nothing), and whether
    // the last pass found a record by a look alone (a lost wake-up), which brings the period back to SafetyLook.
    private long _safetyPeriod = ToTimestamp(SafetyLook);
    private bool _foundByLook;

    // <see cref="PokeIfNeeded"/>: Awake while the thread looks at its slots, then the Stopwatch timestamp it sleeps until.
    private const long Awake = 0;
    private long _plannedWake;

    private Thread? _thread;
    private long _allocatedBytes;

    public DoorbellWaiterThread(Lock gate, List<DoorbellWaiterThread> threads)
    {
        _gate = gate;
        _threads = threads;
        _vector[0] = Futex.PrivateWord(ControlWord, 0);
    }

    /// <summary>How many waits (of every thread) completed with data found by a periodic look although their word never changed.</summary>
    public static long WakeupsByLook => Volatile.Read(ref s_wakeupsByLook);

    /// <summary>How many waits this thread holds or was handed (guarded by the waiter's lock).</summary>
    public int Assigned => _assigned;

    /// <summary>What this thread has allocated so far (sampled on each pass): zero growth in steady state.</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    // Safe: the array is pinned and lives as long as this object.
    private uint* ControlWord => (uint*)Unsafe.AsPointer(ref _control[0]);

    /// <summary>Starts the thread (under the waiter's lock).</summary>
    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = ThreadName };
        _thread.UnsafeStart();
    }

    /// <summary>Hands over a wait (under the waiter's lock); the caller pokes after releasing it.</summary>
    public void Enqueue(ReaderWait wait)
    {
        _incoming[_incomingCount++] = wait;
        _assigned++;
        wait.AssignTo(this);
    }

    /// <summary>
    /// Wakes the thread to look at its waits (from any thread): bumps the control word (a full fence, so whatever the caller
    /// stored before is seen by the look) and wakes it. A poke that lands before the thread sleeps makes futex_waitv return
    /// at once (the word no longer holds the value the thread loaded before its look), so none is lost.
    /// </summary>
    public void Poke()
    {
        Interlocked.Increment(ref _control[0]);
        Futex.WakePrivate(ControlWord);
    }

    /// <summary>
    /// Pokes the thread if it might otherwise sleep past <paramref name="wait"/>, just armed again in its slot (by the
    /// reader's thread, after a full fence): the thread is mid-pass (it may have looked at the slot while it was idle),
    /// it plans to wake after the wait's deadline, the wait's registration failed (it wants short looks), or the vector
    /// holds a value for the word other than the one the wait sleeps on. Otherwise the thread sleeps on the right value
    /// and wakes in time, and the wait costs it nothing.
    /// </summary>
    public void PokeIfNeeded(ReaderWait wait)
    {
        long plannedWake = Volatile.Read(ref _plannedWake);
        if (plannedWake == Awake || wait.LateDeadline < plannedWake || !wait.Registered || wait.VectorValue != wait.Expected)
        {
            Poke();
        }
    }

    private void Run()
    {
        long nextSafetyLook = long.MaxValue;
        long nextShortLook = long.MaxValue;
        long idleSince = 0;
        while (true)
        {
            // Awake, before looking at any slot (an exchange: a full fence): a wait armed after this is either seen by the
            // look, or sees Awake (or the wake planned after the look) and pokes.
            Interlocked.Exchange(ref _plannedWake, Awake);
            // Loaded before the look: a poke after this load changes the word, so the sleep below returns at once.
            uint control = Volatile.Read(ref _control[0]);
            _vector[0].Value = control;
            long now = Stopwatch.GetTimestamp();
            bool safetyDue = now >= nextSafetyLook;
            bool shortDue = now >= nextShortLook;
            lock (_gate)
            {
                for (int i = 0; i < _incomingCount; i++)
                {
                    ReaderWait wait = _incoming[i]!;
                    _incoming[i] = null;
                    // Entered with the value it registered on; the look below sees its requests and a ring since.
                    _slots[_count] = wait;
                    _vector[_count + 1] = Futex.SharedWord(wait.Word, wait.Expected);
                    wait.VectorValue = wait.Expected;
                    _count++;
                }

                _incomingCount = 0;
                if (_assigned == 0 && idleSince != 0 && now - idleSince >= ToTimestamp(Linger))
                {
                    // No one can hand this thread a wait once it is off the list.
                    _threads.Remove(this);
                    return;
                }
            }

            _foundByLook = false;
            long wakeAt = LookAtWaits(now, safetyDue, shortDue, out bool anyUnregistered);
            _safetyPeriod = NextSafetyPeriod(_safetyPeriod, _foundByLook, safetyDue);

            // Periodic looks while any slot is held, idle ones included: a slot armed again without a poke is covered too.
            if (_count > 0 && (safetyDue || _foundByLook || nextSafetyLook == long.MaxValue))
            {
                nextSafetyLook = now + _safetyPeriod;
            }
            else if (_count == 0)
            {
                nextSafetyLook = long.MaxValue;
                _safetyPeriod = ToTimestamp(SafetyLook);
            }

            if (!anyUnregistered)
            {
                nextShortLook = long.MaxValue;
            }
            else if (shortDue || nextShortLook == long.MaxValue)
            {
                nextShortLook = now + ToTimestamp(ShmReader.MaxDoorbellSleep);
            }

            wakeAt = Math.Min(wakeAt, Math.Min(nextSafetyLook, nextShortLook));
            if (_count == 0)
            {
                // Parked: a wait handed over pokes; otherwise the thread exits once the linger has passed with none.
                idleSince = idleSince == 0 ? now : idleSince;
                wakeAt = Math.Min(wakeAt, idleSince + ToTimestamp(Linger));
            }
            else
            {
                idleSince = 0;
            }

            // The plan is published before the completions: a continuation that waits again at once compares its deadline
            // with it (PokeIfNeeded), and pokes only if the thread would sleep past it.
            Volatile.Write(ref _plannedWake, wakeAt);
            CompleteDone();
            Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
            Sleep(wakeAt);
        }
    }

    /// <summary>
    /// Looks at every slot. An armed wait is looked at if its word changed, it has a request, its deadline passed, or a
    /// periodic look is due; a finished one is disarmed and moved to <see cref="_done"/> (its slot stays, idle, unless its
    /// reader was disposed). An idle slot only keeps the word's current value in the vector, and is let go of once idle for
    /// <see cref="DetachAfter"/> or its reader is disposed. Returns the earliest late deadline of the waits that go on.
    /// </summary>
    private long LookAtWaits(long now, bool safetyDue, bool shortDue, out bool anyUnregistered)
    {
        long wakeAt = long.MaxValue;
        anyUnregistered = false;
        int done = 0;
        int detached = 0;
        long detachAfter = ToTimestamp(DetachAfter);
        // From the end: a removed slot takes the last one's, which was already looked at.
        for (int i = _count - 1; i >= 0; i--)
        {
            ReaderWait wait = _slots[i]!;
            // Safe: the word lies in the wait's reader's mapping, kept mapped while the slot references it (see remarks).
            uint word = Volatile.Read(ref *wait.Word);
            if (wait.SlotState == ReaderWait.Idle)
            {
                if (((wait.Requests & ReaderWait.DisposeRequested) != 0 || wait.Reader.IsDisposed || now - wait.IdleSince >= detachAfter) && wait.TryDetach())
                {
                    RemoveSlot(i);
                    detached++;
                    continue;
                }

                if (wait.SlotState == ReaderWait.Idle)
                {
                    // Sleep on what the word holds now, or futex_waitv would return at once.
                    SetVectorValue(i, wait, word);
                    continue;
                }

                // Armed meanwhile: looked at as such below.
            }

            bool rung = wait.Requests != 0 || word != wait.Expected;
            if (rung || now >= wait.Deadline || safetyDue || (shortDue && !wait.Registered))
            {
                ReaderWait.Outcome outcome = wait.Look(now, doorbell: true);
                if (outcome != ReaderWait.Outcome.Pending)
                {
                    if (outcome == ReaderWait.Outcome.Ready && !rung)
                    {
                        // Found by a periodic look, not by a ring: a lost wake-up, or a registration that failed.
                        Interlocked.Increment(ref s_wakeupsByLook);
                        _foundByLook = true;
                    }

                    wait.Finish(outcome);
                    _done[done++] = wait;
                    DoorbellWaiter.WaitEnds();
                    if (outcome == ReaderWait.Outcome.Disposed)
                    {
                        // Let go of before the completion: a disposed reader's slot is not kept.
                        wait.Detach();
                        RemoveSlot(i);
                        detached++;
                    }
                    else
                    {
                        wait.Disarm(now);
                        SetVectorValue(i, wait, Volatile.Read(ref *wait.Word));
                    }

                    continue;
                }
            }

            SetVectorValue(i, wait, wait.Expected);
            anyUnregistered |= !wait.Registered;
            wakeAt = Math.Min(wakeAt, wait.LateDeadline);
        }

        if (detached > 0)
        {
            lock (_gate)
            {
                _assigned -= detached;
            }
        }

        return wakeAt;
    }

    private void SetVectorValue(int slot, ReaderWait wait, uint value)
    {
        _vector[slot + 1].Value = value;
        wait.VectorValue = value;
    }

    private void RemoveSlot(int slot)
    {
        _count--;
        _slots[slot] = _slots[_count];
        _vector[slot + 1] = _vector[_count + 1];
        _slots[_count] = null;
        _vector[_count + 1] = default;
    }

    /// <summary>
    /// The period of the safety looks after a pass (<see cref="Stopwatch"/> ticks): back to <see cref="SafetyLook"/> when the
    /// pass found a record no ring announced (a lost wake-up); doubled, up to <see cref="MaxSafetyLook"/>, when it was a
    /// safety look that found nothing the doorbell missed; otherwise unchanged.
    /// </summary>
    internal static long NextSafetyPeriod(long period, bool foundByLook, bool safetyLook) =>
        foundByLook ? ToTimestamp(SafetyLook) : safetyLook ? Math.Min(period * 2, ToTimestamp(MaxSafetyLook)) : period;

    /// <summary>Completes the waits <see cref="LookAtWaits"/> let go of (continuations are queued, never run here).</summary>
    private void CompleteDone()
    {
        for (int i = 0; i < _done.Length && _done[i] is { } wait; i++)
        {
            _done[i] = null;
            wait.Complete();
        }
    }

    /// <summary>Sleeps until a word changes or is woken, or <paramref name="wakeAt"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    private void Sleep(long wakeAt)
    {
        long deadline = long.MaxValue;
        if (wakeAt != long.MaxValue)
        {
            long remaining = Math.Max(0, wakeAt - Stopwatch.GetTimestamp());
            deadline = Futex.MonotonicNow() + (long)((double)remaining * 1_000_000_000 / Stopwatch.Frequency);
        }

        fixed (Futex.WaitvEntry* vector = _vector)
        {
            if (Futex.WaitAny(vector, _count + 1, deadline) == Futex.WaitAnyResult.Failed)
            {
                // Never expected (the vector is well formed); should it happen, looks stay bounded rather than spinning.
                Thread.Sleep(ShmReader.MaxDoorbellSleep);
            }
        }
    }

    internal static long ToTimestamp(TimeSpan span) => (long)(span.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));
}
