namespace Kekbit.Core;

/// <summary>Writes the current Unix time, in a tick unit, as 8 little-endian bytes before each record's payload.</summary>
public sealed class TimestampHandler : IHandler
{
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a handler that stamps records in <paramref name="tickUnit"/>.</summary>
    /// <param name="tickUnit">The unit of the timestamps; usually the channel's.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public TimestampHandler(TickUnit tickUnit, TimeProvider? timeProvider = null)
    {
        TickUnit = tickUnit;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The unit of the timestamps.</summary>
    public TickUnit TickUnit { get; }

    /// <summary>Writes the timestamp.</summary>
    /// <param name="record">The record being written.</param>
    public void Incoming(RecordBuffer record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.WriteUInt64LittleEndian(TickUnit.UnixNow(_timeProvider));
    }

    /// <summary>Does nothing.</summary>
    /// <param name="record">The record being written.</param>
    public void Outgoing(RecordBuffer record)
    {
    }
}
