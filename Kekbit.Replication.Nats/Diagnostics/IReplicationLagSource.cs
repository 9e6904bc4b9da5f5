namespace Kekbit.Replication.Nats.Diagnostics;

/// <summary>A replicator whose lag <see cref="ReplicationMeter"/> reports: its status, read on the collecting thread.</summary>
internal interface IReplicationLagSource
{
    /// <summary>The replicator's status now (thread-safe).</summary>
    ReplicationStatus GetStatus();
}
