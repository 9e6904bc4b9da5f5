using Kekbit.Core;
using Kekbit.Journal.Internal;

namespace Kekbit.Journal;

/// <summary>
/// A read-only report on a journal folder: its segments (each inspected as a channel), the sequence range, whether a writer
/// has it open, its durable cursors and how far behind they are, and every fault found (a damaged segment with its file and
/// offset, an invalid header, a gap in the sequences). For tools and monitoring.
/// </summary>
/// <remarks>
/// Inspecting never takes the writer lock or a cursor's lock, never maps a segment writable, never writes a byte and never
/// registers as a reader on a doorbell: it is safe while a writer and cursor readers run, and it disturbs none of them.
/// Each segment is walked to its end (as <see cref="ChannelInspection.Inspect(string, ChannelWriters?, IProgress{long}?, CancellationToken)"/> does),
/// so the cost grows with the journal's size; a live journal may have moved on by the time the report is read.
/// </remarks>
public sealed class JournalInspection
{
    private JournalInspection(string folder)
    {
        Folder = folder;
    }

    /// <summary>The journal folder (a full path).</summary>
    public string Folder { get; }

    /// <summary>The journal id from the segment headers; null when no segment has a header yet.</summary>
    public Guid? JournalId { get; private init; }

    /// <summary>The journal's state.</summary>
    public JournalState State { get; private init; }

    /// <summary>The segments present, oldest first (numbers may skip: segments removed by recovery or retention).</summary>
    public IReadOnlyList<JournalSegmentInspection> Segments { get; private init; } = [];

    /// <summary>The durable cursors, by name (ordinal order).</summary>
    public IReadOnlyList<JournalCursorInspection> Cursors { get; private init; } = [];

    /// <summary>Everything found wrong, in segment order; empty for a healthy journal.</summary>
    public IReadOnlyList<JournalFault> Faults { get; private init; } = [];

    /// <summary>The first fault, or null for a healthy journal.</summary>
    public JournalFault? Fault => Faults.Count == 0 ? null : Faults[0];

    /// <summary>Whether no fault was found.</summary>
    public bool IsHealthy => Faults.Count == 0;

    /// <summary>The sequence of the oldest record the journal still holds (older ones may have been deleted by retention); null when no segment has a header.</summary>
    public long? FirstSequence { get; private init; }

    /// <summary>The sequence of the newest record; -1 when none was ever written.</summary>
    public long LastSequence { get; private init; } = -1;

    /// <summary>The journal records held, segment headers not counted.</summary>
    public long RecordCount { get; private init; }

    /// <summary>The segment files' total length in bytes.</summary>
    public long TotalBytes { get; private init; }

    /// <summary>The process that has the journal open for writing, when it can be seen (Linux, same host); null otherwise.</summary>
    public int? WriterProcessId { get; private init; }

    /// <summary>Whether a writer has the journal open (<see cref="JournalState.Live"/>).</summary>
    public bool HasWriter => State == JournalState.Live;

    /// <summary>
    /// Whether <paramref name="folder"/> looks like a journal: it holds the writer's lock file (<see cref="JournalWriter.LockFileName"/>),
    /// a <c>cursors</c> folder, or a segment whose first record is a journal segment header. Reads only; never throws for a
    /// folder it cannot read (false).
    /// </summary>
    /// <param name="folder">The folder to look at.</param>
    public static bool IsJournal(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            return false;
        }

        if (File.Exists(Path.Combine(folder, JournalWriter.LockFileName)) || Directory.Exists(Path.Combine(folder, CursorFile.FolderName)))
        {
            return true;
        }

        try
        {
            foreach (long segment in Internal.Segments.List(folder))
            {
                if (Internal.Segments.TryReadHeader(folder, segment) is not null)
                {
                    return true;
                }
            }
        }
        catch (JournalException)
        {
            return false; // a channel whose first record is not a journal header: a folder of channels
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // a folder that cannot be read is not known to be a journal; callers report it as they would any folder
        }

