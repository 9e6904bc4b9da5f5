using System.Buffers.Binary;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Journal.Tests;

/// <summary>Helpers shared by the journal tests: small segments, numbered records, reading everything there is.</summary>
internal static class JournalTestSupport
{
    /// <summary>Small segments (16 KiB) that roll every few hundred records; no pre-touch (tests create many).</summary>
    public static JournalWriterOptions Small(int capacity = 16384, TimeProvider? clock = null, bool timestamps = false) =>
        new() { SegmentCapacity = capacity, PreTouch = false, TimeProvider = clock, Timestamps = timestamps };

    /// <summary>Record payload for a value: the value (8 bytes) then value % 17 pattern bytes.</summary>
    public static int Fill(Span<byte> payload, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(payload, value);
        int extra = (int)(value % 17);
        for (int i = 0; i < extra; i++)
        {
            payload[8 + i] = (byte)(value * 7 + i);
        }

        return 8 + extra;
    }

    public static long ValueOf(ReadOnlySpan<byte> payload) => BinaryPrimitives.ReadInt64LittleEndian(payload);

    public static void WriteValues(JournalWriter writer, long from, long count)
    {
        Span<byte> payload = stackalloc byte[32];
        for (long v = from; v < from + count; v++)
        {
            int length = Fill(payload, v);
            Assert.Equal(WriteStatus.Success, writer.Write(payload[..length]).Status);
        }
    }

    /// <summary>Reads until nothing is left: the (sequence, value) pairs, checking every payload.</summary>
    public static List<(long Sequence, long Value)> ReadAvailable(JournalReader reader)
    {
        var read = new List<(long, long)>();
        Span<byte> expected = stackalloc byte[32];
        for (ReadResult result = reader.TryRead(); result.IsRecord; result = reader.TryRead())
        {
            long value = ValueOf(result.Span);
            int length = Fill(expected, value);
            Assert.True(result.Span.SequenceEqual(expected[..length]), $"record {reader.LastSequence} is damaged");
            read.Add((reader.LastSequence, value));
        }

        return read;
    }

    public static string NewFolder(TempRoot root, string name = "journal") => Path.Combine(root.Path, name);
}
