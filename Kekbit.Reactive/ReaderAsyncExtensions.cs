using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Core.Waiting;
using Kekbit.Reactive.Internal;

namespace Kekbit.Reactive;

/// <summary>Asynchronous consumption of readers: <c>await foreach (var record in reader.ReadAllAsync(ct))</c>.</summary>
public static class ReaderAsyncExtensions
{
    /// <summary>
    /// Enumerates <paramref name="reader"/>'s records asynchronously, as <see cref="ChannelReader{T}.ReadAllAsync"/>
    /// does for a channel: records available now are delivered synchronously one after the other; when there are
    /// none, the reader's default idle strategy (<see cref="ReaderPoller.CreateDefaultIdleStrategy"/>) spins and yields
    /// briefly, then waits holding no thread: on the channel's doorbell when it has one (the enumeration resumes within
    /// microseconds of the writer publishing, and an idle enumeration costs next to nothing), otherwise on a timer,
    /// before polling again. The enumeration ends when the channel is closed, and
    /// throws <see cref="ChannelTimeoutException"/> (the reader reported a timeout: wrap it in a
    /// <see cref="TimeoutReader"/> for that) or <see cref="ChannelCorruptedException"/> when it can never yield
    /// more; cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <remarks>
    /// The reader stays owned by the caller: records are valid until the caller disposes it, which it must not
    /// do while the enumeration runs. Enumerating allocates nothing per record.
    /// </remarks>
    /// <param name="reader">The reader to drain; one enumeration at a time.</param>
    /// <param name="cancellationToken">Stops the enumeration (also settable with <c>WithCancellation</c>).</param>
    public static IAsyncEnumerable<Record> ReadAllAsync(this IReader reader, CancellationToken cancellationToken = default) =>
        reader.ReadAllAsync(PollingOptions.Default, cancellationToken);

    /// <summary>
    /// <see cref="ReadAllAsync(IReader, CancellationToken)"/> with polling settings: the idle strategy and the clock
    /// of timer waits (<see cref="PollingOptions.TimeProvider"/>) come from <paramref name="options"/>.
    /// </summary>
    /// <param name="reader">The reader to drain; one enumeration at a time.</param>
    /// <param name="options">How to poll; <see cref="PollingOptions.Default"/> when null.</param>
    /// <param name="cancellationToken">Stops the enumeration (also settable with <c>WithCancellation</c>).</param>
    public static IAsyncEnumerable<Record> ReadAllAsync(this IReader reader, PollingOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ReadAll(reader, (options ?? PollingOptions.Default).Validated(), cancellationToken);
    }

    /// <summary>
    /// Exposes <paramref name="reader"/> as a <see cref="ChannelReader{T}"/> of records that keeps the contract of
    /// .NET's own channel readers: <c>TryRead</c> and <c>TryPeek</c> poll without waiting; <c>WaitToReadAsync</c> and
    /// <c>ReadAsync</c> complete synchronously when a record is there and otherwise return a pooled, single-use
    /// value task (await it once: awaiting it again, reading its result before it completes or attaching a second
    /// continuation throws <see cref="InvalidOperationException"/>) that waits without holding a thread and
    /// allocates nothing once warm; cancellation throws <see cref="OperationCanceledException"/> carrying the
    /// caller's token; continuations never run inside a call of the adapter (they run on the thread pool, or in the
    /// context the awaiter captured). <c>Completion</c> completes on its own once the channel is closed and every
    /// record was read, or faults with <see cref="ChannelTimeoutException"/> or <see cref="ChannelCorruptedException"/>
    /// (then <c>WaitToReadAsync</c> throws that exception and <c>ReadAsync</c> a <see cref="ChannelClosedException"/>
    /// wrapping it), or with <see cref="ObjectDisposedException"/> once the reader is disposed under it.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Several consumers may share one adapter; each record goes to one of them, as in an in-process channel.
    /// Separate readers of the same kekbit channel do not compete: each sees every record.
    /// </para>
    /// <para>
    /// Cost: the writer may be another process, so the adapter watches the channel itself, through the idle
    /// strategy of <paramref name="options"/>, while a wait is pending and, from the first time <c>Completion</c>
    /// is requested, until the channel ends. The first request of <c>Completion</c> polls once; afterwards, with
    /// the default strategy, an idle watched channel sleeps on its doorbell (holding no thread) until the writer
    /// publishes; a channel without a doorbell costs one timer wake-up and poll per park period (at most 1 ms). The watch stops when nothing needs it, and for good when the channel ends
    /// (or the reader is disposed). While the watch runs it keeps the adapter and the reader reachable.
    /// </para>
    /// <para>
    /// A read cannot be undone, so the adapter reads one record ahead (after each read, to complete right after the
    /// last record, and for <c>TryPeek</c> and <c>WaitToReadAsync</c>): the reader's <see cref="IReader.Position"/>
    /// may be one record past what was consumed. The reader stays owned by the caller; records are valid until the
    /// caller disposes it.
    /// </para>
    /// </remarks>
    /// <param name="reader">The reader to expose; not to be read directly meanwhile.</param>
    /// <param name="options">How to wait: the idle strategy and the <see cref="PollingOptions.TimeProvider"/> of the watch's timer; <see cref="PollingOptions.Default"/> when null.</param>
    public static ChannelReader<Record> AsChannelReader(this IReader reader, PollingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new ReaderChannel(reader, (options ?? PollingOptions.Default).Validated());
    }

    private static async IAsyncEnumerable<Record> ReadAll(IReader reader, PollingOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var poller = new ReaderPoller(reader, options.CreateIdleStrategy(reader), options.BatchSize, options.TimeProvider);
        while (true)
        {
            ReadResult result = await poller.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsRecord)
            {
                yield return Record.From(result);
                continue;
            }

            ChannelReadException? error = ChannelReadException.ForEndOf(reader);
            if (error is not null)
            {
                throw error;
            }

            yield break;
        }
    }
}
