using System.Diagnostics;
using System.Runtime.CompilerServices;
using Kekbit.Core.Diagnostics;
using Kekbit.Core.Internal;

namespace Kekbit.Core;

/// <summary>
/// Reads a channel through a memory mapping of its file (read-only, unless the channel's writer is in this process: see the
/// remarks). Opening validates the metadata;
/// <see cref="TryRead"/> then follows the read protocol: load the length slot at the position (acquire);
/// a length up to the max record length is a record, WATERMARK is nothing yet, CLOSE is the end, anything
/// else is corruption. Whatever the file holds, a reader never reads outside it: a file shorter than its
/// data area (as kekbit 0.3.5 creates them) is read up to the last record lying wholly inside it, then the
/// read fails with <see cref="ReadFailure.FileTruncated"/>.
/// </summary>
/// <remarks>
/// <para>
/// Not thread-safe: one thread reads through one reader. Open one reader per consumer; readers are cheap.
/// Records are zero-copy views valid until the reader is disposed (see <see cref="ReadResult"/>).
/// </para>
/// <para>
/// On Linux, everything in one process that maps a channel file shares one mapping of it (files are told apart by device
/// and inode, not path). A reader opened while this process writes the channel reads through the writer's mapping, and
/// one opened while another reader of this process holds the file through that reader's read-only mapping: it maps
/// nothing new, so every page the writer wrote or an earlier reader read costs it nothing (a fresh mapping otherwise pays
/// a page fault per 16 pages of 4 KiB, or per 2 MiB page on a huge-page tmpfs). The mapping lives while any of them is
/// open; each reader keeps its own position and lifetime checks. Readers never write through a mapping; the writer's is
/// writable, so a reader in the writer's process does not trap a stray write made through unsafe code as a read-only
/// mapping would.
/// </para>
/// </remarks>
public sealed unsafe class ShmReader : IWaitableReader
{
    /// <summary>The longest single futex sleep of <see cref="WaitForData"/>: bounds the cost of any lost wake-up, a dead writer's silence and cancellation latency.</summary>
    internal static readonly TimeSpan MaxDoorbellSleep = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The longest single futex sleep of the blocking <see cref="WaitForData"/>: 50 ms. A lost wake-up cannot happen by the
    /// protocol (ShmWriter.RingIfWaiting), so the cap only bounds pathological cases (a writer killed between publishing and
    /// ringing); dead writers are detected by the caller's own timeout (<see cref="TimeoutReader"/> shortens the wait to
    /// it) and cancellation wakes the sleep, so the cap need not be short: an idle blocked reader wakes 20 times a second.
    /// </summary>
    internal static readonly TimeSpan MaxBlockingDoorbellSleep = TimeSpan.FromMilliseconds(50);

    // Wakes this reader's own blocking sleep when its wait is cancelled (see WaitForData).
    private static readonly Action<object?> WakeOnCancel = static state => ((ShmReader)state!).WakeSleepers();

    /// <summary>
    /// How far ahead of its position a reader keeps its mapping populated by default (see <see cref="ReadAhead"/>): zero, off.
    /// Measured (<c>read-ahead-cost</c> benchmark mode, BENCHMARKS.md): populating a window with madvise costs what the page
    /// faults it replaces cost (the kernel maps the pages either way; faults already map 16 at a time), so a reader reading
    /// a fresh mapping gained nothing at any window from 256 KiB to 16 MiB. Kept as a measured knob, not a default.
    /// </summary>
    internal const long DefaultReadAheadWindow = 0;

    /// <summary>How long <see cref="WaitForData"/> sleeps between looks when the channel has no doorbell.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(1);

    // Whether this process may issue global expedited membarriers (the reader's half of the argument in ShmWriter.RingIfWaiting).
    private static readonly bool CanIssueGlobalBarrier = Futex.CanIssueGlobalBarriers;

    private readonly SharedMapping _mapping;
    private int _released;
    private readonly MappedFile _file;
    private readonly MappedMemory _memory;
    private readonly byte* _data;
    private readonly long _dataLimit;
    private readonly long _capacity;
    private readonly ulong _maxRecordLength;
    private long _position;

    // Read-ahead (see ReadAhead): TryRead populates the mapping ahead of the reader when its position reaches _readAheadMark;
    // the pages of [0, _populatedTo) have been asked for already.
    private long _readAheadMark;
    private long _populatedTo;
    private long _readAheadWindow = DefaultReadAheadWindow;
    private long _readAheadCalls;
    private ReadStatus? _exhaustedBy;

    // The position from which TryRead leaves its fast path: the read-ahead mark, or the first slot that does not lie wholly
    // inside the data the file holds, whichever comes first; long.MinValue once the reader is exhausted or disposed. One
    // compare per record then stands for every state check (see UpdateReadLimit).
    private long _readLimit;
    private ReadFailure _failure;
    private bool _disposed;
    private bool _observed;
    private readonly DoorbellRegistration? _doorbell;
    private readonly uint* _wakeSequence;
    private readonly uint* _waiters;

    // The doorbell registration this reader made last (SleepOnDoorbell), and the wake sequence loaded just before it.
    private bool _registered;
    private uint _registeredSequence;
    private long _doorbellSleeps;

    // The source of this reader's WaitForDataAsync tasks, made on its first wait that could not complete at once and reused.
    private ReaderWait? _asyncWait;
    private long _timeoutWakeups;

