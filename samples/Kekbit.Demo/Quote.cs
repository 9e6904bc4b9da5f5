using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Kekbit.Demo;

/// <summary>
/// A demo record: sequence number (u64), the writer's <see cref="System.Diagnostics.Stopwatch"/> timestamp (i64,
/// comparable across processes on one host: both read the monotonic clock), its kind, then UTF-8 text.
/// </summary>
internal readonly record struct Quote(ulong Sequence, long WrittenAt, QuoteKind Kind)
{
    public const int HeaderLength = 17;

    /// <summary>Encodes a quote into <paramref name="buffer"/> without allocating; returns the bytes used.</summary>
    public static int Encode(Span<byte> buffer, ulong sequence, long writtenAt, QuoteKind kind)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[8..], writtenAt);
        buffer[16] = (byte)kind;
        Utf8.TryWrite(buffer[HeaderLength..], CultureInfo.InvariantCulture, $"quote #{sequence}: memory-mapped, lock-free", out int text);
        return HeaderLength + text;
    }

    /// <summary>Reads the fixed fields of a record without copying it.</summary>
    public static Quote Decode(ReadOnlySpan<byte> payload) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(payload), BinaryPrimitives.ReadInt64LittleEndian(payload[8..]), (QuoteKind)payload[16]);

    /// <summary>The text part of a record.</summary>
    public static string TextOf(ReadOnlySpan<byte> payload) => Encoding.UTF8.GetString(payload[HeaderLength..]);
}
