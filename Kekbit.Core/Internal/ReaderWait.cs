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
/// Continuations run asynchronously (on the thread pool, or the awaiter's captured context), never on the waiter's
/// thread: a waiter thread runs no user code.
/// </remarks>
internal sealed unsafe class ReaderWait : IValueTaskSource<bool>
{
    /// <summary>A <see cref="Request"/> flag: the wait's cancellation token was cancelled.</summary>
    public const int CancelRequested = 1;

    /// <summary>A <see cref="Request"/> flag: the reader is being disposed.</summary>
    public const int DisposeRequested = 2;

    private static readonly Action<object?> OnCancel = static wait => ((ReaderWait)wait!).Request(CancelRequested);

    private readonly ShmReader _reader;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationToken _cancellationToken;
    private CancellationTokenRegistration _cancellation;
    private DoorbellWaiterThread? _owner;
    private int _requests;
    private int _pending;
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
        Expected = doorbell ? _reader.RegisteredSequence : 0;
        Registered = doorbell && _reader.IsRegistered;
        _cancellationToken = cancellationToken;
        // A token cancelled from now on raises the request (at once, here, if it was cancelled since the caller's check).
        _cancellation = cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(OnCancel, this) : default;
        var task = new ValueTask<bool>(this, _core.Version);
        try
        {
            if (doorbell)
            {
                DoorbellWaiter.Add(this);
            }
            else
            {
                PollWaiter.Add(this);
            }
        }
        catch
        {
            // Not handed over (no thread could be started, say): the reader stays usable.
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

    /// <summary>Records the doorbell thread that holds this wait, for <see cref="Request"/> to wake it.</summary>
    public void AssignTo(DoorbellWaiterThread owner) => Volatile.Write(ref _owner, owner);

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
        Volatile.Write(ref _owner, null);
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
