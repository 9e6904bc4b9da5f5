using System.Diagnostics;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// The journal's figures (issue 13): write and read throughput across rolls against one channel of the same segment size,
/// in the same run; roll latency (the write that rolls); seek by sequence and by time on a journal of 1,000 segments.
/// </summary>
internal static class JournalBench
{
    private const int SegmentCapacity = 64 << 20;

    public static int Run(bool quick)
    {
        if (Environment.GetEnvironmentVariable("KJ_ROLLS") is not null)
        {
            RollLatency(100);
            return 0;
        }

        if (Environment.GetEnvironmentVariable("KJ_SEEK") is not null)
        {
            Seek(quick ? 100 : 1_000);
            return 0;
        }

        int segments = quick ? 2 : 4;
        Console.WriteLine("Baselines: ONE channel with the journal run's total capacity, created just before the timed loop with default options (its page faults are timed, as the journal's are), and the same channel pre-touched (ShmWriterOptions.PreTouch) before timing.");
        Console.WriteLine("From nothing: the same records written into a folder that holds nothing yet, the setup timed on both sides: ShmWriter.Create with PreTouch (creation, preallocation and pre-touch of the whole capacity) + the writes, against JournalWriter.Open + the writes (its segments are created and pre-touched ahead while it writes).");
        Console.WriteLine("| workload | records | one channel, default (M rec/s) | one channel, pre-touched (M rec/s) | journal across rolls (M rec/s) | journal vs default / vs pre-touched | from nothing: channel (M rec/s) | from nothing: journal (M rec/s) | journal / channel |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int size in new[] { 32, 1024 })
        {
            long perSegment = SegmentCapacity / RecordLayout.RecordSize(size) - 2;
            long records = perSegment * segments;
            int rounds = quick ? 1 : 3;
            // Alternated A/B/C rounds, best of each: the machine is shared.
            (double, double) channel = (0, 0), touched = (0, 0), journal = (0, 0);
            double channelFromNothing = 0, journalFromNothing = 0;
            for (int r = 0; r < rounds; r++)
            {
                channel = Best(channel, Channel(size, records, (long)SegmentCapacity * segments, preTouch: false, timeSetup: false));
                touched = Best(touched, Channel(size, records, (long)SegmentCapacity * segments, preTouch: true, timeSetup: false));
                journal = Best(journal, Journal(size, records, timeSetup: false));
                channelFromNothing = Math.Max(channelFromNothing, Channel(size, records, (long)SegmentCapacity * segments, preTouch: true, timeSetup: true).Write);
                journalFromNothing = Math.Max(journalFromNothing, Journal(size, records, timeSetup: true).Write);
            }

            Console.WriteLine(Row($"write {size} B", records, channel.Item1, touched.Item1, journal.Item1) +
                string.Create(CultureInfo.InvariantCulture, $" {channelFromNothing / 1e6:F1} | {journalFromNothing / 1e6:F1} | {100 * journalFromNothing / channelFromNothing:F0} % |"));
            Console.WriteLine(Row($"read {size} B", records, channel.Item2, touched.Item2, journal.Item2) + " | | |");
        }

        RollLatency(quick ? 100 : 1_000);
        Seek(quick ? 100 : 1_000);
        return 0;
    }

    private static string Row(string name, long records, double channel, double inLoop, double journal) =>
        string.Create(CultureInfo.InvariantCulture, $"| {name} | {records:N0} | {channel / 1e6:F1} | {inLoop / 1e6:F1} | {journal / 1e6:F1} | {100 * journal / channel:F0} % / {100 * journal / inLoop:F0} % |");

    private static (double, double) Best((double Write, double Read) a, (double Write, double Read) b) => (Math.Max(a.Write, b.Write), Math.Max(a.Read, b.Read));

    /// <summary>
    /// One channel of <paramref name="capacity"/> bytes (the journal run's total), created just before the timed loop, or
    /// inside it when <paramref name="timeSetup"/> is set.
    /// </summary>
    private static (double Write, double Read) Channel(int size, long records, long capacity, bool preTouch, bool timeSetup)
    {
        using var root = new TempRoot("kekbit-journal-bench");
        byte[] payload = new byte[size];
        double write;
        long setupStart = Stopwatch.GetTimestamp();
        using (ShmWriter writer = ShmWriter.Create(root.Path, Metadata.Create(1, 0, (int)Math.Min(capacity, Metadata.MaxCapacity), 2048, 30_000, TickUnit.Millis),
            options: new ShmWriterOptions { PreTouch = preTouch }))
        {
            long start = timeSetup ? setupStart : Stopwatch.GetTimestamp();
            for (long i = 0; i < records; i++)
            {
                writer.Write(payload);
            }

            write = records / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        long read = 0;
        long begin = Stopwatch.GetTimestamp();
        using (ShmReader reader = ShmReader.Open(root.Path, 0))
        {
            while (reader.TryRead().IsRecord)
            {
                read++;
            }
        }

        return (write, read / Stopwatch.GetElapsedTime(begin).TotalSeconds);
    }

    /// <summary>A journal of 64 MiB segments; its opening (and the pre-touch of the segment created ahead) timed when <paramref name="timeSetup"/> is set.</summary>
    private static (double Write, double Read) Journal(int size, long records, bool timeSetup)
    {
        using var root = new TempRoot("kekbit-journal-bench");
        byte[] payload = new byte[size];
        string folder = Path.Combine(root.Path, "journal");
        double write;
        long setupStart = Stopwatch.GetTimestamp();
        using (var journal = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = SegmentCapacity, MaxRecordLength = 2048 }))
        {
            if (!timeSetup)
            {
                Thread.Sleep(500); // let the segment created ahead finish its pre-touch, as the channels had theirs before timing
            }

            long start = timeSetup ? setupStart : Stopwatch.GetTimestamp();
            for (long i = 0; i < records; i++)
            {
                journal.Write(payload);
            }

            write = records / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        using var reader = JournalReader.Open(folder);
        long read = 0;
        long begin = Stopwatch.GetTimestamp();
        while (reader.TryRead().IsRecord)
        {
            read++;
        }

        return (write, read / Stopwatch.GetElapsedTime(begin).TotalSeconds);
    }

    /// <summary>The duration of each write that rolled, with 1 MiB segments (retention keeps 8), 256-byte records.</summary>
    private static void RollLatency(int rolls)
    {
        using var root = new TempRoot("kekbit-journal-bench");
        byte[] payload = new byte[256];
        var options = new JournalWriterOptions { SegmentCapacity = 1 << 20, Retention = new JournalRetentionPolicy { MaxSegments = 8 } };
        var rollTimes = new List<double>(rolls);
        var writeTimes = new List<double>(1 << 20);
        using (var journal = JournalWriter.Open(Path.Combine(root.Path, "journal"), options))
        {
            while (journal.Rolls < rolls)
            {
                long before = journal.Rolls;
                long start = Stopwatch.GetTimestamp();
                journal.Write(payload);
                double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                (journal.Rolls != before ? rollTimes : writeTimes).Add(us);
                if (journal.Rolls != before)
                {
                    Thread.Sleep(2); // a steady writer: the next segment's creation ahead (and retention) runs meanwhile
                }
            }
        }

        rollTimes.Sort();
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Roll latency (the write that rolls; 1 MiB segments, pre-touched ahead, the old segment closes in the background), {rollTimes.Count:N0} rolls: p50 {P(rollTimes, 0.5):F1} µs, p99 {P(rollTimes, 0.99):F1} µs, p99.9 {P(rollTimes, 0.999):F1} µs, max {rollTimes[^1]:F1} µs"));
    }

    /// <summary>
    /// Seek by sequence and by time on a journal of <paramref name="segmentCount"/> segments of 1 MiB (about 21,800 records of
    /// 32 B plus their stamp each): open + seek + first read, p50/p99, with the segments' index and then without it (the
    /// same journal, its index files moved away), in the same run.
    /// </summary>
    private static void Seek(int segmentCount)
    {
        using var root = new TempRoot("kekbit-journal-bench");
        string folder = Path.Combine(root.Path, "journal");
        byte[] payload = new byte[32];
        long records;
        DateTimeOffset first, last;
        using (var journal = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 1 << 20, PreTouch = false, Timestamps = true }))
        {
            first = DateTimeOffset.UtcNow;
            while (journal.Segment < segmentCount)
            {
                journal.Write(payload);
            }

            last = DateTimeOffset.UtcNow;
            records = journal.NextSequence;
        }

