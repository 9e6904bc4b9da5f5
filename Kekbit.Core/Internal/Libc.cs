using System.Runtime.InteropServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// The two libc calls a reader needs to retire its mapping without leaving a hole in the address space
/// (see <see cref="RetiredMapping"/>). Only called where <see cref="SupportsZeroPlaceholder"/> is true.
/// </summary>
internal static partial class Libc
{
    public const int ProtRead = 0x1;
    public const int MapPrivate = 0x02;
    public const int MapFixed = 0x10;

    /// <summary>Whether this platform's mmap can atomically replace a mapping with anonymous zero pages.</summary>
    public static bool SupportsZeroPlaceholder => (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()) && Environment.Is64BitProcess;

    /// <summary>MAP_ANONYMOUS, whose value differs between Linux and the BSDs (macOS included).</summary>
    public static int MapAnonymous => OperatingSystem.IsLinux() ? 0x20 : 0x1000;

    // "libc" is resolved by the runtime to the platform's C library (libc.so.6 on glibc, libc.dylib on macOS).
    // off_t is 64 bits on every 64-bit platform this is called on (SupportsZeroPlaceholder requires one).
    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);
}
