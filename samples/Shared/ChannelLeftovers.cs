using Kekbit.Core;

namespace Kekbit.Samples;

/// <summary>
/// What the samples that use a fixed channel id under a folder the user names do about the channels an earlier
/// run left there: a channel is never overwritten, so a sample removes the channels that are finished with.
/// </summary>
internal static class ChannelLeftovers
{
    /// <summary>
    /// Deletes the channel <paramref name="channelId"/> under <paramref name="root"/> if it exists and its writer
    /// closed it: a finished channel an earlier run left. Returns whether it deleted one. A channel that is not
    /// closed may have a live writer and is left alone.
    /// </summary>
    /// <exception cref="ChannelException">The file there is not a readable channel.</exception>
    public static bool RemoveIfFinished(string root, ulong channelId)
    {
        string file = StorageLayout.ChannelFile(root, channelId);
        if (!File.Exists(file))
        {
            return false;
        }

        bool closed;
        using (ShmReader reader = ShmReader.Open(file))
        {
            closed = IsClosed(reader);
        }

        if (closed)
        {
            File.Delete(file);
        }

        return closed;
    }

    /// <summary>Deletes the channel file once its reader has read it to the end; nobody needs it any more.</summary>
    public static void Remove(string root, ulong channelId) => File.Delete(StorageLayout.ChannelFile(root, channelId));

    /// <summary>
    /// Opens channel <paramref name="channelId"/> under <paramref name="root"/> once a writer has created it and
    /// it is not a closed leftover of an earlier run (its writer replaces that at start, see
    /// <see cref="RemoveIfFinished"/>); the reader is at the start of the channel.
    /// </summary>
    /// <exception cref="TimeoutException">No such channel appeared within <paramref name="timeout"/>.</exception>
    public static ShmReader OpenLive(string root, ulong channelId, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no live channel {channelId} appeared under {root} within {timeout.TotalSeconds:0} s");
            }

            ShmReader reader = ShmReader.OpenWhenReady(root, channelId, left);
            if (!IsClosed(reader))
            {
                reader.SeekTo(0);
                return reader;
            }

            reader.Dispose();
            Thread.Sleep(20); // A closed leftover: its writer replaces it when it starts.
        }
    }

    private static bool IsClosed(ShmReader reader)
    {
        ReadResult result;
        do
        {
            result = reader.TryRead();
        }
        while (result.IsRecord);

        return result.Status == ReadStatus.Closed;
    }
}