    private ShmReader(SharedMapping mapping, Metadata metadata, string path, DoorbellRegistration? doorbell)
    {
        MappedFile file = mapping.File;
        _mapping = mapping;
        _doorbell = doorbell;
        // Safe: set only with a doorbell, whose file holds the 1024-byte header; the range stays mapped (as zeros after
        // Dispose, see RetiredMapping) for as long as this reader is reachable, so loads and futex waits on it never fault.
        _wakeSequence = doorbell is null ? null : (uint*)(file.Base + ChannelFormat.WakeSequenceOffset);
        _waiters = doorbell is null ? null : (uint*)(file.Base + ChannelFormat.WaitersOffset);
        _file = file;
        Metadata = metadata;
        Path = path;
        _capacity = metadata.Capacity;
        _maxRecordLength = (ulong)metadata.MaxRecordLength;
        // The data area the file really holds: kekbit 0.3.5 files end 896 bytes early, damaged files anywhere.
        _dataLimit = Math.Min(file.Length - ChannelFormat.DataOffset, _capacity + ChannelFormat.FooterLength);
        // Safe: _data is only dereferenced at offsets checked against _dataLimit, which lies inside the mapping.
        _data = file.Base + ChannelFormat.DataOffset;
        _memory = new MappedMemory(_data, (int)Math.Max(0, _dataLimit), mapping);
        ResetReadAhead();
    }

    /// <inheritdoc/>
    public Metadata Metadata { get; }

    /// <summary>The channel file this reader maps.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public long Position => _position;

    /// <inheritdoc/>
    public ReadStatus? ExhaustedBy => _exhaustedBy;

    /// <inheritdoc/>
    public ReadFailure Failure => _failure;

    /// <summary>
    /// Whether the file is shorter than 1024 + capacity + 32 bytes (kekbit 0.3.5 writes its files 896 bytes
    /// short). Such a file is read up to the last record wholly inside it.
    /// </summary>
    public bool IsFileTruncated => _dataLimit < _capacity + ChannelFormat.FooterLength;

    /// <summary>
    /// Whether <see cref="WaitForData"/> sleeps on the channel's doorbell (a futex the writer rings when it publishes) rather
    /// than polling: the channel was created with the doorbell (<see cref="ShmWriterOptions.Doorbell"/>; channels written
    /// by kekbit 0.3.5 have none), the platform has futexes (Linux on x86-64 or arm64), and this process may write the
    /// channel file (a reader registers as waiting by writing a flag in the file's header, through a file handle: its
    /// mapping stays read-only; read-only permission means polling).
    /// </summary>
    public bool HasDoorbell => _doorbell is not null;

    /// <summary>How many futex sleeps <see cref="WaitForData"/> began.</summary>
    internal long DoorbellSleeps => _doorbellSleeps;

    /// <summary>How many futex sleeps ended by their timeout although a record (or the end) was there: wake-ups that came only by timeout.</summary>
    internal long TimeoutWakeups => _timeoutWakeups;

    /// <summary>Opens channel <paramref name="channelId"/> under <paramref name="root"/> for reading, from its first record.</summary>
    /// <param name="root">The root folder that holds channels.</param>
    /// <param name="channelId">The channel id.</param>
    /// <exception cref="ChannelException">The root is not a folder, or the channel is missing, still being created, unreadable or has invalid metadata.</exception>
    public static ShmReader Open(string root, ulong channelId)
    {
        ThrowIfRootIsAFile(root);
        return Open(StorageLayout.ChannelFile(root, channelId));
    }

    /// <summary>Opens the channel file at <paramref name="channelFile"/> for reading, from its first record.</summary>
    /// <param name="channelFile">The path of a <c>.kekbit</c> file.</param>
    /// <exception cref="ChannelException">The channel is missing, still being created, unreadable or has invalid metadata.</exception>
    public static ShmReader Open(string channelFile)
    {
        ShmReader reader = OpenUnobserved(channelFile);
        reader._observed = ChannelMeter.Observe(reader);
        return reader;
    }

