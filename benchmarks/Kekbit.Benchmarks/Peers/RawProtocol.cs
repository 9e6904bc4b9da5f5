using System.Runtime.CompilerServices;
using Kekbit.Core;
using Kekbit.Core.Internal;

namespace Kekbit.Benchmarks.Peers;

/// <summary>
/// The protocol limit: the same record layout and memory ordering as a Kekbit channel (length slot,
/// payload, padding to 8, WATERMARK in the next slot, length stored with release), in a mapped file on
/// /dev/shm, with nothing else: no checks, no handlers, no space accounting. The file is mapped as Kekbit maps channels
/// (<see cref="MappedFile"/>: at a 2 MiB-aligned address on Linux) and, like a channel with
/// <see cref="ShmWriterOptions.HugePages"/>, backed by 2 MiB pages where the kernel gives them, so the limit is measured on
/// the same memory.
/// </summary>
internal sealed unsafe class RawProtocol : IDisposable
{
    private const ulong Watermark = 0xFFFF_FFFF_1111_1111;
    private readonly string _file;
    private readonly bool _owner;
    private readonly MappedFile _mapping;
    private readonly byte* _data;
    private long _writeOffset;
    private long _readOffset;

    /// <summary>Creates and maps a file for <paramref name="capacity"/> bytes of records; optionally touches every page first.</summary>
    public RawProtocol(string folder, long capacity, bool preTouch = false)
    {
        _file = Path.Combine(folder, $"raw-{Guid.NewGuid():N}.bin");
        _owner = true;
        var stream = new FileStream(_file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, PreallocationSize = capacity + 64, Share = FileShare.ReadWrite });
        stream.SetLength(capacity + 64);
        _mapping = MappedFile.MapNewFile(stream, capacity + 64, hugePages: true);
        _data = _mapping.Base;
        if (preTouch)
        {
            for (long offset = 0; offset < capacity; offset += Environment.SystemPageSize)
            {
                _data[offset] = 0;
            }
        }

        Volatile.Write(ref *(ulong*)_data, Watermark);
    }

    private RawProtocol(string file)
    {
        _file = file;
        _mapping = Map(file);
        _data = _mapping.Base;
    }

    /// <summary>A second, independent mapping of the same file, as a reader in another thread or process has.</summary>
    public RawProtocol OpenReader() => new(_file);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(ReadOnlySpan<byte> payload)
    {
        byte* slot = _data + _writeOffset;
        payload.CopyTo(new Span<byte>(slot + 8, payload.Length));
        long size = RecordLayout.RecordSize(payload.Length);
        Volatile.Write(ref *(ulong*)(slot + size), Watermark);
        Volatile.Write(ref *(ulong*)slot, (ulong)payload.Length);
        _writeOffset += size;
    }

    /// <summary>Reads the next record's length, or -1 when none is published yet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TryRead(out ReadOnlySpan<byte> payload)
    {
        byte* slot = _data + _readOffset;
        ulong length = Volatile.Read(ref *(ulong*)slot);
        if (length == Watermark)
        {
            payload = default;
            return -1;
        }

        payload = new ReadOnlySpan<byte>(slot + 8, (int)length);
        _readOffset += RecordLayout.RecordSize((long)length);
        return (int)length;
    }

    /// <summary>
    /// Maps every page of the file into this mapping now (madvise MADV_POPULATE_READ), as <see cref="ShmReader.Prefault()"/>
    /// does for a Kekbit reader: the read limit without page faults. False where the kernel cannot.
    /// </summary>
    public bool Populate() => _mapping.Prefault(0, _mapping.Length);

    /// <summary>Moves the reading position back to the first record.</summary>
    public void Rewind() => _readOffset = 0;

    public void Dispose()
    {
        _mapping.Dispose();
        if (_owner)
        {
            File.Delete(_file);
        }
    }

    private static MappedFile Map(string file)
    {
        var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        return MappedFile.Map(stream, stream.Length, writable: true);
    }
}
