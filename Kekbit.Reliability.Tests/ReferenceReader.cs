using System.Buffers.Binary;
using Kekbit.Core;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// An independent model of docs/FORMAT.md, written from the text and reading a byte array with
/// bounds-checked spans only: what opening and reading a channel file must produce. The fuzz tests compare
/// the real <see cref="ShmReader"/> (pointer code over a mapping) with it, byte for byte.
/// </summary>
internal static class ReferenceReader
{
    private const int DataOffset = 1024;
    private const int FooterLength = 32;
    private const ulong Watermark = 0xFFFF_FFFF_1111_1111;
    private const ulong Close = 0xFFFF_FFFF_FFFF_FFFF;

    /// <summary>The outcome of opening a file and reading it to its first non-record.</summary>
    public static ChannelOutcome Read(byte[] file)
    {
        if (file.Length < 128)
        {
            return ChannelOutcome.OpenFailed(ChannelError.FileTooShort);
        }

        ReadOnlySpan<byte> header = file.AsSpan(0, 128);
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != 0x2A54_4942_4B45_4B2A)
        {
            return ChannelOutcome.OpenFailed(ChannelError.InvalidSignature);
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(header[8..]) > 1UL << 48)
        {
            return ChannelOutcome.OpenFailed(ChannelError.IncompatibleVersion);
        }

        long capacity = BinaryPrimitives.ReadUInt32LittleEndian(header[32..]);
        if (capacity < 16384 || capacity % 8 != 0 || capacity > Metadata.MaxCapacity)
        {
            return ChannelOutcome.OpenFailed(ChannelError.InvalidCapacity);
        }

        long maxLength = BinaryPrimitives.ReadUInt32LittleEndian(header[36..]);
        if (maxLength % 8 != 0 || maxLength > Align8((capacity / 128) - 8))
        {
            return ChannelOutcome.OpenFailed(ChannelError.InvalidMaxRecordLength);
        }

        if (header[56] is not (0 or 3 or 6 or 9))
        {
            return ChannelOutcome.OpenFailed(ChannelError.InvalidTickUnit);
        }

        return ReadRecords(file, capacity, maxLength);
    }

    /// <summary>The data-area offsets of every length slot a reader visits: each record's, then the final marker's.</summary>
    public static int[] LengthSlots(byte[] file)
    {
        ChannelOutcome outcome = Read(file);
        return [.. outcome.Records.Select(record => (int)record.Position), (int)outcome.EndPosition];
    }

    private static ChannelOutcome ReadRecords(byte[] file, long capacity, long maxLength)
    {
        // The data the file really holds: short files end early; longer ones are read up to the footer.
        long dataLimit = Math.Min(file.Length - DataOffset, capacity + FooterLength);
        var records = new List<(long Position, byte[] Payload)>();
        long position = 0;
        while (true)
        {
            if (position + 8 > dataLimit)
            {
                return ChannelOutcome.Ended(records, ReadStatus.Failed, ReadFailure.FileTruncated, position);
            }

            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(DataOffset + (int)position, 8));
            if (length <= (ulong)maxLength)
            {
                long next = position + Align8(8 + (long)length);
                if (next > capacity)
                {
                    return ChannelOutcome.Ended(records, ReadStatus.Failed, ReadFailure.RecordBeyondCapacity, position);
                }

                if (position + 8 + (long)length > dataLimit)
                {
                    return ChannelOutcome.Ended(records, ReadStatus.Failed, ReadFailure.FileTruncated, position);
                }

                records.Add((position, file.AsSpan(DataOffset + (int)position + 8, (int)length).ToArray()));
                position = next;
                continue;
            }

            return length switch
            {
                Watermark => ChannelOutcome.Ended(records, ReadStatus.Nothing, ReadFailure.None, position),
                Close => ChannelOutcome.Ended(records, ReadStatus.Closed, ReadFailure.None, position),
                _ => ChannelOutcome.Ended(records, ReadStatus.Failed, ReadFailure.UnknownMarker, position),
            };
        }
    }

    // Deliberately not RecordLayout: the model derives the format from the text on its own, so that a mistake in
    // the shared arithmetic shows up as a disagreement instead of being made twice.
    private static long Align8(long value) => (value + 7) & ~7L;
}

/// <summary>What opening and reading a channel file gave: an open error, or records then an end.</summary>
internal sealed record ChannelOutcome(ChannelError? OpenError, IReadOnlyList<(long Position, byte[] Payload)> Records, ReadStatus End, ReadFailure Failure, long EndPosition)
{
    public static ChannelOutcome OpenFailed(ChannelError error) => new(error, [], ReadStatus.Failed, ReadFailure.None, 0);

    public static ChannelOutcome Ended(List<(long, byte[])> records, ReadStatus end, ReadFailure failure, long position) => new(null, records, end, failure, position);

    /// <summary>A one-line summary, for failure messages.</summary>
    public string Describe() => OpenError is ChannelError error
        ? $"open failed: {error}"
        : $"{Records.Count} records, then {End} {Failure} at {EndPosition}";

    /// <summary>Whether two outcomes are the same: same open error, or same records (positions and bytes) and same end.</summary>
    public bool SameAs(ChannelOutcome other) =>
        OpenError == other.OpenError && End == other.End && Failure == other.Failure && EndPosition == other.EndPosition &&
        Records.Count == other.Records.Count &&
        Records.Zip(other.Records).All(pair => pair.First.Position == pair.Second.Position && pair.First.Payload.AsSpan().SequenceEqual(pair.Second.Payload));
}
