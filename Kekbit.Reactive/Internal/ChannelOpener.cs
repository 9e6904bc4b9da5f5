using Kekbit.Core;

namespace Kekbit.Reactive.Internal;

/// <summary>Opens a channel for a source the way <see cref="PollingOptions"/> says.</summary>
internal static class ChannelOpener
{
    /// <summary>Opens the channel (waiting for it up to the open timeout), moves to the start position and adds timeout detection.</summary>
    public static IReader Open(string root, ulong channelId, PollingOptions options, CancellationToken cancellationToken)
    {
        ShmReader reader = options.OpenTimeout != TimeSpan.Zero
            ? ShmReader.OpenWhenReady(root, channelId, options.OpenTimeout, cancellationToken)
            : ShmReader.Open(root, channelId);
        try
        {
            if (options.StartPosition != 0)
            {
                reader.SeekTo(options.StartPosition);
            }

            return options.DetectTimeout ? new TimeoutReader(reader, options.TimeProvider) : reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }
}
