using Kekbit.Core.Diagnostics;
using Kekbit.TestSupport;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Kekbit.Core.Tests.Diagnostics;

/// <summary>
/// The <c>Kekbit</c> meter, read through <see cref="MetricCollector{T}"/>. One collection, run alone: whether a writer or
/// reader is observed depends on whether any listener in the process is enabled when it is created.
/// </summary>
[Collection(nameof(MeterTestsRunAlone))]
public sealed class MetricsTests : IDisposable
{
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void A_writer_reports_its_records_bytes_refusals_and_fill()
    {
        using var metrics = new Collectors();
        string path;
        int records = 2;
        int capacity;
        using (ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 7, 1024, 100, 1000, TickUnit.Millis)))
        {
            path = writer.Path;
            capacity = writer.Metadata.Capacity;
            writer.Write("one"u8);
            writer.Write("two"u8);
            Assert.Equal(WriteStatus.RecordTooLarge, writer.Write(new byte[writer.Metadata.MaxRecordLength + 1]).Status);
            metrics.Collect();
            Assert.Equal(2, metrics.Long(KekbitMetrics.WriterRecords, path));
            Assert.Equal(32, metrics.Long(KekbitMetrics.WriterBytes, path));
            Assert.Equal(32.0 / capacity, metrics.Double(KekbitMetrics.ChannelUtilization, path));
            Assert.Equal(1, metrics.Long(KekbitMetrics.WriterRefusals, path, "record_too_large"));
            Assert.Equal(0, metrics.Long(KekbitMetrics.WriterRefusals, path, "channel_full"));

            while (writer.Write(new byte[100]).Status == WriteStatus.Success)
            {
                records++;
            }

            writer.Write("x"u8);
        }

        metrics.Collect();
        Assert.Equal(2, metrics.Long(KekbitMetrics.WriterRefusals, path, "channel_full"));
        Assert.Equal(records, metrics.Long(KekbitMetrics.WriterRecords, path));
        // Closed: the counters keep their last values; the fill gauge is gone with the writer.
        Assert.Null(metrics.Double(KekbitMetrics.ChannelUtilization, path));
    }

    [Fact]
    public void Readers_report_what_they_read_and_the_slowest_ones_lag()
    {
        using var metrics = new Collectors();
        using ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 8, 4096, 100, 1000, TickUnit.Millis));
        for (int i = 0; i < 5; i++)
        {
            writer.Write("abcdefgh"u8); // 16 bytes each.
        }

        ShmReader fast = ShmReader.Open(writer.Path);
        using ShmReader slow = ShmReader.Open(writer.Path);
        Read(fast, 4);
        Read(slow, 1);

        metrics.Collect();
        Assert.Equal(5, metrics.Long(KekbitMetrics.ReaderRecords, writer.Path));
        Assert.Equal(80, metrics.Long(KekbitMetrics.ReaderBytes, writer.Path));
        Assert.Equal(4, metrics.Long(KekbitMetrics.ReaderLagRecords, writer.Path));
        Assert.Equal(64, metrics.Long(KekbitMetrics.ReaderLagBytes, writer.Path));

        fast.Dispose();
        Read(slow, 3);
        metrics.Collect();
        // The departed reader's 4 records stay in the sum: the counter never goes down.
        Assert.Equal(8, metrics.Long(KekbitMetrics.ReaderRecords, writer.Path));
        Assert.Equal(1, metrics.Long(KekbitMetrics.ReaderLagRecords, writer.Path));

        slow.SeekTo(0);
        Read(slow, 2);
        metrics.Collect();
        Assert.Equal(3, metrics.Long(KekbitMetrics.ReaderLagRecords, writer.Path));
        Assert.Equal(48, metrics.Long(KekbitMetrics.ReaderLagBytes, writer.Path));
    }

    [Fact]
    public void A_reader_sleeping_on_the_doorbell_counts_its_sleeps()
    {
        using var metrics = new Collectors();
        using ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 9, 4096, 100, 1000, TickUnit.Millis), options: new ShmWriterOptions { Doorbell = true });
        using ShmReader reader = ShmReader.Open(writer.Path);
        if (!reader.HasDoorbell)
        {
            Assert.Skip("SKIPPED: no futex doorbell on this platform");
        }

        Assert.False(reader.WaitForData(TimeSpan.FromMilliseconds(25), TestContext.Current.CancellationToken));

        metrics.Collect();
        Assert.True(metrics.Long(KekbitMetrics.ReaderDoorbellSleeps, writer.Path) >= 1);
        Assert.Equal(0, metrics.Long(KekbitMetrics.ReaderDoorbellTimeouts, writer.Path));
        Assert.Equal(0, metrics.Long(KekbitMetrics.WriterDoorbellWakes, writer.Path));
    }

    [Fact]
    public void Closing_a_writer_and_its_reader_releases_the_meters_mappings_at_once_and_keeps_the_counts()
    {
        var metrics = new Collectors();
        ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 12, 4096, 100, 1000, TickUnit.Millis));
        ShmReader reader = ShmReader.Open(writer.Path);
        string path = writer.Path;
        metrics.Collect(); // The meter maps the channel to count its records.
        writer.Write("counted at close"u8);
        reader.TryRead();
        Assert.True(IsMapped(path));

        // The listener stops: no collection will come, yet closing must not leave the meter's mappings behind.
        metrics.Dispose();
        writer.Dispose();
        reader.Dispose();

        Assert.False(IsMapped(path));
        using var after = new Collectors();
        after.Collect();
        Assert.Equal(1, after.Long(KekbitMetrics.WriterRecords, path));
        Assert.Equal(1, after.Long(KekbitMetrics.ReaderRecords, path));
    }

    [Fact]
    public void Nothing_is_observed_while_nobody_listens()
    {
        using ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 10, 4096, 100, 1000, TickUnit.Millis));
        using ShmReader reader = ShmReader.Open(writer.Path);
        writer.Write("unseen"u8);

        using var metrics = new Collectors();
        metrics.Collect();

        Assert.Null(metrics.Long(KekbitMetrics.WriterRecords, writer.Path));
        Assert.Null(metrics.Long(KekbitMetrics.ReaderRecords, writer.Path));
    }

    [Fact]
    public void Writing_and_reading_allocate_nothing_while_listened_to()
    {
        using var metrics = new Collectors();
        using ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 11, 4 << 20, 64, 1000, TickUnit.Millis));
        using ShmReader reader = ShmReader.Open(writer.Path);
        byte[] payload = new byte[32];

        long written = Allocations.OfSecondRun((writer, payload), static state =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                state.writer.Write(state.payload);
            }
        });
        long read = Allocations.OfSecondRun(reader, static reader =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                reader.TryRead();
            }
        });

        Assert.Equal((0, 0), (written, read));
        metrics.Collect();
        Assert.Equal(20_000, metrics.Long(KekbitMetrics.WriterRecords, writer.Path));
        Assert.Equal(0, metrics.Long(KekbitMetrics.ReaderLagRecords, writer.Path));
    }

    private static bool IsMapped(string path) =>
        OperatingSystem.IsLinux() && File.ReadLines("/proc/self/maps").Any(line => line.EndsWith(path, StringComparison.Ordinal) || line.EndsWith(path + " (deleted)", StringComparison.Ordinal));

    private static void Read(ShmReader reader, int records)
    {
        for (int i = 0; i < records; i++)
        {
            Assert.True(reader.TryRead().IsRecord);
        }
    }

    /// <summary>One collector per instrument of the meter.</summary>
    private sealed class Collectors : IDisposable
    {
        private static readonly string[] LongInstruments =
        [
            KekbitMetrics.WriterRecords, KekbitMetrics.WriterBytes, KekbitMetrics.WriterRefusals, KekbitMetrics.WriterDoorbellWakes,
            KekbitMetrics.ReaderRecords, KekbitMetrics.ReaderBytes, KekbitMetrics.ReaderLagRecords, KekbitMetrics.ReaderLagBytes,
            KekbitMetrics.ReaderDoorbellSleeps, KekbitMetrics.ReaderDoorbellTimeouts,
        ];

        private readonly Dictionary<string, MetricCollector<long>> _longs = LongInstruments.ToDictionary(name => name, name => new MetricCollector<long>(null, KekbitMetrics.MeterName, name));
        private readonly MetricCollector<double> _utilization = new(null, KekbitMetrics.MeterName, KekbitMetrics.ChannelUtilization);

        /// <summary>Clears what was collected before, then collects every instrument once.</summary>
        public void Collect()
        {
            foreach (MetricCollector<long> collector in _longs.Values)
            {
                collector.Clear();
                collector.RecordObservableInstruments();
            }

            _utilization.Clear();
            _utilization.RecordObservableInstruments();
        }

        /// <summary>The value last collected for <paramref name="path"/> (and <paramref name="status"/>), or null when none was.</summary>
        public long? Long(string instrument, string path, string? status = null)
        {
            CollectedMeasurement<long>? last = _longs[instrument].GetMeasurementSnapshot().LastOrDefault(m => Matches(m.Tags, path, status));
            return last?.Value;
        }

        public double? Double(string instrument, string path)
        {
            Assert.Equal(KekbitMetrics.ChannelUtilization, instrument);
            CollectedMeasurement<double>? last = _utilization.GetMeasurementSnapshot().LastOrDefault(m => Matches(m.Tags, path, null));
            return last?.Value;
        }

        public void Dispose()
        {
            foreach (MetricCollector<long> collector in _longs.Values)
            {
                collector.Dispose();
            }

            _utilization.Dispose();
        }

        private static bool Matches(IReadOnlyDictionary<string, object?> tags, string path, string? status) =>
            Equals(tags[KekbitMetrics.ChannelPathTag], path) && (status is null || Equals(tags[KekbitMetrics.WriteStatusTag], status));
    }
}

/// <summary>The metrics tests run alone: a listener in another test would make every channel observed.</summary>
[CollectionDefinition(nameof(MeterTestsRunAlone), DisableParallelization = true)]
public sealed class MeterTestsRunAlone;
