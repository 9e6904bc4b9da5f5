namespace Kekbit.Core;

/// <summary>
/// The unit in which a channel expresses its timeout, its creation time and the timestamps that
/// <see cref="TimestampHandler"/> writes. The numeric value of each member is the id stored in the
/// channel's metadata (byte 56), as kekbit 0.3.5 stores it.
/// </summary>
public enum TickUnit : byte
{
    /// <summary>Seconds (id 0).</summary>
    Secs = 0,

    /// <summary>Milliseconds (id 3).</summary>
    Millis = 3,

    /// <summary>Microseconds (id 6).</summary>
    Micros = 6,

    /// <summary>Nanoseconds (id 9). Clocks read through <see cref="TimeProvider"/> have a resolution of 100 ns.</summary>
    Nanos = 9,
}
