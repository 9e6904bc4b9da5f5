namespace Kekbit.Core.Internal;

/// <summary>
/// Ends a write whose encoder asked <see cref="RecordBuffer.GetSpan"/> or <see cref="RecordBuffer.GetMemory"/> for
/// more than the record can take: the writer catches it and returns <see cref="WriteStatus.RecordTooLarge"/>.
/// Internal because it never escapes a write that lets it propagate.
/// </summary>
internal sealed class RecordOverflowException : Exception
{
    public RecordOverflowException(int sizeHint, int limit)
        : base($"The record asked for {sizeHint} bytes but can take at most {limit}; the write is refused with RecordTooLarge. Let this exception propagate out of the encoder.")
    {
    }
}
