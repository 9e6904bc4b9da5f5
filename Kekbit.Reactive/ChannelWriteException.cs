using Kekbit.Core;

namespace Kekbit.Reactive;

/// <summary>A sink could not write a record: the channel is full or closed, or the record too large (see <see cref="Status"/>).</summary>
public sealed class ChannelWriteException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="channelId">The channel's id.</param>
    /// <param name="status">Why the channel refused the record.</param>
    public ChannelWriteException(ulong channelId, WriteStatus status)
        : this(channelId, status, null)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="channelId">The channel's id.</param>
    /// <param name="status">Why the channel refused the record.</param>
    /// <param name="innerException">What made the writer refuse it (an <see cref="ObjectDisposedException"/> from a writer disposed under the sink, say); null when the writer simply returned <paramref name="status"/>.</param>
    public ChannelWriteException(ulong channelId, WriteStatus status, Exception? innerException)
        : base($"Channel {channelId:x} refused a record: {Describe(status)}.", innerException)
    {
        ChannelId = channelId;
        Status = status;
    }

    /// <summary>The channel's id.</summary>
    public ulong ChannelId { get; }

    /// <summary>Why the channel refused the record.</summary>
    public WriteStatus Status { get; }

    private static string Describe(WriteStatus status) => status switch
    {
        WriteStatus.ChannelFull => "the channel is full",
        WriteStatus.RecordTooLarge => "the record is larger than the max record length",
        WriteStatus.RecordDoesNotFit => "the record is larger than the space the channel has left",
        WriteStatus.Closed => "the channel is closed",
        WriteStatus.WouldWait => "the shared writer was busy",
        _ => status.ToString(),
    };
}
