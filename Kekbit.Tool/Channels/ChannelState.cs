namespace Kekbit.Tool.Channels;

/// <summary>What a channel looks like from outside, judged by walking its records.</summary>
internal enum ChannelState
{
    /// <summary>Not closed, with room left, and its writer is alive (or was active within the timeout).</summary>
    Open,

    /// <summary>The writer closed it before it was full.</summary>
    Closed,

    /// <summary>No further record fits (8 bytes or less left); it may also be closed.</summary>
    Full,

    /// <summary>Not closed and its writer is gone (or silent for longer than the channel's timeout): readers will time out.</summary>
    Abandoned,

    /// <summary>The header is invalid, or the data holds a bad length, or the file ends inside the data.</summary>
    Corrupted,

    /// <summary>A writer is creating it right now (its <c>.lock</c> file exists).</summary>
    Creating,

    /// <summary>The file cannot be read (permissions, I/O error).</summary>
    Unreadable,
}
