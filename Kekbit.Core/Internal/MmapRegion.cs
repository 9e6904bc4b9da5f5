using System.Runtime.InteropServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// A shared file mapping made with mmap directly (Linux, 64-bit) at an address aligned to 2 MiB, released (munmap) when
/// the handle is. The runtime's MemoryMappedFile lets the kernel choose the address, which on a tmpfs mounted without huge
/// pages (<c>/dev/shm</c>) is only 4 KiB-aligned; a 2 MiB page of the file can then be mapped by 4 KiB entries only. At an
/// aligned address, every 2 MiB page the file has (see <see cref="MappedFile.MapNewFile"/>) is mapped by one entry:
/// one page fault and one TLB entry instead of 512.
/// </summary>
internal sealed class MmapRegion : SafeHandle
{
    /// <summary>The alignment asked for: the size of a huge page on x86-64 and (4 KiB granule) arm64.</summary>
    public const long HugePageSize = 2 << 20;

    private readonly nuint _length;

    private MmapRegion(nint address, nuint length)
        : base(invalidHandleValue: 0, ownsHandle: true)
    {
        _length = length;
        SetHandle(address);
    }

    /// <summary>Whether this platform maps through this type: Linux, 64-bit (off_t and the flags' values are known there).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    public override bool IsInvalid => handle == 0;

    /// <summary>The mapped length, rounded up to whole pages (what munmap releases).</summary>
    public nuint Length => _length;

    /// <summary>
    /// Maps the first <paramref name="length"/> bytes of <paramref name="file"/>, shared, read-only or read-write, at a
    /// 2 MiB-aligned address: reserves <paramref name="length"/> + 2 MiB of address space, maps the file over the aligned
    /// part (MAP_FIXED replaces the reservation there), and gives the rest back. The mapping does not keep the handle.
    /// </summary>
    /// <exception cref="IOException">mmap failed (its errno is in the message).</exception>
    public static MmapRegion Map(Microsoft.Win32.SafeHandles.SafeFileHandle file, long length, bool writable)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return Map((int)file.DangerousGetHandle(), length, writable);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    private static MmapRegion Map(int fd, long length, bool writable)
    {
        long page = Environment.SystemPageSize;
        nuint mapped = (nuint)((length + page - 1) / page * page);
        nuint reserved = mapped + (nuint)HugePageSize;
        nint reservation = Libc.Mmap(0, reserved, Libc.ProtNone, Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve, -1, 0);
        if (reservation == -1)
        {
            throw Failure("reserve address space for", length);
        }

        nint aligned = (nint)(((long)reservation + HugePageSize - 1) & ~(HugePageSize - 1));
        int protection = Libc.ProtRead | (writable ? Libc.ProtWrite : 0);
        // Safe: [aligned, aligned + mapped) lies inside the reservation this call owns, so MAP_FIXED replaces nothing else.
        if (Libc.Mmap(aligned, mapped, protection, Libc.MapShared | Libc.MapFixed, fd, 0) != aligned)
        {
            IOException failure = Failure("map", length);
            _ = Libc.Munmap(reservation, reserved);
            throw failure;
        }

        // Give back the reservation's slack before and after the mapping (both inside the reservation: never someone else's).
        if (aligned > reservation)
        {
            _ = Libc.Munmap(reservation, (nuint)(aligned - reservation));
        }

        nint end = aligned + (nint)mapped;
        nint reservationEnd = reservation + (nint)reserved;
        if (reservationEnd > end)
        {
            _ = Libc.Munmap(end, (nuint)(reservationEnd - end));
        }

        return new MmapRegion(aligned, mapped);
    }

    protected override bool ReleaseHandle() => Libc.Munmap(handle, _length) == 0;

    private static IOException Failure(string what, long length) =>
        new($"mmap could not {what} {length} bytes of the channel file (errno {Marshal.GetLastPInvokeError()}).");
}
