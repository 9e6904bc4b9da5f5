namespace Kekbit.Core.Waiting;

/// <summary>Parks the calling thread for a period, interruptibly when given a token.</summary>
internal static class Parking
{
    /// <summary>
    /// The longest park period a strategy accepts: <see cref="int.MaxValue"/> milliseconds (about 24.8 days),
    /// the most a thread wait or a timer takes. Strategies refuse longer periods when constructed.
    /// </summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromMilliseconds(int.MaxValue);

    private static readonly TimeSpan OneMillisecond = TimeSpan.FromMilliseconds(1);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a period past <see cref="MaxPeriod"/>.</summary>
    public static void ThrowIfTooLong(TimeSpan period, string paramName) =>
        ArgumentOutOfRangeException.ThrowIfGreaterThan(period, MaxPeriod, paramName);

    /// <summary>
    /// <paramref name="period"/> capped at <see cref="MaxPeriod"/>: what pollers wait for when a custom
    /// strategy returns a longer period (built-in strategies never do), so no timer or wait call ever refuses it.
    /// </summary>
    public static TimeSpan Bounded(TimeSpan period) => period > MaxPeriod ? MaxPeriod : period;

    /// <summary>
    /// Sleeps for <paramref name="period"/>, or until <paramref name="cancellationToken"/> is cancelled,
    /// whichever comes first; returns without throwing either way. .NET has no portable sleep shorter than a
    /// millisecond, so a shorter period gives up the rest of the time slice instead (Thread.Sleep(0)).
    /// </summary>
    /// <remarks>
    /// The wait is on the token's wait handle, which the token's source sets the moment it is cancelled: a
    /// disposed subscription or a cancelled enumeration stops parking at once, whatever the period.
    /// The handle is created once per token source; waiting on it allocates nothing.
    /// </remarks>
    public static void Park(TimeSpan period, CancellationToken cancellationToken = default)
    {
        if (period < OneMillisecond)
        {
            Thread.Sleep(TimeSpan.Zero);
            return;
        }

        period = Bounded(period);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.WaitHandle.WaitOne(period);
        }
        else
        {
            Thread.Sleep(period);
        }
    }
}
