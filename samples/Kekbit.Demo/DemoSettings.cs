namespace Kekbit.Demo;

/// <summary>What the demo runs: a burst of records as fast as possible (throughput), then paced records (latency).</summary>
internal sealed record DemoSettings(int BurstRecords, int PacedRecords, int PacedBatch, TimeSpan PacedInterval)
{
    public static DemoSettings Default { get; } = new(BurstRecords: 200_000, PacedRecords: 1_000, PacedBatch: 20, PacedInterval: TimeSpan.FromMilliseconds(2));

    public int TotalRecords => BurstRecords + PacedRecords;

    /// <summary>How long the whole run may take before the conductor gives up.</summary>
    public static TimeSpan Deadline { get; } = TimeSpan.FromSeconds(60);
}
