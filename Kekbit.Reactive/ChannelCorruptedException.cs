using Kekbit.Core;

namespace Kekbit.Reactive;

/// <summary>The channel's data is damaged or truncated at <see cref="ChannelReadException.Position"/>; records before it were delivered.</summary>
public sealed class ChannelCorruptedException : ChannelReadException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="channelId">The channel's id.</param>
    /// <param name="position">Where the damage is.</param>
    /// <param name="failure">What is wrong there.</param>
    public ChannelCorruptedException(ulong channelId, long position, ReadFailure failure)
        : base(channelId, position, $"Channel {channelId:x}: cannot read past position {position}: {failure}.")
    {
        Failure = failure;
    }

    /// <summary>What is wrong at the position.</summary>
    public ReadFailure Failure { get; }
}
