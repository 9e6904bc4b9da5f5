using System.Diagnostics;
using System.Globalization;
using Kekbit.Benchmarks.Peers;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// Choosing the reader's read-ahead window: one full channel (256 MiB of records, or 8 M records at most) read by a fresh
/// reader per attempt with each window (0 = read-ahead off), by a reader prefaulted untimed, and by the raw protocol loop
/// over a populated mapping, the attempts interleaved round by round and the best of each kept. Prints MB/s and the share
/// of the raw read limit.
/// </summary>
internal static class ReadAheadCost
{
    private static readonly long[] Windows = [0, 256 << 10, 1 << 20, 2 << 20, 4 << 20, 16 << 20];

    public static int Run(int payloadSize, int rounds)
    {
        using var scratch = new TempRoot("kekbit-read-ahead");
        long records = Math.Min(8_000_000, (256L << 20) / RecordLayout.RecordSize(payloadSize));
        int capacity = (int)Math.Min(Metadata.MaxCapacity, (records + 2) * RecordLayout.RecordSize(payloadSize));
        byte[] payload = new byte[payloadSize];
        string path;
        using (var writer = ShmWriter.Create(scratch.Path, Metadata.Create(1, 1, capacity, payloadSize, 60_000, TickUnit.Millis), options: new ShmWriterOptions { PreTouch = true }))
        {
            path = writer.Path;
            for (long i = 0; i < records; i++)
            {
                writer.Write(payload);
            }
        }

        using var raw = new RawProtocol(scratch.Path, capacity, preTouch: true);
        for (long i = 0; i < records; i++)
        {
            raw.Write(payload);
        }

        var best = new Dictionary<string, double>();
        void Keep(string name, double seconds) => best[name] = Math.Min(best.GetValueOrDefault(name, double.MaxValue), seconds);
        for (int round = 0; round < rounds; round++)
        {
            foreach (long window in Windows)
            {
                using var reader = ShmReader.Open(path);
                reader.ReadAheadWindow = window;
                Keep(window == 0 ? "read-ahead off" : $"read-ahead {window >> 10} KiB", Drain(reader, records));
            }

            using (var reader = ShmReader.Open(path))
            {
                reader.Prefault();
                Keep("prefaulted (untimed)", Drain(reader, records));
            }

            using (RawProtocol rawReader = raw.OpenReader())
            {
                _ = rawReader.Populate();
                long start = Stopwatch.GetTimestamp(), sink = 0, seen = 0;
                while (rawReader.TryRead(out ReadOnlySpan<byte> span) >= 0)
                {
                    sink += PayloadSink.Consume(span);
                    seen++;
                }

                PayloadSink.Keep(sink);
                Keep("raw protocol limit", Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }

        double limit = best["raw protocol limit"];
        double bytes = records * (double)payloadSize;
        foreach ((string name, double seconds) in best)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{payloadSize} B {name,-24} {bytes / seconds / 1e6,9:F0} MB/s {limit / seconds,6:P0} of raw"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(best of {rounds} rounds of {records:N0} records; {Environment.ProcessorCount} cores)"));
        return 0;
    }

    /// <summary>
    /// The per-record cost of reading a populated channel, best of <paramref name="rounds"/> interleaved passes of 1 M records:
    /// TryRead with <see cref="ReadResult.Span"/>, TryRead with <c>Payload.Span</c> (through the memory manager), and the raw loop.
    /// </summary>
    public static int SpanCost(int payloadSize, int rounds)
    {
        const long records = 1_000_000;
        using var scratch = new TempRoot("kekbit-span-cost");
        int capacity = (int)((records + 2) * RecordLayout.RecordSize(payloadSize));
        byte[] payload = new byte[payloadSize];
        string path;
        using (var writer = ShmWriter.Create(scratch.Path, Metadata.Create(1, 1, capacity, payloadSize, 60_000, TickUnit.Millis), options: new ShmWriterOptions { PreTouch = true }))
        {
            path = writer.Path;
            for (long i = 0; i < records; i++)
            {
                writer.Write(payload);
            }
        }

        using var raw = new RawProtocol(scratch.Path, capacity, preTouch: true);
        for (long i = 0; i < records; i++)
        {
            raw.Write(payload);
        }

        using var reader = ShmReader.Open(path);
        reader.Prefault();
        using RawProtocol rawReader = raw.OpenReader();
        _ = rawReader.Populate();
        double span = double.MaxValue, payloadSpan = double.MaxValue, rawLoop = double.MaxValue;
        long sink = 0;
        for (int round = 0; round < rounds; round++)
        {
            reader.SeekTo(0);
            long start = Stopwatch.GetTimestamp();
            ReadResult record;
            while ((record = reader.TryRead()).IsRecord)
            {
                sink += PayloadSink.Consume(record.Span);
            }

            span = Math.Min(span, Stopwatch.GetElapsedTime(start).TotalNanoseconds / records);
            reader.SeekTo(0);
            start = Stopwatch.GetTimestamp();
            while ((record = reader.TryRead()).IsRecord)
            {
                sink += PayloadSink.Consume(record.Payload.Span);
            }

            payloadSpan = Math.Min(payloadSpan, Stopwatch.GetElapsedTime(start).TotalNanoseconds / records);
            rawReader.Rewind();
            start = Stopwatch.GetTimestamp();
            while (rawReader.TryRead(out ReadOnlySpan<byte> bytes) >= 0)
            {
                sink += PayloadSink.Consume(bytes);
            }

            rawLoop = Math.Min(rawLoop, Stopwatch.GetElapsedTime(start).TotalNanoseconds / records);
        }

        PayloadSink.Keep(sink);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{payloadSize} B ns/record: TryRead+Span {span:F2}, TryRead+Payload.Span {payloadSpan:F2}, raw loop {rawLoop:F2} (best of {rounds} interleaved passes of {records:N0}; {Environment.ProcessorCount} cores)"));
        return 0;
    }

    private static double Drain(ShmReader reader, long expected)
    {
        long start = Stopwatch.GetTimestamp(), sink = 0, seen = 0;
        ReadResult record;
        while ((record = reader.TryRead()).IsRecord)
        {
            sink += PayloadSink.Consume(record.Span);
            seen++;
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        PayloadSink.Keep(sink);
        if (seen != expected)
        {
            throw new InvalidOperationException($"read {seen} records, expected {expected}");
        }

        return seconds;
    }
}
