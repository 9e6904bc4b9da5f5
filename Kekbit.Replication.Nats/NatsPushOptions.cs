using Kekbit.Journal;

namespace Kekbit.Replication.Nats;

/// <summary>Options of <see cref="NatsPushReplicator"/>.</summary>
public sealed record NatsPushOptions
{
    /// <summary>The folder of the journal to replicate (read only: its writer is never slowed).</summary>
    public required string JournalFolder { get; init; }

    /// <summary>The JetStream stream to publish to.</summary>
    public required string Stream { get; init; }

    /// <summary>The subject each record is published on; null: <c>kekbit.</c> followed by the stream name.</summary>
    public string? Subject { get; init; }

    /// <summary>Creates the stream (file storage, the subject) when it does not exist; otherwise a missing stream is <see cref="ReplicationError.StreamNotFound"/>.</summary>
    public bool CreateStream { get; init; } = true;

    /// <summary>The durable journal cursor that remembers where replication stopped (and keeps retention from deleting what is not yet replicated); null: <c>nats-</c> followed by the stream name.</summary>
    public string? CursorName { get; init; }

    /// <summary>Cursor options (for example <see cref="JournalCursorOptions.FlushToDisk"/>).</summary>
    public JournalCursorOptions? CursorOptions { get; init; }

    /// <summary>The most messages published and not yet acknowledged (the window); at least 1.</summary>
    public int MaxInFlight { get; init; } = 256;

    /// <summary>How often the cursor is committed while records flow (it is also committed on stop).</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed recoveries (server down, timeouts) before replication stops with <see cref="ReplicationError.ServerUnreachable"/>.</summary>
    public int MaxRetries { get; init; } = 30;

    /// <summary>The first wait after a failure; it doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between recoveries.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How to reach the server.</summary>
    public NatsConnectionOptions Connection { get; init; } = new();

    internal string EffectiveSubject => Subject ?? "kekbit." + Stream;

    internal string EffectiveCursorName => CursorName ?? "nats-" + Stream;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(JournalFolder) || string.IsNullOrWhiteSpace(Stream) || MaxInFlight < 1 || MaxRetries < 0
            || InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ReplicationException(ReplicationError.InvalidConfiguration,
                "NatsPushOptions need a journal folder, a stream, MaxInFlight >= 1, MaxRetries >= 0 and 0 < InitialBackoff <= MaxBackoff.");
        }
    }
}