        return false;
    }

    /// <summary>Inspects the journal in <paramref name="folder"/>, read-only (see the remarks on <see cref="JournalInspection"/>).</summary>
    /// <param name="folder">The journal folder.</param>
    /// <param name="writers">Which processes map which channels, to tell a live writer (<see cref="ChannelWriters.Scan"/>); null to judge by the files alone.</param>
    /// <param name="cancellationToken">Stops a long walk.</param>
    /// <exception cref="JournalException"><see cref="JournalError.CouldNotAccessStorage"/>: the folder does not exist or is not a journal (<see cref="IsJournal"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static JournalInspection Inspect(string folder, ChannelWriters? writers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new JournalException(JournalError.CouldNotAccessStorage, folder, "the journal folder does not exist");
        }

        if (!IsJournal(folder))
        {
            throw new JournalException(JournalError.CouldNotAccessStorage, folder, "the folder is not a journal: it holds no writer.lock, no cursors folder and no segment with a journal header");
        }

        var segments = new List<JournalSegmentInspection>();
        var faults = new List<JournalFault>();
        Guid? journalId = null;
        long? firstSequence = null;
        long nextSequence = 0;
        long records = 0;
        long bytes = 0;
        int? writerProcess = null;
        JournalSegmentInspection? newestHeaded = null;
        bool countKnown = false; // false after a damaged segment: where its records end is unknown, so no gap is claimed after it
        foreach (long number in Internal.Segments.List(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string path = Internal.Segments.PathOf(folder, number);
            ChannelInspection channel = ChannelInspection.Inspect(path, writers, cancellationToken: cancellationToken);
            SegmentHeader? header = null;
            try
            {
                header = Internal.Segments.TryReadHeader(folder, number);
            }
            catch (JournalException e)
            {
                faults.Add(new JournalFault(e.Error, path, 0, ReadFailure.None, e.Message));
            }

            if (header is SegmentHeader h)
            {
                if (journalId is Guid id && id != h.JournalId)
                {
                    faults.Add(new JournalFault(JournalError.InvalidSegmentHeader, path, 0, ReadFailure.None,
                        $"segment {number} belongs to journal {h.JournalId}, not to journal {id} of the segments before it"));
                }
                else if (countKnown && h.FirstSequence != nextSequence)
                {
                    faults.Add(new JournalFault(JournalError.Gap, path, 0, ReadFailure.None,
                        $"segment {number} starts at sequence {h.FirstSequence} but the segments before it end before sequence {nextSequence}: sequences are not dense"));
                }

                journalId ??= h.JournalId;
            }

            DateTimeOffset? startedAt = header is SegmentHeader started && channel.Metadata is Metadata metadata ? metadata.TickUnit.ToDateTimeOffset(started.StartTime) : null;
            var segment = new JournalSegmentInspection(number, channel, header?.FirstSequence, startedAt);
            if (channel.End == ReadStatus.Failed)
            {
                faults.Add(new JournalFault(JournalError.SegmentDamaged, path, channel.BytesUsed, channel.Failure,
                    $"segment {number} is damaged at data offset {channel.BytesUsed} (file offset {ChannelInspection.FileOffsetOf(channel.BytesUsed)}): {ChannelInspection.Describe(channel.Failure)}; {segment.RecordCount} journal records intact before it"));
            }
            else if (channel.OpenError is not null && channel.State != ChannelState.Creating)
            {
                faults.Add(new JournalFault(JournalError.CouldNotAccessStorage, path, 0, ReadFailure.None, $"segment {number} cannot be read: {channel.Reason}"));
            }
            else if (channel.IsMisplaced)
            {
                faults.Add(new JournalFault(JournalError.InvalidSegmentHeader, path, 0, ReadFailure.None,
                    $"segment {number}'s channel metadata says channel {channel.Metadata!.ChannelId}: the file is misplaced"));
            }

            if (segment.FirstSequence is long first)
            {
                firstSequence ??= first;
                nextSequence = first + segment.RecordCount;
                newestHeaded = segment;
                countKnown = channel.End != ReadStatus.Failed;
            }

            records += segment.RecordCount;
            bytes += channel.FileLength;
            writerProcess ??= channel.WriterProcessId;
            segments.Add(segment);
        }

        long lastSequence = nextSequence - 1;
        JournalState state = faults.Count > 0 ? JournalState.Damaged
            : newestHeaded is null ? (writerProcess is null ? JournalState.Empty : JournalState.Live)
            : newestHeaded.Channel.State == ChannelState.Live || writerProcess is not null ? JournalState.Live
            : newestHeaded.Channel.IsClosed ? JournalState.Closed
            : JournalState.Abandoned;
        return new JournalInspection(folder)
        {
            JournalId = journalId,
            State = state,
            Segments = segments,
            Cursors = InspectCursors(folder, lastSequence),
            Faults = faults,
            FirstSequence = firstSequence,
            LastSequence = lastSequence,
            RecordCount = records,
            TotalBytes = bytes,
            WriterProcessId = writerProcess,
        };
    }

    private static List<JournalCursorInspection> InspectCursors(string folder, long lastSequence)
    {
        var cursors = new List<JournalCursorInspection>();
        string directory = Path.Combine(folder, CursorFile.FolderName);
        if (!Directory.Exists(directory))
        {
            return cursors;
        }

        foreach (string file in Directory.EnumerateFiles(directory, "*" + CursorFile.Extension).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            CursorFile.Slot? slot = CursorFile.Peek(file);
            long? next = slot is CursorFile.Slot s && s.NextSequence >= 0 ? s.NextSequence : null;
            long? lag = next is long n ? Math.Max(lastSequence + 1 - n, 0) : null;
            cursors.Add(new JournalCursorInspection(name, file, slot?.Position, next,
                slot is CursorFile.Slot c ? DateTimeOffset.FromUnixTimeMilliseconds(c.CommittedAtUnixMs) : null, lag));
        }

        return cursors;
    }
}
