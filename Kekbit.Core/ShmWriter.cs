using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Kekbit.Core.Diagnostics;
using Kekbit.Core.Internal;

namespace Kekbit.Core;

/// <summary>
/// The single writer of a channel: creates the channel's file and appends records to it through a
/// read-write memory mapping. Writes take one thread at a time (share the writer between threads through a
/// <see cref="RetryWriter"/>); <see cref="Dispose"/> is safe from any thread at any time.
/// </summary>
/// <remarks>
/// Write protocol: the payload is copied after the record's length slot, WATERMARK is stored in the next
/// record's slot (release), then the length is stored in this record's slot (release), which publishes
/// the record. <see cref="Dispose"/> stores CLOSE at the write offset and flushes the file. Disposing from any
/// thread while a write runs is safe: a lifetime guard keeps the mapping until the write ends (see <see cref="Dispose"/>).
/// </remarks>
public sealed unsafe class ShmWriter : IWriter
{
    /// <summary>How long <see cref="Dispose"/> waits for a write running on another thread before it leaves the close to that write.</summary>
    internal static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(1);

    // _inWrite values besides a write frame's address: no write runs; a write with no user code (no encoder, no
    // handler) runs.
    private const nint NoWrite = 0;
    private const nint WriteWithoutCallbacks = -1;

    // How far below a running write's frame, on the same stack, Dispose may be and still be taken as called from
    // inside that write (see IsInsideWrite).
    private const nint InsideWriteWindow = 512 * 1024;

    // _state values.
    private const int Open = 0;
    private const int Closing = 1;
    private const int Closed = 2;

    private readonly SharedMapping _mapping;
    private readonly MappedFile _file;
    private readonly byte* _data;
    private readonly int _capacity;
    private readonly int _maxRecordLength;
    private readonly IHandler? _handler;
    private readonly RecordBuffer _record;
    private int _writeOffset;

    // The doorbell (see RingIfWaiting). The per-record check loads the channel's waiters flag at a fixed distance before
    // the data area (WaitersFromData), so it needs no pointer of its own: a channel without a doorbell (or a platform
    // without futexes) keeps that header word at zero, as the format has it, so its writer never rings. _channelWaiters
    // and _wakeSequence are set only with a doorbell, for the slow path (Ring) and the close.
    /// <summary>
    /// The AppContext switch that makes writers fence before every waiter check instead of registering for global
    /// membarriers, whose IPIs reach the writer's core each time a reader goes to sleep (for writers on isolated cores).
    /// Read once per process, when its first writer is created.
    /// </summary>
    internal const string WriterFenceSwitch = "Kekbit.Core.Doorbell.WriterFence";

    /// <summary>Where the waiters flag lies relative to the data area: in the header, before it.</summary>
    private const int WaitersFromData = ChannelFormat.WaitersOffset - ChannelFormat.DataOffset;

    private readonly uint* _channelWaiters;
    private readonly uint* _wakeSequence;
    private long _wakes;

    // Refused writes, indexed by WriteStatus: stored only on the refusal paths (Refusal), read by the metrics (ChannelMeter)
    // on collection. Indexed by status so that a new refusal status is counted without a new field.
    private readonly long[] _refusals = new long[WriteStatuses.Count];

    // The lifetime guard (an asymmetric Dekker handshake; the argument is in Dispose). _inWrite is stored only by
    // the writing thread: nonzero while a write (or Flush) runs, the address of a local of the write's frame when
    // user code (an encoder or a handler) runs inside it. _state goes Open -> Closing (Dispose) -> Closed (the mapping is released).
    // _closeClaimed makes sure exactly one thread performs the close: Dispose, or the write that outlived its wait.
    private nint _inWrite;
    private int _state;
    private int _closeClaimed;

    // Whether the metrics observe this writer (ChannelMeter.Observe); it then tells them when it closed.
    private bool _observed;

