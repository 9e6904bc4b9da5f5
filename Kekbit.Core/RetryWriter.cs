namespace Kekbit.Core;

/// <summary>
/// Lets several threads share one writer (kekbit's <c>RetryWriter</c>). Each write tries to take the
/// writer, backing off (spin, then yield) between tries; if it cannot within its attempts it returns
/// <see cref="WriteStatus.WouldWait"/> and writes nothing, so a caller never blocks indefinitely.
/// </summary>
public sealed class RetryWriter : IWriter
{
    private readonly IWriter _inner;
    private readonly Lock _gate = new();
    private readonly int _attempts;

    /// <summary>Wraps <paramref name="inner"/>; disposing this writer disposes it.</summary>
    /// <param name="inner">The writer to share.</param>
    /// <param name="attempts">How many times a write tries to take the writer before it returns <see cref="WriteStatus.WouldWait"/>.</param>
    public RetryWriter(IWriter inner, int attempts = 20)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        _inner = inner;
        _attempts = attempts;
    }

    /// <inheritdoc/>
    public Metadata Metadata => _inner.Metadata;

    /// <inheritdoc/>
    public WriteResult Write(ReadOnlySpan<byte> payload)
    {
        if (!TryEnter())
        {
            return WriteResult.Of(WriteStatus.WouldWait);
        }

        try
        {
            return _inner.Write(payload);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <inheritdoc/>
    public WriteResult Write<T>(T value, RecordEncoder<T> encoder)
    {
        if (!TryEnter())
        {
            return WriteResult.Of(WriteStatus.WouldWait);
        }

        try
        {
            return _inner.Write(value, encoder);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Flushes the shared writer, waiting for the writer to be free.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            _inner.Flush();
        }
    }

    /// <summary>Closes the shared writer, waiting for any write in progress to finish.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _inner.Dispose();
        }
    }

    private bool TryEnter()
    {
        var backoff = default(SpinWait);
        for (int attempt = 0; attempt < _attempts; attempt++)
        {
            if (_gate.TryEnter())
            {
                return true;
            }

            // Never sleeps: spins first, then yields the processor.
            backoff.SpinOnce(sleep1Threshold: -1);
        }

        return false;
    }
}
