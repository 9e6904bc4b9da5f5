using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace Kekbit.Core.Internal;

/// <summary>
/// One reader's pending <see cref="ShmReader.WaitForDataAsync"/>: the value task's source, reused by every wait of its
/// reader (one wait at a time), so a wait allocates nothing in steady state. Completed only by the waiter that holds it
/// (<see cref="DoorbellWaiter"/> or <see cref="PollWaiter"/>), after it has let go of it; cancellation and the reader's
/// dispose only ask that waiter to look (<see cref="Request"/>), so a completion never races another.
/// </summary>
/// <remarks>
/// On a doorbell, the wait keeps its slot in a waiter thread between waits (<see cref="SlotState"/>: idle, then armed
/// again), so a reader that waits again and again (a loop whose waits time out every second, say) neither wakes that
/// thread nor makes it re-arm its futex_waitv when it begins a wait; the thread lets go of a slot idle for
/// <see cref="DoorbellWaiterThread.DetachAfter"/>, or at once when the reader is disposed.
/// </remarks>
/// <remarks>
/// Continuations run asynchronously (on the thread pool, or the awaiter's captured context), never on the waiter's
/// thread: a waiter thread runs no user code.
/// </remarks>
internal sealed unsafe class ReaderWait : IValueTaskSource<bool>
{
    /// <summary>A <see cref="Request"/> flag: the wait's cancellation token was cancelled.</summary>
    public const int CancelRequested = 1;

    /// <summary>A <see cref="Request"/> flag: the reader is being disposed.</summary>
    public const int DisposeRequested = 2;

    /// <summary><see cref="SlotState"/>: not in any waiter thread.</summary>
    public const int Detached = 0;

    /// <summary><see cref="SlotState"/>: in a waiter thread's vector, no wait pending: the thread only keeps the word's value current.</summary>
    public const int Idle = 1;

    /// <summary><see cref="SlotState"/>: in a waiter thread's vector, a wait pending: the thread completes it.</summary>
    public const int Armed = 2;

    /// <summary>The grid of timeouts (<see cref="LateDeadlineOf"/>): 10 ms, how late a timeout of 40 ms or more may complete.</summary>
    private static readonly long DeadlineSlack = (long)(Stopwatch.Frequency * 0.010);

    private static readonly Action<object?> OnCancel = static wait => ((ReaderWait)wait!).Request(CancelRequested);

    private readonly ShmReader _reader;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationToken _cancellationToken;
    private CancellationTokenRegistration _cancellation;
    private DoorbellWaiterThread? _owner;
    private int _requests;
    private int _pending;
    private int _slotState;
    private uint _vectorValue;
    private Outcome _outcome;

    public ReaderWait(ShmReader reader)
    {
        _reader = reader;
    }

    /// <summary>How a look at the wait ended.</summary>
    public enum Outcome
    {
        /// <summary>Still waiting.</summary>
        Pending,

        /// <summary>There is something to read: the task's result is true.</summary>
        Ready,

        /// <summary>The deadline passed first: the task's result is false.</summary>
        TimedOut,

        /// <summary>The token was cancelled: the task fails with an <see cref="OperationCanceledException"/> for it.</summary>
        Canceled,

        /// <summary>The reader was disposed: the task fails with <see cref="ObjectDisposedException"/>.</summary>
        Disposed,
    }

    /// <summary>The reader this wait belongs to.</summary>
    public ShmReader Reader => _reader;

    /// <summary>When the wait times out, in <see cref="Stopwatch"/> timestamp ticks; <see cref="long.MaxValue"/>: never.</summary>
    public long Deadline { get; private set; }

    /// <summary>When a waiter thread wakes for this wait's timeout at the latest: <see cref="Deadline"/> plus a little slack, so waits due close together share a wake.</summary>
    public long LateDeadline { get; private set; }

    /// <summary><see cref="Detached"/>, <see cref="Idle"/> or <see cref="Armed"/>: whether a waiter thread holds this wait's word, and whether a wait is pending.</summary>
    public int SlotState => Volatile.Read(ref _slotState);

    /// <summary>When the slot became <see cref="Idle"/> (the waiter thread's own).</summary>
    public long IdleSince { get; set; }

