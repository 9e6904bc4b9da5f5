using System.Globalization;
using Kekbit.Core.Internal;

namespace Kekbit.Core;

/// <summary>
/// What a channel file holds and what state it is in, found by walking its records from the start with a
/// read-only <see cref="ShmReader"/>: safe on a live channel, never disturbing its writer or other readers.
/// <see cref="Inspect(string, ChannelWriters?, IProgress{long}?, CancellationToken)"/> never throws for a file
/// that cannot be opened: the inspection then says so (<see cref="ChannelState.Corrupted"/>,
/// <see cref="ChannelState.Creating"/> or <see cref="ChannelState.Unreadable"/>, with <see cref="OpenError"/> and <see cref="Reason"/>).
/// </summary>
public sealed class ChannelInspection
{
    /// <summary>How many records pass between progress reports and cancellation checks (a power of two).</summary>
    private const long ProgressEvery = 1 << 16;

    private ChannelInspection(string path)
    {
        Path = path;
    }

    /// <summary>The inspected channel file, as a full path.</summary>
    public string Path { get; }

    /// <summary>The channel's metadata, or null when the file could not be opened (see <see cref="OpenError"/>).</summary>
    public Metadata? Metadata { get; private init; }

    /// <summary>The channel's state.</summary>
    public ChannelState State { get; private init; }

    /// <summary>
    /// Why the channel is <see cref="ChannelState.Corrupted"/>, <see cref="ChannelState.Unreadable"/>,
    /// <see cref="ChannelState.Creating"/> or <see cref="ChannelState.Abandoned"/>, in words; null for the other states.
    /// </summary>
    public string? Reason { get; private init; }

    /// <summary>Why the file could not be opened, or null when it was (<see cref="Reason"/> then says it in words).</summary>
    public ChannelError? OpenError { get; private init; }

    /// <summary>Intact records read before the walk ended.</summary>
    public long RecordCount { get; private init; }

    /// <summary>Bytes of the data area the records take, length slots and padding included: where the walk ended.</summary>
    public long BytesUsed { get; private init; }

    /// <summary>Bytes still available for records (<see cref="RecordLayout.Available"/>); 0 when the file could not be opened.</summary>
    public long Available => Metadata is null ? 0 : RecordLayout.Available(Metadata.Capacity, BytesUsed);

    /// <summary><see cref="BytesUsed"/> as a percentage of the capacity.</summary>
    public double FillPercent => Metadata is null ? 0 : 100.0 * BytesUsed / Metadata.Capacity;

    /// <summary>How the walk ended: <see cref="ReadStatus.Closed"/>, <see cref="ReadStatus.Nothing"/> (more may come) or <see cref="ReadStatus.Failed"/>.</summary>
    public ReadStatus End { get; private init; }

    /// <summary>Why the walk failed, when <see cref="End"/> is <see cref="ReadStatus.Failed"/> after the file was opened.</summary>
    public ReadFailure Failure { get; private init; }

    /// <summary>The data-area offset of the last intact record, or -1 when there is none.</summary>
    public long LastRecordPosition { get; private init; } = -1;

    /// <summary>The file's length in bytes (0 when it cannot be seen).</summary>
    public long FileLength { get; private init; }

    /// <summary>Whether the file is shorter than its data area and footer (kekbit 0.3.5 writes files 896 bytes short).</summary>
    public bool IsFileTruncated { get; private init; }

    /// <summary>The process on this host that maps the channel writable, when one is visible.</summary>
    public int? WriterProcessId { get; private init; }

    /// <summary>When the file was last modified, in UTC.</summary>
    public DateTimeOffset LastWriteTime { get; private init; }

    /// <summary>The channel id the file's path implies (<see cref="StorageLayout.TryParseChannelId"/>), when the path follows the layout.</summary>
    public ulong? PathChannelId { get; private init; }

    /// <summary>Whether the writer closed the channel (a full channel may be closed too).</summary>
    public bool IsClosed => End == ReadStatus.Closed;

    /// <summary>Whether the metadata's channel id differs from the one the file's path implies: the file was moved or copied.</summary>
    public bool IsMisplaced => Metadata is not null && PathChannelId is ulong id && id != Metadata.ChannelId;

    /// <summary>Whether the channel is healthy: opened, readable to its end with no damage, and in its right place.</summary>
    public bool IsHealthy => State is not (ChannelState.Corrupted or ChannelState.Unreadable or ChannelState.Creating) && !IsMisplaced;

    /// <summary>The offset in the file of data-area position <paramref name="position"/> (the data area starts 1024 bytes in).</summary>
    /// <param name="position">A data-area offset, such as <see cref="BytesUsed"/>.</param>
    public static long FileOffsetOf(long position) => ChannelFormat.DataOffset + position;

    /// <summary>Explains a read failure in words, for people.</summary>
    /// <param name="failure">Why a read ended with <see cref="ReadStatus.Failed"/>.</param>
    public static string Describe(ReadFailure failure) => failure switch
    {
        ReadFailure.UnknownMarker => "a length slot holds a value that is neither a record length nor a marker",
        ReadFailure.RecordBeyondCapacity => "a record's length carries it past the end of the data area",
        ReadFailure.FileTruncated => "the file ends before the record does",
        _ => "no failure",
    };