        string moved = Path.Combine(root.Path, "index-moved-away");
        Directory.CreateDirectory(moved);
        string[] indexes = Directory.GetFiles(folder, "*.kjindex", SearchOption.AllDirectories);
        foreach (bool indexed in new[] { true, false })
        {
            if (!indexed)
            {
                foreach (string index in indexes)
                {
                    File.Move(index, Path.Combine(moved, Path.GetFileName(index)));
                }
            }

            var random = new Random(13);
            int seeks = indexed ? 1000 : 100;
            (string P50, string P99) bySequence = Timed(seeks, () => JournalStart.AtSequence(random.NextInt64(records)));
            (string P50, string P99) byTime = Timed(seeks, () => JournalStart.AtTime(first + (last - first) * random.NextDouble()));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Seek on {segmentCount:N0} segments of 1 MiB ({records:N0} records of 48 bytes), {(indexed ? "with" : "WITHOUT")} the segment index, open + seek + first read, {seeks} seeks: by sequence p50 {bySequence.P50} µs p99 {bySequence.P99} µs; by time p50 {byTime.P50} µs p99 {byTime.P99} µs"));
        }

        (string, string) Timed(int seeks, Func<JournalStart> next)
        {
            var times = new List<double>(seeks);
            for (int i = 0; i < seeks; i++)
            {
                JournalStart start = next();
                long began = Stopwatch.GetTimestamp();
                using (var reader = JournalReader.Open(folder, start))
                {
                    reader.TryRead();
                }

                times.Add(Stopwatch.GetElapsedTime(began).TotalMicroseconds);
            }

            times.Sort();
            return (P(times, 0.50).ToString("F0", CultureInfo.InvariantCulture), P(times, 0.99).ToString("F0", CultureInfo.InvariantCulture));
        }
    }

    private static double P(List<double> sorted, double quantile) => sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * quantile))];
}
