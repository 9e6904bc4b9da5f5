using System.Buffers.Binary;
using Kekbit.Core;
using Microsoft.Win32.SafeHandles;

namespace Kekbit.Journal.Internal;

/// <summary>
/// A segment the journal writer created: its channel writer, a write handle on its file for storing CLOSE at a roll
/// without waiting for the flush and unmapping, and the handler that stamps its records (if any).
/// </summary>
internal sealed class OpenSegment(ShmWriter writer, SafeFileHandle closer, SwitchableHandler? stamper) : IDisposable
{
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

    public void Dispose()
    {
        try
        {
            Writer.Dispose();
        }
        finally
        {
            closer.Dispose();
        }
    }
}
