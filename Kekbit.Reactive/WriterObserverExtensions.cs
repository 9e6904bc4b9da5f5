using Kekbit.Core;

namespace Kekbit.Reactive;

/// <summary>Turns writers into observers: <c>source.Subscribe(writer.AsObserver(encoder))</c>.</summary>
public static class WriterObserverExtensions
{
    /// <summary>
    /// An observer that writes each value into <paramref name="writer"/>'s channel with <paramref name="encoder"/>,
    /// closes the channel on completion or error, and handles refused records by <paramref name="options"/>'
    /// failure policy (see <see cref="ChannelObserver{T}"/>). The observer owns the writer from now on. Use
    /// <c>.Synchronize()</c> upstream when values may arrive from several threads at once.
    /// </summary>
    /// <typeparam name="T">The type of value.</typeparam>
    /// <param name="writer">The channel's writer.</param>
    /// <param name="encoder">Writes a value's bytes into the record; cache it to avoid allocating per call.</param>
    /// <param name="options">Failure policy; the defaults (throw) when null.</param>
    public static ChannelObserver<T> AsObserver<T>(this IWriter writer, RecordEncoder<T> encoder, SinkOptions<T>? options = null) =>
        new(writer, encoder, options);

    /// <summary>
    /// An observer that writes each record's payload into <paramref name="writer"/>'s channel: the sink of a
    /// channel-to-channel pipeline, <c>KekbitObservable.FromChannel(root, a).Where(...).Subscribe(writer.AsObserver())</c>.
    /// </summary>
    /// <param name="writer">The channel's writer; owned by the observer.</param>
    /// <param name="options">Failure policy; the defaults (throw) when null.</param>
    public static ChannelObserver<Record> AsObserver(this IWriter writer, SinkOptions<Record>? options = null) =>
        new(writer, RecordEncoders.Payload, options);
}