    /// <summary>
    /// <see cref="Open(string)"/> without joining the metrics (<see cref="ChannelMeter"/>): for readers that only look, such as
    /// an inspection, and for the meter's own record counting.
    /// </summary>
    internal static ShmReader OpenUnobserved(string channelFile)
    {
        ArgumentNullException.ThrowIfNull(channelFile);
        ThrowIfTooShortToOpen(channelFile);
        FileStream stream;
        try
        {
            stream = new FileStream(channelFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            CreationLock.ThrowIfHeld(channelFile);
            throw new ChannelException(ChannelError.StorageNotFound, channelFile, "no channel file exists here", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChannelException(ChannelError.CouldNotAccessStorage, channelFile, $"cannot open the channel file: {e.Message}", e);
        }

        SharedMapping mapping;
        try
        {
            // Checked after opening: a file that exists while its lock does not has finished its creation,
            // because the creator makes the lock before the file and removes it after the header.
            CreationLock.ThrowIfHeld(channelFile);
            long length = stream.Length;
            if (length < ChannelFormat.MetadataLength)
            {
                throw new ChannelException(ChannelError.FileTooShort, channelFile, $"the file holds {length} bytes, fewer than the {ChannelFormat.MetadataLength} bytes of metadata");
            }

            if (length > ChannelFormat.FileLength(ChannelFormat.MaxCapacity))
            {
                // Larger than any channel this implementation maps; the metadata check would reject it anyway.
                length = ChannelFormat.FileLength(ChannelFormat.MaxCapacity);
            }

            // The mapping this process has of the file already (another reader's), or a new one: see SharedMapping.
            mapping = SharedMapping.Acquire(stream, length);
        }
        catch (Exception e) when (e is IOException and not ChannelException or UnauthorizedAccessException)
        {
            stream.Dispose();
            throw new ChannelException(ChannelError.CouldNotAccessStorage, channelFile, $"cannot map the channel file: {e.Message}", e);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        try
        {
            MappedFile file = mapping.File;
            // Safe: the mapping holds at least MetadataLength bytes (checked above).
            var metadata = Metadata.Read(new ReadOnlySpan<byte>(file.Base, ChannelFormat.MetadataLength), channelFile);
            // Safe: a valid channel's file holds at least its 1024-byte header (the metadata check above accepts none shorter than
            // 128 bytes, so the length is checked here). The mark is written before the signature, so a complete header shows it.
            DoorbellRegistration? doorbell = file.Length >= ChannelFormat.DataOffset
                && *(ulong*)(file.Base + ChannelFormat.DoorbellOffset) == ChannelFormat.DoorbellMark
                && *(uint*)(file.Base + ChannelFormat.DoorbellVersionOffset) == ChannelFormat.DoorbellVersion
                    ? DoorbellRegistration.TryOpen(channelFile, new ReadOnlySpan<byte>(file.Base, ChannelFormat.MetadataLength))
                    : null;
            return new ShmReader(mapping, metadata, channelFile, doorbell);
        }
        catch
        {
            mapping.Release();
            throw;
        }
    }

    /// <summary>
    /// Opens channel <paramref name="channelId"/>, retrying while it does not exist yet or is still being
    /// created, until <paramref name="timeout"/> passes (kekbit's <c>try_shm_reader</c>); with
    /// <see cref="Timeout.InfiniteTimeSpan"/>, until it exists. Other errors are thrown at once. Blocks the
    /// calling thread while waiting; <see cref="OpenWhenReadyAsync"/> waits without holding one.
    /// </summary>
    /// <param name="root">The root folder that holds channels.</param>
    /// <param name="channelId">The channel id.</param>
    /// <param name="timeout">How long to keep trying: zero or more (zero tries once), or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops waiting early; observed within a millisecond or so.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="ChannelException">The channel did not become readable in time (the last error), or is invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ShmReader OpenWhenReady(string root, ulong channelId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var retry = new OpenRetry(timeout);
        ThrowIfRootIsAFile(root);
        string channelFile = StorageLayout.ChannelFile(root, channelId);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan pause = default;
            try
            {
                return Open(channelFile);
            }
            catch (ChannelException e) when (OpenRetry.MayRetry(e) && retry.TryNext(out pause))
            {
            }

            // Cancellation ends the pause at once.
            OpenRetry.Pause(pause, cancellationToken);
        }
    }

    /// <summary>
    /// <see cref="OpenWhenReady"/> without holding a thread: between attempts it waits on a timer. Retries while
    /// the channel does not exist yet or is still being created, until <paramref name="timeout"/> passes, or with
    /// <see cref="Timeout.InfiniteTimeSpan"/> until it exists; other errors fail the task at once.
    /// </summary>
    /// <param name="root">The root folder that holds channels.</param>
    /// <param name="channelId">The channel id.</param>
    /// <param name="timeout">How long to keep trying: zero or more (zero tries once), or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops waiting; the task is then cancelled.</param>
    /// <returns>The opened reader, owned by the caller.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/> (thrown before any wait).</exception>
    /// <exception cref="ChannelException">The channel did not become readable in time (the last error), or is invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<ShmReader> OpenWhenReadyAsync(string root, ulong channelId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // Argument errors are thrown here, synchronously, as for the blocking form.
        var retry = new OpenRetry(timeout);
        ThrowIfRootIsAFile(root);
        return OpenRetry.OpenAsync(StorageLayout.ChannelFile(root, channelId), retry, cancellationToken);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadResult TryRead()
    {
        long position = _position;
        if (position < _readLimit)
        {
            // Safe: below _readLimit, [position, position + 8) lies inside the data the file holds, and position is 8-aligned
            // (it only advances by record sizes): an aligned atomic acquire load, as in TryReadChecked.
            ulong length = Volatile.Read(ref *(ulong*)(_data + position));
            if (length <= _maxRecordLength)
            {
                // A Dispose on another thread may have retired the mapping since the limit was read: the length then came
                // from the zero range. The acquire load orders this check after it.
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
                long end = position + ChannelFormat.RecordHeaderLength + (long)length;
                long next = RecordLayout.AlignUp(end);
                if (next <= _capacity && end <= _dataLimit)
                {
                    _position = next;
                    return ReadResult.Record(position, _memory.Slice((int)position + ChannelFormat.RecordHeaderLength, (int)length));
                }
            }
            else if (length == ChannelFormat.Watermark)
            {
                return ReadResult.NoRecord(ReadStatus.Nothing, position);
            }
        }

        // Every other case, defined once: disposed, exhausted, a read-ahead step, the end of the file, CLOSE, corruption.
        return TryReadChecked();
    }

    /// <summary>
    /// <see cref="TryRead"/> with every check spelled out, for whatever its fast path does not cover; reads the same slot
    /// again (a record published meanwhile is a record).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReadResult TryReadChecked()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_exhaustedBy is ReadStatus final)
        {
            return ReadResult.NoRecord(final, _position, _failure);
        }

        long position = _position;
        if (position >= _readAheadMark)
        {
            // Once per window (never with read-ahead off): the one compare a record pays for its pages being mapped before it is read.
            ReadAhead(position);
        }

        if (position + ChannelFormat.RecordHeaderLength > _dataLimit)
        {
            return Fail(ReadFailure.FileTruncated);
        }

        // Safe: [position, position + 8) lies inside the data the file holds (checked above), and position
        // is 8-aligned, so the load is an aligned atomic 8-byte read. Acquire: the payload bytes published
        // before this length are visible below.
        ulong length = Volatile.Read(ref *(ulong*)(_data + position));
        if (length <= _maxRecordLength)
        {
            // A Dispose on another thread may have retired the mapping between the check above and the load:
            // the length then came from the zero range. The acquire load orders this re-check after it.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            long next = position + RecordLayout.RecordSize((long)length);
            if (next > _capacity)
            {
                return Fail(ReadFailure.RecordBeyondCapacity);
            }

            if (position + ChannelFormat.RecordHeaderLength + (long)length > _dataLimit)
            {
                return Fail(ReadFailure.FileTruncated);
            }

            _position = next;
            return ReadResult.Record(position, _memory.Slice((int)position + ChannelFormat.RecordHeaderLength, (int)length));
        }

        if (length == ChannelFormat.Watermark)
        {
            return ReadResult.NoRecord(ReadStatus.Nothing, position);
        }

        if (length == ChannelFormat.Close)
        {
            _exhaustedBy = ReadStatus.Closed;
            UpdateReadLimit();
            return ReadResult.NoRecord(ReadStatus.Closed, position);
        }

        return Fail(ReadFailure.UnknownMarker);
    }

