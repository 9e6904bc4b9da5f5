using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Kekbit.Core;
using Kekbit.Journal.Internal;

namespace Kekbit.Journal;

/// <summary>
/// Reads a journal's records in order, following the writer across segments, without blocking and without locks. An
/// <see cref="IReader"/>: everything that reads a channel (Kekbit.Reactive's <c>ToObservable</c>, <c>ReadAllAsync</c>,
/// <c>AsChannelReader</c>) reads a journal. A journal never ends: when the writer closes it, readers report
/// <see cref="ReadStatus.Nothing"/> and go on when a writer opens it again. Not thread-safe: one thread reads through one
/// reader at a time; <see cref="Dispose"/> is safe from any thread.
/// </summary>
/// <remarks>
/// <para>
/// Positions: <see cref="Position"/> and a record's <see cref="ReadResult.Position"/> are journal positions, the segment
/// number in the high 32 bits and the data offset in that segment in the low 32, so that a record's position plus its
/// size (Kekbit.Reactive's <c>Record.NextPosition</c>) is the position after it. Sequence numbers are dense from 0:
/// <see cref="LastSequence"/> is the sequence of the record last returned.
/// </para>
/// <para>
/// Lifetime: a record's payload is a zero-copy view of its segment's mapping, valid until this reader is disposed or has
/// moved two segments past it (the reader keeps the two segments before the current one mapped); after that its
/// <c>Span</c> throws <see cref="ObjectDisposedException"/>, never a crash. A segment deleted (by retention) while the
/// reader is in it stays readable through the mapping.
/// </para>
/// </remarks>
public sealed class JournalReader : IWaitableReader
{
    private const int RetainedSegments = 2;

    // How long a wait sleeps between looks for the next segment when the current one is closed (no doorbell spans segments).
    private static readonly TimeSpan SegmentPollInterval = TimeSpan.FromMilliseconds(2);

    // How often, at most, a reader that reached the end of a closed segment lists the folder for the next segment when
    // the segment right after it does not exist (the idle path after a writer restart; the normal roll needs no listing).
    private const long ListingIntervalMs = 10;

    private readonly string _folder;
    private readonly Queue<ShmReader> _retained = new();
    private readonly CursorFile? _cursor;
    private ShmReader? _reader;
    private long _segment;
    private bool _needHeader;
    private bool _sequenceKnown;
    private long _nextSequence;
    private long _lastSequence = -1;
    private Guid _journalId;
    private bool _timestamped;
    private JournalFault? _fault;
    private long _nextListing;
    private string? _nextPath;
    private bool _disposed;

    private JournalReader(string folder, CursorFile? cursor)
    {
        _folder = folder;
        _cursor = cursor;
        _segment = -1;
    }

    /// <summary>The journal's folder.</summary>
    public string Folder => _folder;

    /// <summary>The current segment's metadata (the first segment's once it exists).</summary>
    /// <exception cref="InvalidOperationException">The journal has no segment yet.</exception>
    public Metadata Metadata => _reader?.Metadata ?? throw new InvalidOperationException($"the journal in '{_folder}' has no segment yet");

    /// <summary>
    /// The journal position of the next record to read: segment number in the high 32 bits, data offset in the low 32. A
    /// valid start (<see cref="JournalStart.AtPosition"/>) and what <see cref="Commit()"/> stores.
    /// </summary>
    public long Position => Segments.PositionOf(Math.Max(_segment, 0), _reader?.Position ?? 0);

    /// <summary>The sequence number of the next record to read, once known (the reader has read a segment header); otherwise -1.</summary>
    public long NextSequence => _sequenceKnown ? _nextSequence : -1;

    /// <summary>The sequence number of the record the last successful <see cref="TryRead"/> returned; -1 before the first.</summary>
    public long LastSequence => _lastSequence;

    /// <summary>The number of the segment being read; -1 before the journal has one.</summary>
    public long Segment => _segment;

