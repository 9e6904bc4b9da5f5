using System.Reactive.Subjects;
using Kekbit.Core;

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
    private readonly IWriter _writer;
    private readonly RecordEncoder<T> _encoder;
    private readonly SinkOptions<T> _options;
    private readonly Subject<WriteFailure<T>> _failures = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _terminated;
    private long _written;
    private Exception? _error;

    /// <summary>Creates an observer that writes into <paramref name="writer"/>, which it owns from now on.</summary>
    /// <param name="writer">The channel's writer; closed when the observer completes, fails or stops.</param>
    /// <param name="encoder">Writes a value's bytes into the record; cache it to avoid allocating per call.</param>
    /// <param name="options">Failure policy; the defaults when null.</param>
    public ChannelObserver(IWriter writer, RecordEncoder<T> encoder, SinkOptions<T>? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        _writer = writer;
        _encoder = encoder;
        _options = (options ?? new SinkOptions<T>()).Validated();
    }

    /// <summary>
    /// The records the channel refused, as they happen (on the writing thread). Completes when the observer
    /// terminates. Subscribing here counts as handling failures for <see cref="WriteFailurePolicy.Report"/>.
    /// </summary>
    public IObservable<WriteFailure<T>> Failures => _failures;

    /// <summary>How many records were written.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Whether the observer has terminated: completed, failed, or stopped by its policy.</summary>
    public bool IsTerminated => Volatile.Read(ref _terminated) != 0;

    /// <summary>The error that terminated the observer: the one passed to <see cref="OnError"/>, or the <see cref="ChannelWriteException"/> that stopped it; null otherwise.</summary>
    public Exception? Error => Volatile.Read(ref _error);

    /// <summary>Completes when the observer terminates: successfully on <see cref="OnCompleted"/>, faulted with <see cref="Error"/> otherwise.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Writes <paramref name="value"/> as one record.</summary>
    /// <param name="value">The value to encode.</param>
    /// <exception cref="ChannelWriteException">The channel refused the record and the policy is <see cref="WriteFailurePolicy.Throw"/>, or <see cref="WriteFailurePolicy.Report"/> with nobody to report to.</exception>
    public void OnNext(T value)
    {
        if (Volatile.Read(ref _terminated) != 0)
        {
            return;
        }

        WriteResult result = _writer.Write(value, _encoder);
        if (result.IsSuccess)
        {
            Interlocked.Increment(ref _written);
            return;
        }

        var failure = new WriteFailure<T>(value, result.Status);
        bool reported = false;
        if (_options.OnFailure is Action<WriteFailure<T>> onFailure)
        {
            onFailure(failure);
            reported = true;
        }

        if (_failures.HasObservers)
        {
            _failures.OnNext(failure);
            reported = true;
        }

        var error = new ChannelWriteException(_writer.Metadata.ChannelId, result.Status);
        switch (_options.FailurePolicy)
        {
            case WriteFailurePolicy.Report when reported:
                return;
            case WriteFailurePolicy.Stop:
                Terminate(error);
                return;
            default:
                throw error;
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
    /// releases the subscribers of <see cref="Failures"/>.
    /// </summary>
    public void Dispose()
    {
        Terminate(null);
        _failures.Dispose();
    }

    private void Terminate(Exception? error)
    {
        if (Interlocked.Exchange(ref _terminated, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _error, error);
        try
        {
            _writer.Dispose();
        }
        finally
        {
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
