using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Kekbit.Benchmarks.Peers;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>Write-only, read-only and end-to-end throughput of Kekbit and its peers, one payload size at a time.</summary>
internal sealed class ThroughputWorkloads(TempRoot scratch, int payloadSize, long records)
{
    private static ulong s_nextChannel = 1;
    private readonly byte[] _payload = Enumerable.Range(0, payloadSize).Select(i => (byte)i).ToArray();

    private long RecordSize => RecordLayout.RecordSize(payloadSize);

    private int Capacity => (int)Math.Min(Metadata.MaxCapacity, (records + 2) * RecordSize);

    /// <summary>A channel sized for the run, pre-touched unless <paramref name="fresh"/> (then its first writes pay the page faults).</summary>
    private ShmWriter NewWriter(out ulong channelId, bool fresh = false)
    {
        channelId = Interlocked.Increment(ref s_nextChannel);
        return ShmWriter.Create(scratch.Path, Metadata.Create(1, channelId, Capacity, payloadSize, 60_000, TickUnit.Millis), options: new ShmWriterOptions { PreTouch = !fresh });
    }

    public IEnumerable<Measurement> WriteOnly()
    {
        using (var raw = new RawProtocol(scratch.Path, Capacity, preTouch: true))
        {
            yield return Time("write-only", "raw protocol limit", () =>
            {
                for (long i = 0; i < records; i++)
                {
                    raw.Write(_payload);
                }
            });
        }

        foreach (bool fresh in new[] { false, true })
        {
            using ShmWriter writer = NewWriter(out _, fresh);
            yield return Time("write-only", fresh ? "Kekbit ShmWriter.Write, fresh mapping" : "Kekbit ShmWriter.Write", () =>
            {
                for (long i = 0; i < records; i++)
                {
                    writer.Write(_payload);
                }
            });
        }

        using (var raw = new RawProtocol(scratch.Path, Capacity))
        {
            yield return Time("write-only", "raw protocol limit, fresh mapping", () =>
            {
                for (long i = 0; i < records; i++)
                {
                    raw.Write(_payload);
                }
            });
        }

        using (var faster = new FasterLogPeer(scratch.Path))
        {
            yield return Time("write-only", "FasterLog Enqueue+Commit", () =>
            {
                for (long i = 0; i < records; i++)
                {
                    faster.Enqueue(_payload);
                }

                faster.Commit();
            });
        }
    }

    public IEnumerable<Measurement> ReadOnly()
    {
        ulong channelId;
        using (ShmWriter writer = NewWriter(out channelId))
        {
            for (long i = 0; i < records; i++)
            {
                writer.Write(_payload);
            }
        }

        using (ShmReader reader = ShmReader.Open(scratch.Path, channelId))
        {
            long seen = 0;
            Measurement m = Time("read-only", "Kekbit ShmReader.TryRead", () =>
            {
                while (reader.TryRead().IsRecord)
                {
                    seen++;
                }
            });
            Check(seen);
            yield return m;
        }

        using (var written = new RawProtocol(scratch.Path, Capacity, preTouch: true))
        using (RawProtocol raw = WriteAll(written).OpenReader())
        {
            long seen = 0;
            Measurement m = Time("read-only", "raw protocol limit", () =>
            {
                while (raw.TryRead(out _) >= 0)
                {
                    seen++;
                }
            });
            Check(seen);
            yield return m;
        }

        using (var faster = new FasterLogPeer(scratch.Path))
        {
            for (long i = 0; i < records; i++)
            {
                faster.Enqueue(_payload);
            }

            faster.Commit();
            long seen = 0;
            Measurement m = Time("read-only", "FasterLog Scan", () => seen = faster.ScanAll().Records);
            Check(seen);
            yield return m;
        }
    }