    /// <summary>The journal's id, once the reader has read a segment header.</summary>
    public Guid JournalId => _journalId;

    /// <summary>Whether the current segment's records start with an 8-byte timestamp (<see cref="JournalWriterOptions.Timestamps"/>).</summary>
    public bool IsTimestamped => _timestamped;

    /// <summary>The durable cursor's name, for a reader opened with <see cref="OpenCursor"/>; otherwise null.</summary>
    public string? CursorName => _cursor?.Name;

    /// <summary><see cref="ReadStatus.Failed"/> once the reader met a damaged segment or a gap; otherwise null (a journal is never closed and has no timeout).</summary>
    public ReadStatus? ExhaustedBy => _fault is null ? null : ReadStatus.Failed;

    /// <summary>The channel failure behind <see cref="Fault"/>, when a segment is damaged; otherwise <see cref="ReadFailure.None"/>.</summary>
    public ReadFailure Failure => _fault?.Failure ?? ReadFailure.None;

    /// <summary>Why the reader failed (the error, the segment file, the offset), or null.</summary>
    public JournalFault? Fault => _fault;

    /// <summary>Opens a reader of the journal in <paramref name="folder"/> at <paramref name="start"/>.</summary>
    /// <param name="folder">The journal's folder. It need not exist yet: a reader at the beginning waits for the first segment.</param>
    /// <param name="start">Where to start; <see cref="JournalStart.Beginning"/> when null.</param>
    /// <exception cref="JournalException">The start lies outside the journal (<see cref="JournalError.InvalidStart"/> or
    /// <see cref="JournalError.Gap"/>), or a segment on the way is damaged or unreadable.</exception>
    public static JournalReader Open(string folder, JournalStart? start = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var reader = new JournalReader(Path.GetFullPath(folder), cursor: null);
        try
        {
            reader.Start(start ?? JournalStart.Beginning);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a reader with the durable cursor <paramref name="name"/>: it resumes after the last position that cursor
    /// committed (<see cref="Commit()"/>), across process restarts; a new cursor starts at <paramref name="startIfNew"/>.
    /// One reader per cursor at a time, across processes.
    /// </summary>
    /// <param name="folder">The journal's folder.</param>
    /// <param name="name">The cursor's name: letters, digits, '.', '-' and '_', at most 100 characters.</param>
    /// <param name="startIfNew">Where a cursor that never committed starts; <see cref="JournalStart.Beginning"/> when null.</param>
    /// <param name="options">Commit durability and gap handling; defaults when null.</param>
    /// <exception cref="JournalException"><see cref="JournalError.CursorInUse"/> when another reader has the cursor;
    /// <see cref="JournalError.Gap"/> when retention deleted records the cursor had not committed past (unless
    /// <see cref="JournalCursorOptions.AcceptGap"/>).</exception>
    public static JournalReader OpenCursor(string folder, string name, JournalStart? startIfNew = null, JournalCursorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= JournalCursorOptions.Default;
        folder = Path.GetFullPath(folder);
        CursorFile cursor = CursorFile.Open(folder, name, options.FlushToDisk);
        var reader = new JournalReader(folder, cursor);
        try
        {
            if (cursor.Committed is not CursorFile.Slot committed)
            {
                reader.Start(startIfNew ?? JournalStart.Beginning);
            }
            else
            {
                try
                {
                    reader.Start(JournalStart.AtPosition(committed.Position));
                }
                catch (JournalException e) when (e.Error == JournalError.Gap && options.AcceptGap)
                {
                    reader.Start(JournalStart.Beginning);
                }
            }

            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Moves into the next segment when the current one is closed. Allocates nothing per record (entering a segment
    /// allocates its reader). A damaged segment or a gap in the sequence ends reading with <see cref="ReadStatus.Failed"/>;
    /// <see cref="Fault"/> says where.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadResult TryRead()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ShmReader? reader = _reader;
        if (reader is not null && !_needHeader)
        {
            ReadResult result = reader.TryRead();
            if (result.Status == ReadStatus.Record)
            {
                _lastSequence = _nextSequence++;
                return ReadResult.Record(Segments.PositionOf(_segment, result.Position), result.Payload);
            }

            if (result.Status == ReadStatus.Nothing)
            {
                return ReadResult.NoRecord(ReadStatus.Nothing, Position);
            }
        }

        return ReadSlow();
    }

    /// <summary>
    /// Blocks until <see cref="TryRead"/> has something other than <see cref="ReadStatus.Nothing"/> to return, or until
    /// <paramref name="timeout"/> passes. Inside a segment it sleeps on the segment's doorbell (<see cref="ShmReader.WaitForData"/>),
    /// which the writer also rings when it closes the segment to roll; between segments (the writer is creating the next one,
    /// or is down) it looks every 2 ms. May return true once at a segment's end with nothing yet to read after it.
    /// </summary>
    /// <param name="timeout">How long to wait: zero or more, or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>True if there is (probably) something to read; false if the timeout passed first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not infinite.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public bool WaitForData(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long deadline = Deadline(timeout);
        bool woke = false;
        while (true)
        {
            switch (NextWaitStep(deadline, woke, cancellationToken, out ShmReader? segment, out TimeSpan pause))
            {
                case WaitStep.Ready:
                    return true;
                case WaitStep.TimedOut:
                    return false;
                case WaitStep.InSegment:
                    if (!segment!.WaitForData(Remaining(deadline), cancellationToken))
                    {
                        return false;
                    }

                    woke = true;
                    break;
                default:
                    woke = false;
                    cancellationToken.WaitHandle.WaitOne(pause);
                    break;
            }
        }
    }

    /// <summary>
    /// Waits as <see cref="WaitForData"/> does, holding no thread: inside a segment through the segment reader's own
    /// asynchronous wait, between segments with a timer. Completes synchronously when there is something already.
    /// </summary>
    /// <param name="timeout">How long to wait: zero or more, or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>True if there is (probably) something to read; false if the timeout passed first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not infinite.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> WaitForDataAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long deadline = Deadline(timeout);
        bool woke = false;
        while (true)
        {
            switch (NextWaitStep(deadline, woke, cancellationToken, out ShmReader? segment, out TimeSpan pause))
            {
                case WaitStep.Ready:
                    return true;
                case WaitStep.TimedOut:
                    return false;
                case WaitStep.InSegment:
                    if (!await segment!.WaitForDataAsync(Remaining(deadline), cancellationToken).ConfigureAwait(false))
                    {
                        return false;
                    }

                    woke = true;
                    break;
                default:
                    woke = false;
                    await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>What <see cref="WaitForData"/> and <see cref="WaitForDataAsync"/> do next; <see cref="NextWaitStep"/> decides.</summary>
    private enum WaitStep
    {
        /// <summary>Return true: something to read (or a fault to report).</summary>
        Ready,

        /// <summary>Return false: the timeout passed.</summary>
        TimedOut,

        /// <summary>Wait on the current segment's doorbell, then call again with <c>woke</c> set.</summary>
        InSegment,

        /// <summary>Between segments: sleep the pause, then call again.</summary>
        Pause,
    }

    /// <summary>
    /// One turn of the wait loops, all but the waiting itself (which is the one thing the blocking and the asynchronous wait
    /// do differently): after a wake in a segment, true at once unless the segment's header is still to be read; then the
    /// checks (disposed, cancelled, fault), the current segment, or moving on to the next segment, or the pause before
    /// looking again.
    /// </summary>
    private WaitStep NextWaitStep(long deadline, bool woke, CancellationToken cancellationToken, out ShmReader? segment, out TimeSpan pause)
    {
        segment = null;
        pause = default;
        if (woke)
        {
            if (!_needHeader)
            {
                return WaitStep.Ready;
            }

            ReadHeaderIfThere();
        }

        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            if (_fault is not null)
            {
                return WaitStep.Ready;
            }

            if (_reader is { ExhaustedBy: null } reader)
            {
                segment = reader;
                return WaitStep.InSegment;
            }

            if (TryMoveOnForWait())
            {
                continue;
            }

            TimeSpan remaining = Remaining(deadline);
            if (remaining == TimeSpan.Zero)
            {
                return WaitStep.TimedOut;
            }

            pause = Min(remaining, SegmentPollInterval);
            return WaitStep.Pause;
        }
    }

    /// <summary>
    /// Commits this reader's <see cref="Position"/> to its durable cursor: a reader opened with the same name later resumes
    /// here. Atomic: a crash during the commit leaves the previous or the new position, never anything else.
    /// </summary>
    /// <exception cref="InvalidOperationException">The reader has no durable cursor.</exception>
    public void Commit() => Commit(Position, NextSequence);

    /// <summary>
    /// Commits <paramref name="position"/> (a record's position to read it again, or the position after it, such as
    /// Kekbit.Reactive's <c>Record.NextPosition</c>) to this reader's durable cursor.
    /// </summary>
    /// <param name="position">A journal position this reader returned.</param>
    /// <exception cref="InvalidOperationException">The reader has no durable cursor.</exception>
    public void Commit(long position) => Commit(position, position == Position ? NextSequence : -1);

    /// <summary>
    /// Reads the timestamp of a record of a timestamped journal (<see cref="IsTimestamped"/>): its first 8 bytes, Unix time in
    /// the segment's tick unit.
    /// </summary>
    /// <param name="payload">A record's payload.</param>
    /// <exception cref="ArgumentException">The payload is shorter than 8 bytes.</exception>
    public static ulong TimestampOf(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < sizeof(ulong))
        {
            throw new ArgumentException("A timestamped record starts with 8 bytes of timestamp.", nameof(payload));
        }

        return BinaryPrimitives.ReadUInt64LittleEndian(payload);
    }

    /// <summary>Releases the segments' mappings and the cursor; payloads read earlier become invalid. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        lock (_retained)
        {
            _disposed = true;
            _reader?.Dispose();
            while (_retained.TryDequeue(out ShmReader? old))
            {
                old.Dispose();
            }
        }

        _cursor?.Dispose();
    }

    private void Commit(long position, long sequence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_cursor is null)
        {
            throw new InvalidOperationException("This reader has no durable cursor: open it with JournalReader.OpenCursor to commit.");
        }

        _cursor.Commit(position, sequence);
    }

    /// <summary>Everything but a record or nothing in the current segment: headers, segment ends, failures.</summary>
    private ReadResult ReadSlow()
    {
        while (true)
        {
            if (_fault is not null)
            {
                return ReadResult.NoRecord(ReadStatus.Failed, Position, _fault.Failure);
            }

            if (_reader is null)
            {
                if (!TryMoveOn())
                {
                    return ReadResult.NoRecord(ReadStatus.Nothing, Position);
                }

                continue;
            }

            ReadResult result = _reader.TryRead();
            switch (result.Status)
            {
                case ReadStatus.Record when _needHeader:
                    AcceptHeader(result);
                    continue;
                case ReadStatus.Record:
                    _lastSequence = _nextSequence++;
                    return ReadResult.Record(Segments.PositionOf(_segment, result.Position), result.Payload);
                case ReadStatus.Nothing:
                    return ReadResult.NoRecord(ReadStatus.Nothing, Position);
                case ReadStatus.Closed:
                    if (!TryMoveOn())
                    {
                        return ReadResult.NoRecord(ReadStatus.Nothing, Position);
                    }

                    continue;
                default:
                    Fail(JournalError.SegmentDamaged, result.Position, result.Failure,
                        $"segment {_segment} is damaged at data offset {result.Position} ({ChannelInspection.Describe(result.Failure)}); records before it were delivered");
                    continue;
            }
        }
    }

    /// <summary>In a segment whose header is not read yet: reads it if it is there (or notes the segment's end).</summary>
    private void ReadHeaderIfThere()
    {
        ReadResult result = _reader!.TryRead();
        switch (result.Status)
        {
            case ReadStatus.Record:
                AcceptHeader(result);
                break;
            case ReadStatus.Failed:
                Fail(JournalError.SegmentDamaged, result.Position, result.Failure, $"segment {_segment} is damaged at data offset {result.Position} ({ChannelInspection.Describe(result.Failure)})");
                break;
        }
    }

    /// <summary>For a wait: moves on from a closed segment (or from none) when the next one is there.</summary>
    private bool TryMoveOnForWait() => (_reader is null || _reader.ExhaustedBy == ReadStatus.Closed) && TryMoveOn();

    private static long Deadline(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return long.MaxValue;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        return Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);
    }

