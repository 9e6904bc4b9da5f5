namespace Kekbit.Core;

/// <summary>
/// A reader that can wait for data instead of being polled: <see cref="WaitForData"/> blocks the calling thread,
/// <see cref="WaitForDataAsync"/> holds none while it waits. Waiting consumes nothing; the caller then reads with
/// <see cref="IReader.TryRead"/>. As with every reader, one consumer at a time: one wait at a time, from the reading side.
/// </summary>
public interface IWaitableReader : IReader
{
    /// <summary>
    /// Blocks until <see cref="IReader.TryRead"/> has something other than <see cref="ReadStatus.Nothing"/> to return (a record,
    /// the end of the channel, a failure), or until <paramref name="timeout"/> passes.
    /// </summary>
    /// <param name="timeout">How long to wait: zero or more (zero only looks), or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>True if there is something to read; false if the timeout passed first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed, before or during the wait.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    bool WaitForData(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits, holding no thread, until <see cref="IReader.TryRead"/> has something other than <see cref="ReadStatus.Nothing"/>
    /// to return (a record, the end of the channel, a failure), or until <paramref name="timeout"/> passes. Completes
    /// synchronously when there is something already. The returned task must be awaited once (it may be pooled).
    /// </summary>
    /// <param name="timeout">How long to wait: zero or more (zero only looks), or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops the wait; the task then fails with an <see cref="OperationCanceledException"/> for this token.</param>
    /// <returns>True if there is something to read; false if the timeout passed first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/> (thrown before any wait).</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed, before or during the wait.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<bool> WaitForDataAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
