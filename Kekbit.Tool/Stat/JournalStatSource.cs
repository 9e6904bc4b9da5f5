using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Commands;

namespace Kekbit.Tool.Stat;

/// <summary>
/// The journals under a root, for <c>kekbit stat</c>: one row per journal, never its segments as channels. Each sample is a
/// <see cref="JournalInspection"/> (read-only: no writer lock, no cursor lock, no doorbell, nothing written). The writer's
/// rate compares this sample with the previous one: records from the last sequence (dense, never reused, so retention
/// deleting old segments does not disturb it), bytes from each segment's write position (a segment new since the last
/// sample counts whole, a deleted one not at all).
/// </summary>
internal sealed class JournalStatSource : IStatSource
{
    private Dictionary<string, Previous> _previous = new(StringComparer.Ordinal);

    public IEnumerable<StatRow> Sample(RootContents contents, ChannelWriters writers, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = new List<StatRow>();
        var seen = new Dictionary<string, Previous>(StringComparer.Ordinal);
        foreach (string folder in contents.Journals)
        {
            cancellationToken.ThrowIfCancellationRequested();
            JournalInspection journal;
            try
            {
                journal = JournalInspection.Inspect(folder, writers, cancellationToken);
            }
            catch (JournalException)
            {
                continue; // removed since the walk found it
            }

            Previous? previous = _previous.GetValueOrDefault(journal.Folder);
            StatRow row = RowOf(journal, previous, now);
            seen[journal.Folder] = new Previous(now, journal.LastSequence, SegmentPositions(journal), row.LastWrite);
            rows.Add(row);
        }

        // Journals gone since the last sample are forgotten.
        _previous = seen;
        return rows;
    }

    private static Dictionary<long, long> SegmentPositions(JournalInspection journal)
    {
        var positions = new Dictionary<long, long>(journal.Segments.Count);
        foreach (JournalSegmentInspection segment in journal.Segments)
        {
            positions[segment.Number] = segment.Channel.BytesUsed;
        }

        return positions;
    }

    private static StatRow RowOf(JournalInspection journal, Previous? previous, DateTimeOffset now)
    {
        JournalSegmentInspection? current = null;
        DateTimeOffset? lastWrite = null;
        long bytesUsed = 0;
        foreach (JournalSegmentInspection segment in journal.Segments)
        {
            if (segment.FirstSequence is not null)
            {
                current = segment;
            }

            bytesUsed += segment.Channel.BytesUsed;
            if (segment.Channel.LastWriteTime != default && (lastWrite is null || segment.Channel.LastWriteTime > lastWrite))
            {
                lastWrite = segment.Channel.LastWriteTime;
            }
        }

        double? recordsPerSecond = null;
        double? bytesPerSecond = null;
        if (previous is not null && now > previous.At && journal.LastSequence >= previous.LastSequence)
        {
            double seconds = (now - previous.At).TotalSeconds;
            long newestBefore = previous.Positions.Count == 0 ? -1 : previous.Positions.Keys.Max();
            long written = 0;
            foreach (JournalSegmentInspection segment in journal.Segments)
            {
                if (previous.Positions.TryGetValue(segment.Number, out long before))
                {
                    written += Math.Max(0, segment.Channel.BytesUsed - before);
                }
                else if (segment.Number > newestBefore)
                {
                    written += segment.Channel.BytesUsed;
                }
            }

            recordsPerSecond = (journal.LastSequence - previous.LastSequence) / seconds;
            bytesPerSecond = written / seconds;

            // As for a channel: a write lands in a segment's pages without changing its modification time until write-back,
            // so a sequence that moved since the last sample dates the last write better.
            DateTimeOffset? moved = journal.LastSequence != previous.LastSequence ? now : previous.LastWrite;
            if (moved is not null && (lastWrite is null || moved > lastWrite))
            {
                lastWrite = moved;
            }
        }

        ChannelInspection? channel = current?.Channel;
        return new StatRow
        {
            Kind = "journal",
            Path = journal.Folder,
            State = channel?.State ?? ChannelState.Closed,
            Reason = journal.Fault is JournalFault fault ? JournalViews.Describe(fault) : null,
            Records = journal.RecordCount,
            BytesUsed = bytesUsed,
            Capacity = channel?.Metadata?.Capacity ?? 0,
            FillPercent = channel?.FillPercent ?? 0,
            RecordsPerSecond = recordsPerSecond,
            BytesPerSecond = bytesPerSecond,
            LastWrite = lastWrite,
            WriterProcessId = journal.WriterProcessId,
            Journal = new JournalStat
            {
                State = journal.State,
                JournalId = journal.JournalId,
                Segments = journal.Segments.Count,
                CurrentSegment = current?.Number,
                FirstSequence = journal.FirstSequence,
                LastSequence = journal.LastSequence,
                TotalBytes = journal.TotalBytes,
                Cursors = journal.Cursors,
            },
        };
    }

    private sealed record Previous(DateTimeOffset At, long LastSequence, Dictionary<long, long> Positions, DateTimeOffset? LastWrite);
}
