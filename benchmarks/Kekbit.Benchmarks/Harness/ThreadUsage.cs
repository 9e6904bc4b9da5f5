using System.Runtime.InteropServices;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// What the calling thread has used so far (getrusage RUSAGE_THREAD, Linux): CPU time, user and system, and minor page
/// faults. CPU time is what a run cost this thread however busy the machine was (2 shared cores: wall time is noisy);
/// minor faults count the pages a fresh mapping had to map.
/// </summary>
internal readonly partial record struct ThreadUsage(TimeSpan User, TimeSpan System, long MinorFaults)
{
    public TimeSpan Cpu => User + System;

    private const int RusageSelf = 0;
    private const int RusageThread = 1;

    /// <summary>The calling thread's usage so far.</summary>
    public static ThreadUsage Now() => Read(RusageThread) ?? default;

    /// <summary>The whole process's usage so far (every thread, ended ones included); null where getrusage is not available.</summary>
    public static ThreadUsage? Process() => Read(RusageSelf);

    private static ThreadUsage? Read(int who)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // struct rusage on 64-bit Linux: ru_utime and ru_stime (two timevals of two longs), then 14 longs; ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, then ru_minflt.
        Span<long> usage = stackalloc long[18];
        unsafe
        {
            fixed (long* pointer = usage)
            {
                if (GetRusage(who, pointer) != 0)
                {
                    return null;
                }
            }
        }

        return new ThreadUsage(Micros(usage[0], usage[1]), Micros(usage[2], usage[3]), usage[8]);
    }

    public static ThreadUsage operator -(ThreadUsage after, ThreadUsage before) =>
        new(after.User - before.User, after.System - before.System, after.MinorFaults - before.MinorFaults);

    private static TimeSpan Micros(long seconds, long micros) => TimeSpan.FromSeconds(seconds) + TimeSpan.FromMicroseconds(micros);

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static unsafe partial int GetRusage(int who, long* usage);
}
