using System.Runtime.InteropServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// The libc calls made on mappings: mmap and munmap to map a file at an aligned address (<see cref="MmapRegion"/>) and to
/// retire a mapping without leaving a hole in the address space (see <see cref="RetiredMapping"/>; only called where
/// <see cref="SupportsZeroPlaceholder"/> is true), msync to flush it, madvise to prefault it (<see cref="MappedFile.Prefault"/>)
/// or back it with huge pages (<see cref="MappedFile.MapNewFile"/>), and statx to tell which file it maps
/// (<see cref="SharedMapping"/>).
/// </summary>
internal static partial class Libc
{
    public const int ProtNone = 0x0;
    public const int ProtRead = 0x1;
    public const int ProtWrite = 0x2;
    public const int MapShared = 0x01;
    public const int MapPrivate = 0x02;
    public const int MapFixed = 0x10;

    /// <summary>MAP_NORESERVE (Linux): no swap reserved, for an address-space reservation that is never touched.</summary>
    public const int MapNoReserve = 0x4000;

    /// <summary>Whether this platform's mmap can atomically replace a mapping with anonymous zero pages.</summary>
    public static bool SupportsZeroPlaceholder => (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()) && Environment.Is64BitProcess;

    /// <summary>MAP_ANONYMOUS, whose value differs between Linux and the BSDs (macOS included).</summary>
    public static int MapAnonymous => OperatingSystem.IsLinux() ? 0x20 : 0x1000;

    /// <summary>MADV_WILLNEED (Linux, macOS and FreeBSD): read the range's pages ahead; maps nothing on Linux.</summary>
    public const int MadviseWillNeed = 3;

    /// <summary>MADV_POPULATE_READ (Linux 5.14+): fault in and map every page of the range now, as reads would; EINVAL before 5.14.</summary>
    public const int MadvisePopulateRead = 22;

    // "libc" is resolved by the runtime to the platform's C library (libc.so.6 on glibc, libc.dylib on macOS).
    // off_t is 64 bits on every 64-bit platform this is called on (SupportsZeroPlaceholder requires one).
    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "msync", SetLastError = true)]
    public static partial int Msync(nint address, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>AT_EMPTY_PATH: statx describes the descriptor itself.</summary>
    public const int AtEmptyPath = 0x1000;

    /// <summary>STATX_INO: the inode number is wanted (the device is always returned).</summary>
    public const uint StatxIno = 0x100;

    /// <summary>The size of struct statx, the same on every Linux architecture.</summary>
    public const int StatxSize = 256;

    /// <summary>Offsets in struct statx (fixed by the kernel ABI on every architecture): stx_ino, stx_dev_major, stx_dev_minor.</summary>
    public const int StatxInoOffset = 32, StatxDevMajorOffset = 136, StatxDevMinorOffset = 140;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int Statx(int directoryFd, string path, int flags, uint mask, byte* buffer);
}
