using System.Diagnostics;
using System.Runtime.CompilerServices;
using Kekbit.Core;
using Kekbit.Core.Diagnostics;
using Kekbit.Journal.Diagnostics;
using Kekbit.Journal.Internal;
using Microsoft.Win32.SafeHandles;

namespace Kekbit.Journal;

/// <summary>
/// The single writer of a journal: an unbounded log over a folder of segments, each an ordinary channel file. Records get
/// dense journal-wide sequence numbers from 0. When a record does not fit the current segment (or by time or count, see
/// <see cref="JournalWriterOptions"/>) the writer rolls: it closes the segment (CLOSE and a flush) and continues in the
/// next one, which it created ahead in the background. One writer at a time, across processes (an exclusive lock on
/// <c>writer.lock</c> that the kernel releases when its holder dies); opening a journal continues after its last
/// complete record, sealing a segment its killed writer left open.
/// </summary>
/// <remarks>
/// Writes take one thread at a time, as with <see cref="ShmWriter"/>; <see cref="Dispose"/> is safe from any thread at
/// any time. An encoder may run twice for one record: once against the full segment (refused without a trace) and once
/// in the next; encoders must not have side effects beyond the record.
/// </remarks>
public sealed class JournalWriter : IWriter
{
    /// <summary>The name of the writer lock file in the journal folder.</summary>
    public const string LockFileName = "writer.lock";

    private readonly JournalWriterOptions _options;
    private readonly ShmWriterOptions _segmentOptions;
    private readonly FileLock _lock;
    private readonly TimeProvider _clock;
    private readonly int _maxRecordLengthHint;
    private readonly ulong _timeoutTicks;
    private readonly long _maxRecordsPerSegment;
    private readonly Lock _gate = new();
    private ShmWriter _current;
    private OpenSegment _open;
    private long _segment;
    private long _segmentRecords;
    private long _nextIndexAt = long.MaxValue;
    private long _nextSequence;
    private long _rollDeadline = long.MaxValue;
    private Task<OpenSegment>? _next;
    private Task? _closing;
    private long _rolls;
    private volatile bool _disposed;
    private readonly bool _observed;

    private JournalWriter(string folder, JournalWriterOptions options, FileLock writerLock, Guid journalId, long segment, long nextSequence)
    {
        Folder = folder;
        _options = options;
        _lock = writerLock;
        JournalId = journalId;
        _clock = options.TimeProvider ?? TimeProvider.System;
        _segmentOptions = (options.SegmentOptions ?? ShmWriterOptions.Default).WithPreTouch(options.PreTouch);
        _maxRecordLengthHint = Math.Max(SegmentHeader.Length, options.MaxRecordLength == 0 ? options.SegmentCapacity / 128 : options.MaxRecordLength);
        _timeoutTicks = options.TickUnit.FromTimeSpan(options.SegmentTimeout);
        _maxRecordsPerSegment = options.MaxRecordsPerSegment ?? long.MaxValue;
        _nextSequence = nextSequence;
        _open = CreateSegment(segment, pretouch: true);
        _current = _open.Writer;
        _segment = segment;
        StartSegment();
        _next = CreateAhead(segment + 1);
        // Last: the meter may read the writer from now on (only while someone listens; nothing per record either way).
        _observed = JournalMeter.Observe(this);
    }

    /// <summary>The journal's folder.</summary>
    public string Folder { get; }

    /// <summary>The journal's id, written in every segment's header; chosen when the journal's first segment was created.</summary>
    public Guid JournalId { get; }

    /// <summary>The current segment's metadata.</summary>
    public Metadata Metadata => Volatile.Read(ref _current).Metadata;

    /// <summary>The sequence number the next record gets; also the number of records the journal has had.</summary>
    public long NextSequence => _nextSequence;

    /// <summary>The number of the segment records go to now.</summary>
    public long Segment => _segment;

    /// <summary>The journal position where the next record goes (segment number in the high 32 bits, data offset in the low).</summary>
    public long Position => Segments.PositionOf(_segment, _current.WriteOffset);

    /// <summary>How many times this writer rolled to a new segment.</summary>
    public long Rolls => Volatile.Read(ref _rolls);

    /// <summary>Whether the writer was disposed.</summary>
    public bool IsClosed => _disposed;

