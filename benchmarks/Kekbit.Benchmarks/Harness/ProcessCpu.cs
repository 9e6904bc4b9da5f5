using System.Diagnostics;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// The CPU time this process has used, user and system, to the microsecond: getrusage(RUSAGE_SELF) on Linux (the
/// kernel's precise runtime of every thread, ended ones included). Process.TotalProcessorTime reads /proc/self/stat,
/// which counts in 10 ms ticks: too coarse for an idle process measured over seconds. Elsewhere it falls back to it.
/// </summary>
internal static class ProcessCpu
{
    /// <summary>The CPU time used so far by the whole process.</summary>
    public static TimeSpan Used()
    {
        if (ThreadUsage.Process() is { } usage)
        {
            return usage.Cpu;
        }

        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