    private ShmWriter(SharedMapping mapping, Metadata metadata, string path, IHandler? handler, bool doorbell)
    {
        _mapping = mapping;
        MappedFile file = mapping.File;
        _file = file;
        Metadata = metadata;
        Path = path;
        _capacity = metadata.Capacity;
        _maxRecordLength = metadata.MaxRecordLength;
        // The encoder handler adds nothing: skip the chain entirely.
        _handler = handler is EncoderHandler ? null : handler;
        // Safe: the mapping is 1024 + capacity + 32 bytes, so the data area and its footer lie inside it.
        _data = file.Base + ChannelFormat.DataOffset;
        _record = new RecordBuffer(_data);
        if (doorbell && Futex.IsSupported)
        {
            // Safe: the mapping starts with the 1024-byte header, which holds the doorbell line; both words are 4-aligned.
            _wakeSequence = (uint*)(file.Base + ChannelFormat.WakeSequenceOffset);
            _channelWaiters = (uint*)(file.Base + ChannelFormat.WaitersOffset);
        }

        // Decides the protocol (registering this process for global membarriers) now, at the first writer, so that the
        // write path the JIT optimises later finds it decided and folds it to a constant.
        _ = FenceMode.Enabled;
    }

    /// <inheritdoc/>
    public Metadata Metadata { get; }

    /// <summary>The channel file.</summary>
    public string Path { get; }

    /// <summary>The data-area offset where the next record goes: the bytes used so far.</summary>
    public int WriteOffset => _writeOffset;

    /// <summary>Bytes still available for records, headers and padding included: (capacity - write offset) rounded down to 8.</summary>
    public int Available => (int)RecordLayout.Available(_capacity, _writeOffset);

    /// <summary>Whether the channel can take no further record (<see cref="Available"/> is 8 or less).</summary>
    public bool IsFull => RecordLayout.IsFull(_capacity, _writeOffset);

    /// <summary>
    /// Whether this writer rings the channel's doorbell: the channel was created with <see cref="ShmWriterOptions.Doorbell"/>
    /// and the platform has futexes (Linux on x86-64 or arm64). Readers blocked in <see cref="ShmReader.WaitForData"/>
    /// then wake as soon as a record is published; otherwise they poll.
    /// </summary>
    public bool HasDoorbell => _wakeSequence != null;

    /// <summary>Whether the channel file is backed by 2 MiB pages (<see cref="ShmWriterOptions.HugePages"/> and the kernel agreed).</summary>
    internal bool UsesHugePages => _file.HasHugePages;

    /// <summary>How many times this writer rang the doorbell (futex wake calls): at most one per reader sleep, never one per record.</summary>
    internal long Wakes => Volatile.Read(ref _wakes);

    /// <summary>How many writes this writer refused with <paramref name="status"/>.</summary>
    internal long RefusalsOf(WriteStatus status) => Volatile.Read(ref _refusals[(int)status]);

    /// <summary>Whether this writer fences before each waiter check (the symmetric protocol of <see cref="RingIfWaiting"/>).</summary>
    internal bool FencesEachRecord => HasDoorbell && FenceMode.Enabled;

    /// <summary>Whether the close has completed: CLOSE is stored, and no record can be published any more.</summary>
    internal bool IsReleased => Volatile.Read(ref _state) == Closed;

    /// <summary>Whether the writer was disposed: it takes no further record (the close itself may still be running).</summary>
    public bool IsClosed => Volatile.Read(ref _state) != Open;

