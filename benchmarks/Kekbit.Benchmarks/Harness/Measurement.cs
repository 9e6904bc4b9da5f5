using System.Diagnostics;

namespace Kekbit.Benchmarks.Harness;

/// <summary>One measured run: records moved, payload bytes, and the time they took.</summary>
internal readonly record struct Measurement(string Workload, int PayloadSize, string Implementation, long Records, TimeSpan Elapsed, long AllocatedBytes = 0)
{
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

    public double MegabytesPerSecond => Records * (double)PayloadSize / Elapsed.TotalSeconds / 1e6;

    /// <summary>Runs <paramref name="body"/> on this thread, timing it and counting what it allocates.</summary>
    public static Measurement Time(string workload, int payloadSize, string implementation, long records, Action body)
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        body();
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        return new Measurement(workload, payloadSize, implementation, records, elapsed, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
    }
}
