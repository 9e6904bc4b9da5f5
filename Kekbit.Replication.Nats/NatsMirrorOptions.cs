using Kekbit.Journal;

namespace Kekbit.Replication.Nats;

/// <summary>Options of <see cref="NatsMirrorReplicator"/>.</summary>
public sealed record NatsMirrorOptions
{
    /// <summary>The folder of the mirror journal (created when missing); this replicator is its only writer.</summary>
    public required string JournalFolder { get; init; }

    /// <summary>The JetStream stream to consume (written by <see cref="NatsPushReplicator"/>).</summary>
    public required string Stream { get; init; }

    /// <summary>Options of the mirror journal's writer (segment size, retention…); null for the defaults.</summary>
    public JournalWriterOptions? WriterOptions { get; init; }

    /// <summary>How often the mirror journal is flushed to disk (msync) while records flow; a process kill loses nothing either way.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed recoveries before the mirror stops with <see cref="ReplicationError.ServerUnreachable"/>.</summary>
    public int MaxRetries { get; init; } = 30;

    /// <summary>The first wait after a failure; it doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between recoveries.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How to reach the server.</summary>
    public NatsConnectionOptions Connection { get; init; } = new();

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(JournalFolder) || string.IsNullOrWhiteSpace(Stream) || MaxRetries < 0
            || InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ReplicationException(ReplicationError.InvalidConfiguration,
                "NatsMirrorOptions need a journal folder, a stream, MaxRetries >= 0 and 0 < InitialBackoff <= MaxBackoff.");
        }
    }
}
