using Kekbit.Core.Diagnostics;
using Kekbit.Journal.Internal;
using Kekbit.TestSupport;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Kekbit.Journal.Tests.JournalTestSupport;

namespace Kekbit.Journal.Tests;

/// <summary>
/// The journal instruments of the <c>Kekbit</c> meter (segments, rolls, cursor lag), read through
/// <see cref="MetricCollector{T}"/>. Run alone: whether a writer is observed depends on whether a listener is enabled when
/// it opens.
/// </summary>
[Collection(nameof(JournalMeterTestsRunAlone))]
public sealed class MetricsTests : IDisposable
{
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    private string Folder => Path.Combine(_root.Path, "orders");

    [Fact]
    public void A_writer_reports_its_segments_rolls_and_the_lag_of_each_durable_cursor()
    {
        using var metrics = new Collectors();
        JournalWriter writer = JournalWriter.Open(Folder, Small());
        string folder = writer.Folder;
        try
        {
            WriteValues(writer, 0, 3000);
            Assert.True(writer.Rolls >= 3, "the writer rolled");
            CommitCursor("billing", 1000);
            CommitCursor("shipping", 3000);
            using (JournalReader.OpenCursor(Folder, "never-committed"))
            {
            }

            // The writer creates its next segment ahead in the background: wait until it is there, so that the collection
            // and the listing below see the same segments.
            Assert.True(SpinWait.SpinUntil(() => Segments.List(folder).Count == writer.Segment + 2, TimeSpan.FromSeconds(30)),
                "the segment created ahead did not appear");
            metrics.Collect();
            Assert.Equal(writer.Rolls, metrics.Rolls(folder));
            Assert.Equal(Segments.List(folder).Count, metrics.Segments(folder));
            Assert.Equal(2000, metrics.Lag(folder, "billing"));
            Assert.Equal(0, metrics.Lag(folder, "shipping"));
            Assert.Null(metrics.Lag(folder, "never-committed")); // nothing committed: no lag to report

            WriteValues(writer, 3000, 500);
            metrics.Collect();
            Assert.Equal(2500, metrics.Lag(folder, "billing"));
            Assert.Equal(500, metrics.Lag(folder, "shipping"));
            Assert.Equal(writer.Rolls, metrics.Rolls(folder));
        }
        finally
        {
            writer.Dispose();
        }

        long firstRolls = writer.Rolls;
        metrics.Collect();
        // Closed: the counter keeps its last value; the gauges are gone with the writer.
        Assert.Equal(firstRolls, metrics.Rolls(folder));
        Assert.Null(metrics.Segments(folder));
        Assert.Null(metrics.Lag(folder, "billing"));

        // A second writer of the same journal in this process adds to the count: it never goes down.
        using JournalWriter second = JournalWriter.Open(Folder, Small());
        WriteValues(second, 3500, 2000);
        Assert.True(second.Rolls > 0);
        metrics.Collect();
        Assert.Equal(firstRolls + second.Rolls, metrics.Rolls(folder));
        Assert.Equal(4500, metrics.Lag(folder, "billing"));
    }

    [Fact]
    public void A_writer_opened_while_nobody_listens_is_not_observed()
    {
        using JournalWriter writer = JournalWriter.Open(Folder, Small());
        WriteValues(writer, 0, 2000);
        CommitCursor("billing", 10);
        using var metrics = new Collectors();

        metrics.Collect();

        Assert.Null(metrics.Rolls(writer.Folder));
        Assert.Null(metrics.Segments(writer.Folder));
        Assert.Null(metrics.Lag(writer.Folder, "billing"));
    }

    [Fact]
    public void Writing_to_an_observed_journal_does_no_metric_work_and_allocates_nothing_per_record()
    {
        using var metrics = new Collectors();
        using var writer = JournalWriter.Open(Folder, new JournalWriterOptions { SegmentCapacity = 4 << 20, PreTouch = false });
        metrics.Collect();
        Assert.Equal(0, metrics.Rolls(writer.Folder)); // observed

        byte[] payload = new byte[32];
        long allocated = Allocations.OfSecondRun((writer, payload), static s =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                s.writer.Write(s.payload);
            }
        });

        Assert.Equal(0, allocated);
        Assert.True(SpinWait.SpinUntil(() => Segments.List(writer.Folder).Count == writer.Segment + 2, TimeSpan.FromSeconds(30)),
            "the segment created ahead did not appear");
        metrics.Collect();
        Assert.Equal(0, metrics.Rolls(writer.Folder));
        Assert.Equal(Segments.List(writer.Folder).Count, metrics.Segments(writer.Folder));
    }

    private void CommitCursor(string name, int records)
    {
        using JournalReader cursor = JournalReader.OpenCursor(Folder, name);
        for (int i = 0; i < records; i++)
        {
            Assert.True(cursor.TryRead().IsRecord);
        }

        cursor.Commit();
    }

    private sealed class Collectors : IDisposable
    {
        private readonly MetricCollector<long> _segments = new(null, KekbitMetrics.MeterName, KekbitMetrics.JournalSegments);
        private readonly MetricCollector<long> _rolls = new(null, KekbitMetrics.MeterName, KekbitMetrics.JournalRolls);
        private readonly MetricCollector<long> _lag = new(null, KekbitMetrics.MeterName, KekbitMetrics.JournalCursorLag);

        /// <summary>Clears what was collected before, then collects every instrument once.</summary>
        public void Collect()
        {
            foreach (MetricCollector<long> collector in new[] { _segments, _rolls, _lag })
            {
                collector.Clear();
                collector.RecordObservableInstruments();
            }
        }

        public long? Segments(string folder) => Last(_segments, folder, null);

        public long? Rolls(string folder) => Last(_rolls, folder, null);

        public long? Lag(string folder, string cursor) => Last(_lag, folder, cursor);

        public void Dispose()
        {
            _segments.Dispose();
            _rolls.Dispose();
            _lag.Dispose();
        }

        private static long? Last(MetricCollector<long> collector, string folder, string? cursor) =>
            collector.GetMeasurementSnapshot().LastOrDefault(m =>
                Equals(m.Tags[KekbitMetrics.JournalPathTag], folder)
                && (cursor is null || Equals(m.Tags[KekbitMetrics.JournalCursorTag], cursor)))?.Value;
    }
}

/// <summary>The journal metrics tests run alone: a listener enabled in another test would make every journal writer observed.</summary>
[CollectionDefinition(nameof(JournalMeterTestsRunAlone), DisableParallelization = true)]
public sealed class JournalMeterTestsRunAlone;
