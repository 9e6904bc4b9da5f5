namespace Kekbit.Replication.Nats;

/// <summary>A snapshot of a replicator's progress.</summary>
public sealed record ReplicationStatus
{
    /// <summary>The stream replicated to or from.</summary>
    public required string Stream { get; init; }

    /// <summary>Whether the replicator is running (started and not stopped or faulted).</summary>
    public bool IsRunning { get; init; }

    /// <summary>Whether the replicator is connected to the server right now.</summary>
    public bool IsConnected { get; init; }

    /// <summary>The last journal sequence the stream acknowledged (push) or the mirror journal holds (mirror); -1 for none.</summary>
    public long LastReplicatedSequence { get; init; } = -1;

    /// <summary>Records written at the source (origin journal for push, stream for mirror) and not yet replicated.</summary>
    public long LagRecords { get; init; }

    /// <summary>How long replication has been behind: the time since it last had nothing left to replicate; zero when caught up.</summary>
    public TimeSpan Lag { get; init; }

    /// <summary>How many times replication recovered from a server or connection failure.</summary>
    public long Recoveries { get; init; }

    /// <summary>Whether the mirror is waiting for its stream to be created (<see cref="NatsMirrorOptions.WaitForStream"/>); always false for a push.</summary>
    public bool IsWaitingForStream { get; init; }

    /// <summary>The failure that stopped the replicator, or null.</summary>
    public ReplicationException? Fault { get; init; }
}
