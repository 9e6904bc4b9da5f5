using System.Diagnostics;
using System.Globalization;
using Kekbit.Benchmarks.Peers;
using Kekbit.Core;
using Kekbit.Core.Waiting;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// Where a reader's time goes, A/B in one process: one full channel (256 MiB of records, 8 M at most) read by the raw
/// protocol loop, by <see cref="ShmReader.TryRead"/> and by the batch read (<see cref="ReaderPoller.Drain{THandler}(ref THandler)"/>
/// with a struct handler), each over a prefaulted mapping, a fresh mapping, a mapping another in-process reader holds,
/// and a fresh mapping of a channel on a huge-page tmpfs (root only), beside FasterLog's scan of its own memory. Every
/// row runs once per round, the rounds interleave them, and the best of each is kept, with its thread CPU time per
/// record and the minor page faults it took (getrusage): on a shared machine CPU time and faults say more than wall time.
/// </summary>
internal static class ReadCost
{
    private delegate long Drain();

    /// <param name="payloadSize">Bytes per record.</param>
    /// <param name="rounds">Interleaved rounds; the best of each row is kept.</param>
    /// <param name="mebibytes">The channel's size: 256 MiB (the harness's) reads from memory; 1 MiB stays in the caches, which
    /// leaves the per-record CPU cost of each read path (and, with many rounds, filters a busy machine's noise best).</param>
    public static int Run(int payloadSize, int rounds, int mebibytes = 256)
    {
        using var scratch = new TempRoot("kekbit-read-cost");
        long records = Math.Min(8_000_000, ((long)mebibytes << 20) / RecordLayout.RecordSize(payloadSize));
        int capacity = (int)Math.Min(Metadata.MaxCapacity, (records + 2) * RecordLayout.RecordSize(payloadSize));
        byte[] payload = Enumerable.Range(0, payloadSize).Select(i => (byte)i).ToArray();
        string path = WriteChannel(scratch.Path, capacity, payload, records);

        using var raw = new RawProtocol(scratch.Path, capacity, preTouch: true);
        for (long i = 0; i < records; i++)
        {
            raw.Write(payload);
        }

        using var faster = new FasterLogPeer(scratch.Path, FasterLogPeer.LargeMemorySizeBits);
        faster.EnqueueAll(payload, records);
        faster.Commit();
        long fasterFrom = faster.TailAddress;
        faster.EnqueueAll(payload, records);
        faster.Commit();
        _ = faster.Scan(fasterFrom);

        using HugeTmpfs? huge = HugeTmpfs.TryMount(ChannelFileLength(capacity) + (8 << 20));
        string? hugePath = huge is null ? null : WriteChannel(huge.Path, capacity, payload, records);
        long hugePmdKiB = 0;

        var rows = new List<(string Name, Drain Run)>
        {
            ("raw protocol limit (populated mapping)", () => RawDrain(raw, populate: true)),
            ("raw protocol limit, fresh mapping", () => RawDrain(raw, populate: false)),
            ("TryRead, prefaulted", () => WithReader(path, prefault: true, TryReadAll)),
            ("ReadBatch (Drain, struct handler), prefaulted", () => WithReader(path, prefault: true, BatchAll)),
            ("Drain (ReadHandler delegate), prefaulted", () => WithReader(path, prefault: true, DelegateAll)),
            ("TryRead, fresh mapping", () => WithReader(path, prefault: false, TryReadAll)),
            ("ReadBatch, fresh mapping", () => WithReader(path, prefault: false, BatchAll)),
            ("TryRead, in-process mapping held by another reader", () => Shared(path, TryReadAll)),
            ("ReadBatch, in-process mapping held by another reader", () => Shared(path, BatchAll)),
            ("FasterLog Scan (log memory)", () => faster.Scan(fasterFrom).Records),
        };
        if (hugePath is not null)
        {
            rows.Add(("TryRead, fresh mapping, huge-page tmpfs", () => WithReader(hugePath, prefault: false, TryReadAll)));
            rows.Add(("ReadBatch, fresh mapping, huge-page tmpfs", () => WithReader(hugePath, prefault: false, BatchAll)));

            // Untimed: how much of the file a reader's mapping maps with 2 MiB entries (reading smaps walks every mapping).
            using ShmReader reader = ShmReader.Open(hugePath);
            _ = TryReadAll(reader);
            hugePmdKiB = HugeTmpfs.PmdMappedKiB();
        }

        var best = new Dictionary<string, (double Seconds, double CpuSeconds, long Faults)>();
        for (int round = 0; round < rounds; round++)
        {
            foreach ((string name, Drain run) in rows)
            {
                (double seconds, double cpu, long faults) = Time(run, records);
                if (!best.TryGetValue(name, out var kept) || seconds < kept.Seconds)
                {
                    best[name] = (seconds, Math.Min(cpu, best.GetValueOrDefault(name, (0, double.MaxValue, 0)).CpuSeconds), faults);
                }
                else if (cpu < kept.CpuSeconds)
                {
                    best[name] = kept with { CpuSeconds = cpu };
                }
            }
        }

        TextWriter output = Console.Out;
        double limit = best[rows[0].Name].Seconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {payloadSize} B read | M records/s | of raw | CPU ns/record (best) | minor faults |"));
        output.WriteLine("|---|---:|---:|---:|---:|");
        foreach ((string name, _) in rows)
        {
            (double seconds, double cpu, long faults) = best[name];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {records / seconds / 1e6:F1} | {limit / seconds:P0} | {(cpu > 0 ? (cpu * 1e9 / records).ToString("F2", CultureInfo.InvariantCulture) : "n/a (run too short for getrusage)")} | {faults:N0} |"));
        }

        output.WriteLine(huge is null
            ? $"| huge-page tmpfs rows | {HugeTmpfs.SkipReason} | | | |"
            : string.Create(CultureInfo.InvariantCulture, $"| (huge-page tmpfs: {hugePmdKiB / 1024.0:F0} MiB mapped by PMD while its reader was open) | | | | |"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| (this process's anonymous memory on transparent huge pages, FasterLog's log included: {HugeTmpfs.AnonHugeKiB() / 1024} MiB) | | | | |"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Best of {rounds} interleaved rounds of {records:N0} records; load average {LoadAverage()}; {Environment.ProcessorCount} cores."));
        return 0;
    }

