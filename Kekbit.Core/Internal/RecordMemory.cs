using System.Buffers;

namespace Kekbit.Core.Internal;

/// <summary>
/// The memory behind <see cref="RecordBuffer.GetMemory"/>: indexes are relative to the start of the record being
/// written, and every span request checks that a write is running. A <see cref="Memory{T}"/> kept after its write
/// therefore throws instead of reaching a published record or a released mapping; used during a later write it
/// can only reach that later record's own, still unpublished, area.
/// </summary>
internal sealed unsafe class RecordMemory : MemoryManager<byte>
{
    private readonly RecordBuffer _record;

    public RecordMemory(RecordBuffer record) => _record = record;

    /// <summary>A slice of the current record's area. Allocation-free.</summary>
    public Memory<byte> Slice(int start, int length) => CreateMemory(start, length);

    public override Span<byte> GetSpan() => _record.RecordArea();

    // Mapped memory never moves: pinning only checks that the write is running. The pointer is valid until it returns.
    public override MemoryHandle Pin(int elementIndex = 0) => new(_record.RecordPointer(elementIndex));

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
