using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Reactive.Idle;
using Kekbit.Reactive.Internal;

namespace Kekbit.Reactive;

/// <summary>Asynchronous consumption of readers: <c>await foreach (var record in reader.ReadAllAsync(ct))</c>.</summary>
public static class ReaderAsyncExtensions
{
    /// <summary>
    /// Enumerates <paramref name="reader"/>'s records asynchronously, as <see cref="ChannelReader{T}.ReadAllAsync"/>
    /// does for a channel: records available now are delivered synchronously one after the other; when there are
    /// none, the idle strategy (a <see cref="BackoffIdleStrategy"/>) spins and yields briefly, then waits with a
    /// timer, holding no thread, before polling again. The enumeration ends when the channel is closed, and
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
    /// of asynchronous waits (<see cref="PollingOptions.TimeProvider"/>) come from <paramref name="options"/>.
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
    /// Exposes <paramref name="reader"/> as a <see cref="ChannelReader{T}"/> of records, for code written against
    /// System.Threading.Channels: <c>TryRead</c> and <c>TryPeek</c> poll without waiting, <c>WaitToReadAsync</c>
    /// and <c>ReadAsync</c> wait without holding a thread (the idle strategy decides how), <c>ReadAllAsync</c>
    /// enumerates, and <c>Completion</c> completes when the channel is closed or faults with
    /// <see cref="ChannelTimeoutException"/> or <see cref="ChannelCorruptedException"/>, which
    /// <c>WaitToReadAsync</c> then throws. Safe for several consumers (each record goes to one of them).
    /// </summary>
    /// <remarks>The reader stays owned by the caller; records are valid until the caller disposes it.</remarks>
    /// <param name="reader">The reader to expose; not to be read directly meanwhile.</param>
    /// <param name="options">How to wait; <see cref="PollingOptions.Default"/> when null.</param>
    public static ChannelReader<Record> AsChannelReader(this IReader reader, PollingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new ReaderChannel(reader, (options ?? PollingOptions.Default).Validated());
    }

    private static async IAsyncEnumerable<Record> ReadAll(IReader reader, PollingOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IIdleStrategy idle = options.CreateIdleStrategy();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ReadResult result = reader.TryRead();
            if (result.IsRecord)
            {
                idle.Reset();
                yield return Record.From(result);
                continue;
            }

            if (!result.IsFinal)
            {
                TimeSpan wait = Parking.Bounded(idle.IdleWithoutBlocking());
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, options.TimeProvider, cancellationToken).ConfigureAwait(false);
                }

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
