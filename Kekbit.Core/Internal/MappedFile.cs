using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// A whole file mapped into memory, with a stable base pointer for its lifetime. Readers map read-only
/// (a stray write would fault rather than damage a channel); the writer maps read-write.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private const int EInval = 22;

    // Set once MADV_POPULATE_READ was refused as unknown (Linux before 5.14), so later prefaults only advise.
    private static bool s_populateUnsupported;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private MappedFile(MemoryMappedFile map, MemoryMappedViewAccessor view, long length)
    {
        _map = map;
        _view = view;
        Length = length;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        // The view may start before the requested offset (page alignment); PointerOffset corrects for that.
        _base = pointer + view.PointerOffset;
    }

    /// <summary>Bytes mapped: the file's length when it was mapped.</summary>
    public long Length { get; }

    /// <summary>The first mapped byte. Valid until <see cref="Dispose"/>; page-aligned, so every 8-aligned offset is 8-aligned in memory.</summary>
    public byte* Base => _base;

    /// <summary>Maps all <paramref name="length"/> bytes of <paramref name="file"/>; the mapping takes ownership of the stream.</summary>
    public static MappedFile Map(FileStream file, long length, bool writable)
    {
        MemoryMappedFileAccess access = writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read;
        MemoryMappedFile map = MemoryMappedFile.CreateFromFile(file, mapName: null, writable ? length : 0, access, HandleInheritability.None, leaveOpen: false);
        try
        {
            MemoryMappedViewAccessor view = map.CreateViewAccessor(0, length, access);
            return new MappedFile(map, view, length);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps the pages of [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) into this
    /// process's page tables now (clamped to the mapping), so later reads of them take no page fault: madvise
    /// MADV_POPULATE_READ on Linux 5.14+, else MADV_WILLNEED (read-ahead only) where madvise exists, else nothing.
    /// Never touches the memory itself: a page the file no longer backs (it shrank) makes the call fail, not fault.
    /// </summary>
    /// <returns>True if the pages are now mapped; false if the platform could only be advised, or not at all.</returns>
    public bool Prefault(long offset, long length)
    {
        byte* start = _base;
        if (start == null || offset >= Length || length <= 0)
        {
            return false;
        }

        long page = Environment.SystemPageSize;
        long first = Math.Max(0, offset) / page * page;
        long end = length > Length - offset ? Length : offset + length;
        // Safe: [first, end) lies inside the mapping (first is rounded down to a page of it, end is clamped to its
        // length), and the base is page-aligned (the view starts at file offset 0). madvise only changes page tables.
        nint address = (nint)(start + first);
        nuint bytes = (nuint)(end - first);
        try
        {
            if (OperatingSystem.IsLinux() && !s_populateUnsupported)
            {
                if (Libc.Madvise(address, bytes, Libc.MadvisePopulateRead) == 0)
                {
                    return true;
                }

                // EINVAL: a kernel older than 5.14. Other errors (EFAULT past the file's end, ENOMEM) fall through to the advice.
                if (Marshal.GetLastPInvokeError() == EInval)
                {
                    s_populateUnsupported = true;
                }
            }

            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
            {
                _ = Libc.Madvise(address, bytes, Libc.MadviseWillNeed);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // An optimisation only: without madvise, pages fault in as they are read.
        }

        return false;
    }

    /// <summary>Writes modified pages back to the file (msync) and returns when they are there.</summary>
    public void Flush() => _view.Flush();

    /// <summary>
    /// Releases the file (its descriptor and pages) but not the address range: for a reader, whose payload
    /// spans may still be read by other threads. The range then reads as zeros (or, where that is impossible,
    /// keeps the file's bytes) until the returned handle is finalized; see <see cref="RetiredMapping"/>.
    /// </summary>
    public RetiredMapping Retire()
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        SafeHandle viewHandle = _view.SafeMemoryMappedViewHandle;
        byte* viewStart = _base - _view.PointerOffset;
        _base = null;
        // The pointer reference taken in the constructor passes to the retired mapping, so disposing the view
        // below only marks it closed: the runtime unmaps nothing while that reference is held.
        RetiredMapping retired = RetiredMapping.Retire(viewStart, (nuint)_view.SafeMemoryMappedViewHandle.ByteLength, viewHandle);
        _view.Dispose();
        _map.Dispose();
        return retired;
    }

    public void Dispose()
    {
        if (_base == null)
        {
            return;
        }

        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
