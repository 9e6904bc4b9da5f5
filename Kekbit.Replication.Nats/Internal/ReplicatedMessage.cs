using System.Globalization;
using System.Text;
using NATS.Client.Core;

namespace Kekbit.Replication.Nats.Internal;

/// <summary>The Kekbit headers of one stream message: the origin journal and the record's sequence.</summary>
internal readonly record struct ReplicatedMessage(Guid JournalId, long Sequence)
{
    public static bool TryParse(NatsHeaders? headers, out ReplicatedMessage message)
    {
        message = default;
        if (headers is null || !headers.TryGetValue(ReplicationHeaders.JournalId, out var id)
            || !headers.TryGetValue(ReplicationHeaders.Sequence, out var sequence))
        {
            return false;
        }

        return TryCreate(id.ToString(), sequence.ToString(), out message);
    }

    /// <summary>Parses the raw header block (<c>NATS/1.0</c> then <c>Name: value</c> lines) a stream message get returns.</summary>
    public static bool TryParse(ReadOnlySpan<byte> rawHeaders, out ReplicatedMessage message)
    {
        message = default;
        string? id = null, sequence = null;
        foreach (string line in Encoding.UTF8.GetString(rawHeaders).Split("\r\n"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals(ReplicationHeaders.JournalId, StringComparison.OrdinalIgnoreCase))
            {
                id = value;
            }
            else if (name.Equals(ReplicationHeaders.Sequence, StringComparison.OrdinalIgnoreCase))
            {
                sequence = value;
            }
        }

        return id is not null && sequence is not null && TryCreate(id, sequence, out message);
    }

    private static bool TryCreate(string id, string sequence, out ReplicatedMessage message)
    {
        message = default;
        if (!Guid.TryParseExact(id, "N", out Guid journalId)
            || !long.TryParse(sequence, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            return false;
        }

        message = new ReplicatedMessage(journalId, value);
        return true;
    }
}
