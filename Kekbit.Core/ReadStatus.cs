namespace Kekbit.Core;

/// <summary>The outcome of one <see cref="IReader.TryRead"/>.</summary>
public enum ReadStatus
{
    /// <summary>A record was read; the reader moved past it.</summary>
    Record,

    /// <summary>Nothing new yet; try again later. The position did not change.</summary>
    Nothing,

    /// <summary>The writer closed the channel. Final: the reader stays at the CLOSE marker.</summary>
    Closed,

    /// <summary>Nothing new arrived for longer than the channel's timeout: the writer is considered gone. Final.</summary>
    Timeout,

    /// <summary>The channel is damaged or truncated at the reader's position (see <see cref="ReadFailure"/>). Final.</summary>
    Failed,
}