    private static TimeSpan Remaining(long deadline) =>
        deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));

    private static TimeSpan Min(TimeSpan remaining, TimeSpan interval) => remaining == Timeout.InfiniteTimeSpan || remaining > interval ? interval : remaining;

    private void AcceptHeader(ReadResult result)
    {
        if (!SegmentHeader.TryRead(result.Span, out SegmentHeader header) || header.Segment != _segment)
        {
            Fail(JournalError.InvalidSegmentHeader, result.Position, ReadFailure.None, $"the first record of segment {_segment} is not a journal segment header for it");
            return;
        }

        if (_journalId != Guid.Empty && header.JournalId != _journalId)
        {
            Fail(JournalError.InvalidSegmentHeader, result.Position, ReadFailure.None, $"segment {_segment} belongs to journal {header.JournalId}, not {_journalId}");
            return;
        }

        if (_sequenceKnown && header.FirstSequence != _nextSequence)
        {
            if (header.FirstSequence > _nextSequence)
            {
                Fail(JournalError.Gap, result.Position, ReadFailure.None,
                    $"records {_nextSequence} to {header.FirstSequence - 1} are gone (deleted segments); segment {_segment} starts at sequence {header.FirstSequence}");
            }
            else
            {
                Fail(JournalError.InvalidSegmentHeader, result.Position, ReadFailure.None,
                    $"segment {_segment} says it starts at sequence {header.FirstSequence}, but the segments before it end at {_nextSequence}");
            }

            return;
        }

        _journalId = header.JournalId;
        _nextSequence = header.FirstSequence;
        _sequenceKnown = true;
        _timestamped = header.Timestamped;
        _needHeader = false;
    }

    private void Fail(JournalError error, long offset, ReadFailure failure, string message) =>
        _fault = new JournalFault(error, Segments.PathOf(_folder, Math.Max(_segment, 0)), offset, failure, message);

    /// <summary>Moves into the segment after the current one (closed, or none yet) if it exists; false when there is none yet.</summary>
    private bool TryMoveOn()
    {
        long next = _segment + 1;
        _nextPath ??= Segments.PathOf(_folder, next);
        if (!File.Exists(_nextPath))
        {
            // Usually the writer has not created it yet. After a restart (or retention) numbers may skip: look, now and then.
            long now = Environment.TickCount64;
            if (now < _nextListing)
            {
                return false;
            }

            _nextListing = now + ListingIntervalMs;
            long found = -1;
            foreach (long segment in Segments.List(_folder))
            {
                if (segment > _segment)
                {
                    found = segment;
                    break;
                }
            }

            if (found < 0)
            {
                return false;
            }

            next = found;
        }

        ShmReader opened;
        try
        {
            opened = ShmReader.Open(Segments.PathOf(_folder, next));
        }
        catch (ChannelException e) when (e.Error is ChannelError.StorageNotFound or ChannelError.StorageNotReady or ChannelError.StaleLock or ChannelError.FileTooShort)
        {
            return false; // Being created (or removed by a recovering writer): look again later.
        }
        catch (ChannelException e)
        {
            _segment = next;
            Fail(JournalError.SegmentDamaged, 0, ReadFailure.None, $"segment {next} cannot be opened: {e.Message}");
            return true;
        }

        Enter(next, opened);
        return true;
    }

    /// <summary>Makes <paramref name="reader"/> (at the start of segment <paramref name="segment"/>) the current segment's reader.</summary>
    private void Enter(long segment, ShmReader reader)
    {
        // Under the lock Dispose takes: a Dispose on another thread either sees the new reader (and disposes it) or runs
        // first (and the new reader is disposed here); no mapping outlives the journal reader.
        lock (_retained)
        {
            if (_disposed)
            {
                reader.Dispose();
                throw new ObjectDisposedException(nameof(JournalReader));
            }

            if (_reader is not null)
            {
                _retained.Enqueue(_reader);
                if (_retained.Count > RetainedSegments)
                {
                    _retained.Dequeue().Dispose();
                }
            }

            _reader = reader;
        }

        _segment = segment;
        _needHeader = true;
        _nextPath = null;
        _nextListing = 0;
    }

    // ---- Starting ----

    private void Start(JournalStart start)
    {
        switch (start.Kind)
        {
            case JournalStartKind.Beginning:
                StartAtBeginning();
                break;
            case JournalStartKind.End:
                StartAtEnd();
                break;
            case JournalStartKind.Sequence:
                StartAtSequence(start.Value);
                break;
            case JournalStartKind.Time:
                StartAtTime(start.Time);
                break;
            default:
                StartAtPosition(start.Value);
                break;
        }
    }

    private void StartAtBeginning()
    {
        List<long> segments = Segments.List(_folder);
        foreach (long segment in segments)
        {
            ShmReader? reader = Segments.TryOpen(_folder, segment, out SegmentHeader? header);
            if (reader is null)
            {
                continue;
            }

            EnterAfterHeader(segment, reader, header);
            return;
        }
    }

    /// <summary>Enters a segment opened by <see cref="Segments.TryOpen"/>: after its header when it has one, else waiting for it.</summary>
    private void EnterAfterHeader(long segment, ShmReader reader, SegmentHeader? header)
    {
        Enter(segment, reader);
        if (header is SegmentHeader h)
        {
            _journalId = h.JournalId;
            _nextSequence = h.FirstSequence;
            _sequenceKnown = true;
            _timestamped = h.Timestamped;
            _needHeader = false;
        }
    }

    private void StartAtEnd()
    {
        List<long> segments = Segments.List(_folder);
        for (int i = segments.Count - 1; i >= 0; i--)
        {
            ShmReader? reader = Segments.TryOpen(_folder, segments[i], out SegmentHeader? header);
            if (reader is null)
            {
                continue;
            }

            if (header is null)
            {
                reader.Dispose();
                continue;
            }

            EnterAfterHeader(segments[i], reader, header);
            JumpByIndex(segments[i], static _ => true);
            SkipRecords(long.MaxValue);
            return;
        }
    }

    /// <summary>Reads past up to <paramref name="count"/> records of the current segment; returns how many it passed.</summary>
    private long SkipRecords(long count)
    {
        long skipped = 0;
        while (skipped < count && _reader!.TryRead().IsRecord)
        {
            skipped++;
        }

        _nextSequence += skipped;
        _lastSequence = _nextSequence - 1;
        return skipped;
    }

    private void StartAtSequence(long sequence)
    {
        List<long> segments = Segments.List(_folder);
        SegmentHeader? oldest = FirstHeaderFrom(segments, 0, out int oldestAt);
        if (oldest is not SegmentHeader first)
        {
            if (sequence == 0)
            {
                StartAtBeginning();
                return;
            }

            throw new JournalException(JournalError.InvalidStart, _folder, $"the journal has no record, so sequence {sequence} is past its end");
        }

        if (sequence < first.FirstSequence)
        {
            throw new JournalException(JournalError.Gap, _folder, $"sequence {sequence} is gone: the oldest record left is {first.FirstSequence}");
        }

        int at = LastSegmentStartingAtOrBefore(segments, oldestAt, header => header.FirstSequence <= sequence ? 0 : 1, out SegmentHeader found);
        OpenHeaded(segments[at]);
        JumpByIndex(segments[at], entry => entry.Sequence <= sequence);
        long wanted = sequence - _nextSequence;
        if (SkipRecords(wanted) != wanted)
        {
            throw new JournalException(JournalError.InvalidStart, Segments.PathOf(_folder, segments[at]), $"sequence {sequence} is past the journal's end ({_nextSequence})");
        }
    }

    /// <summary>
    /// Binary search over <paramref name="segments"/> (from <paramref name="from"/>, a headed segment) for the last headed
    /// segment whose header satisfies <paramref name="atOrBefore"/> (returns 0). Opens O(log n) segments; segments without a
    /// header (sealed empty after a writer died) are stepped over to the next headed one.
    /// </summary>
    private int LastSegmentStartingAtOrBefore(List<long> segments, int from, Func<SegmentHeader, int> atOrBefore, out SegmentHeader found)
    {
        int lo = from, hi = segments.Count - 1;
        found = FirstHeaderFrom(segments, lo, out _)!.Value;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (FirstHeaderFrom(segments, mid, out int at) is SegmentHeader header && at <= hi && atOrBefore(header) == 0)
            {
                lo = at;
                found = header;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>The header of the first segment at index <paramref name="index"/> or after that has one; null if none does.</summary>
    private SegmentHeader? FirstHeaderFrom(List<long> segments, int index, out int at)
    {
        for (at = index; at < segments.Count; at++)
        {
            if (Segments.TryReadHeader(_folder, segments[at]) is SegmentHeader header)
            {
                return header;
            }
        }

        return null;
    }

    private void StartAtTime(DateTimeOffset time)
    {
        List<long> segments = Segments.List(_folder);
        if (FirstHeaderFrom(segments, 0, out int oldestAt) is not SegmentHeader oldest)
        {
            StartAtBeginning();
            return;
        }

        if (!oldest.Timestamped)
        {
            throw new JournalException(JournalError.InvalidStart, _folder, "the journal's records carry no timestamp (JournalWriterOptions.Timestamps was off): it cannot be read from a time");
        }

        OpenHeaded(segments[oldestAt]);
        ulong ticks = UnixTicks(time, _reader!.Metadata.TickUnit);
        int at = LastSegmentStartingAtOrBefore(segments, oldestAt, header => header.StartTime <= ticks ? 0 : 1, out _);
        if (at != oldestAt)
        {
            Retire();
            OpenHeaded(segments[at]);
        }

        // Within the segment: the first record stamped at or after the time; the end of the segment if none is. The index
        // takes the reader to the last indexed record stamped before the time (stamps do not decrease); the walk goes on from there.
        JumpByIndex(segments[at], entry =>
        {
            _reader!.SeekToTrusted(entry.Offset);
            ReadResult probe = _reader.TryRead();
            return probe.IsRecord && probe.Span.Length >= sizeof(ulong) ? TimestampOf(probe.Span) < ticks : null;
        });
        long skipped = 0;
        long before = _reader!.Position;
        ReadResult result;
        while ((result = _reader.TryRead()).IsRecord)
        {
            if (result.Span.Length >= sizeof(ulong) && TimestampOf(result.Span) >= ticks)
            {
                break;
            }

            before = _reader.Position;
            skipped++;
        }

        if (_reader.Position != before)
        {
            _reader.SeekTo(before);
        }

        _nextSequence += skipped;
        _lastSequence = _nextSequence - 1;
    }

    private static ulong UnixTicks(DateTimeOffset time, TickUnit unit)
    {
        TimeSpan sinceEpoch = time - DateTimeOffset.UnixEpoch;
        return sinceEpoch <= TimeSpan.Zero ? 0 : unit.FromTimeSpan(sinceEpoch);
    }

    private void StartAtPosition(long position)
    {
        long segment = Segments.SegmentOf(position);
        long offset = Segments.OffsetOf(position);
        string path = Segments.PathOf(_folder, segment);
        ShmReader? reader = Segments.TryOpen(_folder, segment, out SegmentHeader? header);
        if (reader is null)
        {
            List<long> segments = Segments.List(_folder);
            if (segments.Count > 0 && segments[0] > segment)
            {
                throw new JournalException(JournalError.Gap, path, $"position {position} lies in segment {segment}, which is gone: the oldest segment left is {segments[0]}");
            }

            throw new JournalException(JournalError.InvalidStart, path, $"position {position} lies in segment {segment}, which does not exist");
        }

        EnterAfterHeader(segment, reader, header);
        if (header is null)
        {
            if (offset != 0)
            {
                throw new JournalException(JournalError.InvalidStart, path, $"position {position}: segment {segment} has no record yet");
            }

            return;
        }

        if (offset == 0)
        {
            // Before the header: the reader reads it again; the sequence is the header's either way.
            return;
        }

        JumpByIndex(segment, entry => entry.Offset <= offset);
        while (reader.Position < offset)
        {
            if (!reader.TryRead().IsRecord)
            {
                break;
            }

            _nextSequence++;
        }

        _lastSequence = _nextSequence - 1;
        if (reader.Position != offset)
        {
            throw new JournalException(JournalError.InvalidStart, path, $"position {position} is not a record boundary of segment {segment} (data offset {offset}; the records reached {reader.Position})");
        }
    }

    /// <summary>
    /// In the segment just entered (the reader right after its header), moves the reader to the last entry of the segment's
    /// sparse index that satisfies <paramref name="atOrBefore"/> (true for a prefix of the entries; null: the entry does not
    /// match the segment, give up on the index) and sets the sequence to that entry's. Without a usable index, or when no
    /// entry satisfies it, the reader stays after the header: the caller's walk then goes from there. Either way the walk
    /// that follows finds the same record; the index only bounds it (fewer than <see cref="JournalWriterOptions.IndexInterval"/>
    /// records, plus what a killed writer had not indexed).
    /// </summary>
    private void JumpByIndex(long segment, Func<SegmentIndex.Entry, bool?> atOrBefore)
    {
        ShmReader reader = _reader!;
        long afterHeader = reader.Position;
        long first = _nextSequence;
        bool? Guarded(SegmentIndex.Entry entry)
        {
            try
            {
                return atOrBefore(entry);
            }
            catch (ChannelException)
            {
                return null; // the entry names no record boundary the file holds: a damaged index
            }
        }

        if (SegmentIndex.TryFindLast(_folder, segment, _journalId, first, Guarded, out SegmentIndex.Entry found))
        {
            try
            {
                reader.SeekToTrusted(found.Offset);
                _nextSequence = found.Sequence;
                _lastSequence = found.Sequence - 1;
                return;
            }
            catch (ChannelException)
            {
                // As if there were no index.
            }
        }

        reader.SeekToTrusted(afterHeader);
        _nextSequence = first;
    }

    private void OpenHeaded(long segment)
    {
        ShmReader reader = Segments.TryOpen(_folder, segment, out SegmentHeader? header)
            ?? throw new JournalException(JournalError.Gap, Segments.PathOf(_folder, segment), $"segment {segment} vanished while the reader looked for its start");
        EnterAfterHeader(segment, reader, header);
    }

    private void Retire()
    {
        lock (_retained)
        {
            _reader?.Dispose();
            _reader = null;
        }
    }
}
