namespace Kekbit.Journal;

/// <summary>Where a <see cref="JournalReader"/> starts: the beginning, the end, a sequence number, a time, or a saved position.</summary>
public sealed class JournalStart
{
    private JournalStart(JournalStartKind kind, long value, DateTimeOffset time)
    {
        Kind = kind;
        Value = value;
        Time = time;
    }

    /// <summary>The oldest record still in the journal.</summary>
    public static JournalStart Beginning { get; } = new(JournalStartKind.Beginning, 0, default);

    /// <summary>After the last record published when the reader opens: only newer records are read.</summary>
    public static JournalStart End { get; } = new(JournalStartKind.End, 0, default);

    /// <summary>What kind of start this is.</summary>
    public JournalStartKind Kind { get; }

    /// <summary>The sequence number (<see cref="JournalStartKind.Sequence"/>) or position (<see cref="JournalStartKind.Position"/>).</summary>
    public long Value { get; }

    /// <summary>The time, for <see cref="JournalStartKind.Time"/>.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>
    /// The record with sequence number <paramref name="sequence"/>: binary search over the segments' headers, then over the
    /// segment's sparse index, then a walk of fewer than <see cref="JournalWriterOptions.IndexInterval"/> record lengths (of
    /// the whole segment when it has no usable index). The sequence may be the next one to be written (the end).
    /// </summary>
    /// <param name="sequence">A sequence number, 0 or more.</param>
    public static JournalStart AtSequence(long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        return new(JournalStartKind.Sequence, sequence, default);
    }

    /// <summary>
    /// The first record stamped at or after <paramref name="time"/>, in a journal written with
    /// <see cref="JournalWriterOptions.Timestamps"/>: binary search over the segments' start times, then over the stamps of
    /// the records the segment's sparse index names, then a scan of fewer than <see cref="JournalWriterOptions.IndexInterval"/>
    /// records (of the whole segment when it has no usable index). Stamps are taken not to decrease.
    /// </summary>
    /// <param name="time">The time to start at.</param>
    public static JournalStart AtTime(DateTimeOffset time) => new(JournalStartKind.Time, 0, time);

    /// <summary>
    /// A position saved from <see cref="JournalReader.Position"/> or a record's position (<c>ReadResult.Position</c>, or
    /// <c>Record.NextPosition</c> to start after it). Validated against the segment's records.
    /// </summary>
    /// <param name="position">A journal position.</param>
    public static JournalStart AtPosition(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        return new(JournalStartKind.Position, position, default);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        JournalStartKind.Sequence => $"sequence {Value}",
        JournalStartKind.Position => $"position {Value}",
        JournalStartKind.Time => $"time {Time:O}",
        _ => Kind.ToString(),
    };
}