    /// <summary>The load averages (1, 5, 15 min) from /proc/loadavg.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static long ChannelFileLength(int capacity) => 1024 + capacity + 32;

    private static string WriteChannel(string root, int capacity, byte[] payload, long records)
    {
        using var writer = ShmWriter.Create(root, Metadata.Create(1, 1, capacity, payload.Length, 60_000, TickUnit.Millis), options: new ShmWriterOptions { PreTouch = true });
        for (long i = 0; i < records; i++)
        {
            writer.Write(payload);
        }

        return writer.Path;
    }

    // Where the timed part of the row running now began (Begin): after its reader was opened and, for prefaulted rows, prefaulted.
    private static long s_start;
    private static ThreadUsage s_before;

    private static void Begin()
    {
        s_before = ThreadUsage.Now();
        s_start = Stopwatch.GetTimestamp();
    }

    private static (double Seconds, double Cpu, long Faults) Time(Drain run, long records)
    {
        Begin();
        long seen = run();
        double seconds = Stopwatch.GetElapsedTime(s_start).TotalSeconds;
        ThreadUsage used = ThreadUsage.Now() - s_before;
        if (seen != records)
        {
            throw new InvalidOperationException($"Expected {records} records, saw {seen}.");
        }

        return (seconds, used.Cpu.TotalSeconds, used.MinorFaults);
    }

    // The clock starts once the reader is open (and, for prefaulted rows, prefaulted): the reading itself.
    private static long WithReader(string path, bool prefault, Func<ShmReader, long> read)
    {
        using ShmReader reader = ShmReader.Open(path);
        if (prefault)
        {
            reader.Prefault();
        }

        Begin();
        return read(reader);
    }

    // Another reader of this process holds the file (it has read it all, as a reader that went first has): a new reader
    // opened now shares its mapping when the library can (ShmReader.Open), so its pages are mapped already.
    private static long Shared(string path, Func<ShmReader, long> read)
    {
        using ShmReader holder = ShmReader.Open(path);
        _ = TryReadAll(holder);
        using ShmReader reader = ShmReader.Open(path);
        Begin();
        return read(reader);
    }

    private static long TryReadAll(ShmReader reader)
    {
        long seen = 0, sink = 0;
        ReadResult record;
        while ((record = reader.TryRead()).IsRecord)
        {
            sink += PayloadSink.Consume(record.Span);
            seen++;
        }

        PayloadSink.Keep(sink);
        return seen;
    }

    private static long BatchAll(ShmReader reader)
    {
        var poller = new ReaderPoller(reader, new NoOpIdleStrategy());
        var handler = new ConsumingHandler();
        while (poller.Drain(ref handler) > 0)
        {
        }

        PayloadSink.Keep(handler.Sink);
        return handler.Seen;
    }

    private static readonly ReadHandler<StrongBox> CountAndConsume = static (box, record) =>
    {
        box.Sink += PayloadSink.Consume(record.Span);
        box.Seen++;
    };

    private static long DelegateAll(ShmReader reader)
    {
        var poller = new ReaderPoller(reader, new NoOpIdleStrategy());
        var box = new StrongBox();
        while (poller.Drain(CountAndConsume, box) > 0)
        {
        }

        PayloadSink.Keep(box.Sink);
        return box.Seen;
    }

    private static long RawDrain(RawProtocol written, bool populate)
    {
        using RawProtocol raw = written.OpenReader();
        if (populate && !raw.Populate())
        {
            throw new InvalidOperationException("madvise(MADV_POPULATE_READ) failed: the raw read limit needs Linux 5.14 or later.");
        }

        Begin();
        long seen = 0, sink = 0;
        while (raw.TryRead(out ReadOnlySpan<byte> span) >= 0)
        {
            sink += PayloadSink.Consume(span);
            seen++;
        }

        PayloadSink.Keep(sink);
        return seen;
    }

    private sealed class StrongBox
    {
        public long Sink;
        public long Seen;
    }
}
