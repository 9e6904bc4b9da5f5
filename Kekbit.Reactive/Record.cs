using System.Buffers;
using Kekbit.Core;

namespace Kekbit.Reactive;

/// <summary>
/// One record delivered by a reactive source: where it starts in the channel and its payload, as a
/// zero-copy view of the mapped channel file.
/// </summary>
/// <remarks>
/// <para>
/// The channel is append-only and records are never overwritten, so <see cref="Payload"/> keeps exactly
/// these bytes for as long as the reader that produced the record is not disposed. A source that owns its
/// reader (<see cref="ReaderObservableExtensions.ToObservable(IReader, PollingOptions?)"/>,
/// <see cref="KekbitObservable.FromChannel"/>) disposes it when the subscription ends, so a record is valid
/// during <c>OnNext</c> and until the subscription ends or completes; an enumeration by
/// <see cref="ReaderAsyncExtensions.ReadAllAsync(IReader, CancellationToken)"/> leaves the reader to its owner,
/// so records stay valid until the owner disposes it.
/// </para>
/// <para>
/// After the reader is disposed, <see cref="Payload"/>'s <c>Span</c> throws <see cref="ObjectDisposedException"/>.
/// Reading a payload after its reader was disposed is never a crash: a span taken before (or while another
/// thread disposes the reader) reads zeros from then on (Linux, macOS), because the reader leaves a zero-filled
/// range at the mapping's address until nothing references it; it never reads the record's bytes any more.
/// </para>
/// <para>
/// To keep a record longer or hand it to another thread (<c>ObserveOn</c>, <c>Buffer</c>, <c>ToList</c>, a
/// queue), copy it: <see cref="RecordObservableExtensions.CopyPayloads"/> on an observable, or
/// <see cref="Copy"/> on one record, into a pooled buffer the holder disposes; or <see cref="ToArray"/>.
/// </para>
/// </remarks>
public readonly struct Record : IEquatable<Record>
{
    /// <summary>Creates a record starting at <paramref name="position"/> with <paramref name="payload"/>.</summary>
    /// <param name="position">The data-area offset of the record's length slot.</param>
    /// <param name="payload">The record's bytes.</param>
    public Record(long position, ReadOnlyMemory<byte> payload)
    {
        Position = position;
        Payload = payload;
    }

    /// <summary>
    /// The data-area offset where the record starts; a valid position to resume from, so that reading
    /// (<see cref="ShmReader.SeekTo"/>, <see cref="PollingOptions.StartPosition"/>) delivers this record again.
    /// </summary>
    public long Position { get; }

    /// <summary>The data-area offset just after this record: resuming there delivers the records that follow it.</summary>
    public long NextPosition => Position + RecordLayout.RecordSize(Payload.Length);

    /// <summary>The record's bytes, a zero-copy view valid while its reader is not disposed.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The record's bytes as a span, valid while its reader is not disposed.</summary>
    public ReadOnlySpan<byte> Span => Payload.Span;

    /// <summary>The payload's length in bytes.</summary>
    public int Length => Payload.Length;

    /// <summary>Copies the payload to a new array, which outlives the reader.</summary>
    public byte[] ToArray() => Payload.ToArray();

    /// <summary>
    /// Copies the record into a buffer rented from <paramref name="pool"/>: the copy outlives the reader and may
    /// go to any thread; dispose it to return the buffer.
    /// </summary>
    /// <param name="pool">Where the buffer comes from; <see cref="ArrayPool{T}.Shared"/> when null.</param>
    /// <exception cref="ObjectDisposedException">The record's reader was disposed.</exception>
    public OwnedRecord Copy(ArrayPool<byte>? pool = null) => new(this, pool ?? ArrayPool<byte>.Shared);

    /// <summary>Compares position and payload bytes; both records' readers must still be open.</summary>
    /// <param name="other">The record to compare with.</param>
    public bool Equals(Record other) => Position == other.Position && Payload.Span.SequenceEqual(other.Payload.Span);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Record other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Position, Payload.Length);

    /// <summary>Compares position and payload bytes.</summary>
    public static bool operator ==(Record left, Record right) => left.Equals(right);

    /// <summary>Compares position and payload bytes.</summary>
    public static bool operator !=(Record left, Record right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"Record at {Position}, {Payload.Length} bytes";

    /// <summary>The record a successful read returned.</summary>
    internal static Record From(in ReadResult result) => new(result.Position, result.Payload);
}
