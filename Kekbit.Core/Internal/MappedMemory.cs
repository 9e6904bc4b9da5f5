using System.Buffers;

namespace Kekbit.Core.Internal;

/// <summary>
/// Exposes a channel's data area as <see cref="Memory{T}"/> without copying, so records can travel
/// through APIs that need <see cref="ReadOnlyMemory{T}"/> (async code, Rx). After <see cref="Invalidate"/>
/// (when the mapping is released) every span request throws <see cref="ObjectDisposedException"/>
/// instead of touching unmapped memory.
/// </summary>
internal sealed unsafe class MappedMemory : MemoryManager<byte>
{
    private readonly byte* _start;
    private readonly int _length;
    private volatile bool _invalid;

    public MappedMemory(byte* start, int length)
    {
        _start = start;
        _length = length;
    }

    /// <summary>A slice of the data area. Allocation-free.</summary>
    public Memory<byte> Slice(int start, int length) => CreateMemory(start, length);

    /// <summary>Marks the memory as released; later span requests throw.</summary>
    public void Invalidate() => _invalid = true;

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_invalid, this);
        // Safe: the mapping covers [_start, _start + _length) until Invalidate is called, and the owner
        // calls Invalidate before it unmaps.
        return new Span<byte>(_start, _length);
    }

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
