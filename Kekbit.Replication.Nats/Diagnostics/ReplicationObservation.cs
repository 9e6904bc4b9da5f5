using Kekbit.Core.Diagnostics;

namespace Kekbit.Replication.Nats.Diagnostics;

/// <summary>
/// A running replicator seen by <see cref="ReplicationMeter"/>, through <see cref="ChannelMeter"/>'s list: its lag, read
/// from its status at the start of every collection (under the collection lock). Holds the replicator weakly; departs
/// when the replicator stops (<see cref="Stop"/>) or is collected.
/// </summary>
internal sealed class ReplicationObservation(IReplicationLagSource source, KeyValuePair<string, object?>[] tags) : Observation
{
    private readonly WeakReference<IReplicationLagSource> _source = new(source);
    private volatile bool _stopped;

    /// <summary>The tags of every measurement of this replicator.</summary>
    public KeyValuePair<string, object?>[] Tags { get; } = tags;

    /// <summary>Whether the replicator is still observed (not stopped, not collected); written under the collection lock.</summary>
    public bool IsLive { get; private set; } = true;

    /// <summary>The lag in records at the last refresh.</summary>
    public long LagRecords { get; private set; }

    /// <summary>The lag in seconds at the last refresh.</summary>
    public double LagSeconds { get; private set; }

    /// <summary>Called by the replicator when its run ends: the next refresh retires the observation.</summary>
    public void Stop() => _stopped = true;

    protected override bool Refresh()
    {
        if (!_stopped && _source.TryGetTarget(out IReplicationLagSource? source))
        {
            ReplicationStatus status = source.GetStatus();
            LagRecords = status.LagRecords;
            LagSeconds = status.Lag.TotalSeconds;
            return true;
        }

        IsLive = false;
        return false;
    }
}
