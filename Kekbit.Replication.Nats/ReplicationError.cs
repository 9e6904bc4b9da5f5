namespace Kekbit.Replication.Nats;

/// <summary>Why replication stopped, carried by <see cref="ReplicationException"/>.</summary>
public enum ReplicationError
{
    /// <summary>The NATS server could not be reached within the allowed retries.</summary>
    ServerUnreachable = 0,

    /// <summary>The server refused the credentials (user/password, credentials file, token or TLS client certificate).</summary>
    AuthenticationFailed = 1,

    /// <summary>The stream does not exist (and the options do not create it).</summary>
    StreamNotFound = 2,

    /// <summary>The stream holds a message that replication did not write (no Kekbit headers): nothing is written locally.</summary>
    ForeignMessages = 3,

    /// <summary>The stream and the journal disagree (another journal's records, a stream behind the journal's cursor, a gap): nothing is published or written.</summary>
    Diverged = 4,

    /// <summary>A new mirror journal was asked to start (<c>JournalWriterOptions.FirstSequence</c>) at an origin sequence the stream no longer holds.</summary>
    StartSequenceMismatch = 5,

    /// <summary>The server rejected a publish for a reason retrying cannot fix (see the inner exception).</summary>
    PublishRejected = 6,

    /// <summary>The local journal failed (see the inner <c>JournalException</c> or the journal fault).</summary>
    JournalFailed = 7,

    /// <summary>The options are invalid.</summary>
    InvalidConfiguration = 8,
}