    /// <summary>
    /// Reads up to <paramref name="maxRecords"/> published records, without waiting, and hands each to
    /// <paramref name="handler"/> in order (see <see cref="IReader.ReadBatch{THandler}"/>): the records, checks and outcome of
    /// a <see cref="TryRead"/> loop, with the reader's state (disposed, exhausted, read-ahead) checked once per batch rather
    /// than once per record. Per record the loop loads the length slot (acquire), checks the length and the record's end
    /// against the data the file holds, and re-checks the disposed flag; anything else (nothing yet, the end, a failure, the
    /// end of the file, a read-ahead step) goes through <see cref="TryRead"/> itself, so there is one definition of each
    /// outcome. Allocates nothing; a struct handler is inlined.
    /// </summary>
    /// <typeparam name="THandler">The handler; a struct, so the call is specialised and inlined.</typeparam>
    /// <param name="handler">Receives each record; its payload is valid while this reader is not disposed.</param>
    /// <param name="maxRecords">The most records to read; positive.</param>
    /// <returns>How many records were handed to the handler.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRecords"/> is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed, before or during the batch.</exception>
    public int ReadBatch<THandler>(ref THandler handler, int maxRecords)
        where THandler : IRecordHandler
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count = 0;
        byte* data = _data;
        long position = _position;
        // The fast loop stays below the read limit (the read-ahead mark, the last slot wholly inside the file, or nothing at
        // all once exhausted); reaching it goes through TryRead, which takes the read-ahead step or reports the outcome.
        long readLimit = _readLimit;
        long dataLimit = _dataLimit;
        long capacity = _capacity;
        ulong maxRecordLength = _maxRecordLength;
        MappedMemory memory = _memory;
        while (count < maxRecords)
        {
            if (position < readLimit)
            {
                // Safe: [position, position + 8) lies inside the data the file holds (below the read limit), and
                // position is 8-aligned (it only ever advances by record sizes): an aligned atomic acquire load, as in TryRead.
                ulong length = Volatile.Read(ref *(ulong*)(data + position));
                // A Dispose on another thread (or by the handler) may have retired the mapping: the length may then come
                // from the zero range. The acquire load orders this check after it, as in TryRead.
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
                if (length <= maxRecordLength)
                {
                    long end = position + ChannelFormat.RecordHeaderLength + (long)length;
                    long next = RecordLayout.AlignUp(end);
                    if (next <= capacity && end <= dataLimit)
                    {
                        _position = next;
                        count++;
                        ReadResult record = ReadResult.Record(position, memory.Slice((int)position + ChannelFormat.RecordHeaderLength, (int)length));
                        if (!handler.OnRecord(in record))
                        {
                            break;
                        }

                        // Read back rather than kept: a handler may move this reader (SeekTo) or read it from inside the batch.
                        position = _position;
                        readLimit = _readLimit;
                        continue;
                    }
                }
            }

            // The rare outcomes, defined once: TryRead reads the same slot again (a record published meanwhile is a record).
            ReadResult result = TryRead();
            if (!result.IsRecord)
            {
                break;
            }

            count++;
            position = _position;
            readLimit = _readLimit;
            if (!handler.OnRecord(in result))
            {
                break;
            }
        }

