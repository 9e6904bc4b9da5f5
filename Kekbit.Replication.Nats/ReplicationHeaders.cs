namespace Kekbit.Replication.Nats;

/// <summary>The NATS headers each replicated message carries.</summary>
public static class ReplicationHeaders
{
    /// <summary>The journal sequence number of the record (decimal).</summary>
    public const string Sequence = "Kekbit-Seq";

    /// <summary>The origin journal's id (a GUID, 32 hex digits).</summary>
    public const string JournalId = "Kekbit-Journal";
}
