using Kekbit.Core.Waiting;

namespace Kekbit.Core;

/// <summary>
/// Lets several threads share one writer (kekbit's <c>RetryWriter</c>). Each write tries to take the
/// writer, backing off (spin, then yield) between tries; if it cannot within its attempts it returns
/// <see cref="WriteStatus.WouldWait"/> and writes nothing, so a caller never blocks indefinitely.
/// </summary>
/// <remarks>
/// Disposing it from any thread while others write is safe: writes after <see cref="Dispose"/> return
/// <see cref="WriteStatus.Closed"/>. A write from inside an encoder or handler of a write on this writer (the lock
/// is re-entrant) throws <see cref="InvalidOperationException"/> and leaves the outer record as it is.
/// </remarks>
public sealed class RetryWriter : IWriter
{
    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(1);

    private readonly IWriter _inner;
    private readonly Lock _gate = new();
    private readonly int _attempts;
    private volatile bool _closed;

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
    /// <exception cref="InvalidOperationException">Called from inside an encoder or handler of a write on this writer.</exception>
    public WriteResult Write(ReadOnlySpan<byte> payload)
    {
        if (!TryEnter(out WriteResult refusal))
        {
            return refusal;
        }

        try
        {
            return _closed ? WriteResult.Of(WriteStatus.Closed) : _inner.Write(payload);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Called from inside an encoder or handler of a write on this writer.</exception>
    public WriteResult Write<T>(T value, RecordEncoder<T> encoder)
    {
        if (!TryEnter(out WriteResult refusal))
        {
            return refusal;
        }

        try
        {
            return _closed ? WriteResult.Of(WriteStatus.Closed) : _inner.Write(value, encoder);
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

    /// <summary>
    /// Closes the shared writer: later writes return <see cref="WriteStatus.Closed"/>. Waits up to one second for a
    /// write in progress to finish; past that, disposes the inner writer anyway, whose own guard must then keep it
    /// safe (a <see cref="ShmWriter"/> closes when that write ends). From inside an encoder or handler of a write on
    /// this writer, the inner writer decides (a <see cref="ShmWriter"/> closes when that write ends).
    /// </summary>
    public void Dispose()
    {
        _closed = true;
        bool locked = _gate.TryEnter(DisposeWait);
        try
        {
            _inner.Dispose();
        }
        finally
        {
            if (locked)
            {
                _gate.Exit();
            }
        }
    }

    private bool TryEnter(out WriteResult refusal)
    {
        // The lock is re-entrant: a write from an encoder or handler of this writer's own write would get in.
        if (_gate.IsHeldByCurrentThread)
        {
            throw new InvalidOperationException("A write is already running on this writer: an encoder or handler may not write to the writer whose write called it.");
        }

        if (_closed)
        {
            refusal = WriteResult.Of(WriteStatus.Closed);
            return false;
        }

        refusal = WriteResult.Of(WriteStatus.WouldWait);
        // The library's one backoff, on the stack: spins first, then yields the processor; it never reaches its parks,
        // since it yields for as many steps as there are attempts.
        var backoff = new Backoff(BackoffIdleStrategy.DefaultMaxSpins, _attempts, BackoffIdleStrategy.DefaultMinParkPeriod, BackoffIdleStrategy.DefaultMaxParkPeriod);
        for (int attempt = 0; attempt < _attempts; attempt++)
        {
            if (_gate.TryEnter())
            {
                return true;
            }

            backoff.Step();
        }

        return false;
    }
}
