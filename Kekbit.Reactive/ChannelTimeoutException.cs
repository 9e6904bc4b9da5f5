namespace Kekbit.Reactive;

/// <summary>No record arrived for longer than the channel's timeout and the channel was not closed: its writer is considered gone.</summary>
public sealed class ChannelTimeoutException : ChannelReadException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="channelId">The channel's id.</param>
    /// <param name="position">The reader's position when it gave up.</param>
    /// <param name="timeout">How long the reader waited without a record.</param>
    public ChannelTimeoutException(ulong channelId, long position, TimeSpan timeout)
        : base(channelId, position, $"Channel {channelId:x}: no record for {timeout} after position {position} and the channel is not closed; the writer is considered gone.")
    {
        Timeout = timeout;
    }

    /// <summary>How long the reader waited without a record.</summary>
    public TimeSpan Timeout { get; }
}
