using System.Globalization;
using Kekbit.Benchmarks.Peers;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>FasterLog under several memory and page sizes, so the harness can use its fastest: enqueue, enqueue with group commits, scan.</summary>
internal static class FasterLogSettingsProbe
{
    public static int Run(int payloadSize, long records)
    {
        using var scratch = new TempRoot("kekbit-fasterlog");
        Console.WriteLine(MachineInfo.Capture(scratch.Path).ToMarkdown());
        byte[] payload = new byte[payloadSize];
        Console.WriteLine("| MemorySizeBits | PageSizeBits | pass | TryEnqueue, no commit | + Commit every 5 ms | Scan |");
        Console.WriteLine("|---:|---:|---|---:|---:|---:|");
        foreach ((int memory, int page) in new[] { (23, 22), (26, 25), (29, 22), (30, 25) })
        {
            using var faster = new FasterLogPeer(scratch.Path, memory, page);
            for (int pass = 0; pass < 2; pass++)
            {
                Measurement enqueue = Measurement.Time("w", payloadSize, "", records, () => faster.EnqueueAll(payload, records));
                faster.Commit();
                long from = faster.TailAddress;
                Measurement committing = Measurement.Time("w", payloadSize, "", records, () => faster.EnqueueAllCommitting(payload, records));
                Measurement scan = Measurement.Time("r", payloadSize, "", records, () => faster.Scan(from));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {memory} | {page} | {pass} | {enqueue.RecordsPerSecond / 1e6:F2} M/s | {committing.RecordsPerSecond / 1e6:F2} M/s | {scan.RecordsPerSecond / 1e6:F2} M/s |"));
            }
        }

        return 0;
    }
}
