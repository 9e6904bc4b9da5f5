using Kekbit.Journal;

namespace Kekbit.Replication.Nats;

/// <summary>Options of <see cref="NatsMirrorReplicator"/>.</summary>
public sealed record NatsMirrorOptions
{
    /// <summary>The folder of the mirror journal (created when missing); this replicator is its only writer.</summary>
    public required string JournalFolder { get; init; }

    /// <summary>The JetStream stream to consume (written by <see cref="NatsPushReplicator"/>).</summary>
    public required string Stream { get; init; }

    /// <summary>
    /// Options of the mirror journal's writer (segment size, retention…); null for the defaults. A new mirror journal is
    /// numbered like the origin from the stream's first message (which need not be origin sequence 0); set
    /// <see cref="JournalWriterOptions.FirstSequence"/> to start a new mirror at a later origin sequence instead (a
    /// stream that no longer holds it is <see cref="ReplicationError.StartSequenceMismatch"/>).
    /// </summary>
    public JournalWriterOptions? WriterOptions { get; init; }

    /// <summary>
    /// When the stream does not exist: true (the default) waits for it to be created, looking again with the backoff
    /// (<see cref="InitialBackoff"/> doubling to <see cref="MaxBackoff"/>) and saying so in
    /// <see cref="ReplicationStatus.IsWaitingForStream"/>; false stops at once with <see cref="ReplicationError.StreamNotFound"/>.
    /// </summary>
    public bool WaitForStream { get; init; } = true;

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