    /// <summary>
    /// Opens the journal in <paramref name="folder"/> for writing, creating it if needed, and continues after its last
    /// complete record. A segment left open by a writer that died is sealed after its last complete record; segments
    /// it created ahead are sealed empty; nothing published is renumbered. Writing goes on in a new segment.
    /// </summary>
    /// <param name="folder">The journal's folder; created if missing.</param>
    /// <param name="options">The segments' shape and the roll policy; <see cref="JournalWriterOptions.Default"/> when null.</param>
    /// <exception cref="JournalException"><see cref="JournalError.WriterActive"/> when another writer has the journal open; a
    /// damaged last segment, a full disk or an inaccessible folder otherwise.</exception>
    public static JournalWriter Open(string folder, JournalWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        options ??= JournalWriterOptions.Default;
        options.Validate();
        folder = Path.GetFullPath(folder);
        ShmWriterOptions segmentOptions = options.SegmentOptions ?? ShmWriterOptions.Default;
        CreateFolder(folder, segmentOptions.FolderMode);
        string lockPath = Path.Combine(folder, LockFileName);
        FileLock writerLock = FileLock.TryAcquire(lockPath, segmentOptions.FileMode)
            ?? throw new JournalException(JournalError.WriterActive, lockPath, "another writer has this journal open; a journal has one writer at a time");
        try
        {
            (Guid journalId, long segment, long nextSequence) = Recover(folder, options.FirstSequence ?? 0);
            return new JournalWriter(folder, options, writerLock, journalId, segment, nextSequence);
        }
        catch
        {
            writerLock.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Rolls to the next segment when the record does not fit the current one, then writes it there. A record larger
    /// than the max record length is refused with <see cref="WriteStatus.RecordTooLarge"/>; after <see cref="Dispose"/>,
    /// writes return <see cref="WriteStatus.Closed"/>. Allocates nothing (a roll allocates per segment).
    /// </remarks>
    /// <exception cref="JournalException">A roll was due and the next segment could not be created (a full disk:
    /// <see cref="JournalError.InsufficientSpace"/>). Nothing was written; the journal is intact and the next write tries again.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public WriteResult Write(ReadOnlySpan<byte> payload)
    {
        if (RollDue())
        {
            Roll();
        }

        WriteResult result = _current.Write(payload);
        if (result.Status == WriteStatus.Success)
        {
            Written(result);
            return result;
        }

        if (result.Status is not (WriteStatus.RecordDoesNotFit or WriteStatus.ChannelFull))
        {
            return result;
        }

        return Roll() ? WriteAfterRoll(_current.Write(payload)) : new WriteResult(WriteStatus.Closed, 0);
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="Write(ReadOnlySpan{byte})"/>; the encoder runs again in the next segment when the record did not fit.</remarks>
    /// <exception cref="JournalException">A roll was due and the next segment could not be created; nothing was written.</exception>
    public WriteResult Write<T>(T value, RecordEncoder<T> encoder)
    {
        if (RollDue())
        {
            Roll();
        }

        WriteResult result = _current.Write(value, encoder);
        if (result.Status == WriteStatus.Success)
        {
            Written(result);
            return result;
        }

        if (result.Status is not (WriteStatus.RecordDoesNotFit or WriteStatus.ChannelFull))
        {
            return result;
        }

        return Roll() ? WriteAfterRoll(_current.Write(value, encoder)) : new WriteResult(WriteStatus.Closed, 0);
    }

    /// <summary>Writes the current segment's modified pages to its file (msync) and returns when they are there. Rolls and <see cref="Dispose"/> flush too.</summary>
    /// <exception cref="ObjectDisposedException">The writer was disposed.</exception>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _current.Flush();
    }

    /// <summary>
    /// Closes the journal: the segment created ahead is removed (it holds nothing), the current segment is closed and
    /// flushed, and the writer lock is released. Idempotent; safe from any thread at any time (a write running on another
    /// thread ends first, as with <see cref="ShmWriter.Dispose"/>). Readers stay where they are and go on when a writer
    /// opens the journal again.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            // The segment created ahead goes first, while the current one is still open: no reader can have moved into it.
            DiscardAhead();
            try
            {
                // Closes still running end first: every segment is closed and flushed when Dispose returns.
                try
                {
                    _closing?.GetAwaiter().GetResult();
                }
                finally
                {
                    _open.Dispose();
                }
            }
            finally
            {
                _lock.Dispose();
                if (_observed)
                {
                    // The meter takes the last roll count now, not at a collection that may never come.
                    ChannelMeter.Departed();
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool RollDue() => _segmentRecords >= _maxRecordsPerSegment || (_rollDeadline != long.MaxValue && _clock.GetTimestamp() >= _rollDeadline);

    private WriteResult WriteAfterRoll(WriteResult result)
    {
        if (result.Status == WriteStatus.Success)
        {
            Written(result);
        }

        return result;
    }

    /// <summary>Counts a record just written; every <see cref="JournalWriterOptions.IndexInterval"/>-th gets an index entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Written(WriteResult result)
    {
        _nextSequence++;
        if (++_segmentRecords == _nextIndexAt)
        {
            IndexLast(result.RecordSize);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void IndexLast(int recordSize)
    {
        _nextIndexAt += _options.IndexInterval;
        _open.AppendIndex(JournalId, _segment, _nextSequence - 1, _current.WriteOffset - recordSize);
    }

    /// <summary>
    /// Moves to the next segment: takes the one created ahead (or creates it now), closes the current one (CLOSE, then a
    /// flush), writes the new segment's header, and starts creating the one after. False when the writer is disposed.
    /// </summary>
    /// <exception cref="JournalException">The next segment cannot be created; the current one stays open and unchanged.</exception>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Roll()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            long number = _segment + 1;
            OpenSegment next;
            Task<OpenSegment>? ahead = _next;
            _next = null;
            // A JournalException here changes nothing: the current segment stays open, and the next write that needs a
            // roll tries again.
            next = ahead is not null && TryTake(ahead, out var made) ? made : CreateSegment(number, pretouch: false);

            OpenSegment previous = _open;
            // The old segment gets CLOSE now, so readers move on at once; its flush and unmapping (time in proportion to
            // its size) run on a background thread. Then the new segment gets its header and records. A writer killed in
            // between leaves an empty, header-less segment behind the closed one, which recovery seals.
            try
            {
                previous.StoreClose();
            }
            catch (IOException e)
            {
                next.Dispose();
                throw new JournalException(JournalError.CouldNotAccessStorage, previous.Writer.Path, $"cannot close segment {_segment}: {e.Message}", e);
            }

            _open = next;
            Volatile.Write(ref _current, next.Writer);
            _closing = CloseInBackground(previous, _closing);
            _segment = number;
            StartSegment();
            Volatile.Write(ref _rolls, _rolls + 1); // read by the meter on its own thread
            _next = CreateAhead(number + 1);
            return true;
        }
    }

    /// <summary>Closes <paramref name="segment"/> on the thread pool once <paramref name="previous"/> (the close before) is done, so closes stay in order.</summary>
    private static Task CloseInBackground(OpenSegment segment, Task? previous) =>
        (previous ?? Task.CompletedTask).ContinueWith(static (_, state) => ((OpenSegment)state!).Dispose(), segment, CancellationToken.None,
            TaskContinuationOptions.None, TaskScheduler.Default);

    /// <summary>Writes the header of the segment just made current and resets the roll triggers.</summary>
    private void StartSegment()
    {
        var header = new SegmentHeader(JournalId, _segment, _nextSequence, _options.TickUnit.UnixNow(_clock), _options.Timestamps);
        if (_open.Stamper is { } stamper)
        {
            stamper.On = false;
        }

        WriteResult written = _current.Write(header, static (h, record) =>
        {
            h.WriteTo(record.GetSpan(SegmentHeader.Length));
            record.Advance(SegmentHeader.Length);
        });
        if (_open.Stamper is { } restamp)
        {
            restamp.On = true;
        }

        if (!written.IsSuccess)
        {
            throw new JournalException(JournalError.CouldNotAccessStorage, _current.Path, $"cannot write the segment header ({written.Status})");
        }

        _segmentRecords = 0;
        _nextIndexAt = _options.IndexInterval == 0 ? long.MaxValue : _options.IndexInterval + 1;
        _rollDeadline = NextRollDeadline();
    }

    private long NextRollDeadline()
    {
        if (_options.RollInterval is not TimeSpan interval)
        {
            return long.MaxValue;
        }

        long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        long period = (long)interval.TotalMilliseconds;
        long untilBoundary = period - (now % period);
        return _clock.GetTimestamp() + (long)(untilBoundary * (_clock.TimestampFrequency / 1000.0));
    }

    private Task<OpenSegment> CreateAhead(long number) => Task.Run(() =>
    {
        var made = CreateSegment(number, pretouch: true);
        if (_options.Retention is JournalRetentionPolicy retention)
        {
            try
            {
                JournalRetention.Apply(Folder, retention);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Retention is best effort: it runs again after the next roll.
                Trace.TraceWarning($"Kekbit journal {Folder}: retention failed: {e.Message}");
            }
        }

        return made;
    });

    private static bool TryTake(Task<OpenSegment> ahead, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out OpenSegment? made)
    {
        try
        {
            made = ahead.GetAwaiter().GetResult();
            return true;
        }
        catch (JournalException)
        {
            // Created ahead while the disk was full, say: try again now, space may have been freed since.
            made = null;
            return false;
        }
    }

    private OpenSegment CreateSegment(long number, bool pretouch)
    {
        string path = Segments.PathOf(Folder, number);
        if (number > Segments.MaxSegment)
        {
            throw new JournalException(JournalError.InvalidConfiguration, path, $"the journal has used all {Segments.MaxSegment} segment numbers");
        }

        var metadata = Metadata.Create(_options.WriterId, (ulong)number, _options.SegmentCapacity, _maxRecordLengthHint, _timeoutTicks, _options.TickUnit, _clock);
        SwitchableHandler? stamper = _options.Timestamps ? new SwitchableHandler(new TimestampHandler(_options.TickUnit, _clock)) : null;
        try
        {
            ShmWriter writer = ShmWriter.Create(Folder, metadata, stamper, pretouch ? _segmentOptions : _segmentOptions.WithPreTouch(false));
            try
            {
                return new OpenSegment(writer, File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), stamper, CreateIndex(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                writer.Dispose();
                File.Delete(path);
                throw new JournalException(JournalError.CouldNotAccessStorage, path, $"cannot open segment {number} for closing: {e.Message}", e);
            }
        }
        catch (ChannelException e)
        {
            throw new JournalException(e.Error == ChannelError.InsufficientSpace ? JournalError.InsufficientSpace : JournalError.CouldNotAccessStorage, path,
                $"cannot create segment {number}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Creates (or empties: a leftover of a segment with this number that recovery removed) the sparse index of the segment
    /// at <paramref name="segmentPath"/>; null when the journal keeps none or it cannot be created: seeks then walk.
    /// </summary>
    private SafeFileHandle? CreateIndex(string segmentPath)
    {
        if (_options.IndexInterval == 0)
        {
            return null;
        }

        string path = SegmentIndex.PathOfSegmentFile(segmentPath);
        try
        {
            SafeFileHandle index = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(index, _segmentOptions.FileMode);
            }

            return index;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Trace.TraceWarning($"Kekbit journal {Folder}: cannot create the segment index {path}: {e.Message}; seeks in that segment walk its records");
            return null;
        }
    }

    /// <summary>Removes the segment created ahead, if any: it holds no record and no reader can be in it.</summary>
    private void DiscardAhead()
    {
        if (_next is not { } ahead)
        {
            return;
        }

        _next = null;
        if (!TryTake(ahead, out var made))
        {
            return;
        }

        string path = made.Writer.Path;
        made.Dispose();
        try
        {
            File.Delete(path);
            File.Delete(SegmentIndex.PathOfSegmentFile(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind, it is sealed empty by the next writer's recovery.
        }
    }

    /// <summary>
    /// Brings the journal to a state a new writer can continue from; returns its id, the number of the segment to write
    /// next and the next sequence number. Runs under the writer lock: no other writer exists, so every creation lock
    /// is stale and every open segment abandoned.
    /// </summary>
    /// <param name="folder">The journal's folder.</param>
    /// <param name="firstSequence">The first sequence of a journal that has no segment header yet (nothing was ever published).</param>
    private static (Guid JournalId, long Segment, long NextSequence) Recover(string folder, long firstSequence)
    {
        // A creation lock means its creator died before the segment was complete and visible to readers: remove both.
        foreach (string creationLock in Segments.CreationLocks(folder))
        {
            string channel = Path.ChangeExtension(creationLock, StorageLayout.ChannelExtension);
            File.Delete(channel);
            File.Delete(SegmentIndex.PathOfSegmentFile(channel));
            File.Delete(creationLock);
        }

        List<long> segments = Segments.List(folder);
        if (segments.Count == 0)
        {
            return (Guid.NewGuid(), 0, firstSequence);
        }

        // From the newest down: segments without a header (created ahead, never started) are sealed empty so a reader that
        // moved into one moves on; the newest with a header is sealed after its last complete record.
        for (int i = segments.Count - 1; i >= 0; i--)
        {
            SegmentSealer.Scan scan = SegmentSealer.SealIfOpen(folder, segments[i]);
            if (scan.Header is SegmentHeader header)
            {
                if (i > 0)
                {
                    // The segment before may also be open: a writer killed between writing this header and closing it (never
                    // with this writer's order, but a journal written by another tool could be).
                    SegmentSealer.SealIfOpen(folder, segments[i - 1]);
                }

                return (header.JournalId, segments[^1] + 1, header.FirstSequence + scan.Records);
            }
        }

        // Only empty segments: a journal whose first writer died before its first header. Keep numbering after them.
        return (Guid.NewGuid(), segments[^1] + 1, firstSequence);
    }

    private static void CreateFolder(string folder, UnixFileMode mode)
    {
        try
        {
            if (File.Exists(folder))
            {
                throw new JournalException(JournalError.InvalidConfiguration, folder, "the journal folder exists but is a file");
            }

            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, mode);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not JournalException)
        {
            throw new JournalException(JournalError.CouldNotAccessStorage, folder, $"cannot create the journal folder: {e.Message}", e);
        }
    }
}
