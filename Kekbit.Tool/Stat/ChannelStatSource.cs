using Kekbit.Core;
using Kekbit.Tool.Channels;

namespace Kekbit.Tool.Stat;

/// <summary>
/// The loose channels under a root (not journal segments), for <c>kekbit stat</c>. Each sample inspects every channel file read-only (as
/// <c>kekbit ls</c> does: a private read-only mapping, no doorbell registration, nothing written), and compares its
/// write position with the previous sample's to give the writer's rate.
/// </summary>
internal sealed class ChannelStatSource : IStatSource
{
    private Dictionary<string, Previous> _previous = new(StringComparer.Ordinal);

    public IEnumerable<StatRow> Sample(RootContents contents, ChannelWriters writers, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = new List<StatRow>();
        var seen = new Dictionary<string, Previous>(StringComparer.Ordinal);
        foreach (string file in contents.Channels)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ChannelInspection inspection = ChannelInspection.Inspect(file, writers, cancellationToken: cancellationToken);
            StatRow row = RowOf(inspection, _previous.GetValueOrDefault(inspection.Path), now);
            seen[inspection.Path] = new Previous(now, row.Records, row.BytesUsed, row.LastWrite);
            rows.Add(row);
        }

        // Channels gone since the last sample are forgotten.
        _previous = seen;
        return rows;
    }

    private static StatRow RowOf(ChannelInspection inspection, Previous? previous, DateTimeOffset now)
    {
        DateTimeOffset? lastWrite = inspection.LastWriteTime == default ? null : inspection.LastWriteTime;
        double? recordsPerSecond = null;
        double? bytesPerSecond = null;
        if (previous is not null && now > previous.At)
        {
            double seconds = (now - previous.At).TotalSeconds;
            // A channel replaced by a new one (fewer bytes than before) shows no rate for this sample, never a negative one.
            if (inspection.BytesUsed >= previous.BytesUsed)
            {
                recordsPerSecond = (inspection.RecordCount - previous.Records) / seconds;
                bytesPerSecond = (inspection.BytesUsed - previous.BytesUsed) / seconds;
            }

            // A write lands in the file's pages without changing its modification time until write-back: a position that
            // moved since the last sample dates the last write better.
            DateTimeOffset? seen = inspection.BytesUsed != previous.BytesUsed ? now : previous.LastWrite;
            if (seen is not null && (lastWrite is null || seen > lastWrite))
            {
                lastWrite = seen;
            }
        }

        Metadata? metadata = inspection.Metadata;
        return new StatRow
        {
            Kind = "channel",
            Path = inspection.Path,
            ChannelId = metadata?.ChannelId,
            State = inspection.State,
            Reason = inspection.Reason,
            Records = inspection.RecordCount,
            BytesUsed = inspection.BytesUsed,
            Capacity = metadata?.Capacity ?? 0,
            FillPercent = inspection.FillPercent,
            RecordsPerSecond = recordsPerSecond,
            BytesPerSecond = bytesPerSecond,
            LastWrite = lastWrite,
            WriterProcessId = inspection.WriterProcessId,
        };
    }

    private sealed record Previous(DateTimeOffset At, long Records, long BytesUsed, DateTimeOffset? LastWrite);
}
