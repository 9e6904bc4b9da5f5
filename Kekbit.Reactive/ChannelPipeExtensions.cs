using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Reactive.Internal;

namespace Kekbit.Reactive;

/// <summary>
/// Drains System.Threading.Channels channels into kekbit channels (persistent journals). For the other
/// direction, a kekbit channel read as a <see cref="ChannelReader{T}"/>, see <see cref="ReaderAsyncExtensions.AsChannelReader"/>.
/// </summary>
public static class ChannelPipeExtensions
{
    /// <summary>
    /// Drains <paramref name="source"/> into a kekbit channel, a persistent journal of everything that passed
    /// through: waits for items without holding a thread, writes each available item with
    /// <paramref name="encoder"/> (up to <see cref="SinkOptions{T}.BatchSize"/> per batch, flushing after each batch
    /// when <see cref="SinkOptions{T}.FlushEachBatch"/>), and when the source completes, closes the channel
    /// (unless <see cref="SinkOptions{T}.CloseOnCompletion"/> is false) and returns how many records it wrote.
    /// A refused record follows <see cref="SinkOptions{T}.FailurePolicy"/>.
    /// </summary>
    /// <typeparam name="T">The type of item.</typeparam>
    /// <param name="source">The channel to drain; this method must be its only reader.</param>
    /// <param name="writer">The kekbit channel's writer; not to be used elsewhere meanwhile.</param>
    /// <param name="encoder">Writes an item's bytes into the record.</param>
    /// <param name="cancellationToken">Stops draining; the kekbit channel is then left open.</param>
    /// <exception cref="ChannelWriteException">A record was refused and the policy says to throw or stop.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<long> WriteAllAsync<T>(this ChannelReader<T> source, IWriter writer, RecordEncoder<T> encoder, CancellationToken cancellationToken = default) =>
        source.WriteAllAsync(writer, encoder, null, cancellationToken);

    /// <summary><see cref="WriteAllAsync{T}(ChannelReader{T}, IWriter, RecordEncoder{T}, CancellationToken)"/> with explicit options.</summary>
    /// <typeparam name="T">The type of item.</typeparam>
    /// <param name="source">The channel to drain; this method must be its only reader.</param>
    /// <param name="writer">The kekbit channel's writer; not to be used elsewhere meanwhile.</param>
    /// <param name="encoder">Writes an item's bytes into the record.</param>
    /// <param name="options">Batching, flushing, closing and failure policy; the defaults when null.</param>
    /// <param name="cancellationToken">Stops draining; the kekbit channel is then left open.</param>
    /// <exception cref="ChannelWriteException">A record was refused and the policy says to throw or stop.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<long> WriteAllAsync<T>(this ChannelReader<T> source, IWriter writer, RecordEncoder<T> encoder, SinkOptions<T>? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        return Drain(source, writer, encoder, (options ?? new SinkOptions<T>()).Validated(), cancellationToken);
    }

    private static async Task<long> Drain<T>(ChannelReader<T> source, IWriter writer, RecordEncoder<T> encoder, SinkOptions<T> options, CancellationToken cancellationToken)
    {
        var sink = new SinkWriter<T>(writer, encoder, options);
        while (await source.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            int batch = 0;
            while (batch < options.BatchSize && source.TryRead(out T? item))
            {
                batch++;
                sink.WriteOrThrow(item);
            }

            if (options.FlushEachBatch && batch > 0)
            {
                writer.Flush();
            }
        }

        // Every batch was flushed as it was written (when the options ask for it): nothing is pending here.
        sink.Complete(flushPending: false);
        return sink.Written;
    }
}
