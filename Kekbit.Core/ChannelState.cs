namespace Kekbit.Core;

/// <summary>What a channel looks like from outside, judged by <see cref="ChannelInspection"/> from its file and its writer.</summary>
public enum ChannelState
{
    /// <summary>Not closed, with room left, and its writer is alive: a process maps it writable, or (when the writer
    /// cannot be seen) the file changed within the channel's timeout.</summary>
    Live,

    /// <summary>The writer closed it before it was full.</summary>
    Closed,

    /// <summary>No further record fits (<see cref="RecordLayout.IsFull"/>); it may also be closed.</summary>
    Full,

    /// <summary>Not closed, with room left, and its writer is gone (or its creator crashed and left its <c>.lock</c>): readers following it will time out.</summary>
    Abandoned,

    /// <summary>The header is invalid, or the data holds a bad length, or the file ends inside a record.</summary>
    Corrupted,

    /// <summary>A writer is creating it right now (its <c>.lock</c> file exists).</summary>
    Creating,

    /// <summary>The file cannot be opened or mapped (permissions, I/O error) or no longer exists.</summary>
    Unreadable,
}
