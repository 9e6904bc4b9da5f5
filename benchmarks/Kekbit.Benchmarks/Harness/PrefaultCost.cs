using System.Diagnostics;
using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// What <see cref="ShmReader.Prefault()"/> costs and buys on a big channel: the time to open a reader with and without
/// it, and the time to read the whole channel after each, best of a few rounds. The numbers behind its being opt-in.
/// </summary>
internal static class PrefaultCost
{
    public static int Run(int megabytes, int payloadSize, int rounds)
    {
        using var scratch = new TempRoot("kekbit-prefault");
        MachineInfo machine = MachineInfo.Capture(scratch.Path);
        Console.WriteLine(machine.ToMarkdown());
        long capacity = Math.Min(Metadata.MaxCapacity, (long)megabytes << 20);
        long recordSize = RecordLayout.RecordSize(payloadSize);
        long records = (capacity / recordSize) - 2;
        byte[] payload = new byte[payloadSize];
        using (var writer = ShmWriter.Create(scratch.Path, Metadata.Create(1, 1, (int)capacity, payloadSize, 60_000, TickUnit.Millis), options: new ShmWriterOptions { PreTouch = true }))
        {
            for (long i = 0; i < records; i++)
            {
                writer.Write(payload);
            }
        }

        double bestOpen = double.MaxValue, bestFreshRead = double.MaxValue, bestOpenPrefault = double.MaxValue, bestPrefaultedRead = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            (double open, double read) = OpenAndRead(scratch.Path, records, prefault: false);
            bestOpen = Math.Min(bestOpen, open);
            bestFreshRead = Math.Min(bestFreshRead, read);
            (open, read) = OpenAndRead(scratch.Path, records, prefault: true);
            bestOpenPrefault = Math.Min(bestOpenPrefault, open);
            bestPrefaultedRead = Math.Min(bestPrefaultedRead, read);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{capacity >> 20} MiB channel, {records:N0} records of {payloadSize} B, best of {rounds}:"));
        Console.WriteLine("| reader | open | read all | open + read all | read rate |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Row("Open(), fresh mapping", bestOpen, bestFreshRead, records);
        Row("Open() + Prefault()", bestOpenPrefault, bestPrefaultedRead, records);
        return 0;
    }

    private static (double OpenMs, double ReadMs) OpenAndRead(string root, long records, bool prefault)
    {
        long start = Stopwatch.GetTimestamp();
        using ShmReader reader = ShmReader.Open(root, 1);
        if (prefault)
        {
            reader.Prefault();
        }

        double open = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        start = Stopwatch.GetTimestamp();
        long seen = 0;
        while (reader.TryRead().IsRecord)
        {
            seen++;
        }

        double read = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (seen != records)
        {
            throw new InvalidOperationException($"Expected {records} records, read {seen}.");
        }

        return (open, read);
    }

    private static void Row(string name, double open, double read, long records) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {open:F1} ms | {read:F1} ms | {open + read:F1} ms | {records / read / 1e3:F1} M records/s |"));
}
