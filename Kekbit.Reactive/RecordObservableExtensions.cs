using System.Buffers;
using System.Reactive.Linq;

namespace Kekbit.Reactive;

/// <summary>Operators on observables of records.</summary>
public static class RecordObservableExtensions
{
    /// <summary>
    /// Copies each record's payload out of the channel mapping into a pooled buffer, so records can be kept
    /// past <c>OnNext</c> or handed to another thread: the one safe way to put <c>ObserveOn</c>, <c>Buffer</c>,
    /// <c>ToList</c> or any queue between a reader and the code that reads payloads. Each
    /// <see cref="OwnedRecord"/> belongs to whoever receives it, who disposes it once done (returning the buffer
    /// to the pool).
    /// </summary>
    /// <example>
    /// <code>
    /// using IDisposable subscription = KekbitObservable.FromChannel(root, channelId)
    ///     .CopyPayloads()
    ///     .ObserveOn(TaskPoolScheduler.Default)
    ///     .Subscribe(record =>
    ///     {
    ///         using (record)
    ///         {
    ///             Handle(record.Span);
    ///         }
    ///     });
    /// </code>
    /// </example>
    /// <remarks>
    /// The copy is made on the polling thread, inside the source's <c>OnNext</c>, while the payload is valid.
    /// Copies still queued downstream when the subscription ends are never disposed: their buffers go to the
    /// garbage collector instead of back to the pool, which is harmless.
    /// </remarks>
    /// <param name="source">Records, typically from <see cref="KekbitObservable.FromChannel"/> or <see cref="ReaderObservableExtensions.ToObservable(Core.IReader, PollingOptions?)"/>.</param>
    /// <param name="pool">Where the buffers come from; <see cref="ArrayPool{T}.Shared"/> when null.</param>
    public static IObservable<OwnedRecord> CopyPayloads(this IObservable<Record> source, ArrayPool<byte>? pool = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArrayPool<byte> buffers = pool ?? ArrayPool<byte>.Shared;
        return source.Select(record => new OwnedRecord(record, buffers));
    }
}
