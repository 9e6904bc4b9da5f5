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

    /// <summary>
    /// Reads up to <paramref name="maxRecords"/> published records, without waiting, and hands each to
    /// <paramref name="handler"/> in order; stops early at the first read that finds no record (nothing yet, the end, a
    /// failure: <see cref="ExhaustedBy"/> then says which, as after <see cref="TryRead"/>) or when the handler returns
    /// false. Allocates nothing. The same records, checks and outcome as calling <see cref="TryRead"/> in a loop, which is
    /// what this default implementation does; <see cref="ShmReader"/> checks its state once per batch instead of once per
    /// record.
    /// </summary>
    /// <typeparam name="THandler">The handler; a struct, so the call is specialised and inlined.</typeparam>
    /// <param name="handler">Receives each record; passed by reference, so a struct handler keeps what it accumulates.</param>
    /// <param name="maxRecords">The most records to read; positive.</param>
    /// <returns>How many records were handed to the handler.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRecords"/> is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed.</exception>
    int ReadBatch<THandler>(ref THandler handler, int maxRecords)
        where THandler : IRecordHandler
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        int count = 0;
        while (count < maxRecords)
        {
            ReadResult result = TryRead();
            if (!result.IsRecord)
            {
                break;
            }

            count++;
            if (!handler.OnRecord(in result))
            {
                break;
            }
        }

        return count;
    }
}
