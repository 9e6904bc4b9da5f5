// Exports Kekbit's metrics through OpenTelemetry: a writer publishes orders into a channel while a slower reader
// consumes them, and the console exporter prints the "Kekbit" meter's instruments every second (records and bytes
// written and read, the reader's lag, the channel's fill).
//
//   dotnet run --project samples/Metrics -c Release                 (5 seconds of traffic, printed every second)
//   dotnet run --project samples/Metrics -c Release -- --seconds 20
//   dotnet run --project samples/Metrics -c Release -- --self-test  (checks what the exporter received)
using System.Diagnostics;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Core.Diagnostics;
using Kekbit.Samples;
using OpenTelemetry;
using OpenTelemetry.Metrics;

return args switch
{
    [] => Run(TimeSpan.FromSeconds(5)),
    ["--seconds", string seconds] when int.TryParse(seconds, CultureInfo.InvariantCulture, out int n) && n > 0 => Run(TimeSpan.FromSeconds(n)),
    ["--self-test"] => SelfTest(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: metrics [--seconds N] | metrics --self-test");
    return 2;
}

// Traffic for a while, exported to the console every second.
static int Run(TimeSpan duration)
{
    // The meter provider (the listener) starts before the channel: writers and readers join the metrics when they are
    // created, and only while someone listens.
    using MeterProvider metrics = Sdk.CreateMeterProviderBuilder()
        .AddMeter(KekbitMetrics.MeterName)
        .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 1000)
        .Build();

    using var sampleRoot = new SampleRoot("metrics"); // deleted with its channel when the program ends
    using ShmWriter writer = ShmWriter.Create(sampleRoot.Path, Metadata.Create(writerId: 1, channelId: 1, capacityHint: 64 << 20, maxRecordLengthHint: 64, timeout: 10_000, TickUnit.Millis));
    using ShmReader reader = ShmReader.Open(writer.Path);
    var clock = Stopwatch.StartNew();
    byte[] order = new byte[40];
    long sent = 0;
    long received = 0;
    while (clock.Elapsed < duration)
    {
        // 2,000 orders every 10 ms; the reader takes three of every four, so its lag grows for the exporter to see.
        for (int i = 0; i < 2000 && writer.Write(order).Status == WriteStatus.Success; i++)
        {
            sent++;
        }

        for (int i = 0; i < 1500 && reader.TryRead().IsRecord; i++)
        {
            received++;
        }

        Thread.Sleep(10);
    }

    metrics.Dispose(); // The last export, then the summary.
    Console.WriteLine($"Sent {sent:N0} orders, read {received:N0}.");
    return 0;
}

// The same pipeline with an in-memory exporter beside the console one: the exported values must be exact.
static int SelfTest()
{
    var exported = new List<Metric>();
    using MeterProvider metrics = Sdk.CreateMeterProviderBuilder()
        .AddMeter(KekbitMetrics.MeterName)
        .AddConsoleExporter()
        .AddInMemoryExporter(exported)
        .Build();

    using var sampleRoot = new SampleRoot("metrics-self-test");
    using ShmWriter writer = ShmWriter.Create(sampleRoot.Path, Metadata.Create(writerId: 1, channelId: 1, capacityHint: 1 << 20, maxRecordLengthHint: 64, timeout: 10_000, TickUnit.Millis));
    using ShmReader reader = ShmReader.Open(writer.Path);
    byte[] order = new byte[40]; // 48 bytes per record with its length slot.
    for (int i = 0; i < 1000; i++)
    {
        writer.Write(order);
    }

    for (int i = 0; i < 600; i++)
    {
        reader.TryRead();
    }

    writer.Write(new byte[writer.Metadata.MaxRecordLength + 1]); // refused: record_too_large
    metrics.ForceFlush();

    var failures = new List<string>();
    void Expect(string instrument, double expected, string? status = null)
    {
        double? actual = LastValue(exported, instrument, writer.Path, status);
        if (actual != expected)
        {
            failures.Add($"{instrument}{(status is null ? "" : $" [{status}]")}: expected {expected}, got {actual?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}");
        }
    }

    Expect(KekbitMetrics.WriterRecords, 1000);
    Expect(KekbitMetrics.WriterBytes, 48_000);
    Expect(KekbitMetrics.WriterRefusals, 1, "record_too_large");
    Expect(KekbitMetrics.ReaderRecords, 600);
    Expect(KekbitMetrics.ReaderLagRecords, 400);
    Expect(KekbitMetrics.ReaderLagBytes, 400 * 48);
    Expect(KekbitMetrics.ChannelUtilization, 48_000.0 / writer.Metadata.Capacity);
    metrics.Dispose(); // Its last export goes to the console now, before the verdict.
    foreach (string failure in failures)
    {
        Console.WriteLine($"FAILED {failure}");
    }

    Console.WriteLine(failures.Count == 0 ? "metrics self-test passed" : "metrics self-test FAILED");
    return failures.Count == 0 ? 0 : 1;
}

// The last exported value of an instrument for one channel (and one write status).
static double? LastValue(List<Metric> exported, string instrument, string path, string? status)
{
    double? value = null;
    foreach (Metric metric in exported.Where(m => m.Name == instrument))
    {
        foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
        {
            string? pointPath = null;
            string? pointStatus = null;
            foreach (KeyValuePair<string, object?> tag in point.Tags)
            {
                pointPath = tag.Key == KekbitMetrics.ChannelPathTag ? tag.Value as string : pointPath;
                pointStatus = tag.Key == KekbitMetrics.WriteStatusTag ? tag.Value as string : pointStatus;
            }

            if (pointPath == path && pointStatus == status)
            {
                value = metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                    MetricType.LongGauge => point.GetGaugeLastValueLong(),
                    MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
                    _ => point.GetSumDouble(),
                };
            }
        }
    }

    return value;
}
