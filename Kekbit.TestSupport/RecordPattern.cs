using System.Buffers.Binary;

namespace Kekbit.TestSupport;

/// <summary>
/// The self-checking payloads test writers send: 8 bytes little-endian record index, then bytes
/// (index + k) mod 256. A reader can tell a record's index and whether every byte arrived intact.
/// </summary>
public static class RecordPattern
{
    public const int MinSize = 8;

    public static void Fill(Span<byte> payload, ulong index)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(payload, index);
        for (int k = MinSize; k < payload.Length; k++)
        {
            payload[k] = (byte)(index + (ulong)k);
        }
    }

    /// <summary>Whether <paramref name="payload"/> is an intact pattern record; gives its index.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> payload, out ulong index)
    {
        index = 0;
        if (payload.Length < MinSize)
        {
            return false;
        }

        index = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        for (int k = MinSize; k < payload.Length; k++)
        {
            if (payload[k] != (byte)(index + (ulong)k))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A running checksum (FNV-1a over the payloads), equal for equal record sequences.</summary>
    public static ulong Checksum(ulong checksum, ReadOnlySpan<byte> payload)
    {
        if (checksum == 0)
        {
            checksum = 14695981039346656037UL;
        }

        foreach (byte b in payload)
        {
            checksum = (checksum ^ b) * 1099511628211UL;
        }

        return checksum;
    }
}
