namespace Kekbit.Core;

/// <summary>
/// Decorates a reader so that it detects an abandoned channel: once reads have found nothing new for
/// longer than the channel's timeout (<see cref="Metadata.TimeoutSpan"/>), it reports
/// <see cref="ReadStatus.Timeout"/>, and keeps reporting it. Records and other statuses are passed through
/// unchanged; each record restarts the idle clock.
/// </summary>
/// <remarks>The clock is a <see cref="TimeProvider"/>, so tests can drive it with a fake one. Owns the inner reader.</remarks>
public sealed class TimeoutReader : IReader
{
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

    /// <summary>Disposes the inner reader.</summary>
    public void Dispose() => _inner.Dispose();
}
