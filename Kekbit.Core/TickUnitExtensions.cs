namespace Kekbit.Core;

/// <summary>Conversions between <see cref="TickUnit"/> counts, <see cref="TimeSpan"/> and Unix time.</summary>
public static class TickUnitExtensions
{
    /// <summary>Returns whether <paramref name="id"/> is the id of a known tick unit (0, 3, 6 or 9).</summary>
    /// <param name="id">The tick unit id as stored in a channel's metadata.</param>
    public static bool IsKnownTickUnitId(byte id) => id is 0 or 3 or 6 or 9;

    /// <summary>How many ticks of <paramref name="unit"/> make one <see cref="TimeSpan"/> tick (100 ns), as a ratio.</summary>
    private static (ulong Multiplier, ulong Divisor) PerTimeSpanTick(TickUnit unit) => unit switch
    {
        TickUnit.Nanos => (100, 1),
        TickUnit.Micros => (1, 10),
        TickUnit.Millis => (1, TimeSpan.TicksPerMillisecond),
        TickUnit.Secs => (1, TimeSpan.TicksPerSecond),
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown tick unit."),
    };

    /// <summary>
    /// Converts <paramref name="count"/> ticks of <paramref name="unit"/> to a <see cref="TimeSpan"/>,
    /// saturating at <see cref="TimeSpan.MaxValue"/> for counts too large to represent.
    /// </summary>
    /// <param name="unit">The unit of <paramref name="count"/>.</param>
    /// <param name="count">A number of ticks, for example a channel's timeout.</param>
    public static TimeSpan ToTimeSpan(this TickUnit unit, ulong count)
    {
        (ulong multiplier, ulong divisor) = PerTimeSpanTick(unit);
        // Ticks of the unit -> TimeSpan ticks: count * divisor / multiplier, saturating.
        UInt128 ticks = (UInt128)count * divisor / multiplier;
        return ticks >= (UInt128)long.MaxValue ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)(ulong)ticks);
    }

    /// <summary>Converts <paramref name="span"/> to a whole number of ticks of <paramref name="unit"/> (truncating; negative spans give 0).</summary>
    /// <param name="unit">The unit to express <paramref name="span"/> in.</param>
    /// <param name="span">The duration to convert.</param>
    public static ulong FromTimeSpan(this TickUnit unit, TimeSpan span)
    {
        if (span <= TimeSpan.Zero)
        {
            return 0;
        }

        (ulong multiplier, ulong divisor) = PerTimeSpanTick(unit);
        UInt128 count = (UInt128)(ulong)span.Ticks * multiplier / divisor;
        return count > ulong.MaxValue ? ulong.MaxValue : (ulong)count;
    }

    /// <summary>The current Unix time (since 1970-01-01T00:00:00Z) in ticks of <paramref name="unit"/>, read from <paramref name="timeProvider"/>.</summary>
    /// <param name="unit">The unit of the result.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public static ulong UnixNow(this TickUnit unit, TimeProvider? timeProvider = null)
    {
        DateTimeOffset now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        return unit.FromTimeSpan(now - DateTimeOffset.UnixEpoch);
    }

    /// <summary>Converts a Unix time in ticks of <paramref name="unit"/> to a <see cref="DateTimeOffset"/> (UTC), saturating at <see cref="DateTimeOffset.MaxValue"/>.</summary>
    /// <param name="unit">The unit of <paramref name="unixTime"/>.</param>
    /// <param name="unixTime">Ticks since the Unix epoch.</param>
    public static DateTimeOffset ToDateTimeOffset(this TickUnit unit, ulong unixTime)
    {
        TimeSpan sinceEpoch = unit.ToTimeSpan(unixTime);
        TimeSpan room = DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch;
        return sinceEpoch >= room ? DateTimeOffset.MaxValue : DateTimeOffset.UnixEpoch + sinceEpoch;
    }
}
