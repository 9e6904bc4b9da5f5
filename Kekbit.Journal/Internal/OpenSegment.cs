using System.Buffers.Binary;
using Kekbit.Core;
using Microsoft.Win32.SafeHandles;

namespace Kekbit.Journal.Internal;

/// <summary>
/// A segment the journal writer created: its channel writer, a write handle on its file for storing CLOSE at a roll
/// without waiting for the flush and unmapping, the handler that stamps its records (if any) and its sparse index
/// (<see cref="SegmentIndex"/>; null when the journal keeps none or it could not be created).
/// </summary>
internal sealed class OpenSegment(ShmWriter writer, SafeFileHandle closer, SwitchableHandler? stamper, SafeFileHandle? index) : IDisposable
{
    private SafeFileHandle? _index = index;
    private long _indexEntries;

    public ShmWriter Writer { get; } = writer;

    public SwitchableHandler? Stamper { get; } = stamper;

    /// <summary>
    /// Stores CLOSE right after the last record through the file (a pwrite into the page cache every mapping shares), so
    /// readers move on at once; the channel writer's own close (<see cref="Dispose"/>, on a background thread) stores the
    /// same value at the same place, then flushes and unmaps. Called on the writing thread once it writes no more here.
    /// </summary>
    public void StoreClose()
    {
        Span<byte> close = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(close, ulong.MaxValue);
        RandomAccess.Write(closer, close, Segments.DataOffset + Writer.WriteOffset);
    }

    /// <summary>
    /// Appends an index entry for the record just published (one <c>pwrite</c> into the page cache; the entry follows the
    /// record, so the index never leads the segment). A failure (a full disk) stops this segment's index where it is:
    /// readers walk from its last entry. Called on the writing thread.
    /// </summary>
    public void AppendIndex(Guid journalId, long segment, long sequence, long offset)
    {
        if (_index is not { } index)
        {
            return;
        }

        Span<byte> entry = stackalloc byte[SegmentIndex.EntryLength];
        SegmentIndex.Encode(entry, journalId, segment, sequence, offset);
        try
        {
            RandomAccess.Write(index, entry, _indexEntries * SegmentIndex.EntryLength);
            _indexEntries++;
        }
        catch (IOException)
        {
            _index = null;
            index.Dispose();
        }
    }

    public void Dispose()
    {
        try
        {
            Writer.Dispose();
        }
        finally
        {
            closer.Dispose();
            _index?.Dispose();
        }
    }
}
