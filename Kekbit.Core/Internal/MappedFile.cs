using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// A whole file mapped into memory, with a stable base pointer for its lifetime. Readers map read-only
/// (a stray write would fault rather than damage a channel); the writer maps read-write. On Linux (64-bit) the mapping
/// is made with mmap directly at a 2 MiB-aligned address (<see cref="MmapRegion"/>), so that the file's 2 MiB pages, where
/// it has them (<see cref="MapNewFile"/>), are mapped whole; elsewhere through the runtime's MemoryMappedFile.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private const int EInval = 22;
    private const int MadviseCollapse = 25;
    private const int MsSync = 4;

    // Set once MADV_POPULATE_READ was refused as unknown (Linux before 5.14), so later prefaults only advise.
    private static bool s_populateUnsupported;

    // Set once libc could not be called for MADV_COLLAPSE, so later files do not try again.
    private static bool s_collapseUnsupported;

    // The mapping's handle: the runtime's view handle, or an MmapRegion. The constructor takes a reference on it (released by
    // Dispose, or handed to the retired range by Retire), so the range is unmapped only by the one who holds that reference.
    private readonly SafeHandle _viewHandle;
    private readonly byte* _viewStart;
    private readonly nuint _viewLength;

    // What else the mapping holds: the runtime's MemoryMappedFile and view, or the file stream for an MmapRegion.
    private readonly IDisposable[] _owned;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;

    private MappedFile(SafeHandle viewHandle, byte* viewStart, nuint viewLength, long offsetInView, long length, MemoryMappedViewAccessor? view, params IDisposable[] owned)
    {
        _viewHandle = viewHandle;
        _viewStart = viewStart;
        _viewLength = viewLength;
        _view = view;
        _owned = owned;
        Length = length;
        bool added = false;
        viewHandle.DangerousAddRef(ref added);
        _base = viewStart + offsetInView;
    }

    /// <summary>Bytes mapped: the file's length when it was mapped.</summary>
    public long Length { get; }

    /// <summary>The first mapped byte. Valid until <see cref="Dispose"/>; page-aligned, so every 8-aligned offset is 8-aligned in memory.</summary>
    public byte* Base => _base;

    /// <summary>Whether the file's 2 MiB-aligned range is backed by 2 MiB pages and this mapping was checked (<see cref="MapNewFile"/>).</summary>
    public bool HasHugePages { get; private set; }

    /// <summary>Maps all <paramref name="length"/> bytes of <paramref name="file"/>; the mapping takes ownership of the stream.</summary>
    public static MappedFile Map(FileStream file, long length, bool writable)
    {
        if (MmapRegion.IsSupported)
        {
            try
            {
                MmapRegion region = MmapRegion.Map(file.SafeFileHandle, length, writable);
                // Safe: the region maps [handle, handle + Length) and holds it until the reference the constructor takes is released.
                return new MappedFile(region, (byte*)region.DangerousGetHandle(), region.Length, 0, length, view: null, file);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // No libc to call: the runtime's mapping below.
            }
        }

        MemoryMappedFileAccess access = writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read;
        MemoryMappedFile map = MemoryMappedFile.CreateFromFile(file, mapName: null, writable ? length : 0, access, HandleInheritability.None, leaveOpen: false);
        try
        {
            MemoryMappedViewAccessor view = map.CreateViewAccessor(0, length, access);
            Microsoft.Win32.SafeHandles.SafeMemoryMappedViewHandle handle = view.SafeMemoryMappedViewHandle;
            byte* pointer = null;
            handle.AcquirePointer(ref pointer);
            try
            {
                // The view may start before the requested offset (page alignment); PointerOffset corrects for that.
                return new MappedFile(handle, pointer, (nuint)handle.ByteLength, view.PointerOffset, length, view, view, map);
            }
            finally
            {
                // The constructor took its own reference; this one was only to read the pointer.
                handle.ReleasePointer();
            }
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps a file its creator has just made (zeros, preallocated, not yet seen by any reader) read-write, for its writer;
    /// with <paramref name="hugePages"/>, first asks the kernel to back it with 2 MiB pages and then checks the mapping (see
    /// the remarks). Takes ownership of the stream.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Huge pages: madvise MADV_COLLAPSE (Linux 6.1+). On a tmpfs such as <c>/dev/shm</c> the file's pages are replaced, in
    /// the page cache every process shares, by 2 MiB pages, whatever the system's transparent-huge-page setting short of
    /// <c>deny</c>. Every 2 MiB-aligned mapping of the file, in any process, then maps them whole: a reader takes one page
    /// fault and one TLB entry per 2 MiB instead of 512 (see <see cref="MmapRegion"/>). Best effort: an older kernel, a file
    /// system without huge pages, a denied setting or memory too fragmented leave the file as it was (the part of the file
    /// that does not fill a 2 MiB page always stays so); <see cref="HasHugePages"/> says which.
    /// </para>
    /// <para>
    /// The collapse runs through a mapping of its own, unmapped at once. On Linux 6.18, collapsing a file that a tmpfs
    /// mounted with huge pages had already backed with 2 MiB pages, through a mapping that had not touched them, left that
    /// mapping writing where no other mapping nor the file could see (measured: every later write lost). Mappings made
    /// after the collapse are the kernel's ordinary ones, and the one returned is checked on every 2 MiB page: a byte
    /// stored through it must read back from the file.
    /// </para>
    /// </remarks>
    /// <exception cref="IOException">The file could not be mapped, or the mapping and the file disagree after the collapse.</exception>
    public static MappedFile MapNewFile(FileStream file, long length, bool hugePages)
    {
        bool collapsed = hugePages && TryCollapse(file, length);
        MappedFile mapped = Map(file, length, writable: true);
        if (collapsed)
        {
            try
            {
                mapped.VerifyHugePages(file);
            }
            catch
            {
                mapped.Dispose();
                throw;
            }
        }

        return mapped;
    }

    /// <summary>MADV_COLLAPSE over the file's whole 2 MiB pages, through a mapping of its own; true if the kernel did it all.</summary>
    private static bool TryCollapse(FileStream file, long length)
    {
        if (!MmapRegion.IsSupported || s_collapseUnsupported || length < MmapRegion.HugePageSize)
        {
            return false;
        }

        nuint whole = (nuint)(length / MmapRegion.HugePageSize * MmapRegion.HugePageSize);
        try
        {
            using MmapRegion region = MmapRegion.Map(file.SafeFileHandle, length, writable: true);
            // Safe: [start, start + whole) lies inside the region; madvise changes which pages back it, never its contents.
            // A refusal (EINVAL: a kernel before 6.1 or a file system without huge pages; ENOMEM, EAGAIN: no free 2 MiB pages)
            // is not remembered: the next file may lie on a file system that has them.
            return Libc.Madvise(region.DangerousGetHandle(), whole, MadviseCollapse) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_collapseUnsupported = true;
            return false;
        }
        catch (IOException)
        {
            // The temporary mapping could not be made: no huge pages, and the mapping for use will report its own failure.
            return false;
        }
    }

    /// <summary>
    /// Checks that this (writable, new, all-zero) mapping and <paramref name="file"/> agree on every 2 MiB page, storing a
    /// byte through the mapping, reading it back from the file, and storing the zero back; then <see cref="HasHugePages"/>
    /// is true. A channel must never publish records no one can read.
    /// </summary>
    /// <exception cref="IOException">The mapping and the file disagree, or the file could not be read.</exception>
    private void VerifyHugePages(FileStream file)
    {
        byte* start = _base;
        Span<byte> back = stackalloc byte[1];
        for (long offset = 0; offset + MmapRegion.HugePageSize <= Length; offset += MmapRegion.HugePageSize)
        {
            // Safe: offset < Length, inside the mapping; the file is new and unread (its creator holds its creation lock).
            Volatile.Write(ref start[offset], (byte)1);
            int read = RandomAccess.Read(file.SafeFileHandle, back, offset);
            Volatile.Write(ref start[offset], (byte)0);
            if (read != 1 || back[0] != 1)
            {
                throw new IOException($"the kernel's mapping of the channel file does not reach the file at byte {offset} after backing it with 2 MiB pages; create the channel with ShmWriterOptions.HugePages = false");
            }
        }

        HasHugePages = true;
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
    /// <exception cref="IOException">The pages could not be written.</exception>
    public void Flush()
    {
        if (_view is not null)
        {
            _view.Flush();
            return;
        }

        // Safe: the range is this mapping's, held until Dispose (the caller does not flush a disposed mapping).
        if (Libc.Msync((nint)_viewStart, _viewLength, MsSync) != 0)
        {
            throw new IOException($"msync could not write the channel's pages to its file (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>
    /// Releases the file (its descriptor and pages) but not the address range: for a reader, whose payload
    /// spans may still be read by other threads. The range then reads as zeros (or, where that is impossible,
    /// keeps the file's bytes) until the returned handle is finalized; see <see cref="RetiredMapping"/>.
    /// </summary>
    public RetiredMapping Retire()
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        _base = null;
        // The reference taken in the constructor passes to the retired mapping, so disposing the handle below only marks
        // it closed: nothing unmaps the range while that reference is held.
        RetiredMapping retired = RetiredMapping.Retire(_viewStart, _viewLength, _viewHandle);
        _viewHandle.Dispose();
        DisposeOwned();
        return retired;
    }

    public void Dispose()
    {
        if (_base == null)
        {
            return;
        }

        _base = null;
        _viewHandle.DangerousRelease();
        _viewHandle.Dispose();
        DisposeOwned();
    }

    private void DisposeOwned()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }
}
