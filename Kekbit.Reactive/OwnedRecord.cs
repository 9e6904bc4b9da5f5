using System.Buffers;

namespace Kekbit.Reactive;

/// <summary>
/// A record whose payload was copied out of the channel mapping into a buffer rented from an
/// <see cref="ArrayPool{T}"/>: valid on any thread, for as long as the holder wants, after the reader and the
/// subscription that produced it are gone. Disposing it returns the buffer to the pool. Made by
/// <see cref="Record.Copy"/> and <see cref="RecordObservableExtensions.CopyPayloads"/>.
/// </summary>
/// <remarks>
/// <para>
/// The holder owns it (<see cref="IMemoryOwner{T}"/>): dispose it once done, exactly as an
/// <see cref="IMemoryOwner{T}"/> from <see cref="MemoryPool{T}"/>, and do not use its payload afterwards
/// (the buffer may already hold someone else's bytes; <see cref="Payload"/> then throws
/// <see cref="ObjectDisposedException"/>). A copy that is never disposed is simply collected: the pool loses that
/// buffer, nothing leaks. Disposing is idempotent and thread-safe.
/// </para>
/// <para>
/// Each copy costs this object and, when the pool has none free, a buffer; the payload bytes are copied once.
/// Use <see cref="Record"/> directly wherever the record is consumed inside <c>OnNext</c>.
/// </para>
/// </remarks>
public sealed class OwnedRecord : IMemoryOwner<byte>
{
    private readonly ArrayPool<byte> _pool;
    private readonly int _length;
    private byte[]? _buffer;

    internal OwnedRecord(Record record, ArrayPool<byte> pool)
    {
        // The span first: a record whose reader is gone throws before a buffer is rented.
        ReadOnlySpan<byte> payload = record.Span;
        _pool = pool;
        _length = payload.Length;
        Position = record.Position;
        _buffer = pool.Rent(_length);
        payload.CopyTo(_buffer);
    }

    /// <summary>The data-area offset where the record starts, as <see cref="Record.Position"/>.</summary>
    public long Position { get; }

    /// <summary>The data-area offset just after the record, as <see cref="Record.NextPosition"/>.</summary>
    public long NextPosition => Position + ((8 + (long)_length + 7) & ~7L);

    /// <summary>The payload's length in bytes.</summary>
    public int Length => _length;

    /// <summary>The copied payload bytes, valid until this copy is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The copy was disposed.</exception>
    public ReadOnlyMemory<byte> Payload => Buffer.AsMemory(0, _length);

    /// <summary>The copied payload bytes as a span, valid until this copy is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The copy was disposed.</exception>
    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, _length);

    /// <summary>The copied payload as writable memory (the copy is the holder's own); valid until disposed.</summary>
    /// <exception cref="ObjectDisposedException">The copy was disposed.</exception>
    public Memory<byte> Memory => Buffer.AsMemory(0, _length);

    private byte[] Buffer => Volatile.Read(ref _buffer) ?? throw new ObjectDisposedException(nameof(OwnedRecord));

    /// <summary>A <see cref="Record"/> over the copied bytes, for code written against records; valid until this copy is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The copy was disposed.</exception>
    public Record AsRecord() => new(Position, Payload);

    /// <summary>Copies the payload to a new array, which outlives this copy.</summary>
    /// <exception cref="ObjectDisposedException">The copy was disposed.</exception>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>Returns the buffer to its pool. Idempotent; the payload must not be used afterwards.</summary>
    public void Dispose()
    {
        // Exchange: two racing Dispose calls return the buffer once, never twice (which would hand it to two renters).
        byte[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            _pool.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Owned record at {Position}, {_length} bytes";
}