    /// <summary>
    /// Creates channel <see cref="Metadata.ChannelId"/> under <paramref name="root"/> and returns its writer.
    /// Creates missing folders, holds the <c>.lock</c> file while it initialises the file, reserves the file's
    /// whole length on disk up front (so a full disk fails here, not later), and never overwrites a channel.
    /// </summary>
    /// <param name="root">The root folder that holds channels; created if missing.</param>
    /// <param name="metadata">The channel's structure (<see cref="Metadata.Create"/>).</param>
    /// <param name="handler">The handler chain every record passes through; none (the payload only) when null.</param>
    /// <param name="options">File and folder permissions; <see cref="ShmWriterOptions.Default"/> when null.</param>
    /// <exception cref="ChannelException">The channel exists or is being created, the root is not a folder,
    /// the disk is full, or the storage cannot be accessed. Nothing is left behind.</exception>
    public static ShmWriter Create(string root, Metadata metadata, IHandler? handler = null, ShmWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(metadata);
        options ??= ShmWriterOptions.Default;
        options.Validate();

        string channelFile = System.IO.Path.GetFullPath(StorageLayout.ChannelFile(root, metadata.ChannelId));
        CreateFolders(root, System.IO.Path.GetDirectoryName(channelFile)!, options.FolderMode);
        // The lock is checked before the file: a lock left by a crashed creator usually sits beside its
        // incomplete channel file, and must be reported as StaleLock (with its recovery), not as "already exists".
        CreationLock.ThrowIfHeld(channelFile, creating: true);
        ThrowIfExists(channelFile);
        string lockFile = CreationLock.Acquire(channelFile, options.FileMode);
        try
        {
            // Checked again under the lock: another creator may have finished in between.
            ThrowIfExists(channelFile);
            SharedMapping mapping = CreateFile(channelFile, metadata, options);
            var writer = new ShmWriter(mapping, metadata, channelFile, handler, options.Doorbell);
            // The file is complete: readers this process opens from now on read through this mapping (no page faults for
            // what the writer touched). Before the lock goes, so no reader can open the file mapped by nobody else.
            mapping.Register();
            CreationLock.Release(lockFile);
            writer._observed = ChannelMeter.Observe(writer);
            return writer;
        }
        catch
        {
            TryDelete(lockFile);
            throw;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Called from inside an encoder or handler of a write on this writer, or while another thread writes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public WriteResult Write(ReadOnlySpan<byte> payload)
    {
        if (_handler is not null)
        {
            return WriteThroughHandlers(payload);
        }

        // The fast path: no handler chain, so no record buffer to prepare and no user code inside the write.
        if (!Enter(WriteWithoutCallbacks))
        {
            return Refuse(WriteStatus.Closed);
        }

        if (!CanTakeRecord(out int limit, out WriteResult refusal))
        {
            Exit();
            return refusal;
        }

        if (payload.Length > limit)
        {
            Exit();
            return Refusal(payload.Length > _maxRecordLength ? WriteStatus.RecordTooLarge : WriteStatus.RecordDoesNotFit);
        }

        // Safe: the guard is held, so the mapping stays; payload.Length <= limit <= available - 8, so the copy
        // ends inside the data area.
        payload.CopyTo(new Span<byte>(_data + _writeOffset + ChannelFormat.RecordHeaderLength, payload.Length));
        WriteResult written = Publish(payload.Length);
        Exit();
        return written;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The <see cref="RecordBuffer"/> passed to <paramref name="encoder"/> is valid only until this call returns.
    /// Inside the encoder, writing to this writer again throws <see cref="InvalidOperationException"/>, and
    /// <see cref="Dispose"/> closes the channel when this write ends (after its record, if it is published).
    /// </remarks>
    /// <exception cref="InvalidOperationException">Called from inside an encoder or handler of a write on this writer, or while another thread writes.</exception>
    public WriteResult Write<T>(T value, RecordEncoder<T> encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        // The frame's address tells Dispose, if user code calls it from inside this write, that it runs on this
        // write's stack (IsInsideWrite). Taking it costs nothing; reading the thread's identity (a thread-static or
        // Environment.CurrentManagedThreadId) measured about 1.5 ns per write here.
        byte frame = 0;
        if (!Enter((nint)(&frame)))
        {
            return Refuse(WriteStatus.Closed);
        }

        // Nothing before the encoder throws, and nothing after it (Complete, Exit) does: only user code needs the
        // handler below. No try/finally around the whole write: values living across a protected region stay in
        // the frame, which measured about 1 ns per write here.
        if (!TryBegin(out WriteResult refusal))
        {
            Exit();
            return refusal;
        }

        RecordBuffer record = _record;
        try
        {
            _handler?.Incoming(record);
            encoder(value, record);
            _handler?.Outgoing(record);
        }
        catch (RecordOverflowException) when (record.Overflowed)
        {
            // The encoder asked for more than the record can take: a refusal, not an error.
        }
        catch
        {
            // User code threw: nothing is published, and the write ends here.
            record.Discard();
            record.End();
            Exit();
            throw;
        }

        WriteResult written = Complete(record);
        Exit();
        return written;
    }

    /// <summary>Writes the channel's modified pages to its file and returns when they are there.</summary>
    /// <exception cref="ObjectDisposedException">The writer was disposed.</exception>
    /// <exception cref="InvalidOperationException">Called from inside an encoder or handler of a write on this writer.</exception>
    public void Flush()
    {
        if (!Enter(WriteWithoutCallbacks))
        {
            Exit();
            throw new ObjectDisposedException(nameof(ShmWriter));
        }

        try
        {
            _file.Flush();
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Closes the channel: stores CLOSE right after the last complete record, flushes the file and releases the
    /// mapping. Idempotent, and safe to call from any thread at any time: later writes return
    /// <see cref="WriteStatus.Closed"/>, and the mapping is never released under a running write.
    /// </summary>
    /// <remarks>
    /// If a write runs on another thread, Dispose waits for it up to one second; if it is still running then
    /// (an encoder that blocks, say), Dispose returns and that write closes the channel when it ends. Called from
    /// inside an encoder or handler of this writer, Dispose returns at once and the write closes the channel
    /// when it ends, after its own record if that record is published.
    /// </remarks>
    /// <exception cref="IOException">Flushing failed; the CLOSE marker is still visible to readers on this host.</exception>
    public void Dispose()
    {
        if (Interlocked.CompareExchange(ref _state, Closing, Open) != Open)
        {
            return;
        }

        // The disposer's half of the asymmetric Dekker handshake. A write stores _inWrite (nonzero) and then loads
        // _state; we stored _state (the interlocked exchange is a full fence) and now load _inWrite. Alone, the
        // writer's store-load pair could be reordered by the processor (its store still in a store buffer while
        // its load runs). MemoryBarrierProcessWide makes every thread of the process execute a full fence before
        // it returns, so for each write either its load of _state comes after that fence (it sees Closing and
        // refuses), or its store of _inWrite was made visible by that fence (we see it below and wait). The JIT
        // keeps the writer's volatile store before its volatile load: it does not reorder volatile accesses.
        Interlocked.MemoryBarrierProcessWide();
        nint writing = Volatile.Read(ref _inWrite);
        byte frame = 0;
        if (IsInsideWrite(writing, (nint)(&frame)))
        {
            // Called from an encoder or handler of this writer, on the writing thread: that write closes when it ends.
            return;
        }

        if (writing != NoWrite && !WaitForWriteToEnd())
        {
            // The write outlived the wait: its Exit sees Closing and performs the close.
            return;
        }

        if (TryClaimClose())
        {
            CloseNow(throwOnFlushError: true);
        }
        else
        {
            // The write that just ended claimed the close and is running it: wait (bounded) until it is done.
            WaitFor(static writer => Volatile.Read(ref writer._state) == Closed);
        }
    }

    /// <summary>A payload written through the handler chain: the encoder path, with the payload as the value.</summary>
    private WriteResult WriteThroughHandlers(ReadOnlySpan<byte> payload)
    {
        fixed (byte* bytes = payload)
        {
            // Safe: the payload stays pinned for the whole write, and PinnedPayload does not outlive it.
            return Write(new PinnedPayload(bytes, payload.Length), PinnedPayload.Encoder);
        }
    }

    /// <summary>
    /// Whether Dispose, whose frame is at <paramref name="disposeFrame"/>, runs inside the write whose frame is at
    /// <paramref name="writing"/>: user code of that write (an encoder or a handler) called it on the writing
    /// thread. Stacks grow down, so that frame lies a little below the write's on the same stack; a frame on
    /// another thread's stack lies in another region, which is at least a thread's stack size away unless that
    /// stack is nearly exhausted. Neither mistake can harm: taken as inside, Dispose leaves the close to the write
    /// at once; taken as outside, it waits for the write (<see cref="DisposeWait"/>) and then leaves it the close.
    /// </summary>
    private static bool IsInsideWrite(nint writing, nint disposeFrame) =>
        writing > 0 && writing - disposeFrame is > 0 and < InsideWriteWindow;

    /// <summary>
    /// Starts a write (or a flush): marks it in flight, then checks the writer is open. The writer's half of the
    /// handshake described in <see cref="Dispose"/>: a plain volatile store then a volatile load, no interlocked
    /// operation. False when the writer is closing; the caller must still call <see cref="Exit"/>.
    /// </summary>
    /// <param name="writer">What runs: <see cref="WriteWithoutCallbacks"/>, or the address of a local of the write's frame when user code runs inside.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Enter(nint writer)
    {
        // A write already in flight on this writer: a re-entrant call from an encoder or handler, or a second
        // thread (the writer is single-threaded). Checked before anything is touched, so the outer record and the
        // published records stay as they are.
        if (_inWrite != NoWrite)
        {
            ThrowWriteInFlight();
        }

        Volatile.Write(ref _inWrite, writer);
        return Volatile.Read(ref _state) == Open;
    }

    /// <summary>
    /// Ends a write: clears the in-flight mark (a release store: every store to the mapping before it is visible
    /// to a disposer that sees it clear), then performs the close if <see cref="Dispose"/> ran meanwhile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Exit()
    {
        Volatile.Write(ref _inWrite, NoWrite);
        if (Volatile.Read(ref _state) != Open)
        {
            CloseAfterWrite();
        }
    }

    /// <summary>A write refused because the writer is closing: ends it and returns <paramref name="status"/>.</summary>
    private WriteResult Refuse(WriteStatus status)
    {
        Exit();
        Interlocked.Increment(ref _refusals[(int)status]); // Interlocked: after Exit, another thread's write may be refused too.
        return WriteResult.Of(status);
    }

    /// <summary>A refused write, counted for the metrics (a plain increment: only the writing thread counts here).</summary>
    /// <remarks>
    /// Inlined so that the result is built where it is returned: a result returned from a call on a cold path made the JIT
    /// keep the hot path's result in the frame too (two 4-byte stores read back as one 8-byte load, a store-forwarding
    /// stall of about 1 ns per encoder write here).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private WriteResult Refusal(WriteStatus status)
    {
        _refusals[(int)status]++;
        return WriteResult.Of(status);
    }

    /// <summary>
    /// A write ended after <see cref="Dispose"/> began. If the disposer stopped waiting for it (or was this write's
    /// own encoder), this thread performs the close; it is no longer in a write, so nothing runs in the mapping.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CloseAfterWrite()
    {
        if (TryClaimClose())
        {
            // Nobody to report a flush error to from here: the CLOSE marker is stored, the pages reach the file
            // with the page cache's own write-back.
            CloseNow(throwOnFlushError: false);
        }
    }

    private bool TryClaimClose() => Volatile.Read(ref _closeClaimed) == 0 && Interlocked.Exchange(ref _closeClaimed, 1) == 0;

    /// <summary>Stores CLOSE, flushes and releases the mapping. Runs once, with no write in flight.</summary>
    private void CloseNow(bool throwOnFlushError)
    {
        try
        {
            // Safe: no write runs (the guard says so), the mapping is still held, and the write offset is at most
            // the capacity with the footer's 32 bytes after it. The release store publishes CLOSE after every
            // record: _writeOffset and the records were stored before the last write's release of _inWrite, which
            // the caller acquired (or the caller is that writing thread).
            Volatile.Write(ref *(ulong*)(_data + _writeOffset), ChannelFormat.Close);
            if (HasDoorbell)
            {
                // Sleepers must see the end now, not at their timeout. A full fence, not the global membarrier
                // argument of RingIfWaiting: closing is rare, and the fence makes this path stand alone.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref *_channelWaiters) != 0)
                {
                    Ring();
                }
            }

            _file.Flush();
        }
        catch (IOException) when (!throwOnFlushError)
        {
            // See CloseAfterWrite.
        }
        finally
        {
            // Readers of this process reading through the mapping keep it; the last user retires it (see SharedMapping).
            _mapping.Release();
            Volatile.Write(ref _state, Closed);
            if (_observed)
            {
                ChannelMeter.Departed();
            }
        }
    }

    /// <summary>Waits (spinning, then yielding, up to <see cref="DisposeWait"/>) for the write in flight to end.</summary>
    private bool WaitForWriteToEnd() => WaitFor(static writer => Volatile.Read(ref writer._inWrite) == NoWrite);

    private bool WaitFor(Func<ShmWriter, bool> condition)
    {
        long deadline = Environment.TickCount64 + (long)DisposeWait.TotalMilliseconds;
        var backoff = default(SpinWait);
        while (!condition(this))
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            backoff.SpinOnce(sleep1Threshold: -1);
        }

        return true;
    }

    /// <summary>Checks the channel is not full and prepares the record buffer for the next record.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryBegin(out WriteResult refusal)
    {
        if (!CanTakeRecord(out int limit, out refusal))
        {
            return false;
        }

        _record.Begin(_writeOffset + ChannelFormat.RecordHeaderLength, limit);
        return true;
    }

    /// <summary>Checks the channel is not full; gives the most payload bytes the next record may have.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool CanTakeRecord(out int limit, out WriteResult refusal)
    {
        int available = Available;
        if (available <= ChannelFormat.RecordHeaderLength)
        {
            (limit, refusal) = (0, Refusal(WriteStatus.ChannelFull));
            return false;
        }

        limit = Math.Min(_maxRecordLength, available - ChannelFormat.RecordHeaderLength);
        refusal = default;
        return true;
    }

    /// <summary>Publishes the record in the buffer, or discards it if it overflowed; the buffer is closed either way.</summary>
    private WriteResult Complete(RecordBuffer record)
    {
        if (record.Overflowed)
        {
            record.Discard();
            record.End();
            return Refusal(record.Needed > _maxRecordLength ? WriteStatus.RecordTooLarge : WriteStatus.RecordDoesNotFit);
        }

        record.End();
        return Publish(record.Length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private WriteResult Publish(int length)
    {
        int size = (int)RecordLayout.RecordSize(length);
        byte* data = _data;
        byte* slot = data + _writeOffset;
        // Safe: size <= available, so the next slot is at most at the capacity, and the footer holds it.
        // Order matters: the next slot must read WATERMARK before this record's length makes it reachable.
        Volatile.Write(ref *(ulong*)(slot + size), ChannelFormat.Watermark);
        Volatile.Write(ref *(ulong*)slot, (ulong)length);
        _writeOffset += size;
        RingIfWaiting(data);
        return new WriteResult(WriteStatus.Success, size);
    }

    /// <summary>
    /// After a record is published: rings the doorbell if a reader registered as waiting since the last ring.
    /// With no reader waiting this costs one load of the waiters flag (at a fixed distance from <paramref name="data"/>,
    /// which the caller holds in a register) and a branch.
    /// </summary>
    /// <remarks>
    /// <para>
    /// No lost wake-up (a Dekker store-load pair across processes). The writer does "store length (publish); load
    /// waiters"; a reader (ShmReader.SleepOnDoorbell) does "load wake sequence; store waiters = 1 (pwrite into the
    /// shared page, see DoorbellRegistration); full fence; global membarrier; load the next length slot; futex-wait while the sequence is
    /// unchanged". A processor may run the writer's load before its store drains from the store buffer, so one of
    /// the two sides' fences must separate them. Two ways, both in every case:
    /// </para>
    /// <para>
    /// 1. Asymmetric (the usual case): the writer's process registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED, and the
    /// reader, after storing the flag, issues that membarrier, which makes every running thread of every registered
    /// process (in any process, unlike the private membarrier .NET's MemoryBarrierProcessWide uses) execute a full
    /// fence before it returns; a thread not running passes one when it is scheduled. So either the writer's load
    /// of waiters comes after that fence and sees 1, or its publishing store came before it and the reader's load of
    /// the slot, after the membarrier, sees the record. The writer keeps its per-record path fence-free, which is
    /// what keeps its throughput with no reader waiting at today's level.
    /// </para>
    /// <para>
    /// 2. Symmetric (this process could not register: old kernel, seccomp; or the <see cref="WriterFenceSwitch"/> switch
    /// is on): the writer executes a full fence between publishing and loading waiters, and the reader's fence after
    /// its store is the other. Which protocol is a process-wide constant (<see cref="FenceMode"/>), so the JIT drops the
    /// fence and its test from the asymmetric path entirely. A reader issues the membarrier whenever the kernel offers it, so either kind of
    /// writer pairs with any reader.
    /// </para>
    /// <para>
    /// If the writer sees 1 it clears the flag, bumps the sequence and wakes; a reader that loaded the sequence before
    /// the bump either finds it changed (FUTEX_WAIT compares it atomically with going to sleep) or is asleep and
    /// woken. Clearing the flag is what makes a burst cost one wake: the next records find 0 until a reader registers
    /// again, and a reader killed while registered costs at most one wake, never one per record. If anything above
    /// fails (a reader whose membarrier call failed, say), the reader's futex timeout still bounds the delay.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RingIfWaiting(byte* data)
    {
        if (FenceMode.Enabled && _wakeSequence != null)
        {
            Interlocked.MemoryBarrier();
        }

        // Safe: the flag lies in the header, inside the mapping (held: the caller is inside the write guard); it is zero
        // in a channel without a doorbell, whose readers never register.
        if (Volatile.Read(ref *(uint*)(data + WaitersFromData)) != 0)
        {
            Ring();
        }
    }

    /// <summary>
    /// Clears the waiters flag, bumps the wake sequence and wakes every sleeper (the slow path of <see cref="RingIfWaiting"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Ring()
    {
        if (_wakeSequence == null)
        {
            // No doorbell here (or no futex on this platform): the flag can only be nonzero if something else wrote the
            // header. Nothing to ring.
            return;
        }

        // Safe: called with a doorbell and with the mapping held. The exchange is a full fence: the sequence bump
        // cannot pass it, and a reader that registers after it is woken by a later record.
        if (Interlocked.Exchange(ref *_channelWaiters, 0) == 0)
        {
            return;
        }

        Interlocked.Increment(ref *_wakeSequence);
        Futex.WakeAll(_wakeSequence);
        _wakes++;
    }

    /// <summary>A pinned payload passed as an encoder's value (a span cannot be a type argument).</summary>
    private readonly struct PinnedPayload(byte* bytes, int length)
    {
        public static readonly RecordEncoder<PinnedPayload> Encoder = static (payload, output) => output.Write(payload.Span);

        // Safe: built only by WriteThroughHandlers, while the bytes are pinned.
        private ReadOnlySpan<byte> Span => new(bytes, length);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWriteInFlight() =>
        throw new InvalidOperationException("A write is already running on this writer: an encoder or handler may not write to (or flush) the writer whose write called it, and a ShmWriter takes one thread at a time (share it through a RetryWriter).");

    /// <summary>
    /// Whether this process's writers fence before every waiter check (the symmetric protocol of <see cref="RingIfWaiting"/>):
    /// the <see cref="WriterFenceSwitch"/> switch is on, or the process could not register for global membarriers. Decided
    /// once, when the process's first writer is created (set the switch before that); a static readonly field, so
    /// optimised code treats it as a constant.
    /// </summary>
    private static class FenceMode
    {
        public static readonly bool Enabled = (AppContext.TryGetSwitch(WriterFenceSwitch, out bool fence) && fence) || (Futex.IsSupported && !Futex.ReceivesGlobalBarriers);
    }

    private static void CreateFolders(string root, string folder, UnixFileMode folderMode)
    {
        if (File.Exists(root))
        {
            throw new ChannelException(ChannelError.InvalidRootFolder, root, "the root exists but is a file, not a folder");
        }

        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                List<string> missing = MissingFolders(folder);
                Directory.CreateDirectory(folder, folderMode);
                // mkdir applies the process umask to the mode: set it again so that a mode configured for a
                // group of cooperating processes (0750, say) holds under a restrictive umask too.
                foreach (string created in missing)
                {
                    File.SetUnixFileMode(created, folderMode);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChannelException(ChannelError.CouldNotAccessStorage, folder, $"cannot create the channel's folder: {e.Message}", e);
        }
    }

    /// <summary>The folders from <paramref name="folder"/> up that do not exist yet: the ones this writer creates.</summary>
    private static List<string> MissingFolders(string folder)
    {
        var missing = new List<string>();
        for (string? current = System.IO.Path.GetFullPath(folder); current is not null && !Directory.Exists(current); current = System.IO.Path.GetDirectoryName(current))
        {
            missing.Add(current);
        }

        return missing;
    }

    private static void ThrowIfExists(string channelFile)
    {
        if (File.Exists(channelFile))
        {
            throw new ChannelException(ChannelError.StorageAlreadyExists, channelFile, "a channel already exists here; channels are never overwritten");
        }
    }

    private static SharedMapping CreateFile(string channelFile, Metadata metadata, ShmWriterOptions options)
    {
        UnixFileMode fileMode = options.FileMode;
        long length = metadata.FileLength;
        var streamOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read,
            // Reserve every block now: writing into a sparse page of a full file system kills the process (SIGBUS).
            PreallocationSize = length,
        };
        if (!OperatingSystem.IsWindows())
        {
            streamOptions.UnixCreateMode = fileMode;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(channelFile, streamOptions);
        }
        catch (IOException e) when (!File.Exists(channelFile) && IsDiskFull(e))
        {
            throw new ChannelException(ChannelError.InsufficientSpace, channelFile, $"the file system has no room for the {length}-byte channel file", e);
        }
        catch (IOException e) when (File.Exists(channelFile) && e is not ChannelException)
        {
            throw new ChannelException(ChannelError.StorageAlreadyExists, channelFile, "a channel file appeared here while this writer created it", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChannelException(ChannelError.CouldNotAccessStorage, channelFile, $"cannot create the channel file: {e.Message}", e);
        }

        SharedMapping? mapping = null;
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                // As for folders: the umask must not narrow a mode configured for a group of readers.
                File.SetUnixFileMode(stream.SafeFileHandle, fileMode);
            }

            stream.SetLength(length);
            mapping = SharedMapping.MapForWriter(stream, length, options.HugePages);
            MappedFile file = mapping.File;

            if (options.PreTouch)
            {
                PreTouch(file);
            }

            // Safe: the mapping is `length` bytes, more than the metadata and the first data slot.
            metadata.WriteWithoutSignature(new Span<byte>(file.Base, ChannelFormat.MetadataLength));
            if (options.Doorbell)
            {
                // Safe: inside the 1024-byte header. The wake sequence and the waiters flag start at zero (a new file is zeros).
                *(ulong*)(file.Base + ChannelFormat.DoorbellOffset) = ChannelFormat.DoorbellMark;
                *(uint*)(file.Base + ChannelFormat.DoorbellVersionOffset) = ChannelFormat.DoorbellVersion;
            }

            Volatile.Write(ref *(ulong*)(file.Base + ChannelFormat.DataOffset), ChannelFormat.Watermark);
            // The signature goes last: a header with a signature is complete.
            Volatile.Write(ref *(ulong*)file.Base, ChannelFormat.Signature);
            file.Flush();
            return mapping;
        }
        catch (Exception e)
        {
            if (mapping is null)
            {
                stream.Dispose();
            }
            else
            {
                // Never registered: its only user is this creation, so this unmaps it.
                mapping.Release();
            }

            TryDelete(channelFile);
            if (e is IOException or UnauthorizedAccessException)
            {
                throw new ChannelException(IsDiskFull(e) ? ChannelError.InsufficientSpace : ChannelError.CouldNotAccessStorage, channelFile, $"cannot initialise the channel file: {e.Message}", e);
            }

            throw;
        }
    }

    /// <summary>
    /// Stores a zero in every page of a new mapping, so its page faults happen now rather than in <see cref="Write(ReadOnlySpan{byte})"/>.
    /// Safe and harmless: the file was just created, is all zeros, and no reader can open it while its lock exists.
    /// </summary>
    private static void PreTouch(MappedFile file)
    {
        int page = Environment.SystemPageSize;
        for (long offset = 0; offset < file.Length; offset += page)
        {
            // Safe: offset < file.Length, inside the mapping. A plain store: the JIT never drops stores through pointers.
            file.Base[offset] = 0;
        }
    }

    private static bool IsDiskFull(Exception e)
    {
        // ENOSPC is 28 on Linux and macOS; ERROR_DISK_FULL is 112 and ERROR_HANDLE_DISK_FULL 39 on Windows.
        int code = e.HResult & 0xFFFF;
        return code is 28 or 39 or 112 || e.Message.Contains("disk was full", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort while already failing: the original error is the one to report.
        }
    }
}
