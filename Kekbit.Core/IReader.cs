namespace Kekbit.Core;

/// <summary>
/// Reads one channel's records in order, without blocking and without locks. Each reader has its own
/// position; many readers may read one channel, in this process or others. Not thread-safe: one thread
/// reads through one reader at a time.
/// </summary>
public interface IReader : IDisposable
{
    /// <summary>The channel's metadata, validated when the reader opened it.</summary>
    Metadata Metadata { get; }

    /// <summary>The data-area offset of the next record to read; also the bytes consumed so far (headers and padding included).</summary>
    long Position { get; }

    /// <summary>
    /// The final status once the reader is exhausted (<see cref="ReadStatus.Closed"/>, <see cref="ReadStatus.Timeout"/>
    /// or <see cref="ReadStatus.Failed"/>), otherwise null. An exhausted reader returns that status from every later read.
    /// </summary>
    ReadStatus? ExhaustedBy { get; }

    /// <summary>Why the reader failed, when <see cref="ExhaustedBy"/> is <see cref="ReadStatus.Failed"/>.</summary>
    ReadFailure Failure { get; }

    /// <summary>
    /// Reads the next record if one is published, without waiting. Never throws for channel content and
    /// never reads outside the file; allocates nothing.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    ReadResult TryRead();
}
