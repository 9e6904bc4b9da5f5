namespace Kekbit.Replication.Nats;

/// <summary>A replication failure that retrying does not fix; <see cref="Error"/> says which.</summary>
public sealed class ReplicationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="message">The explanation, naming the stream or journal (never a secret).</param>
    /// <param name="innerException">The NATS or journal exception behind it, if any.</param>
    public ReplicationException(ReplicationError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What went wrong.</summary>
    public ReplicationError Error { get; }
}
