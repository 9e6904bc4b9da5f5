using System.Reactive.Disposables;
using Kekbit.Core;

namespace Kekbit.Reactive.Internal;

/// <summary>
/// A cold observable of records: each subscription polls its own reader. Built either over a reader handed
/// over by its owner (one subscription only) or over a function that opens a new reader per subscription.
/// </summary>
internal sealed class RecordObservable : IObservable<Record>
{
    private readonly IReader? _handedOver;
    private readonly Func<CancellationToken, IReader>? _open;
    private readonly PollingOptions _options;
    private int _subscribed;

    /// <summary>An observable that takes <paramref name="reader"/> over at its single subscription.</summary>
    public RecordObservable(IReader reader, PollingOptions options)
    {
        _handedOver = reader;
        _options = options;
    }

    /// <summary>An observable that opens a reader with <paramref name="open"/> for each subscription.</summary>
    public RecordObservable(Func<CancellationToken, IReader> open, PollingOptions options)
    {
        _open = open;
        _options = options;
    }

    public IDisposable Subscribe(IObserver<Record> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (_handedOver is not null && Interlocked.Exchange(ref _subscribed, 1) != 0)
        {
            observer.OnError(new InvalidOperationException(
                "This observable polls one reader and was already subscribed. Share it with Publish().RefCount(), or use KekbitObservable.FromChannel, which opens a reader per subscription."));
            return Disposable.Empty;
        }

        var subscription = new PollingSubscription(observer, _handedOver, _open, _options);
        subscription.Start();
        return subscription;
    }
}
