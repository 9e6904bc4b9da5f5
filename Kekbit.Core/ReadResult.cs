using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kekbit.Core.Internal;

namespace Kekbit.Core;

/// <summary>
/// The outcome of one read: a record (<see cref="Status"/> is <see cref="ReadStatus.Record"/>) or the reason there is none.
/// </summary>
/// <remarks>
/// A record's <see cref="Payload"/> is a zero-copy view of the mapped channel file. Records are never
/// overwritten, so the bytes stay valid and unchanged for as long as the reader that produced them is
/// not disposed; after that, <see cref="Payload"/>'s <c>Span</c> throws <see cref="ObjectDisposedException"/>.
/// A span taken before disposal no longer shows the record after it (it reads zeros on Linux and macOS), but
/// reading it is never a crash (see <see cref="ShmReader.Dispose"/>). Call <see cref="ToArray"/> to keep a copy.
/// </remarks>
public readonly struct ReadResult : IEquatable<ReadResult>
{
    private ReadResult(ReadStatus status, long position, ReadOnlyMemory<byte> payload, ReadFailure failure)
    {
        Status = status;
        Position = position;
        Payload = payload;
        Failure = failure;
    }

    /// <summary>What the read found.</summary>
    public ReadStatus Status { get; }

    /// <summary>
    /// For a record, the data-area offset where it starts (a valid position to resume from);
    /// otherwise the reader's position when the read ended.
    /// </summary>
    public long Position { get; }

    /// <summary>The record's payload (empty unless <see cref="Status"/> is <see cref="ReadStatus.Record"/>).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The payload as a span, valid while the reader is not disposed.</summary>
    /// <remarks>The same span as <c>Payload.Span</c>, and the same <see cref="ObjectDisposedException"/> after the reader is disposed, but cheaper for a <see cref="ShmReader"/>'s record: one type test and one disposed flag, with no virtual call.</remarks>
    public ReadOnlySpan<byte> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => MemoryMarshal.TryGetMemoryManager(Payload, out MappedMemory? mapped, out int start, out int length)
            ? mapped.GetReadOnlySpan(start, length)
            : Payload.Span;
    }

    /// <summary>Why the read failed, when <see cref="Status"/> is <see cref="ReadStatus.Failed"/>; otherwise <see cref="ReadFailure.None"/>.</summary>
    public ReadFailure Failure { get; }

    /// <summary>Whether this is a record.</summary>
    public bool IsRecord => Status == ReadStatus.Record;

    /// <summary>Whether the reader is exhausted: closed, timed out or failed. No record will ever follow.</summary>
    public bool IsFinal => Status is ReadStatus.Closed or ReadStatus.Timeout or ReadStatus.Failed;

    /// <summary>A record at <paramref name="position"/>.</summary>
    public static ReadResult Record(long position, ReadOnlyMemory<byte> payload) => new(ReadStatus.Record, position, payload, ReadFailure.None);

    /// <summary>A result without a record.</summary>
    /// <param name="status">Any status but <see cref="ReadStatus.Record"/>.</param>
    /// <param name="position">The reader's position.</param>
    /// <param name="failure">The failure, for <see cref="ReadStatus.Failed"/>.</param>
    public static ReadResult NoRecord(ReadStatus status, long position, ReadFailure failure = ReadFailure.None) => new(status, position, default, failure);

    /// <summary>Copies the payload to a new array, which outlives the reader.</summary>
    public byte[] ToArray() => Payload.ToArray();

    /// <inheritdoc/>
    public bool Equals(ReadResult other) =>
        Status == other.Status && Position == other.Position && Failure == other.Failure && Payload.Span.SequenceEqual(other.Payload.Span);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ReadResult other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Status, Position, Failure, Payload.Length);

    /// <summary>Compares two results by status, position, failure and payload bytes.</summary>
    public static bool operator ==(ReadResult left, ReadResult right) => left.Equals(right);

    /// <summary>Compares two results by status, position, failure and payload bytes.</summary>
    public static bool operator !=(ReadResult left, ReadResult right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => Status switch
    {
        ReadStatus.Record => $"Record at {Position}, {Payload.Length} bytes",
        ReadStatus.Failed => $"Failed at {Position}: {Failure}",
        _ => $"{Status} at {Position}",
    };
}
