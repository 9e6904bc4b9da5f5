using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// The cost of one record on each hot path, single-threaded: a span write, an encoder write (four 8-byte fields)
/// and a TryRead, in nanoseconds per record, the best of several rounds of a million records each. Best-of-N
/// filters out this VM's scheduling noise, which BenchmarkDotNet's short jobs do not; it is how a change to a hot
/// path is compared before and after (build both commits, run this on each, alternating).
/// </summary>
internal static class PathCost
{
    private const int Records = 1_000_000;

    private static readonly RecordEncoder<long> FourFields = static (value, record) =>
    {
        Span<byte> span = record.GetSpan(32);
        BinaryPrimitives.WriteInt64LittleEndian(span, value);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], value);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], value);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], value);
        record.Advance(32);
    };

    public static int Run(int payloadSize, int rounds)
    {
        using var scratch = new TempRoot("kekbit-path-cost");
        int maxLength = Math.Max(payloadSize, 32);
        int capacity = (int)Math.Min(Metadata.MaxCapacity, (Records + 2L) * RecordLayout.RecordSize(maxLength));
        var options = new ShmWriterOptions { PreTouch = true };
        byte[] payload = new byte[payloadSize];
        ulong channelId = 0;
        double spanWrite = double.MaxValue, encoderWrite = double.MaxValue, tryRead = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            string path;
            using (var writer = ShmWriter.Create(scratch.Path, Metadata.Create(1, ++channelId, capacity, maxLength, 1000, TickUnit.Millis), options: options))
            {
                path = writer.Path;
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < Records; i++)
                {
                    writer.Write(payload);
                }

                spanWrite = Math.Min(spanWrite, NanosPerRecord(start, Records));
            }

            // A reader's first pass pays a page fault per page of its fresh mapping; time a later reader's pass
            // over a file whose pages are all in the page cache, as a follower of a live writer sees them.
            DrainWith(path);
            using (var reader = ShmReader.Open(path))
            {
                long start = Stopwatch.GetTimestamp();
                long read = 0;
                while (reader.TryRead().IsRecord)
                {
                    read++;
                }

                tryRead = Math.Min(tryRead, NanosPerRecord(start, read));
            }

            File.Delete(path);
            using (var writer = ShmWriter.Create(scratch.Path, Metadata.Create(1, ++channelId, capacity, maxLength, 1000, TickUnit.Millis), options: options))
            {
                path = writer.Path;
                long start = Stopwatch.GetTimestamp();
                for (long i = 0; i < Records; i++)
                {
                    writer.Write(i, FourFields);
                }

                encoderWrite = Math.Min(encoderWrite, NanosPerRecord(start, Records));
            }

            File.Delete(path);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{payloadSize} B span write {spanWrite:F2} ns, 32 B encoder write {encoderWrite:F2} ns, {payloadSize} B TryRead {tryRead:F2} ns per record (best of {rounds} rounds of {Records:N0}; {Environment.ProcessorCount} cores)"));
        return 0;
    }

    private static void DrainWith(string path)
    {
        using var reader = ShmReader.Open(path);
        while (reader.TryRead().IsRecord)
        {
        }
    }

    private static double NanosPerRecord(long start, long records) =>
        Stopwatch.GetElapsedTime(start).TotalNanoseconds / Math.Max(1, records);
}
