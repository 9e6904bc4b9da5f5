using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// The CPU time this process has used, user and system, to the microsecond: getrusage(RUSAGE_SELF) on Linux (the
/// kernel's precise runtime of every thread, ended ones included). Process.TotalProcessorTime reads /proc/self/stat,
/// which counts in 10 ms ticks: too coarse for an idle process measured over seconds. Elsewhere it falls back to it.
/// </summary>
internal static partial class ProcessCpu
{
    private const int RusageSelf = 0;

    /// <summary>The CPU time used so far by the whole process.</summary>
    public static unsafe TimeSpan Used()
    {
        if (OperatingSystem.IsLinux())
        {
            // struct rusage: two struct timevals (seconds, microseconds as longs), then 14 longs.
            long* usage = stackalloc long[18];
            if (GetRusage(RusageSelf, usage) == 0)
            {
                long micros = (usage[0] + usage[2]) * 1_000_000 + usage[1] + usage[3];
                return TimeSpan.FromTicks(micros * 10);
            }
        }

        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static unsafe partial int GetRusage(int who, long* usage);
}
