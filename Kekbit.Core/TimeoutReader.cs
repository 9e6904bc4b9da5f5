using System.Runtime.CompilerServices;
using Kekbit.Core.Waiting;

namespace Kekbit.Core;

/// <summary>
/// Decorates a reader so that it detects an abandoned channel: once reads have found nothing new for
/// longer than the channel's timeout (<see cref="Metadata.TimeoutSpan"/>), it reports
/// <see cref="ReadStatus.Timeout"/>, and keeps reporting it. Records and other statuses are passed through
/// unchanged; each record restarts the idle clock.
/// </summary>
/// <remarks>
/// The clock is a <see cref="TimeProvider"/>, so tests can drive it with a fake one. Owns the inner reader. Waits
/// (<see cref="WaitForData"/>, <see cref="WaitForDataAsync"/>) go to the inner reader, a <see cref="ShmReader"/>
/// sleeping on its doorbell say, and end when the timeout passes: a writer that dies while the reader sleeps is still
/// detected on time.
/// </remarks>
public sealed class TimeoutReader : IWaitableReader
{
    /// <summary>How long a wait over a reader that cannot wait sleeps before letting its caller poll.</summary>
    private static readonly TimeSpan UnwaitablePause = TimeSpan.FromMilliseconds(1);

    private readonly IReader _inner;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _timeout;
    private long _idleSince;
    private bool _idle;
    private bool _timedOut;

    /// <summary>Wraps <paramref name="inner"/>, using its channel's timeout.</summary>
    /// <param name="inner">The reader to decorate; disposed with this one.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public TimeoutReader(IReader inner, TimeProvider? timeProvider = null)
        : this(inner, (inner ?? throw new ArgumentNullException(nameof(inner))).Metadata.TimeoutSpan, timeProvider)
    {
    }

    /// <summary>Wraps <paramref name="inner"/> with an explicit <paramref name="timeout"/> instead of the channel's.</summary>
    /// <param name="inner">The reader to decorate; disposed with this one.</param>
    /// <param name="timeout">How long reads may find nothing before the writer is considered gone.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public TimeoutReader(IReader inner, TimeSpan timeout, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        _inner = inner;
        _timeout = timeout;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How long reads may find nothing before the writer is considered gone.</summary>
    public TimeSpan Timeout => _timeout;

    /// <summary>The decorated reader.</summary>
    internal IReader Inner => _inner;

    /// <inheritdoc/>
    public Metadata Metadata => _inner.Metadata;

    /// <inheritdoc/>
    public long Position => _inner.Position;

    /// <inheritdoc/>
    public ReadStatus? ExhaustedBy => _timedOut ? ReadStatus.Timeout : _inner.ExhaustedBy;

    /// <inheritdoc/>
    public ReadFailure Failure => _inner.Failure;

    /// <inheritdoc/>
    public ReadResult TryRead()
    {
        if (_timedOut)
        {
            return ReadResult.NoRecord(ReadStatus.Timeout, _inner.Position);
        }

        ReadResult result = _inner.TryRead();
        if (result.Status != ReadStatus.Nothing)
        {
            _idle = false;
            return result;
        }

        long now = _timeProvider.GetTimestamp();
        if (!_idle)
        {
            _idle = true;
            _idleSince = now;
        }
        else if (_timeProvider.GetElapsedTime(_idleSince, now) >= _timeout)
        {
            _timedOut = true;
            return ReadResult.NoRecord(ReadStatus.Timeout, result.Position);
        }

        return result;
    }

    /// <summary>
    /// Waits until <see cref="TryRead"/> has something other than <see cref="ReadStatus.Nothing"/> to return: a record or
    /// the end from the inner reader, or the timeout, which this wait never outlasts (it returns true once the channel has
    /// been silent for <see cref="Timeout"/>, so the next read reports it). The inner reader waits when it is an
    /// <see cref="IWaitableReader"/>; otherwise, since a plain reader cannot be looked at without reading, this wait
    /// sleeps at most a millisecond and returns true (the next read may still find nothing).
    /// </summary>
    /// <param name="timeout">How long to wait: zero or more (zero only looks), or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>True if there is something to read; false if <paramref name="timeout"/> passed first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed, before or during the wait.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public bool WaitForData(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!BeginWait(ref timeout, out bool untilSilent))
        {
            return true;
        }

        if (_inner is not IWaitableReader waitable)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (timeout == TimeSpan.Zero)
            {
                return true;
            }

            Parking.Park(timeout < UnwaitablePause ? timeout : UnwaitablePause, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            return true;
        }

        return waitable.WaitForData(timeout, cancellationToken) || untilSilent;
    }

    /// <summary>
    /// <see cref="WaitForData"/> holding no thread while it waits (the inner reader's <see cref="IWaitableReader.WaitForDataAsync"/>),
    /// ending when the timeout passes as well.
    /// </summary>
    /// <param name="timeout">How long to wait: zero or more (zero only looks), or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Stops the wait; the task then fails with an <see cref="OperationCanceledException"/> for this token.</param>
    /// <returns>True if there is something to read; false if <paramref name="timeout"/> passed first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> (thrown before any wait).</exception>
    /// <exception cref="ObjectDisposedException">The reader was disposed, before or during the wait.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<bool> WaitForDataAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!BeginWait(ref timeout, out bool untilSilent))
        {
            return new ValueTask<bool>(true);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        if (_inner is not IWaitableReader waitable)
        {
            return timeout == TimeSpan.Zero
                ? new ValueTask<bool>(true)
                : PauseAsync(timeout < UnwaitablePause ? timeout : UnwaitablePause, _timeProvider, cancellationToken);
        }

        ValueTask<bool> wait = waitable.WaitForDataAsync(timeout, cancellationToken);
        if (!untilSilent)
        {
            return wait;
        }

        if (wait.IsCompletedSuccessfully)
        {
            _ = wait.Result; // Consumed: the inner task may come from a pool.
            return new ValueTask<bool>(true);
        }

        return TrueWhenDoneAsync(wait);
    }

    /// <summary>Disposes the inner reader.</summary>
    public void Dispose() => _inner.Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> TrueWhenDoneAsync(ValueTask<bool> wait)
    {
        await wait.ConfigureAwait(false);
        return true;
    }

    private static async ValueTask<bool> PauseAsync(TimeSpan pause, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        await Task.Delay(pause, timeProvider, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Validates <paramref name="timeout"/> and shortens it to what is left of the channel's timeout; false when the
    /// reader has timed out already or its silence has lasted the timeout (the next read reports it: something to read).
    /// <paramref name="untilSilent"/> tells that the wait was shortened, so that its end means the timeout came.
    /// </summary>
    private bool BeginWait(ref TimeSpan timeout, out bool untilSilent)
    {
        untilSilent = false;
        if (timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        }

        if (_timedOut)
        {
            return false;
        }

        // The silence counts from the first read that found nothing; a wait before any such read is given the whole timeout.
        TimeSpan left = _idle ? _timeout - _timeProvider.GetElapsedTime(_idleSince) : _timeout;
        if (left <= TimeSpan.Zero)
        {
            return false;
        }

        if (timeout == System.Threading.Timeout.InfiniteTimeSpan || left < timeout)
        {
            timeout = left;
            untilSilent = true;
        }

        return true;
    }
}
