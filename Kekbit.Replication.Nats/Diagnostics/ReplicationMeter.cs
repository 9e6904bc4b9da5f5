using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kekbit.Core.Diagnostics;

namespace Kekbit.Replication.Nats.Diagnostics;

/// <summary>
/// The replication instruments of the <c>Kekbit</c> meter (names in <see cref="KekbitMetrics"/>):
/// <c>kekbit.replication.lag</c> and <c>kekbit.replication.lag.time</c> of the push replicators and mirrors this process
/// runs. Created on <see cref="ChannelMeter.Meter"/>; replicators are observed through <see cref="ChannelMeter"/>'s list
/// and collected under its lock.
/// </summary>
/// <remarks>
/// No cost on the replication path: a replicator joins when its run starts, only while one of these instruments is enabled,
/// and the gauges read its status on the collecting thread (for a push, that opens a reader at the journal's end to find
/// it; for a mirror, it reads the pending count of the last message).
/// </remarks>
internal static class ReplicationMeter
{
    private static readonly ConcurrentDictionary<ReplicationObservation, bool> Replicators = new();

    private static readonly Instrument[] Instruments =
    [
        ChannelMeter.Meter.CreateObservableGauge(KekbitMetrics.ReplicationLag, static () => ChannelMeter.Collect<long>(static measurements =>
        {
            foreach (ReplicationObservation replicator in Live())
            {
                measurements.Add(new(replicator.LagRecords, replicator.Tags));
            }
        }), "{record}", "Records a replicator of this process has not replicated yet (push: not acknowledged by the stream; mirror: not yet in the mirror journal)."),
        ChannelMeter.Meter.CreateObservableGauge(KekbitMetrics.ReplicationLagTime, static () => ChannelMeter.Collect<double>(static measurements =>
        {
            foreach (ReplicationObservation replicator in Live())
            {
                measurements.Add(new(replicator.LagSeconds, replicator.Tags));
            }
        }), "s", "How long a replicator of this process has been behind; zero when caught up."),
    ];

    /// <summary>Whether some listener has enabled one of the replication instruments: only then are starting replicators observed.</summary>
    public static bool IsListened => ChannelMeter.AnyEnabled(Instruments);

    /// <summary>Observes a replicator whose run starts, if someone listens; otherwise returns null.</summary>
    /// <param name="source">The replicator.</param>
    /// <param name="kind"><c>push</c> or <c>mirror</c>.</param>
    /// <param name="stream">Its stream.</param>
    /// <param name="journalFolder">Its local journal.</param>
    /// <returns>The observation, to <see cref="Stopped"/> when the run ends; null when nobody listens.</returns>
    public static ReplicationObservation? Observe(IReplicationLagSource source, string kind, string stream, string journalFolder)
    {
        if (!IsListened)
        {
            return null;
        }

        var observation = new ReplicationObservation(source,
        [
            new(KekbitMetrics.ReplicationKindTag, kind),
            new(KekbitMetrics.ReplicationStreamTag, stream),
            new(KekbitMetrics.JournalPathTag, Path.GetFullPath(journalFolder)),
        ]);
        Replicators.TryAdd(observation, true);
        ChannelMeter.Observe(observation);
        return observation;
    }

    /// <summary>Ends the observation of a replicator whose run ended: its series end at the next collection.</summary>
    public static void Stopped(ReplicationObservation? observation)
    {
        if (observation is null)
        {
            return;
        }

        observation.Stop();
        ChannelMeter.Departed();
    }

    /// <summary>The observations still live after the collection's refresh; departed ones leave the dictionary. Runs under the collection lock.</summary>
    private static IEnumerable<ReplicationObservation> Live()
    {
        foreach (ReplicationObservation replicator in Replicators.Keys)
        {
            if (replicator.IsLive)
            {
                yield return replicator;
            }
            else
            {
                Replicators.TryRemove(replicator, out _);
            }
        }
    }
}
