using Kekbit.Core.Waiting;

namespace Kekbit.Core.Internal;

/// <summary>
/// The pauses between attempts of <see cref="ShmReader.OpenWhenReady"/> and
/// <see cref="ShmReader.OpenWhenReadyAsync"/>: the library's one backoff (<see cref="Backoff"/>), parking from 1 ms
/// doubling up to 50 ms without spinning, never past the deadline (none with <see cref="Timeout.InfiniteTimeSpan"/>).
/// One schedule for the blocking and the asynchronous wait.
/// </summary>
internal struct OpenRetry
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(50);

    private readonly long _start;
    private readonly TimeSpan _timeout;
    private Backoff _backoff;

    /// <summary>Starts the clock for <paramref name="timeout"/>: zero or more, or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Any other negative timeout.</exception>
    public OpenRetry(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or more, or Timeout.InfiniteTimeSpan to wait without a deadline.");
        }

        _start = TimeProvider.System.GetTimestamp();
        _timeout = timeout;
        _backoff = new Backoff(maxSpins: 0, maxYields: 0, FirstPause, LongestPause);
    }

    /// <summary>Whether opening may succeed later: the channel is missing or its creator is still writing its header.</summary>
    public static bool MayRetry(ChannelException e) => e.Error is ChannelError.StorageNotFound or ChannelError.StorageNotReady;

    /// <summary>The loop of <see cref="ShmReader.OpenWhenReadyAsync"/>: attempts, with timer waits between them.</summary>
    public static async Task<ShmReader> OpenAsync(string channelFile, OpenRetry retry, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan pause = default;
            try
            {
                return ShmReader.Open(channelFile);
            }
            catch (ChannelException e) when (MayRetry(e) && retry.TryNext(out pause))
            {
            }

            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The blocking wait between attempts of <see cref="ShmReader.OpenWhenReady"/>; cancellation ends it at once.</summary>
    public static void Pause(TimeSpan pause, CancellationToken cancellationToken) => Parking.Park(pause, cancellationToken);

    /// <summary>The pause before the next attempt; false once the deadline has passed (the last error stands).</summary>
    public bool TryNext(out TimeSpan pause)
    {
        pause = _backoff.Step();
        if (_timeout != Timeout.InfiniteTimeSpan)
        {
            TimeSpan left = _timeout - TimeProvider.System.GetElapsedTime(_start);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            pause = left < pause ? left : pause;
        }

        return true;
    }
}
