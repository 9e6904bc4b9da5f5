using Kekbit.Core;

namespace Kekbit.Journal;

/// <summary>
/// Why a <see cref="JournalReader"/> stopped with <see cref="ReadStatus.Failed"/>: the error, the segment file and the data
/// offset in it where reading stopped. Every record before that point was delivered.
/// </summary>
/// <param name="Error">What is wrong: <see cref="JournalError.SegmentDamaged"/>, <see cref="JournalError.InvalidSegmentHeader"/> or <see cref="JournalError.Gap"/>.</param>
/// <param name="SegmentPath">The segment file where reading stopped.</param>
/// <param name="Offset">The data-area offset in that segment where reading stopped.</param>
/// <param name="Failure">The channel reader's failure, for <see cref="JournalError.SegmentDamaged"/>; otherwise <see cref="ReadFailure.None"/>.</param>
/// <param name="Message">A sentence for people.</param>
public sealed record JournalFault(JournalError Error, string SegmentPath, long Offset, ReadFailure Failure, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Error} in {SegmentPath} at offset {Offset}: {Message}";
}
