using Kekbit.Core;
using Kekbit.Reactive.Internal;

namespace Kekbit.Reactive;

/// <summary>Observables over channels named by root folder and id.</summary>
public static class KekbitObservable
{
    /// <summary>
    /// A cold observable of channel <paramref name="channelId"/>'s records: each subscription opens its own
    /// <see cref="ShmReader"/> (waiting up to <see cref="PollingOptions.OpenTimeout"/> for the channel), starts
    /// at <see cref="PollingOptions.StartPosition"/> (so late subscribers replay from the start or from a saved
    /// position), detects an abandoned channel unless <see cref="PollingOptions.DetectTimeout"/> is false, and
    /// then behaves as <see cref="ReaderObservableExtensions.ToObservable(IReader, PollingOptions?)"/>: records in
    /// order, <c>OnCompleted</c> on close, <c>OnError</c> with <see cref="ChannelTimeoutException"/>,
    /// <see cref="ChannelCorruptedException"/> or the <see cref="ChannelException"/> that prevented opening.
    /// Any number of subscribers may run at once, each seeing every record.
    /// </summary>
    /// <param name="root">The root folder that holds channels.</param>
    /// <param name="channelId">The channel id.</param>
    /// <param name="options">How to open and poll; <see cref="PollingOptions.Default"/> when null.</param>
    public static IObservable<Record> FromChannel(string root, ulong channelId, PollingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        PollingOptions settings = (options ?? PollingOptions.Default).Validated();
        return new RecordObservable(cancellationToken => ChannelOpener.Open(root, channelId, settings, cancellationToken), settings);
    }
}
