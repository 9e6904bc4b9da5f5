using System.IO.MemoryMappedFiles;

namespace Kekbit.Core.Internal;

/// <summary>
/// A reader's read-write mapping of a channel's header, through which it registers as waiting and sleeps on the
/// wake sequence (the reader's main mapping is read-only, so a stray write can never touch the records). The view's
/// handle is reference-counted: a waiting thread holds a reference across its futex wait (<see cref="TryEnter"/>),
/// so <see cref="Dispose()"/> on another thread never unmaps the words under it; the unmap happens when the last
/// reference goes.
/// </summary>
internal sealed unsafe class DoorbellView : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private int _disposed;

    private DoorbellView(MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        _map = map;
        _view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
    }

    /// <summary>The wake sequence, the futex word the writer bumps before it wakes sleepers.</summary>
    public uint* WakeSequence => (uint*)(_base + ChannelFormat.WakeSequenceOffset);

    /// <summary>The waiters flag: a reader stores 1 before it sleeps; the writer clears it when it rings.</summary>
    public uint* Waiters => (uint*)(_base + ChannelFormat.WaitersOffset);

    /// <summary>
    /// Maps the header of <paramref name="channelFile"/> read-write if it carries the doorbell mark and belongs to
    /// <paramref name="channelId"/>; null otherwise, or when this process may not write the file (a reader without
    /// write permission polls, as for a channel without a doorbell).
    /// </summary>
    public static DoorbellView? TryOpen(string channelFile, ulong channelId)
    {
        if (!Futex.IsSupported)
        {
            return null;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(channelFile, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        MemoryMappedFile? map = null;
        try
        {
            if (stream.Length < ChannelFormat.DataOffset)
            {
                stream.Dispose();
                return null;
            }

            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            MemoryMappedViewAccessor view = map.CreateViewAccessor(0, ChannelFormat.DataOffset, MemoryMappedFileAccess.ReadWrite);
            var doorbell = new DoorbellView(map, view);
            // The file at the path could have been replaced since the reader opened it: the mark must be there and
            // the channel id must be the reader's. Safe: the view holds the 1024-byte header.
            if (Volatile.Read(ref *(ulong*)(doorbell._base + ChannelFormat.DoorbellOffset)) != ChannelFormat.DoorbellMark
                || *(uint*)(doorbell._base + ChannelFormat.DoorbellVersionOffset) != ChannelFormat.DoorbellVersion
                || *(ulong*)(doorbell._base + ChannelFormat.ChannelIdOffset) != channelId)
            {
                doorbell.Dispose(wake: false);
                return null;
            }

            return doorbell;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (map is null)
            {
                stream.Dispose();
            }
            else
            {
                map.Dispose();
            }

            return null;
        }
    }

    /// <summary>Takes a reference on the mapping for a wait; false once disposed. Pair with <see cref="Exit"/>.</summary>
    public bool TryEnter()
    {
        bool added = false;
        try
        {
            _view.SafeMemoryMappedViewHandle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        return added;
    }

    /// <summary>Releases the reference <see cref="TryEnter"/> took; the last one out unmaps a disposed view.</summary>
    public void Exit() => _view.SafeMemoryMappedViewHandle.DangerousRelease();

    /// <summary>Wakes this process's threads sleeping on the doorbell (so a reader's waiting thread sees the dispose at once) and releases the mapping.</summary>
    public void Dispose() => Dispose(wake: true);

    private void Dispose(bool wake)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (wake)
        {
            // A spurious wake-up for other readers of the channel (they re-check and sleep again). Safe: still mapped.
            Futex.WakeAll(WakeSequence);
        }

        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