    /// <summary>The value the waiter thread's vector holds for this wait's word (written by that thread only).</summary>
    public uint VectorValue
    {
        get => Volatile.Read(ref _vectorValue);
        set => Volatile.Write(ref _vectorValue, value);
    }

    /// <summary>The futex word the waiter thread sleeps on (the reader's wake sequence).</summary>
    public uint* Word => _reader.WakeSequenceWord;

    /// <summary>The value <see cref="Word"/> held at the last registration; a change means the writer rang since.</summary>
    public uint Expected { get; private set; }

    /// <summary>Whether the reader's last registration stored the waiters flag (false: only looks end the wait, so look often).</summary>
    public bool Registered { get; private set; }

    /// <summary>The <see cref="Request"/> flags raised since the wait began.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>
    /// Begins a wait (on the reader's thread), after the reader found nothing: with <paramref name="doorbell"/>, after
    /// its registration (<see cref="ShmReader.PrepareDoorbellSleep"/>) and handed to <see cref="DoorbellWaiter"/>;
    /// otherwise handed to <see cref="PollWaiter"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A wait of this reader is still pending.</exception>
    public ValueTask<bool> Start(long deadline, bool doorbell, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _pending, 1, 0) != 0)
        {
            throw new InvalidOperationException("A WaitForDataAsync of this reader is still pending: a reader takes one wait at a time.");
        }

        _core.Reset();
        // An exchange, not a store: a dispose request racing this is either cleared here and then seen by the check of
        // IsDisposed below (the exchange orders that load after the request's Or), or raised after it.
        Interlocked.Exchange(ref _requests, 0);
        Deadline = deadline;
        long now = Stopwatch.GetTimestamp();
        LateDeadline = LateDeadlineOf(deadline, now);
        Expected = doorbell ? _reader.RegisteredSequence : 0;
        Registered = doorbell && _reader.IsRegistered;
        _cancellationToken = cancellationToken;
        // A token cancelled from now on raises the request (at once, here, if it was cancelled since the caller's check).
        _cancellation = cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(OnCancel, this) : default;
        var task = new ValueTask<bool>(this, _core.Version);
        if (doorbell)
        {
            DoorbellWaiter.WaitBegins();
        }

        try
        {
            if (!doorbell)
            {
                PollWaiter.Add(this);
            }
            else if (Interlocked.CompareExchange(ref _slotState, Armed, Idle) == Idle)
            {
                // Still in a thread's vector (a full fence: the fields above are seen with the state). The thread sleeps on
                // this word already; it needs waking only if it might sleep past this wait's deadline or on a stale value.
                Volatile.Read(ref _owner)?.PokeIfNeeded(this);
            }
            else
            {
                DoorbellWaiter.Add(this);
            }
        }
        catch
        {
            // Not handed over (no thread could be started, say): the reader stays usable.
            if (doorbell)
            {
                DoorbellWaiter.WaitEnds();
            }

            _cancellation.Dispose();
            _cancellation = default;
            Volatile.Write(ref _pending, 0);
            throw;
        }

        // After the hand-over (which published the owner through a full fence): a Dispose that began before it and did
        // not see the owner is seen here, and its request reaches the owner.
        if (_reader.IsDisposed)
        {
            Request(DisposeRequested);
        }

        return task;
    }

    /// <summary>
    /// When a waiter thread must wake for a timeout at <paramref name="deadline"/>: a timeout of 40 ms or more is rounded up
    /// to the next multiple of 10 ms, a process-wide grid, so the timeouts of many waits (on every waiter thread) complete
    /// in one batch, and the thread pool runs their continuations together rather than waking for each; a shorter one is
    /// late by a quarter of itself at most.
    /// </summary>
    private static long LateDeadlineOf(long deadline, long now)
    {
        if (deadline == long.MaxValue)
        {
            return long.MaxValue;
        }

        long remaining = Math.Max(0, deadline - now);
        if (remaining < 4 * DeadlineSlack)
        {
            return deadline + (remaining / 4);
        }

        long late = (deadline / DeadlineSlack * DeadlineSlack) + DeadlineSlack;
        return late < deadline ? long.MaxValue : late;
    }

    /// <summary>Records the doorbell thread that holds this wait (under the waiter's lock), armed, for <see cref="Request"/> to wake it.</summary>
    public void AssignTo(DoorbellWaiterThread owner)
    {
        Volatile.Write(ref _slotState, Armed);
        Volatile.Write(ref _owner, owner);
    }

    /// <summary>The waiter thread finished the armed wait (before completing it): the slot stays, idle.</summary>
    public void Disarm(long now)
    {
        IdleSince = now;
        Volatile.Write(ref _slotState, Idle);
    }

    /// <summary>The waiter thread lets go of an idle slot; false if a wait armed it meanwhile (the slot then stays).</summary>
    public bool TryDetach()
    {
        if (Interlocked.CompareExchange(ref _slotState, Detached, Idle) != Idle)
        {
            return false;
        }

        Volatile.Write(ref _owner, null);
        return true;
    }

    /// <summary>The waiter thread lets go of the slot of a wait it finished and will complete (the reader was disposed).</summary>
    public void Detach()
    {
        Volatile.Write(ref _slotState, Detached);
        Volatile.Write(ref _owner, null);
    }

    /// <summary>
    /// Asks the waiter holding this wait to look at it now (cancellation, dispose), from any thread: raises the flag, then
    /// pokes the owning thread (a full fence between them, so the thread's next look sees the flag). Harmless when no wait
    /// is pending: the next <see cref="Start"/> clears the flags.
    /// </summary>
    public void Request(int flag)
    {
        Interlocked.Or(ref _requests, flag);
        Volatile.Read(ref _owner)?.Poke();
    }

    /// <summary>
    /// Looks at the wait (on the waiter's thread): requests first, then the channel, then the deadline. With a doorbell,
    /// a wait that goes on is registered again if needed, and <see cref="Expected"/> is the value to sleep on.
    /// </summary>
    public Outcome Look(long now, bool doorbell)
    {
        int requests = Volatile.Read(ref _requests);
        if ((requests & DisposeRequested) != 0 || _reader.IsDisposed)
        {
            return Outcome.Disposed;
        }

        if ((requests & CancelRequested) != 0)
        {
            return Outcome.Canceled;
        }

        try
        {
            if (_reader.HasSomethingToRead())
            {
                return Outcome.Ready;
            }

            if (now >= Deadline)
            {
                return Outcome.TimedOut;
            }

            if (doorbell)
            {
                if (_reader.PrepareDoorbellSleep())
                {
                    return Outcome.Ready;
                }

                Expected = _reader.RegisteredSequence;
                Registered = _reader.IsRegistered;
            }
        }
        catch (ObjectDisposedException)
        {
            // A dispose racing the look: its mapping read zeros, and the look saw the flag after the load.
            return Outcome.Disposed;
        }

        return Outcome.Pending;
    }

    /// <summary>Remembers how the wait ended, for <see cref="Complete"/> (on the waiter's thread, after it let go of the wait).</summary>
    public void Finish(Outcome outcome) => _outcome = outcome;

    /// <summary>
    /// Completes the task with the outcome given to <see cref="Finish"/>. Called once per wait, by the waiter that held it,
    /// after it let go of it (so the reader may begin its next wait as soon as the task completes). Runs no user code:
    /// continuations are queued.
    /// </summary>
    public void Complete()
    {
        // Waits for a cancellation callback running now (it only raises a flag and pokes): none runs after this.
        _cancellation.Dispose();
        _cancellation = default;
        Outcome outcome = _outcome;
        CancellationToken token = _cancellationToken;
        _cancellationToken = default;
        // Released before the task completes, so the continuation may begin the next wait at once.
        Volatile.Write(ref _pending, 0);
        switch (outcome)
        {
            case Outcome.Ready:
                _core.SetResult(true);
                break;
            case Outcome.TimedOut:
                _core.SetResult(false);
                break;
            case Outcome.Canceled:
                _core.SetException(new OperationCanceledException(token));
                break;
            default:
                _core.SetException(new ObjectDisposedException(_reader.GetType().FullName));
                break;
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
