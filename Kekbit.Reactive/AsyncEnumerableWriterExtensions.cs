using Kekbit.Core;
using Kekbit.Reactive.Internal;

namespace Kekbit.Reactive;

/// <summary>
/// Writes <see cref="IAsyncEnumerable{T}"/> sequences into kekbit channels: <c>await source.WriteAllAsync(writer, encoder)</c>.
/// The asynchronous counterpart of <see cref="WriterObserverExtensions.AsObserver{T}"/>, with the same failure policies.
/// </summary>
public static class AsyncEnumerableWriterExtensions
{
    /// <summary>
    /// Writes every item of <paramref name="source"/> into a kekbit channel with <paramref name="encoder"/>, then
    /// closes the channel and returns how many records it wrote. A refused record follows the default policy:
    /// the task faults with <see cref="ChannelWriteException"/> and the channel stays open.
    /// </summary>
    /// <typeparam name="T">The type of item.</typeparam>
    /// <param name="source">The sequence to write; enumerated once.</param>
    /// <param name="writer">The kekbit channel's writer; not to be used elsewhere meanwhile.</param>
    /// <param name="encoder">Writes an item's bytes into the record.</param>
    /// <param name="cancellationToken">Stops writing (passed to the enumerator too); the channel is then left open.</param>
    /// <returns>How many records were written.</returns>
    /// <exception cref="ChannelWriteException">A record was refused and the policy says to throw or stop.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<long> WriteAllAsync<T>(this IAsyncEnumerable<T> source, IWriter writer, RecordEncoder<T> encoder, CancellationToken cancellationToken = default) =>
        source.WriteAllAsync(writer, encoder, null, cancellationToken);

    /// <summary>
    /// Writes every item of <paramref name="source"/> into a kekbit channel with <paramref name="encoder"/> and
    /// returns how many records it wrote. With <see cref="SinkOptions{T}.FlushEachBatch"/>, the channel is flushed
    /// after every <see cref="SinkOptions{T}.BatchSize"/> records and at the end; when the source ends, the channel
    /// is closed unless <see cref="SinkOptions{T}.CloseOnCompletion"/> is false. A refused record follows
    /// <see cref="SinkOptions{T}.FailurePolicy"/>: <see cref="WriteFailurePolicy.Throw"/> faults the task and leaves
    /// the channel open, <see cref="WriteFailurePolicy.Report"/> skips the record after reporting it to
    /// <see cref="SinkOptions{T}.OnFailure"/> (and throws as <c>Throw</c> does when there is no callback),
    /// <see cref="WriteFailurePolicy.Stop"/> closes the channel and faults the task. If the source throws, or the
    /// token is cancelled, the exception propagates and the channel is left open.
    /// </summary>
    /// <typeparam name="T">The type of item.</typeparam>
    /// <param name="source">The sequence to write; enumerated once.</param>
    /// <param name="writer">The kekbit channel's writer; not to be used elsewhere meanwhile.</param>
    /// <param name="encoder">Writes an item's bytes into the record.</param>
    /// <param name="options">Batching, flushing, closing and failure policy; the defaults when null.</param>
    /// <param name="cancellationToken">Stops writing (passed to the enumerator too); the channel is then left open.</param>
    /// <returns>How many records were written.</returns>
    /// <exception cref="ChannelWriteException">A record was refused and the policy says to throw or stop.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<long> WriteAllAsync<T>(this IAsyncEnumerable<T> source, IWriter writer, RecordEncoder<T> encoder, SinkOptions<T>? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        return Write(source, new SinkWriter<T>(writer, encoder, (options ?? new SinkOptions<T>()).Validated()), cancellationToken);
    }

    private static async Task<long> Write<T>(IAsyncEnumerable<T> source, SinkWriter<T> sink, CancellationToken cancellationToken)
    {
        SinkOptions<T> options = sink.Options;
        int sinceFlush = 0;
        await foreach (T item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            sink.WriteOrThrow(item);
            if (options.FlushEachBatch && ++sinceFlush == options.BatchSize)
            {
                sink.Writer.Flush();
                sinceFlush = 0;
            }
        }

        sink.Complete(flushPending: sinceFlush > 0);
        return sink.Written;
    }
}
