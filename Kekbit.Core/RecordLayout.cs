namespace Kekbit.Core;

/// <summary>
/// How records sit in a channel's data area, the arithmetic of the kekbit 0.3.5 format in one place: each record
/// is an 8-byte little-endian length slot followed by its payload, padded so the next record starts on an 8-byte
/// boundary. A channel is full when <see cref="HeaderLength"/> bytes or fewer remain (room for the close marker only).
/// </summary>
public static class RecordLayout
{
    /// <summary>Bytes of the length slot that starts each record.</summary>
    public const int HeaderLength = 8;

    /// <summary>Records start at multiples of this many bytes in the data area.</summary>
    public const int Alignment = 8;

    /// <summary>Rounds <paramref name="value"/> up to a multiple of <see cref="Alignment"/>.</summary>
    /// <param name="value">A non-negative byte count or position, at most <see cref="long.MaxValue"/> - 7.</param>
    public static long AlignUp(long value) => (value + (Alignment - 1)) & ~(long)(Alignment - 1);

    /// <summary>Rounds <paramref name="value"/> down to a multiple of <see cref="Alignment"/>.</summary>
    /// <param name="value">A non-negative byte count or position.</param>
    public static long AlignDown(long value) => value & ~(long)(Alignment - 1);

    /// <summary>
    /// The bytes a record with a payload of <paramref name="payloadLength"/> bytes takes in the data area, its
    /// length slot and padding included: align8(8 + length). An empty record takes 8 bytes, a 5-byte one 16.
    /// </summary>
    /// <param name="payloadLength">The payload's length in bytes (not negative).</param>
    public static long RecordSize(long payloadLength) => AlignUp(HeaderLength + payloadLength);

    /// <summary>
    /// The bytes still available for records in a data area of <paramref name="capacity"/> bytes whose next record
    /// goes at <paramref name="position"/>: (capacity - position) rounded down to 8, headers and padding included.
    /// </summary>
    /// <param name="capacity">The channel's capacity (<see cref="Metadata.Capacity"/>).</param>
    /// <param name="position">The data-area offset of the next record, between 0 and <paramref name="capacity"/>.</param>
    public static long Available(long capacity, long position) => AlignDown(capacity - position);

    /// <summary>
    /// Whether no further record fits: <see cref="Available"/> is <see cref="HeaderLength"/> bytes or less, the
    /// writer's own rule (the last slot is kept for the close marker).
    /// </summary>
    /// <param name="capacity">The channel's capacity (<see cref="Metadata.Capacity"/>).</param>
    /// <param name="position">The data-area offset of the next record.</param>
    public static bool IsFull(long capacity, long position) => Available(capacity, position) <= HeaderLength;
}