    public IEnumerable<Measurement> EndToEndThreads()
    {
        ulong channelId;
        using (ShmWriter writer = NewWriter(out channelId))
        using (ShmReader reader = ShmReader.Open(scratch.Path, channelId))
        {
            yield return TimeTwoThreads("end-to-end threads", "Kekbit writer -> reader", () =>
            {
                for (long i = 0; i < records; i++)
                {
                    writer.Write(_payload);
                }
            }, () =>
            {
                long seen = 0;
                while (seen < records)
                {
                    if (reader.TryRead().IsRecord)
                    {
                        seen++;
                    }
                }
            });
        }

        using var raw = new RawProtocol(scratch.Path, Capacity, preTouch: true);
        using RawProtocol rawReader = raw.OpenReader();
        yield return TimeTwoThreads("end-to-end threads", "raw protocol limit", () =>
        {
            for (long i = 0; i < records; i++)
            {
                raw.Write(_payload);
            }
        }, () =>
        {
            long seen = 0;
            while (seen < records)
            {
                if (rawReader.TryRead(out _) >= 0)
                {
                    seen++;
                }
            }
        });
    }

    public Measurement EndToEndProcesses()
    {
        using ShmWriter writer = NewWriter(out ulong channelId);
        using Process child = SelfProcess.Start("child-read", scratch.Path, channelId.ToString(CultureInfo.InvariantCulture), records.ToString(CultureInfo.InvariantCulture));
        SelfProcess.ExpectLine(child, "READY");
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < records; i++)
        {
            writer.Write(_payload);
        }

        // The child prints the monotonic timestamp (shared by processes on one host) when it read the last record.
        string done = SelfProcess.ExpectLine(child, "DONE ");
        long end = long.Parse(done.AsSpan(5), CultureInfo.InvariantCulture);
        child.WaitForExit();
        return new Measurement("end-to-end processes", payloadSize, "Kekbit writer -> reader process", records, Stopwatch.GetElapsedTime(start, end));
    }

    /// <summary>Role of the child process in <see cref="EndToEndProcesses"/>: read COUNT records, busy-polling.</summary>
    public static int ChildRead(string root, ulong channelId, long count)
    {
        using ShmReader reader = ShmReader.OpenWhenReady(root, channelId, TimeSpan.FromSeconds(30));
        Console.WriteLine("READY");
        long seen = 0;
        while (seen < count)
        {
            ReadResult result = reader.TryRead();
            if (result.IsRecord)
            {
                seen++;
            }
            else if (result.IsFinal)
            {
                Console.WriteLine($"FAILED {result}");
                return 1;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DONE {Stopwatch.GetTimestamp()}"));
        return 0;
    }

    /// <summary>Memory bandwidth for the same payload bytes: Buffer.MemoryCopy into a warm native buffer.</summary>
    public unsafe Measurement Memcpy()
    {
        long total = records * payloadSize;
        byte* destination = (byte*)NativeMemory.AlignedAlloc((nuint)total, 64);
        try
        {
            new Span<byte>(destination, (int)Math.Min(total, int.MaxValue)).Clear(); // Touch every page first.
            fixed (byte* source = _payload)
            {
                byte* src = source;
                return Time("memcpy", "Buffer.MemoryCopy (warm buffer)", () =>
                {
                    for (long i = 0; i < records; i++)
                    {
                        Buffer.MemoryCopy(src, destination + (i * payloadSize), payloadSize, payloadSize);
                    }
                });
            }
        }
        finally
        {
            NativeMemory.AlignedFree(destination);
        }
    }

    private RawProtocol WriteAll(RawProtocol raw)
    {
        for (long i = 0; i < records; i++)
        {
            raw.Write(_payload);
        }

        return raw;
    }

    private void Check(long seen)
    {
        if (seen != records)
        {
            throw new InvalidOperationException($"Expected {records} records, saw {seen}.");
        }
    }

    private Measurement Time(string workload, string implementation, Action body) =>
        Measurement.Time(workload, payloadSize, implementation, records, body);

    private Measurement TimeTwoThreads(string workload, string implementation, Action writer, Action reader)
    {
        var readerThread = new Thread(() => reader()) { IsBackground = true };
        readerThread.Start();
        long start = Stopwatch.GetTimestamp();
        writer();
        readerThread.Join();
        return new Measurement(workload, payloadSize, implementation, records, Stopwatch.GetElapsedTime(start));
    }
}
