using System.Diagnostics;

namespace Kekbit.Core.Internal;

/// <summary>Waits for a reader's data by looking at the channel on a timer, holding no thread between looks.</summary>
internal static class AsyncPoll
{
    /// <summary>Looks every <see cref="ShmReader.PollInterval"/> until the reader has something to read or <paramref name="timeout"/> passes.</summary>
    public static async ValueTask<bool> WaitAsync(ShmReader reader, TimeSpan timeout, CancellationToken cancellationToken)
    {
        bool infinite = timeout == Timeout.InfiniteTimeSpan;
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            TimeSpan remaining = infinite ? ShmReader.PollInterval : timeout - Stopwatch.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            await Task.Delay(remaining < ShmReader.PollInterval ? remaining : ShmReader.PollInterval, cancellationToken).ConfigureAwait(false);
            if (reader.HasSomethingToRead())
            {
                return true;
            }
        }
    }
}
