using System.Reactive.Concurrency;
using Kekbit.Core;
using Kekbit.Reactive.Internal;

namespace Kekbit.Reactive;

/// <summary>Turns readers into observables of records: <c>reader.ToObservable()</c>.</summary>
public static class ReaderObservableExtensions
{
    /// <summary>
    /// An observable of <paramref name="reader"/>'s records. Subscribing hands the reader over: the
    /// subscription polls it (on a dedicated background thread unless <see cref="PollingOptions.Scheduler"/>
    /// says otherwise), delivers each record in order with <c>OnNext</c>, and ends with <c>OnCompleted</c> when
    /// the channel is closed, or <c>OnError</c> with a <see cref="ChannelTimeoutException"/> (the reader reported
    /// a timeout: wrap it in a <see cref="TimeoutReader"/> for that) or a <see cref="ChannelCorruptedException"/>.
    /// Disposing the subscription stops polling promptly; it returns once polling has stopped, and the reader is
    /// disposed (its mapping released) only after the polling loop has exited, so no record is read from
    /// released memory. The subscription also disposes the reader when the sequence ends.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The observable polls one reader, so it accepts one subscription; a second gets
    /// <see cref="InvalidOperationException"/> through <c>OnError</c>. To let many observers share one poller,
    /// use <c>reader.ToObservable().Publish().RefCount()</c> (the poller starts with the first observer and stops
    /// with the last); to give each subscriber its own poller and its own replay from the start, use
    /// <see cref="KekbitObservable.FromChannel"/>.
    /// </para>
    /// <para>
    /// Records are zero-copy views valid until the reader is disposed, which happens when the subscription
    /// ends: use them inside <c>OnNext</c>, or copy them with <see cref="RecordObservableExtensions.CopyPayloads"/>
    /// before any operator that keeps them or moves them to another thread (<c>ObserveOn</c>, <c>Buffer</c>, <c>ToList</c>).
    /// The polling thread calls the observer; an exception thrown by the observer stops polling, releases the
    /// reader and propagates on the polling thread, as for any Rx source.
    /// </para>
    /// </remarks>
    /// <param name="reader">The reader to poll; owned by the subscription once subscribed.</param>
    /// <param name="options">How to poll; <see cref="PollingOptions.Default"/> when null.</param>
    public static IObservable<Record> ToObservable(this IReader reader, PollingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new RecordObservable(reader, (options ?? PollingOptions.Default).Validated());
    }

    /// <summary>
    /// <see cref="ToObservable(IReader, PollingOptions?)"/> polling on <paramref name="scheduler"/>: a scheduler with
    /// long-running support runs the polling loop; any other runs one batch per action and waits for idle periods
    /// with its own timer (so a <see cref="HistoricalScheduler"/> drives it in virtual time).
    /// </summary>
    /// <param name="reader">The reader to poll; owned by the subscription once subscribed.</param>
    /// <param name="scheduler">Where to poll.</param>
    /// <param name="options">Other polling settings; <see cref="PollingOptions.Default"/> when null.</param>
    public static IObservable<Record> ToObservable(this IReader reader, IScheduler scheduler, PollingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        return reader.ToObservable((options ?? PollingOptions.Default) with { Scheduler = scheduler });
    }
}
