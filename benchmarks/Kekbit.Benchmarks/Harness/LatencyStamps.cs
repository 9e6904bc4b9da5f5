using System.Diagnostics;
using HdrHistogram;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// The two stamps a pacing writer puts at the start of each latency record (its due time, then the time it published it,
/// both <see cref="Stopwatch"/> timestamps: CLOCK_MONOTONIC, the same clock in every process of the machine), and the
/// reader's two histograms of arrival minus each. From the due time is the latency a user sees (no coordinated omission:
/// a writer woken late makes every record it owes late); from the publish time is the transport's own part, without the
/// writer's lateness.
/// </summary>
internal sealed class LatencyStamps(long warmup)
{
    /// <summary>The bytes the stamps take at the start of a record.</summary>
    public const int Size = 16;

    private readonly LongHistogram _fromDue = new(TimeSpan.FromSeconds(100).Ticks * 100, 3);
    private readonly LongHistogram _fromPublish = new(TimeSpan.FromSeconds(100).Ticks * 100, 3);
    private long _seen;

    /// <summary>Writes <paramref name="due"/> and the current time into the start of <paramref name="record"/>: call just before publishing it.</summary>
    public static void Stamp(Span<byte> record, long due)
    {
        BitConverter.TryWriteBytes(record, due);
        BitConverter.TryWriteBytes(record[8..], Stopwatch.GetTimestamp());
    }

    /// <summary>Records one arrival, now; the first <c>warmup</c> records are not counted.</summary>
    public void Record(ReadOnlySpan<byte> record)
    {
        long now = Stopwatch.GetTimestamp();
        if (_seen++ < warmup)
        {
            return;
        }

        _fromDue.RecordValue(Nanos(now - BitConverter.ToInt64(record)));
        _fromPublish.RecordValue(Nanos(now - BitConverter.ToInt64(record[8..])));
    }

    /// <summary>The distribution from the due time, with the publish-time percentiles beside it.</summary>
    public LatencyWorkloads.Result Summarise(string name) => LatencyWorkloads.Summarise(name, _fromDue) with
    {
        FromPublish = (_fromPublish.GetValueAtPercentile(50), _fromPublish.GetValueAtPercentile(99), _fromPublish.GetValueAtPercentile(99.9)),
    };

    private static long Nanos(long ticks) => (long)(Math.Max(0, ticks) * 1e9 / Stopwatch.Frequency);
}
