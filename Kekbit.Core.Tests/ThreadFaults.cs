using System.Runtime.InteropServices;

namespace Kekbit.Core.Tests;

/// <summary>Page faults of the calling thread (Linux), to tell whether a read had to map pages.</summary>
internal static partial class ThreadFaults
{
    /// <summary>ru_minflt of getrusage(RUSAGE_THREAD): page faults this thread took without I/O.</summary>
    public static unsafe long Minor()
    {
        // struct rusage on 64-bit Linux: two timevals (32 bytes), then 14 longs; ru_minflt is the fifth long.
        long* usage = stackalloc long[18];
        Assert.Equal(0, GetRusage(1, usage));
        return usage[4 + 4];
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static unsafe partial int GetRusage(int who, long* usage);
}
