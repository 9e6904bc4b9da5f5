using System.Reactive.Subjects;
using Kekbit.Core;
using Kekbit.Reactive.Internal;

namespace Kekbit.Reactive;

/// <summary>
/// An observer that writes into a channel: <c>OnNext</c> encodes the value straight into the channel's memory
/// and publishes it through the writer's handler chain; <c>OnCompleted</c> closes the channel; <c>OnError</c>
/// closes it too and keeps the error in <see cref="Error"/>. A record the channel refuses is handled by the
/// <see cref="SinkOptions{T}.FailurePolicy"/>, never dropped silently. Calls after a terminal call (or after
/// the policy stopped the sink) are ignored.
/// </summary>
/// <remarks>
/// Like the writer it owns, it expects the Rx grammar: one call at a time. For several upstreams that may
/// call concurrently (<c>Merge</c> of sources on different threads, subjects fed from many threads), put
/// <c>.Synchronize()</c> before it. Writing allocates nothing per record when the encoder does not.
/// </remarks>
/// <typeparam name="T">The type of value.</typeparam>
public sealed class ChannelObserver<T> : IObserver<T>, IDisposable
{
    private readonly Subject<WriteFailure<T>> _failures = new();
    private readonly SinkWriter<T> _sink;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _terminated;
    private Exception? _error;

    /// <summary>Creates an observer that writes into <paramref name="writer"/>, which it owns from now on.</summary>
    /// <param name="writer">The channel's writer; closed when the observer completes, fails, stops or is disposed.</param>
    /// <param name="encoder">Writes a value's bytes into the record; cache it to avoid allocating per call.</param>
    /// <param name="options">Failure policy; the defaults when null.</param>
    public ChannelObserver(IWriter writer, RecordEncoder<T> encoder, SinkOptions<T>? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        _sink = new SinkWriter<T>(writer, encoder, (options ?? new SinkOptions<T>()).Validated(), _failures);
    }

    /// <summary>
    /// The records the channel refused, as they happen (on the writing thread). Completes when the observer
    /// terminates. Subscribing here counts as handling failures for <see cref="WriteFailurePolicy.Report"/>.
    /// </summary>
    public IObservable<WriteFailure<T>> Failures => _failures;

    /// <summary>How many records were written.</summary>
    public long Written => _sink.Written;

    /// <summary>Whether the observer has terminated: completed, failed, stopped by its policy, or disposed.</summary>
    public bool IsTerminated => Volatile.Read(ref _terminated) != 0;

    /// <summary>The error that terminated the observer: the one passed to <see cref="OnError"/>, or the <see cref="ChannelWriteException"/> that stopped it; null otherwise.</summary>
    public Exception? Error => Volatile.Read(ref _error);

    /// <summary>Completes when the observer terminates: successfully on <see cref="OnCompleted"/> or <see cref="Dispose"/>, faulted with <see cref="Error"/> otherwise.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Writes <paramref name="value"/> as one record. Ignored once the observer has terminated, including when it is disposed while this call runs.</summary>
    /// <param name="value">The value to encode.</param>
    /// <exception cref="ChannelWriteException">The channel refused the record and the policy is <see cref="WriteFailurePolicy.Throw"/>, or <see cref="WriteFailurePolicy.Report"/> with nobody to report to.</exception>
    /// <exception cref="InvalidOperationException">Called from inside this observer's own encoder.</exception>
    public void OnNext(T value)
    {
        if (Volatile.Read(ref _terminated) != 0)
        {
            return;
        }

        WriteStatus status = _sink.Write(value, out Exception? cause);
        // A refusal after the observer terminated meanwhile (disposed from another thread, say) is the Rx grammar's
        // "OnNext after Dispose": ignored, not reported.
        if (status == WriteStatus.Success || Volatile.Read(ref _terminated) != 0)
        {
            return;
        }

        switch (_sink.OnRefused(value, status, cause, out ChannelWriteException? error))
        {
            case FailureAction.Continue:
                return;
            case FailureAction.Stop:
                Terminate(error);
                return;
            default:
                throw error!;
        }
    }

    /// <summary>Closes the channel: readers see it closed after the records written so far.</summary>
    public void OnCompleted() => Terminate(null);

    /// <summary>Closes the channel and keeps <paramref name="error"/> in <see cref="Error"/>.</summary>
    /// <param name="error">Why the upstream failed.</param>
    public void OnError(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Terminate(error);
    }

    /// <summary>
    /// Ends the sink as <see cref="OnCompleted"/> does if it has not terminated yet (closing the channel), and
    /// completes <see cref="Failures"/>. Safe from any thread while <see cref="OnNext"/> runs: the write in flight
    /// ends first (see <see cref="ShmWriter.Dispose"/>: bounded), the channel ends with CLOSE right after the last
    /// complete record, and later calls are ignored. Called from inside this observer's encoder, the channel
    /// closes when that write ends.
    /// </summary>
    public void Dispose() => Terminate(null);

    private void Terminate(Exception? error)
    {
        if (Interlocked.Exchange(ref _terminated, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _error, error);
        try
        {
            _sink.Writer.Dispose();
        }
        finally
        {
            // Completing (not disposing) the subject releases its subscribers and makes a racing OnNext's report a no-op.
            _failures.OnCompleted();
            if (error is null)
            {
                _completion.TrySetResult();
            }
            else
            {
                _completion.TrySetException(error);
            }
        }
    }
}
