using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// Exposes a channel's data area as <see cref="Memory{T}"/> without copying, so records can travel
/// through APIs that need <see cref="ReadOnlyMemory{T}"/> (async code, Rx). After <see cref="Invalidate"/>
/// (when the mapping is released) every span request throws <see cref="ObjectDisposedException"/>
/// instead of touching unmapped memory.
/// </summary>
/// <remarks>
/// The disposed check and the use of the span it returns are not atomic: a span handed out just before
/// <see cref="Invalidate"/> may be read after it. Readers therefore retire their mapping rather than unmapping
/// it, and this object references it (<see cref="SharedMapping"/>, which holds the retired range): the range stays
/// readable (the file's bytes while any reader maps it, zeros after) for as long as this object, which every payload's
/// Memory references, is reachable.
/// </remarks>
internal sealed unsafe class MappedMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    private volatile bool _invalid;

    // Held only to keep the range mapped (and, once retired, its zero placeholder) while any Memory over this manager is
    // reachable: the shared mapping references the retired range (SharedMapping.Retired).
    private readonly SharedMapping? _mapping;

    public MappedMemory(byte* start, int length, SharedMapping? mapping = null)
    {
        _start = start;
        _length = length;
        _mapping = mapping;
    }

    /// <summary>A slice of the data area. Allocation-free.</summary>
    public Memory<byte> Slice(int start, int length) => CreateMemory(start, length);

    /// <summary>Marks the memory as released; later span requests throw.</summary>
    public void Invalidate() => _invalid = true;

    /// <summary>The retired range this memory points into, once every reader of the mapping was disposed.</summary>
    public RetiredMapping? Retired => _mapping?.Retired;

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_invalid, this);
        // Safe: the mapping covers [_start, _start + _length) until Invalidate is called, and the owner
        // calls Invalidate before it unmaps; a reader's owner never unmaps at all, it retires the range (see
        // RetiredMapping), so a dispose racing this check leaves the span reading zeros, not a hole.
        return new Span<byte>(_start, _length);
    }

    /// <summary>
    /// The span of [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>), as <c>Memory.Span</c> of a
    /// slice of this manager would give it, without the virtual <see cref="GetSpan"/> call: <see cref="ReadResult.Span"/>'s fast path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> GetReadOnlySpan(int start, int length)
    {
        ObjectDisposedException.ThrowIf(_invalid, this);
        if ((ulong)(uint)start + (uint)length > (uint)_length)
        {
            ThrowOutOfRange();
        }

        // Safe: the range lies inside [_start, _start + _length) (checked above), which stays readable as GetSpan argues.
        return new ReadOnlySpan<byte>(_start + start, length);
    }

    [DoesNotReturn]
    private static void ThrowOutOfRange() => throw new ArgumentOutOfRangeException("start", "the slice lies outside the mapped data area");

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_invalid, this);
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        // Mapped memory never moves: pinning is a no-op.
        return new MemoryHandle(_start + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing) => Invalidate();
}
