using System.Buffers.Binary;

namespace Kekbit.Journal.Internal;

/// <summary>
/// The first record of every journal segment (docs/FORMAT.md, "Journal"): which journal the segment belongs to, its
/// number, the sequence of its first record and when it started. 56 bytes, little endian.
/// </summary>
internal readonly record struct SegmentHeader(Guid JournalId, long Segment, long FirstSequence, ulong StartTime, bool Timestamped)
{
    /// <summary>The header record's payload length.</summary>
    public const int Length = 56;

    /// <summary>"KJOURNAL" read as a little-endian u64.</summary>
    public const ulong Magic = 0x4C41_4E52_554F_4A4B;

    /// <summary>The header layout version.</summary>
    public const uint LayoutVersion = 1;

    /// <summary>Flag bit: every record of the segment starts with an 8-byte timestamp (the segment's tick unit).</summary>
    public const uint TimestampedFlag = 1;

    /// <summary>Writes the header into <paramref name="destination"/> (at least <see cref="Length"/> bytes).</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], LayoutVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], Timestamped ? TimestampedFlag : 0);
        JournalId.TryWriteBytes(destination.Slice(16, 16));
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], Segment);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], FirstSequence);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[48..], StartTime);
    }

    /// <summary>Parses a header record's payload; false if it is not one this version understands.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out SegmentHeader header)
    {
        header = default;
        if (payload.Length != Length || BinaryPrimitives.ReadUInt64LittleEndian(payload) != Magic ||
            BinaryPrimitives.ReadUInt32LittleEndian(payload[8..]) != LayoutVersion)
        {
            return false;
        }

        long segment = BinaryPrimitives.ReadInt64LittleEndian(payload[32..]);
        long first = BinaryPrimitives.ReadInt64LittleEndian(payload[40..]);
        if (segment < 0 || first < 0)
        {
            return false;
        }

        header = new SegmentHeader(
            new Guid(payload.Slice(16, 16)),
            segment,
            first,
            BinaryPrimitives.ReadUInt64LittleEndian(payload[48..]),
            (BinaryPrimitives.ReadUInt32LittleEndian(payload[12..]) & TimestampedFlag) != 0);
        return true;
    }
}
