using Kekbit.Core;

namespace Kekbit.Journal;

/// <summary>One segment of a journal as <see cref="JournalInspection"/> found it: its number, its header and its channel's state.</summary>
public sealed class JournalSegmentInspection
{
    internal JournalSegmentInspection(long number, ChannelInspection channel, long? firstSequence, DateTimeOffset? startedAt)
    {
        Number = number;
        Channel = channel;
        FirstSequence = firstSequence;
        StartedAt = startedAt;
        RecordCount = firstSequence is null ? 0 : Math.Max(channel.RecordCount - 1, 0);
    }

    /// <summary>The segment number (its channel id).</summary>
    public long Number { get; }

    /// <summary>The segment file.</summary>
    public string Path => Channel.Path;

    /// <summary>The segment's channel, inspected: state, bytes used, end, the first damage if any, its writer process.</summary>
    public ChannelInspection Channel { get; }

    /// <summary>
    /// The sequence of the segment's first journal record, from its header; null when the segment has no header (created
    /// ahead and not started yet, sealed empty by recovery, or unreadable).
    /// </summary>
    public long? FirstSequence { get; }

    /// <summary>The journal records in the segment, its header not counted (those before the damage, in a damaged segment).</summary>
    public long RecordCount { get; }

    /// <summary>The sequence of the segment's last journal record; null when it holds none.</summary>
    public long? LastSequence => FirstSequence is long first && RecordCount > 0 ? first + RecordCount - 1 : null;

    /// <summary>When the segment's header was written; null without a header.</summary>
    public DateTimeOffset? StartedAt { get; }
}
