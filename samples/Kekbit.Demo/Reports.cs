namespace Kekbit.Demo;

/// <summary>What the writer reports when it is done.</summary>
internal sealed record WriterReport(long Records, ulong Checksum, double BurstSeconds, long BytesUsed);

/// <summary>What a reader reports when the channel has closed.</summary>
internal sealed record ReaderReport(
    string Role,
    string Pipeline,
    long Records,
    bool InOrder,
    ulong Checksum,
    string FirstText,
    string LastText,
    double BurstSeconds,
    double LatencyP50Microseconds,
    double LatencyP99Microseconds,
    double LatencyMaxMicroseconds,
    string End);
