namespace Kekbit.Core;

/// <summary>
/// Writes a counter as 8 little-endian bytes before each record's payload: the first record gets
/// <c>start + 1</c>. As in kekbit, a number is spent on every attempt, including one refused as too large.
/// </summary>
public sealed class SequenceHandler : IHandler
{
    private ulong _last;

    /// <summary>Creates a handler whose first number is <paramref name="start"/> + 1.</summary>
    /// <param name="start">The number before the first one written.</param>
    public SequenceHandler(ulong start = 0) => _last = start;

    /// <summary>The last number written (the start value before any record).</summary>
    public ulong Last => _last;

    /// <summary>Writes the next number.</summary>
    /// <param name="record">The record being written.</param>
    public void Incoming(RecordBuffer record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.WriteUInt64LittleEndian(++_last);
    }

    /// <summary>Does nothing.</summary>
    /// <param name="record">The record being written.</param>
    public void Outgoing(RecordBuffer record)
    {
    }
}