    /// <summary>Inspects channel <paramref name="channelId"/> under <paramref name="root"/>.</summary>
    /// <param name="root">The root folder that holds channels.</param>
    /// <param name="channelId">The channel id.</param>
    /// <param name="writers">Writers seen on this host; scanned now when null (<see cref="ChannelWriters.Scan"/>).</param>
    /// <param name="progress">Told the bytes walked so far, now and then: for a progress bar on a large channel.</param>
    /// <param name="cancellationToken">Stops a long walk.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ChannelInspection Inspect(string root, ulong channelId, ChannelWriters? writers = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        return Inspect(StorageLayout.ChannelFile(root, channelId), writers, progress, cancellationToken);
    }

    /// <summary>
    /// Inspects the channel file <paramref name="channelFile"/>: opens it read-only, walks every record, and judges
    /// its state. A file that cannot be opened gives an inspection that says why instead of an exception.
    /// </summary>
    /// <param name="channelFile">The path of a <c>.kekbit</c> file.</param>
    /// <param name="writers">Writers seen on this host; scanned now when null (<see cref="ChannelWriters.Scan"/>).
    /// Pass one snapshot when inspecting many channels.</param>
    /// <param name="progress">Told the bytes walked so far, now and then: for a progress bar on a large channel.</param>
    /// <param name="cancellationToken">Stops a long walk.</param>
    /// <exception cref="ArgumentException"><paramref name="channelFile"/> is empty or not a valid path.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ChannelInspection Inspect(string channelFile, ChannelWriters? writers = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channelFile);
        string path = System.IO.Path.GetFullPath(channelFile);
        ulong? pathChannelId = StorageLayout.TryParseChannelId(path, out ulong id) ? id : null;
        ShmReader reader;
        try
        {
            reader = ShmReader.OpenUnobserved(path);
        }
        catch (ChannelException e)
        {
            return CannotOpen(path, pathChannelId, e);
        }

        using (reader)
        {
            long records = 0;
            long lastRecord = -1;
            ReadResult result;
            while ((result = reader.TryRead()).IsRecord)
            {
                lastRecord = result.Position;
                if ((++records & (ProgressEvery - 1)) == 0)
                {
                    progress?.Report(reader.Position);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            progress?.Report(result.Position);
            Metadata metadata = reader.Metadata;
            var file = new FileInfo(path);
            DateTime lastWrite = file.LastWriteTimeUtc;
            ChannelWriters snapshot = writers ?? ChannelWriters.Scan();
            int? writer = snapshot.WriterOf(path);
            (ChannelState state, string? reason) = StateOf(result, metadata, snapshot, writer, lastWrite);
            return new ChannelInspection(path)
            {
                Metadata = metadata,
                State = state,
                Reason = reason,
                RecordCount = records,
                BytesUsed = result.Position,
                End = result.Status,
                Failure = result.Failure,
                LastRecordPosition = lastRecord,
                FileLength = file.Exists ? file.Length : 0, // Deleted since it was opened: the mapping still holds its data.
                IsFileTruncated = reader.IsFileTruncated,
                WriterProcessId = writer,
                LastWriteTime = new DateTimeOffset(lastWrite, TimeSpan.Zero),
                PathChannelId = pathChannelId,
            };
        }
    }

    private static ChannelInspection CannotOpen(string path, ulong? pathChannelId, ChannelException e)
    {
        var file = new FileInfo(path);
        bool exists = file.Exists;
        return new ChannelInspection(path)
        {
            State = e.Error switch
            {
                ChannelError.StorageNotReady => ChannelState.Creating,
                ChannelError.StaleLock => ChannelState.Abandoned,
                ChannelError.StorageNotFound or ChannelError.CouldNotAccessStorage => ChannelState.Unreadable,
                _ => ChannelState.Corrupted,
            },
            // The message without the path it starts with: the inspection names the file already.
            Reason = e.Message.StartsWith(e.Path + ": ", StringComparison.Ordinal) ? e.Message[(e.Path.Length + 2)..] : e.Message,
            OpenError = e.Error,
            End = ReadStatus.Failed,
            FileLength = exists ? file.Length : 0,
            LastWriteTime = exists ? new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero) : default,
            PathChannelId = pathChannelId,
        };
    }

    private static (ChannelState State, string? Reason) StateOf(ReadResult end, Metadata metadata, ChannelWriters scanned, int? writer, DateTime lastWriteUtc)
    {
        if (end.Status == ReadStatus.Failed)
        {
            return (ChannelState.Corrupted, string.Create(CultureInfo.InvariantCulture,
                $"damaged at position {end.Position} (file offset {FileOffsetOf(end.Position)}): {Describe(end.Failure)} ({end.Failure})"));
        }

        if (RecordLayout.IsFull(metadata.Capacity, end.Position))
        {
            return (ChannelState.Full, null);
        }

        if (end.Status == ReadStatus.Closed)
        {
            return (ChannelState.Closed, null);
        }

        if (writer is not null)
        {
            return (ChannelState.Live, null);
        }

        if (scanned.IsSupported && scanned.IsComplete)
        {
            return (ChannelState.Abandoned, "not closed, and no process on this host maps it writable");
        }

        // The writer may be invisible (another user's process, or no /proc): judge as readers do, by silence
        // for longer than the channel's timeout.
        TimeSpan silence = DateTime.UtcNow - lastWriteUtc;
        return silence > metadata.TimeoutSpan
            ? (ChannelState.Abandoned, string.Create(CultureInfo.InvariantCulture, $"not closed, and unchanged for {silence:d\\.hh\\:mm\\:ss}, longer than its timeout of {metadata.TimeoutSpan}"))
            : (ChannelState.Live, null);
    }
}
