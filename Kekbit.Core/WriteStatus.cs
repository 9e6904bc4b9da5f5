namespace Kekbit.Core;

/// <summary>The outcome of one write.</summary>
public enum WriteStatus
{
    /// <summary>The record was published; readers can see it.</summary>
    Success,

    /// <summary>
    /// The channel has no room for any further record (8 bytes or less remain). Final: the channel's
    /// life as a destination is over; close it and start another.
    /// </summary>
    ChannelFull,

    /// <summary>
    /// The record is larger than the channel's max record length: no channel of this shape can take it. Nothing was
    /// written and the channel is unchanged.
    /// </summary>
    RecordTooLarge,

    /// <summary>The writer is closed (disposed); nothing was written.</summary>
    Closed,

    /// <summary>A <see cref="RetryWriter"/> could not take the shared writer before its backoff ran out; nothing was written. Try again.</summary>
    WouldWait,

    /// <summary>
    /// The record is within the max record length but larger than the space the channel has left. Nothing was written
    /// and the channel is unchanged; smaller records may still fit, and a new channel of the same shape would take this
    /// one (a journal rolls to its next segment on this status).
    /// </summary>
    RecordDoesNotFit,
}
