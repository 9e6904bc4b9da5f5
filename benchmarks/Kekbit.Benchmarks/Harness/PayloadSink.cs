namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// What every throughput reader does with a record: reads its whole payload (a vectorised count of one byte value), so
/// a read costs what a consumer that looks at its data pays, and MB/s means bytes that reached the CPU.
/// </summary>
internal static class PayloadSink
{
    private static long s_sink;

    /// <summary>Reads every byte of <paramref name="payload"/>.</summary>
    public static long Consume(ReadOnlySpan<byte> payload) => payload.Count((byte)0xA5);

    /// <summary>Keeps a reader's running total alive, so the JIT cannot drop the reads that made it.</summary>
    public static void Keep(long total) => Interlocked.Add(ref s_sink, total);
}
