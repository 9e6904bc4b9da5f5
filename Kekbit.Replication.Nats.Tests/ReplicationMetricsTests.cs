using Kekbit.Core.Diagnostics;
using Kekbit.Journal;
using Kekbit.TestSupport;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Kekbit.Replication.Nats.Tests.ReplicationTestSupport;

namespace Kekbit.Replication.Nats.Tests;

/// <summary>
/// <c>kekbit.replication.lag</c> and <c>kekbit.replication.lag.time</c> in the <c>Kekbit</c> meter, read through
/// <see cref="MetricCollector{T}"/>. Other tests' replicators may be observed too (tests run in parallel): every check
/// picks the series of this test's journal.
/// </summary>
public sealed class ReplicationMetricsTests
{
    [Fact]
    public async Task Push_and_mirror_lag_rise_while_the_server_is_down_fall_after_and_end_with_the_replicators()
    {
        using var lag = new MetricCollector<long>(null, KekbitMetrics.MeterName, KekbitMetrics.ReplicationLag);
        using var lagTime = new MetricCollector<double>(null, KekbitMetrics.MeterName, KekbitMetrics.ReplicationLagTime);
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        string origin = Path.Combine(root.Path, "origin");
        string mirrorFolder = Path.Combine(root.Path, "mirror");
        using JournalWriter writer = JournalWriter.Open(origin, Small);
        WriteValues(writer, 0, 1_000);

        using var push = new NatsPushReplicator(Push(server, origin) with { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(200) });
        await push.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => push.GetStatus().LastReplicatedSequence == 999, "the first records");
        using var mirror = new NatsMirrorReplicator(new NatsMirrorOptions
        {
            JournalFolder = mirrorFolder,
            Stream = "orders",
            Connection = new NatsConnectionOptions { Url = server.Url },
            WriterOptions = Small,
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
        });
        await mirror.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => mirror.GetStatus().LastReplicatedSequence == 999, "the mirror");

        // Caught up: both series exist, with their tags, at zero.
        await WaitUntilAsync(() => Last(lag, "push", origin) == 0 && Last(lag, "mirror", mirrorFolder) == 0 && Last(lagTime, "push", origin) == 0.0, "zero lags");

        // The server goes away while the journal grows: the push lag is the records not acknowledged, and its age grows.
        await server.StopAsync();
        WriteValues(writer, 1_000, 500);
        await WaitUntilAsync(() => Last(lag, "push", origin) == 500, "a lag of 500 records");
        await WaitUntilAsync(() => Last(lagTime, "push", origin) >= 0.2, "a lag of 0.2 s or more");

        // Back: both fall to zero again.
        await server.StartAgainAsync();
        await WaitUntilAsync(() => push.GetStatus().Fault is { } fault ? throw fault : Last(lag, "push", origin) == 0 && Last(lagTime, "push", origin) == 0.0, "the push lag back to zero");
        await WaitUntilAsync(() => mirror.GetStatus().Fault is { } fault ? throw fault : mirror.GetStatus().LastReplicatedSequence == 1_499 && Last(lag, "mirror", mirrorFolder) == 0, "the mirror caught up");

        // Stopped replicators leave the gauges.
        await mirror.StopAsync(CancellationToken.None);
        await push.StopAsync(CancellationToken.None);
        Assert.Null(Last(lag, "push", origin));
        Assert.Null(Last(lag, "mirror", mirrorFolder));
        Assert.Null(Last(lagTime, "mirror", mirrorFolder));
    }

    /// <summary>Collects once and returns the value of the series of (<paramref name="kind"/>, <paramref name="folder"/>), or null when there is none.</summary>
    private static T? Last<T>(MetricCollector<T> collector, string kind, string folder)
        where T : struct
    {
        collector.Clear();
        collector.RecordObservableInstruments();
        string path = Path.GetFullPath(folder);
        CollectedMeasurement<T>? found = collector.GetMeasurementSnapshot().LastOrDefault(m =>
            Equals(m.Tags[KekbitMetrics.ReplicationKindTag], kind)
            && Equals(m.Tags[KekbitMetrics.JournalPathTag], path)
            && Equals(m.Tags[KekbitMetrics.ReplicationStreamTag], "orders"));
        return found?.Value;
    }
}
