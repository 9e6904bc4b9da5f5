using System.Reactive.Subjects;
using Kekbit.Core;

namespace Kekbit.Reactive.Internal;

/// <summary>What a sink does after a record was refused, as its <see cref="WriteFailurePolicy"/> decides.</summary>
internal enum FailureAction
{
    /// <summary>The failure was reported; skip the record and go on.</summary>
    Continue,

    /// <summary>Close the channel and stop the sink with the error.</summary>
    Stop,

    /// <summary>Throw the error to the producer (or fault the sink's task); the channel stays open.</summary>
    Throw,
}

/// <summary>
/// The one implementation of a sink's write step and of <see cref="WriteFailurePolicy"/>, shared by
/// <see cref="ChannelObserver{T}"/>, the <see cref="System.Threading.Channels.ChannelReader{T}"/> pipe and the
/// <see cref="IAsyncEnumerable{T}"/> sink: writes a value, counts it, and on a refusal reports the failure and
/// says what the policy wants done. A writer that throws <see cref="ObjectDisposedException"/> (disposed under the
/// sink) counts as a <see cref="WriteStatus.Closed"/> refusal, with that exception kept as the error's cause.
/// </summary>
/// <typeparam name="T">The type of value.</typeparam>
internal sealed class SinkWriter<T>
{
    private readonly IWriter _writer;
    private readonly RecordEncoder<T> _encoder;
    private readonly SinkOptions<T> _options;
    private readonly Subject<WriteFailure<T>>? _subscribers;
    private long _written;

    /// <param name="writer">The channel's writer.</param>
    /// <param name="encoder">Writes a value's bytes into the record.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="subscribers">Where an observer also reports failures (its <c>Failures</c> stream); null for the other sinks.</param>
    public SinkWriter(IWriter writer, RecordEncoder<T> encoder, SinkOptions<T> options, Subject<WriteFailure<T>>? subscribers = null)
    {
        _writer = writer;
        _encoder = encoder;
        _options = options;
        _subscribers = subscribers;
    }

    /// <summary>How many records were written. Safe to read from any thread.</summary>
    public long Written => Interlocked.Read(ref _written);

    public IWriter Writer => _writer;

    public SinkOptions<T> Options => _options;

    /// <summary>Writes <paramref name="value"/> as one record; counts it when it is published.</summary>
    /// <param name="value">The value to encode.</param>
    /// <param name="cause">When the writer threw <see cref="ObjectDisposedException"/>: that exception.</param>
    /// <returns>The write's status: <see cref="WriteStatus.Success"/> or the refusal.</returns>
    public WriteStatus Write(T value, out Exception? cause)
    {
        cause = null;
        WriteResult result;
        try
        {
            result = _writer.Write(value, _encoder);
        }
        catch (ObjectDisposedException disposed)
        {
            cause = disposed;
            return WriteStatus.Closed;
        }

        if (result.IsSuccess)
        {
            // Interlocked: Written is read from other threads; the sink itself writes from one thread at a time.
            Interlocked.Increment(ref _written);
        }

        return result.Status;
    }

    /// <summary>
    /// Applies the policy to a refused record: reports it to <see cref="SinkOptions{T}.OnFailure"/> and to the
    /// observer's subscribers (whatever the policy), then says what to do. <see cref="WriteFailurePolicy.Report"/>
    /// with nobody to report to throws, so nothing is lost unseen.
    /// </summary>
    /// <param name="value">The refused value.</param>
    /// <param name="status">Why it was refused.</param>
    /// <param name="cause">The writer's exception, if it threw one.</param>
    /// <param name="error">The error for <see cref="FailureAction.Stop"/> and <see cref="FailureAction.Throw"/>; null for <see cref="FailureAction.Continue"/>.</param>
    public FailureAction OnRefused(T value, WriteStatus status, Exception? cause, out ChannelWriteException? error)
    {
        var failure = new WriteFailure<T>(value, status);
        bool reported = false;
        if (_options.OnFailure is Action<WriteFailure<T>> onFailure)
        {
            onFailure(failure);
            reported = true;
        }

        if (_subscribers is { HasObservers: true })
        {
            _subscribers.OnNext(failure);
            reported = true;
        }

        FailureAction action = _options.FailurePolicy switch
        {
            WriteFailurePolicy.Report when reported => FailureAction.Continue,
            WriteFailurePolicy.Stop => FailureAction.Stop,
            _ => FailureAction.Throw,
        };
        // Built only when it will be used: a reported and skipped record costs no exception.
        error = action == FailureAction.Continue ? null : new ChannelWriteException(_writer.Metadata.ChannelId, status, cause);
        return action;
    }

    /// <summary>
    /// For the asynchronous sinks: writes <paramref name="value"/> and applies the policy. Returns normally when
    /// the record was written or skipped; throws the <see cref="ChannelWriteException"/> otherwise, after
    /// closing the channel for <see cref="WriteFailurePolicy.Stop"/>.
    /// </summary>
    /// <param name="value">The value to encode.</param>
    public void WriteOrThrow(T value)
    {
        WriteStatus status = Write(value, out Exception? cause);
        if (status == WriteStatus.Success)
        {
            return;
        }

        switch (OnRefused(value, status, cause, out ChannelWriteException? error))
        {
            case FailureAction.Continue:
                return;
            case FailureAction.Stop:
                _writer.Dispose();
                throw error!;
            default:
                throw error!;
        }
    }

    /// <summary>
    /// For the asynchronous sinks, once the source has ended: closes the channel (which flushes it) unless
    /// <see cref="SinkOptions{T}.CloseOnCompletion"/> is false; then flushes instead when records written since the
    /// last flush are waiting for one.
    /// </summary>
    /// <param name="flushPending">Records were written since the sink's last flush, and its options ask for flushes.</param>
    public void Complete(bool flushPending)
    {
        if (_options.CloseOnCompletion)
        {
            _writer.Dispose();
        }
        else if (flushPending)
        {
            _writer.Flush();
        }
    }
}
