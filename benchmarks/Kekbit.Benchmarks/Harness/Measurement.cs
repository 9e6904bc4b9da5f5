namespace Kekbit.Benchmarks.Harness;

/// <summary>One measured run: records moved, payload bytes, and the time they took.</summary>
internal readonly record struct Measurement(string Workload, int PayloadSize, string Implementation, long Records, TimeSpan Elapsed, long AllocatedBytes = 0)
{
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

    public double MegabytesPerSecond => Records * (double)PayloadSize / Elapsed.TotalSeconds / 1e6;
}
