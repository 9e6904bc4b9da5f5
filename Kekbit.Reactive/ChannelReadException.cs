using Kekbit.Core;

namespace Kekbit.Reactive;

/// <summary>
/// A reactive source ended in error because its channel can yield no more records: the writer is
/// considered gone (<see cref="ChannelTimeoutException"/>) or the data is damaged (<see cref="ChannelCorruptedException"/>).
/// </summary>
public abstract class ChannelReadException : IOException
{
    /// <summary>Creates the exception for channel <paramref name="channelId"/> at <paramref name="position"/>.</summary>
    /// <param name="channelId">The channel's id.</param>
    /// <param name="position">The reader's data-area position when reading ended.</param>
    /// <param name="message">What happened, for a person.</param>
    protected ChannelReadException(ulong channelId, long position, string message)
        : base(message)
    {
        ChannelId = channelId;
        Position = position;
    }

    /// <summary>The channel's id.</summary>
    public ulong ChannelId { get; }

    /// <summary>The reader's data-area position when reading ended: every record before it was delivered.</summary>
    public long Position { get; }

    /// <summary>The exception that reports how <paramref name="reader"/> ended, or null when it was closed (a normal end) or is not exhausted.</summary>
    internal static ChannelReadException? ForEndOf(IReader reader) => reader.ExhaustedBy switch
    {
        ReadStatus.Timeout => new ChannelTimeoutException(reader.Metadata.ChannelId, reader.Position, (reader as TimeoutReader)?.Timeout ?? reader.Metadata.TimeoutSpan),
        ReadStatus.Failed => new ChannelCorruptedException(reader.Metadata.ChannelId, reader.Position, reader.Failure),
        _ => null,
    };
}
