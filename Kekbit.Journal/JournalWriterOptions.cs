using Kekbit.Core;

namespace Kekbit.Journal;

/// <summary>How a <see cref="JournalWriter"/> shapes, rolls and keeps its segments.</summary>
public sealed class JournalWriterOptions
{
    /// <summary>The default options: 64 MiB segments, rolled when full.</summary>
    public static JournalWriterOptions Default { get; } = new();

    /// <summary>Each segment's data capacity in bytes (a channel's capacity: at least 16384, rounded up to 8). Default 64 MiB.</summary>
    public int SegmentCapacity { get; init; } = 64 << 20;

    /// <summary>
    /// The largest payload a record may have (a channel's max record length hint), timestamp included when
    /// <see cref="Timestamps"/> is on. At most capacity/128 - 16; 0 (the default) takes that largest value.
    /// </summary>
    public int MaxRecordLength { get; init; }

    /// <summary>
    /// Roll to a new segment when the wall clock crosses a multiple of this interval since the Unix epoch (UTC), as
    /// Chronicle Queue's roll cycles: <c>TimeSpan.FromHours(1)</c> rolls on the hour, <c>TimeSpan.FromDays(1)</c> at
    /// midnight UTC. Checked before each write. Null (the default): roll only when a segment is full or by count.
    /// </summary>
    public TimeSpan? RollInterval { get; init; }

    /// <summary>Roll after this many records in a segment. Null (the default): no limit.</summary>
    public long? MaxRecordsPerSegment { get; init; }

    /// <summary>
    /// Stamp every record with the current Unix time in <see cref="TickUnit"/> (a <see cref="TimestampHandler"/>: 8
    /// little-endian bytes before the payload, part of what readers get), so that readers can start at a time. Default false.
    /// </summary>
    public bool Timestamps { get; init; }

    /// <summary>The clock of <see cref="Timestamps"/>, <see cref="RollInterval"/> and segment start times; <see cref="TimeProvider.System"/> when null.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>The segments' tick unit (timestamps, start times, timeout). Default <see cref="Core.TickUnit.Nanos"/>.</summary>
    public TickUnit TickUnit { get; init; } = TickUnit.Nanos;

    /// <summary>The segments' writer-gone timeout, as a channel's (what a <see cref="TimeoutReader"/> over a segment uses). Default 30 s.</summary>
    public TimeSpan SegmentTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The writer id stored in every segment's metadata. Default 0.</summary>
    public ulong WriterId { get; init; }

    /// <summary>
    /// Touch every page of each segment when it is created ahead, in the background (<see cref="ShmWriterOptions.PreTouch"/>),
    /// so writes into a fresh segment pay no page faults. Default true.
    /// </summary>
    public bool PreTouch { get; init; } = true;

    /// <summary>File and folder permissions and the doorbell of the segments (<see cref="ShmWriterOptions"/>; its <c>PreTouch</c> is replaced by <see cref="PreTouch"/>).</summary>
    public ShmWriterOptions? SegmentOptions { get; init; }

    /// <summary>Retention applied after every roll, on the background thread that creates the next segment. Null (the default): keep everything.</summary>
    public JournalRetentionPolicy? Retention { get; init; }

    /// <summary>
    /// Every how many records of a segment the writer adds an entry to the segment's sparse index (a <c>.kjindex</c> sidecar,
    /// docs/FORMAT.md), so that seeking by sequence, time or position inside a segment is a binary search followed by a walk
    /// of fewer than this many records. Costs one small <c>pwrite</c> per this many records. 0 keeps no index (seeks walk
    /// the segment). Default 1,024.
    /// </summary>
    public int IndexInterval { get; init; } = 1024;

    /// <summary>
    /// The sequence number of the first record of a NEW journal: one whose folder holds no segment with a header yet
    /// (missing, empty, or only segments a writer created ahead and never started). Null (the default) means 0. A journal
    /// that already has a segment header keeps its numbering and this option is ignored: <see cref="JournalWriter.NextSequence"/>
    /// says where it continues. For a journal that continues numbering from elsewhere, such as a mirror of a stream whose
    /// first records were removed. Must lie between 0 and <see cref="MaxFirstSequence"/>.
    /// </summary>
    public long? FirstSequence { get => _firstSequence; init => _firstSequence = value; }

    private long? _firstSequence;

    /// <summary>A copy of these options with <see cref="FirstSequence"/> set (a mirror numbering a new journal after its source).</summary>
    internal JournalWriterOptions WithFirstSequence(long firstSequence)
    {
        var copy = (JournalWriterOptions)MemberwiseClone();
        copy._firstSequence = firstSequence;
        return copy;
    }

    /// <summary>The largest <see cref="FirstSequence"/> accepted (2^62): room for more records than a journal can ever hold.</summary>
    public const long MaxFirstSequence = 1L << 62;

    /// <summary>Checks the options.</summary>
    internal void Validate()
    {
        if (SegmentCapacity < Metadata.MinCapacity || SegmentCapacity > Metadata.MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentCapacity), SegmentCapacity, $"a segment's capacity must lie between {Metadata.MinCapacity} and {Metadata.MaxCapacity} bytes");
        }

        if (MaxRecordLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRecordLength), MaxRecordLength, "the max record length cannot be negative");
        }

        if (RollInterval is TimeSpan interval && interval < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(RollInterval), interval, "the roll interval must be at least one second");
        }

        if (MaxRecordsPerSegment is long records && records < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRecordsPerSegment), records, "a segment holds at least one record");
        }

        if (IndexInterval < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IndexInterval), IndexInterval, "the index interval cannot be negative (0 keeps no index)");
        }

        if (FirstSequence is long first && (first < 0 || first > MaxFirstSequence))
        {
            throw new ArgumentOutOfRangeException(nameof(FirstSequence), first, $"the first sequence must lie between 0 and {MaxFirstSequence}");
        }

        if (SegmentTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentTimeout), SegmentTimeout, "the timeout must be positive");
        }
    }
}
