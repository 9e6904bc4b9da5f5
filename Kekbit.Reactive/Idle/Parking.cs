namespace Kekbit.Reactive.Idle;

/// <summary>Parks the calling thread for a period.</summary>
internal static class Parking
{
    private static readonly TimeSpan OneMillisecond = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Sleeps for <paramref name="period"/>. .NET has no portable sleep shorter than a millisecond, so a
    /// shorter period gives up the rest of the time slice instead (Thread.Sleep(0)).
    /// </summary>
    public static void Park(TimeSpan period) => Thread.Sleep(period >= OneMillisecond ? period : TimeSpan.Zero);
}