        return count;
    }

    /// <summary>
    /// Blocks until <see cref="TryRead"/> has something other than <see cref="ReadStatus.Nothing"/> to return (a record,
    /// the end of the channel, a failure), or until <paramref name="timeout"/> passes. Consumes nothing. With a doorbell
    /// (<see cref="HasDoorbell"/>) the thread sleeps in a futex and wakes within microseconds of the writer publishing;
    /// without one it looks every millisecond or so.
    /// </summary>
    /// <remarks>
    /// Each sleep lasts at most 50 ms before the channel is looked at again, so a writer that dies (and never rings)
    /// costs the caller nothing beyond its own timeout: wrap the reader in a <see cref="TimeoutReader"/> to detect it, as
    /// when polling. Cancellation wakes the sleep at once (or, if it lands between the token's check and the sleep,
    /// within that one sleep). Call it from the reading thread (a reader is not
    /// thread-safe); <see cref="Dispose"/> from another thread wakes it, and it then throws <see cref="ObjectDisposedException"/>.
    /// </remarks>
    /// <param name="timeout">How long to wait: zero or more (zero only looks), or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>True if there is something to read; false if the timeout passed first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed, before or during the wait.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public bool WaitForData(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        bool infinite = timeout == Timeout.InfiniteTimeSpan;
        if (!infinite)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (HasSomethingToRead())
        {
            return true;
        }

        long start = Stopwatch.GetTimestamp();
        // Cancellation wakes the futex sleep at once (the callback wakes every sleeper on the channel's word: the others
        // look and sleep again). The registration reuses its node once the token's source has one: no allocation per wait.
        using CancellationTokenRegistration wake = _doorbell is not null && cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(WakeOnCancel, this)
            : default;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan remaining = infinite ? MaxBlockingDoorbellSleep : timeout - Stopwatch.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            if (_doorbell is not null)
            {
                SleepOnDoorbell(remaining < MaxBlockingDoorbellSleep ? remaining : MaxBlockingDoorbellSleep);
            }
            else
            {
                Thread.Sleep(remaining < PollInterval ? remaining : PollInterval);
            }

            if (HasSomethingToRead())
            {
                return true;
            }
        }
    }

    /// <summary>
    /// <see cref="WaitForData"/> holding no thread while it waits: until <see cref="TryRead"/> has something other than
    /// <see cref="ReadStatus.Nothing"/> to return (a record, the end of the channel, a failure), or until
    /// <paramref name="timeout"/> passes. Consumes nothing. Completes synchronously when there is something already.
    /// </summary>
    /// <remarks>
    /// <para>
    /// With a doorbell (<see cref="HasDoorbell"/>) and a kernel with futex_waitv (Linux 5.16 and later), the reader registers
    /// as waiting here, on the caller's thread, and a process-wide waiter (background threads named "Kekbit doorbell
    /// waiter", one per 127 pending waits, each asleep in one futex_waitv) completes the task within microseconds of the
    /// writer publishing. Whatever happens, a pending wait is looked at again: every 500 ms at first, backing off to every 4 s
    /// while those looks find nothing the doorbell missed, which bounds what a lost wake-up (a writer killed between
    /// publishing and ringing) costs; a dead writer is detected by the wait's own
    /// <paramref name="timeout"/> (see <see cref="TimeoutReader"/>); a timeout of 40 ms or more may end up to 10 ms late, so
    /// that timeouts due close together complete in one batch. Without a doorbell, one timer shared by every such wait looks
    /// about every millisecond.
    /// </para>
    /// <para>
    /// The continuation never runs on the waiter's thread: it is queued to the thread pool (or the awaiter's captured
    /// context). A wait allocates nothing in steady state: the task's source is pooled per reader, so the returned task
    /// must be awaited exactly once, and a reader takes one wait at a time (it is not thread-safe). Cancelling the token or
    /// calling <see cref="Dispose"/> from another thread ends a pending wait at once.
    /// </para>
    /// </remarks>
    /// <param name="timeout">How long to wait: zero or more (zero only looks), or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops the wait; the task then fails with an <see cref="OperationCanceledException"/> for this token.</param>
    /// <returns>True if there is something to read; false if the timeout passed first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/> (thrown before any wait).</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed, before or during the wait.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">Another <see cref="WaitForDataAsync"/> of this reader is still pending.</exception>
    public ValueTask<bool> WaitForDataAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        bool infinite = timeout == Timeout.InfiniteTimeSpan;
        if (!infinite)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        if (HasSomethingToRead())
        {
            return new ValueTask<bool>(true);
        }

        if (timeout == TimeSpan.Zero)
        {
            return new ValueTask<bool>(false);
        }

        long deadline = infinite ? long.MaxValue : DeadlineAfter(timeout);
        bool doorbell = _doorbell is not null && DoorbellWaiter.IsSupported;
        // The registration happens here, on the caller's thread: a record already there completes the wait synchronously.
        if (doorbell && PrepareDoorbellSleep())
        {
            return new ValueTask<bool>(true);
        }

        ReaderWait wait = _asyncWait ??= new ReaderWait(this);
        return wait.Start(deadline, doorbell, cancellationToken);
    }

    /// <summary>The <see cref="Stopwatch"/> timestamp <paramref name="timeout"/> from now (saturating: a timeout of years never wraps).</summary>
    private static long DeadlineAfter(TimeSpan timeout)
    {
        double ticks = timeout.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
        long now = Stopwatch.GetTimestamp();
        return ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
    }

    /// <summary>
    /// Registers as waiting, looks at the channel again, and sleeps on the wake sequence unless the writer rang in
    /// between (the protocol is argued in ShmWriter.RingIfWaiting).
    /// </summary>
    /// <summary>
    /// Wakes the threads asleep on this channel's wake sequence (a cancelled <see cref="WaitForData"/>): they look at the
    /// channel and their tokens, and sleep again if nothing changed for them.
    /// </summary>
    private void WakeSleepers()
    {
        // Safe: the word stays mapped (as zeros after Dispose, see RetiredMapping) while this reader is reachable, and the
        // registration that calls this keeps it reachable.
        Futex.WakeAll(_wakeSequence);
    }

    private void SleepOnDoorbell(TimeSpan sleep)
    {
        if (PrepareDoorbellSleep())
        {
            return;
        }

        _doorbellSleeps++;
        if (Futex.Wait(_wakeSequence, _registeredSequence, sleep) == Futex.WaitResult.TimedOut && HasSomethingToRead())
        {
            _timeoutWakeups++;
        }
    }

    /// <summary>
    /// The doorbell's registration step, shared by the blocking and the async waits: registers as waiting (unless still
    /// registered), then looks at the channel again. True: there is something to read, do not sleep. False: sleep on
    /// <see cref="WakeSequenceWord"/> while it holds <see cref="RegisteredSequence"/>; a ring after the registration
    /// changes the word. Only with a doorbell; called by the thread that waits for this reader (the reading thread, or
    /// the async waiter's thread while the reader's owner awaits), never by two at once.
    /// </summary>
    internal bool PrepareDoorbellSleep()
    {
        // Safe: both words lie in this reader's mapping, which stays mapped while the reader is reachable (see the constructor).
        // Still registered from an earlier sleep if the writer has not rung since (the sequence it bumps
        // on every ring is unchanged) and the flag is still set: then every record published since that registration
        // rings, and a ring changes the sequence the futex compares, so sleeping again needs no new registration. This
        // keeps an idle reader to one futex timeout per 10 ms, with no pwrite or membarrier.
        if (_registered && Volatile.Read(ref *_wakeSequence) == _registeredSequence && Volatile.Read(ref *_waiters) != 0)
        {
            return false;
        }

        _registeredSequence = Volatile.Read(ref *_wakeSequence);
        // Register (a store into the shared page, through pwrite), then a full fence: the store is ordered before the
        // load of the slot below (the symmetric case). A failed registration leaves the wait bounded by its timeout.
        _registered = _doorbell!.TryRegister();
        Interlocked.MemoryBarrier();
        if (CanIssueGlobalBarrier)
        {
            // The asymmetric case: a writer in a registered process fences here, so its publish or its check is ordered.
            Futex.GlobalBarrier();
        }

        // If something is there, the flag stays set; the writer's next record clears it with one wake at most.
        return HasSomethingToRead();
    }

    /// <summary>The futex word a doorbell sleep waits on (the channel's wake sequence); null without a doorbell.</summary>
    internal uint* WakeSequenceWord => _wakeSequence;

    /// <summary>The wake sequence loaded by the last registration (<see cref="PrepareDoorbellSleep"/>): the value to sleep on.</summary>
    internal uint RegisteredSequence => _registeredSequence;

    /// <summary>Whether the last registration stored the waiters flag (false: only a timeout or a look ends the sleep).</summary>
    internal bool IsRegistered => _registered;

    /// <summary>Whether the writer or another reader of this process maps the same file through this reader's mapping now.</summary>
    internal bool SharesMapping => _mapping.IsShared;

    /// <summary>Whether <see cref="Dispose"/> has begun (read from any thread: the metrics, the async waiter).</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed);

    /// <summary>
    /// A look at the channel that consumes nothing: whether <see cref="TryRead"/> would return something other than
    /// <see cref="ReadStatus.Nothing"/>. Throws if the reader was disposed (its mapping then reads zeros).
    /// </summary>
    internal bool HasSomethingToRead()
    {
        if (_exhaustedBy is not null)
        {
            return true;
        }

        long position = _position;
        // Safe: the slot lies inside the data the file holds, as in TryRead; past that TryRead reports the truncation.
        bool something = position + ChannelFormat.RecordHeaderLength > _dataLimit || Volatile.Read(ref *(ulong*)(_data + position)) != ChannelFormat.Watermark;
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        return something;
    }

    /// <summary>
    /// Maps every page of the channel from the reading position to the end of its file into this process now, so the
    /// reads that follow take no page fault (a fresh mapping otherwise pays one fault per page, or per small group of
    /// pages, on first read). Same as <see cref="Prefault(long)"/> with the whole rest of the data area.
    /// </summary>
    /// <returns>True if the pages are now mapped; false where the platform only takes advice (see <see cref="Prefault(long)"/>).</returns>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    public bool Prefault() => Prefault(long.MaxValue);

    /// <summary>
    /// Maps the pages of the next <paramref name="bytes"/> bytes of the channel, from the reading position (clamped to
    /// the end of the file), into this process now, so reading them takes no page fault. Prefaulting moves the cost of
    /// the faults to this call rather than removing it: call it when a burst of reading is about to start (after
    /// opening a reader that will catch up on a full channel), or from idle time ahead of the position, in chunks
    /// (say 64 MiB), to keep faults off a latency-sensitive reader's path. On Linux 5.14 and later this is
    /// <c>madvise(MADV_POPULATE_READ)</c>; on older Linux, macOS and FreeBSD it only advises the kernel to read the
    /// pages ahead (<c>MADV_WILLNEED</c>) and returns false; elsewhere it does nothing and returns false. It never
    /// changes what is read, writes nothing, and allocates nothing. Pages the writer has not written yet are mapped as
    /// they are then (zeros, on a new channel), and stay coherent with the writer's later stores. Call it from the
    /// reading thread, as <see cref="TryRead"/>; a <see cref="Dispose"/> racing it on another thread is harmless.
    /// </summary>
    /// <param name="bytes">How many bytes from the reading position; zero or more (zero does nothing).</param>
    /// <returns>True if the pages are now mapped; false if the platform was only advised, or could not be.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    public bool Prefault(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ObjectDisposedException.ThrowIf(_disposed, this);
        long from = ChannelFormat.DataOffset + _position;
        long available = ChannelFormat.DataOffset + _dataLimit - from;
        // A Dispose racing this on another thread is harmless: the retired range is anonymous zero pages (or the file,
        // kept mapped), and madvise of either changes no byte a reader sees.
        if (available <= 0 || bytes <= 0)
        {
            return false;
        }

        long length = Math.Min(bytes, available);
        bool mapped = _file.Prefault(from, length);
        long end = _position + length;
        if (mapped && _readAheadWindow != 0 && end > _populatedTo)
        {
            // Read-ahead need not ask again for what this populated ([position, end)): it resumes one window before its end.
            _populatedTo = end;
            _readAheadMark = end >= _dataLimit ? long.MaxValue : end - _readAheadWindow;
            UpdateReadLimit();
        }

        return mapped;
    }

    /// <summary>
    /// How many bytes ahead of its position this reader keeps its mapping populated (<see cref="DefaultReadAheadWindow"/>);
    /// zero turns read-ahead off, so every page faults in on first read. For measurements and tests.
    /// </summary>
    internal long ReadAheadWindow
    {
        get => _readAheadWindow;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _readAheadWindow = value;
            ResetReadAhead();
        }
    }

    /// <summary>How many read-ahead steps (madvise calls at most) this reader took.</summary>
    internal long ReadAheadCalls => _readAheadCalls;

    /// <summary>
    /// Read-ahead: populates the mapping from <paramref name="position"/> up to two windows past it (clamped to the data
    /// the file holds; pages asked for before are skipped), and sets the next mark one window before the end of that, so
    /// the reader stays between one and two windows behind the populated end and each step asks for about one window.
    /// A fresh mapping otherwise takes a page fault per page (or small group of pages) on first read; here they are taken
    /// in one madvise(MADV_POPULATE_READ) per window, ahead of the reader. madvise never touches the memory: a file that
    /// shrank makes the call fail (it then only advises), never fault, and the reader's own bounds are unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReadAhead(long position)
    {
        long window = _readAheadWindow;
        long end = position + 2 * window < _dataLimit ? position + 2 * window : _dataLimit;
        long from = Math.Max(position, _populatedTo);
        if (end > from)
        {
            _readAheadCalls++;
            _ = _file.Prefault(ChannelFormat.DataOffset + from, end - from);
            _populatedTo = end;
        }

        // At the end of the file nothing is left to populate: no mark is ever reached again (SeekTo resets it).
        _readAheadMark = end >= _dataLimit ? long.MaxValue : end - window;
        UpdateReadLimit();
    }

    /// <summary>Forgets what read-ahead populated, after the position moved backwards (<see cref="SeekTo"/>).</summary>
    private void ResetReadAhead()
    {
        _populatedTo = 0;
        _readAheadMark = _readAheadWindow == 0 ? long.MaxValue : 0;
        UpdateReadLimit();
    }

    /// <summary>
    /// Recomputes <see cref="_readLimit"/> after any change to what it stands for: the read-ahead mark, the exhaustion, the
    /// disposal. A Dispose on another thread racing this may be overwritten here; the fast path's re-check of the disposed
    /// flag after its load is what keeps that safe, the limit only keeps the common case to one compare.
    /// </summary>
    private void UpdateReadLimit() =>
        _readLimit = _exhaustedBy is not null || Volatile.Read(ref _disposed)
            ? long.MinValue
            : Math.Min(_readAheadMark, _dataLimit - ChannelFormat.RecordHeaderLength + 1);

    /// <summary>
    /// Moves the reader to <paramref name="position"/>, a position saved from <see cref="Position"/> or
    /// <see cref="ReadResult.Position"/>, so reading resumes there. The position is validated by walking the
    /// published records from the start: it must be the start of a record, or the end of the published data.
    /// A reader exhausted by CLOSE or a failure becomes readable again.
    /// </summary>
    /// <param name="position">A data-area offset.</param>
    /// <exception cref="ChannelException"><see cref="ChannelError.InvalidPosition"/>: the position is not a record boundary the writer published.</exception>
    public void SeekTo(long position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (position < 0 || position % RecordLayout.Alignment != 0 || position > _capacity)
        {
            throw InvalidPosition(position, "it is not an 8-aligned offset inside the data area");
        }

        long current = 0;
        while (current < position)
        {
            if (current + ChannelFormat.RecordHeaderLength > _dataLimit)
            {
                throw InvalidPosition(position, $"the file ends at data offset {_dataLimit} before it");
            }

            // Safe: bounds checked above; aligned acquire load as in TryRead.
            ulong length = Volatile.Read(ref *(ulong*)(_data + current));
            if (length > _maxRecordLength)
            {
                throw InvalidPosition(position, $"the published data ends at {current}");
            }

            current += RecordLayout.RecordSize((long)length);
        }

        // A racing Dispose may have let the walk above read zeros.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        if (current != position)
        {
            throw InvalidPosition(position, $"it falls inside a record (the next record boundary is {current})");
        }

        _position = position;
        _exhaustedBy = null;
        _failure = ReadFailure.None;
        ResetReadAhead();
    }

    /// <summary>
    /// Moves the reader to <paramref name="position"/> in O(1), for a position a trusted index says is a record boundary
    /// (the journal's segment index): unlike <see cref="SeekTo"/> it does not walk the records before it, so it checks only
    /// that the position is an 8-aligned offset inside the data the file holds whose slot holds a record length, WATERMARK
    /// or CLOSE. A position that passes but is not a boundary makes later reads return wrong records or
    /// <see cref="ReadStatus.Failed"/>, never a read outside the mapping (every read checks its own bounds).
    /// </summary>
    /// <exception cref="ChannelException"><see cref="ChannelError.InvalidPosition"/>: the position fails those checks.</exception>
    internal void SeekToTrusted(long position)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (position < 0 || position % RecordLayout.Alignment != 0 || position > _capacity ||
            position + ChannelFormat.RecordHeaderLength > _dataLimit)
        {
            throw InvalidPosition(position, "it is not an 8-aligned offset inside the data the file holds");
        }

        // Safe: [position, position + 8) lies inside the data the file holds (checked above) and is 8-aligned.
        ulong length = Volatile.Read(ref *(ulong*)(_data + position));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        if (length > _maxRecordLength && length != ChannelFormat.Watermark && length != ChannelFormat.Close)
        {
            throw InvalidPosition(position, "its slot holds no record length");
        }

        _position = position;
        _exhaustedBy = null;
        _failure = ReadFailure.None;
        UpdateReadLimit();
    }

    /// <summary>
    /// Releases the channel file. Payloads read earlier become invalid: their <c>Span</c> throws
    /// <see cref="ObjectDisposedException"/>. Never a crash: a span taken before (or while another thread
    /// disposes the reader) reads zeros from then on on Linux and macOS, or the file's bytes elsewhere, because
    /// the address range stays mapped until every payload over it is unreachable. On Linux the readers (and the writer) of one
    /// file in one process share its mapping (see the class remarks): such a span keeps reading the file's (unchanged)
    /// bytes until the last of them is disposed, and zeros after. Idempotent.
    /// </summary>
    /// <remarks>
    /// A <see cref="TryRead"/> racing this on another thread returns normally or throws
    /// <see cref="ObjectDisposedException"/>; it never delivers a record made of the zeros left behind.
    /// </remarks>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        // Store-then-retire: a TryRead that sees the retired (zero) range re-checks the flag after its
        // acquire load of the length slot; the mmap below cannot happen before this store in program order,
        // and the kernel's page-table switch is a full barrier on every CPU running this process.
        Volatile.Write(ref _disposed, true);
        _readLimit = long.MinValue;
        if (_doorbell is not null)
        {
            // After the flag, so a thread woken here sees it; before the retirement, while the word is still the file's.
            // Wakes the channel's other sleepers too (they look and sleep again). A thread that goes to sleep just after
            // this wakes by its timeout (at most 10 ms) and sees the flag.
            Futex.WakeAll(_wakeSequence);
            _doorbell.Dispose();
        }

        // After the flag: a pending async wait's waiter is asked to complete it (it lets go of it before completing), and a
        // wait that begins meanwhile sees the flag (ReaderWait.Start).
        Volatile.Read(ref _asyncWait)?.Request(ReaderWait.DisposeRequested);

        _memory.Invalidate();
        // The mapping stays while other readers of this process use it; the last one retires it (see SharedMapping). Released
        // exactly once even if two threads dispose this reader at once: a second release would retire the mapping under
        // another reader, which would then read zeros as records.
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _mapping.Release();
        }
        if (_observed)
        {
            ChannelMeter.Departed();
        }
    }

    /// <summary>
    /// Refuses, before opening it, a file whose size cannot hold the metadata. Besides short files this catches
    /// a FIFO (or a device) planted at the channel's path: such files report no size, and opening a FIFO for
    /// reading would block until some process opened it for writing, hanging the reader. A missing file is left
    /// to the open that follows; a short file whose creator still holds the lock is not ready rather than short.
    /// </summary>
    private static void ThrowIfTooShortToOpen(string channelFile)
    {
        if (SizeOf(channelFile) is not long length || length >= ChannelFormat.MetadataLength)
        {
            return;
        }

        CreationLock.ThrowIfHeld(channelFile);
        // Measured again after the lock check, as Open does: the creator may have finished in between, and it
        // releases its lock only once the file has its full length (a race the many-readers soak test caught).
        if (SizeOf(channelFile) is long now && now < ChannelFormat.MetadataLength)
        {
            throw new ChannelException(ChannelError.FileTooShort, channelFile, $"the file holds {now} bytes, fewer than the {ChannelFormat.MetadataLength} bytes of metadata (or is not a regular file)");
        }
    }

    /// <summary>The file's size without opening it (following links); null when it cannot be told (missing, say).</summary>
    private static long? SizeOf(string file)
    {
        try
        {
            return new FileInfo(file).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reports a root that is a file (or a dangling link) as the writer does, <see cref="ChannelError.InvalidRootFolder"/>:
    /// a configuration error, not a channel that may still appear.
    /// </summary>
    private static void ThrowIfRootIsAFile(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (File.Exists(root))
        {
            throw new ChannelException(ChannelError.InvalidRootFolder, root, "the root exists but is a file, not a folder");
        }
    }

    private ReadResult Fail(ReadFailure failure)
    {
        _exhaustedBy = ReadStatus.Failed;
        _failure = failure;
        UpdateReadLimit();
        return ReadResult.NoRecord(ReadStatus.Failed, _position, failure);
    }

    private ChannelException InvalidPosition(long position, string why) =>
        new(ChannelError.InvalidPosition, Path, $"cannot resume from position {position}: {why}");
}
