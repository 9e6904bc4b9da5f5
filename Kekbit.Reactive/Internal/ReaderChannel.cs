using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Reactive.Idle;

namespace Kekbit.Reactive.Internal;

/// <summary>
/// A kekbit reader seen as a <see cref="ChannelReader{T}"/>. A record polled by <see cref="WaitToReadAsync"/> or
/// <see cref="TryPeek"/> is held until <see cref="TryRead"/> takes it, since a kekbit read cannot be undone.
/// A lock serialises polls, as <see cref="ChannelReader{T}"/> allows concurrent consumers and
/// <see cref="IReader"/> does not.
/// </summary>
internal sealed class ReaderChannel : ChannelReader<Record>
{
    private readonly IReader _reader;
    private readonly PollingOptions _options;
    private readonly IIdleStrategy _idle;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Record _held;
    private bool _holding;

    public ReaderChannel(IReader reader, PollingOptions options)
    {
        _reader = reader;
        _options = options;
        _idle = options.CreateIdleStrategy();
    }

    public override Task Completion => _completion.Task;

    public override bool CanPeek => true;

    public override bool TryRead(out Record item)
    {
        lock (_gate)
        {
            if (Fill())
            {
                item = _held;
                _held = default;
                _holding = false;
                return true;
            }
        }

        item = default;
        return false;
    }

    public override bool TryPeek(out Record item)
    {
        lock (_gate)
        {
            bool found = Fill();
            item = _held;
            return found;
        }
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        lock (_gate)
        {
            if (Fill())
            {
                return new ValueTask<bool>(true);
            }
        }

        return _completion.Task.IsCompleted ? Ended() : WaitAsync(cancellationToken);
    }

    private async ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                wait = _idle.IdleWithoutBlocking();
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            lock (_gate)
            {
                if (Fill())
                {
                    _idle.Reset();
                    return true;
                }
            }

            if (_completion.Task.IsCompleted)
            {
                return await Ended().ConfigureAwait(false);
            }
        }
    }

    /// <summary>False once closed; the failure once failed, as channels report an error completion.</summary>
    private ValueTask<bool> Ended() =>
        _completion.Task.Exception?.InnerException is Exception error ? ValueTask.FromException<bool>(error) : new ValueTask<bool>(false);

    /// <summary>Makes sure a record is held if one is available; completes the channel when the reader is exhausted. Under the lock.</summary>
    private bool Fill()
    {
        if (_holding)
        {
            return true;
        }

        if (_completion.Task.IsCompleted)
        {
            return false;
        }

        ReadResult result = _reader.TryRead();
        if (result.IsRecord)
        {
            _held = Record.From(result);
            _holding = true;
            return true;
        }

        if (result.IsFinal)
        {
            ChannelReadException? error = ChannelReadException.ForEndOf(_reader);
            if (error is null)
            {
                _completion.TrySetResult();
            }
            else
            {
                _completion.TrySetException(error);
            }
        }

        return false;
    }
}
