using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Kekbit.Benchmarks.Peers;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>Write-only, read-only and end-to-end throughput of Kekbit and its peers, one payload size at a time.</summary>
internal sealed class ThroughputWorkloads(TempRoot scratch, int payloadSize, long records, int repeats = 1, HugeTmpfs? huge = null)
{
    private static ulong s_nextChannel = 1;
    private readonly byte[] _payload = Enumerable.Range(0, payloadSize).Select(i => (byte)i).ToArray();

    private long RecordSize => RecordLayout.RecordSize(payloadSize);

    private int Capacity => (int)Math.Min(Metadata.MaxCapacity, (records + 2) * RecordSize);

    /// <summary>A channel sized for the run, pre-touched unless <paramref name="fresh"/> (then its first writes pay the page faults).</summary>
    private ShmWriter NewWriter(out ulong channelId, bool fresh = false, string? root = null)
    {
        channelId = Interlocked.Increment(ref s_nextChannel);
        return ShmWriter.Create(root ?? scratch.Path, Metadata.Create(1, channelId, Capacity, payloadSize, 60_000, TickUnit.Millis), options: new ShmWriterOptions { PreTouch = !fresh });
    }

    public IEnumerable<Measurement> WriteOnly()
    {
        yield return Best(() =>
        {
            using var raw = new RawProtocol(scratch.Path, Capacity, preTouch: true);
            return Time("write-only", "raw protocol limit", () => WriteAll(raw));
        });
        foreach (bool fresh in new[] { false, true })
        {
            yield return Best(() =>
            {
                using ShmWriter writer = NewWriter(out _, fresh);
                return Time("write-only", fresh ? "Kekbit ShmWriter.Write, fresh mapping" : "Kekbit ShmWriter.Write", () =>
                {
                    for (long i = 0; i < records; i++)
                    {
                        writer.Write(_payload);
                    }
                });
            });
        }

        yield return Best(() =>
        {
            using var raw = new RawProtocol(scratch.Path, Capacity);
            return Time("write-only", "raw protocol limit, fresh mapping", () => WriteAll(raw));
        });
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

            // A reader in the writer's process reads through the writer's mapping (ShmReader.Open): nothing to map, as
            // FasterLog's scan reads the memory its enqueues wrote. Each attempt opens a new reader.
            yield return Best(() =>
            {
                using ShmReader reader = ShmReader.Open(scratch.Path, channelId);
                return ReadAll("Kekbit ShmReader.TryRead, reader in the writer's process (its mapping)", reader);
            });
            yield return Best(() =>
            {
                using ShmReader reader = ShmReader.Open(scratch.Path, channelId);
                return BatchAll("Kekbit ReaderPoller.Drain, reader in the writer's process (its mapping)", reader);
            });
        }

        // The writer is gone: from here each attempt opens a new reader that maps the file afresh, as a reader in another
        // process does.
        // As every reader read before Prefault: a fresh mapping, one page fault per page (or group of pages) on first read.
        yield return Best(() =>
        {
            using ShmReader reader = ShmReader.Open(scratch.Path, channelId);
            return ReadAll("Kekbit ShmReader.TryRead, fresh mapping", reader);
        });

        // Prefault() timed with the reads: what a reader catching up on a full channel pays in all.
        yield return Best(() =>
        {
            using ShmReader reader = ShmReader.Open(scratch.Path, channelId);
            return ReadAll("Kekbit Prefault() + TryRead", reader, prefault: true);
        });

        // Prefault() at open, untimed: the reading itself.
        yield return Best(() =>
        {
            using ShmReader reader = ShmReader.Open(scratch.Path, channelId);
            reader.Prefault();
            return ReadAll("Kekbit ShmReader.TryRead, prefaulted", reader);
        });

        // The batch read every poller drains through (ReaderPoller.Drain with a struct handler): one state check per batch.
        yield return Best(() =>
        {
            using ShmReader reader = ShmReader.Open(scratch.Path, channelId);
            reader.Prefault();
            return BatchAll("Kekbit ReaderPoller.Drain (batch read, struct handler), prefaulted", reader);
        });

        // Another reader of this process has read the channel and still holds it: a new reader shares its mapping
        // (ShmReader.Open), as an in-process reader after the first one does; FasterLog's scan reads its own memory too.
        using (ShmReader holder = ShmReader.Open(scratch.Path, channelId))
        {
            while (holder.TryRead().IsRecord)
            {
            }

            yield return Best(() =>
            {
                using ShmReader reader = ShmReader.Open(scratch.Path, channelId);
                return ReadAll("Kekbit ShmReader.TryRead, in-process mapping shared with another reader", reader);
            });
            yield return Best(() =>
            {
                using ShmReader reader = ShmReader.Open(scratch.Path, channelId);
                return BatchAll("Kekbit ReaderPoller.Drain, in-process mapping shared with another reader", reader);
            });
        }

        File.Delete(StorageLayout.ChannelFile(scratch.Path, channelId));
        if (huge is not null)
        {
            // The same channel on a tmpfs mounted huge=within_size: a fresh mapping faults once per 2 MiB page.
            ulong hugeId;
            using (ShmWriter writer = NewWriter(out hugeId, root: huge.Path))
            {
                for (long i = 0; i < records; i++)
                {
                    writer.Write(_payload);
                }
            }

            yield return Best(() =>
            {
                using ShmReader reader = ShmReader.Open(huge.Path, hugeId);
                return ReadAll("Kekbit ShmReader.TryRead, fresh mapping, huge-page tmpfs", reader);
            });
            yield return Best(() =>
            {
                using ShmReader reader = ShmReader.Open(huge.Path, hugeId);
                return BatchAll("Kekbit ReaderPoller.Drain, fresh mapping, huge-page tmpfs", reader);
            });
            File.Delete(StorageLayout.ChannelFile(huge.Path, hugeId));
        }

        using var written = new RawProtocol(scratch.Path, Capacity, preTouch: true);
        WriteAll(written);
        foreach (bool fresh in new[] { false, true })
        {
            yield return Best(() =>
            {
                using RawProtocol raw = written.OpenReader();
                if (!fresh && !raw.Populate())
                {
                    throw new InvalidOperationException("madvise(MADV_POPULATE_READ) failed: the raw read limit needs Linux 5.14 or later.");
                }

                long seen = 0, sink = 0;
                Measurement m = Time("read-only", fresh ? "raw protocol limit, fresh mapping" : "raw protocol limit", () =>
                {
                    while (raw.TryRead(out ReadOnlySpan<byte> payload) >= 0)
                    {
                        sink += PayloadSink.Consume(payload);
                        seen++;
                    }
                });
                PayloadSink.Keep(sink);
                Check(seen);
                return m;
            });
        }
    }

    /// <summary>
    /// FasterLog (<see cref="FasterLogPeer.Settings"/>), two ways: on a 64 MiB memory ring that a warm-up pass has wrapped
    /// (the steady state: enqueues wait for the device as the ring turns), and with 1 GiB of log memory, more than the
    /// warm-up and two timed passes write (a burst that never waits for the device). One scan reads the 1 GiB log's
    /// memory, after an untimed scan; the other reads the same records through a read-only instance, as another process
    /// would (<see cref="FasterLogPeer.OpenReadOnly"/>).
    /// </summary>
    public IEnumerable<Measurement> FasterLog()
    {
        using (var faster = new FasterLogPeer(scratch.Path, FasterLogPeer.RingMemorySizeBits))
        {
            faster.EnqueueAll(_payload, records);
            faster.Commit();
            yield return Best(() =>
            {
                Measurement m = Time("write-only", "FasterLog TryEnqueue, no commit (64 MiB ring)", () => faster.EnqueueAll(_payload, records));
                faster.Commit();
                return m;
            });
            yield return Best(() => Time("write-only", "FasterLog TryEnqueue + Commit every 5 ms (64 MiB ring)", () => faster.EnqueueAllCommitting(_payload, records)));
        }

        using (var faster = new FasterLogPeer(scratch.Path, FasterLogPeer.LargeMemorySizeBits))
        {
            faster.EnqueueAll(_payload, records);
            faster.Commit();
            yield return Time("write-only", "FasterLog TryEnqueue, no commit (1 GiB memory)", () => faster.EnqueueAll(_payload, records));
            faster.Commit();
            long from = faster.TailAddress;
            yield return Time("write-only", "FasterLog TryEnqueue + Commit every 5 ms (1 GiB memory)", () => faster.EnqueueAllCommitting(_payload, records));
            _ = faster.Scan(from);
            yield return Best(() =>
            {
                long seen = 0;
                Measurement scan = Time("read-only", "FasterLog Scan (log memory)", () => seen = faster.Scan(from).Records);
                Check(seen);
                return scan;
            });

            // Another process's view: a read-only instance over the same file and commits holds no page in memory and reads
            // every page from the device. Each attempt opens and recovers a new one untimed (as the Kekbit fresh-mapping
            // rows leave the open untimed) and times only the scan.
            yield return Best(() =>
            {
                using FasterLogReadOnlyReader readOnly = faster.OpenReadOnly();
                long seen = 0;
                Measurement scan = Time("read-only", "FasterLog Scan, read-only instance (another process's view: reads the device)", () => seen = readOnly.Scan(from).Records);
                Check(seen);
                return scan;
            });
        }
    }

    /// <summary>The fastest of <c>repeats</c> runs of <paramref name="run"/>: on a shared machine the minimum is the least disturbed.</summary>
    private Measurement Best(Func<Measurement> run)
    {
        Measurement best = run();
        for (int i = 1; i < repeats; i++)
        {
            Measurement next = run();
            if (next.Elapsed < best.Elapsed)
            {
                best = next;
            }
        }

        return best;
    }

    private Measurement ReadAll(string implementation, ShmReader reader, bool prefault = false)
    {
        long seen = 0, sink = 0;
        Measurement m = Time("read-only", implementation, () =>
        {
            if (prefault)
            {
                reader.Prefault();
            }

            ReadResult record;
            while ((record = reader.TryRead()).IsRecord)
            {
                sink += PayloadSink.Consume(record.Span);
                seen++;
            }
        });
        PayloadSink.Keep(sink);
        Check(seen);
        return m;
    }

    private Measurement BatchAll(string implementation, ShmReader reader)
    {
        var poller = new Kekbit.Core.Waiting.ReaderPoller(reader, new Kekbit.Core.Waiting.NoOpIdleStrategy());
        var handler = new ConsumingHandler();
        Measurement m = Time("read-only", implementation, () =>
        {
            while (poller.Drain(ref handler) > 0)
            {
            }
        });
        PayloadSink.Keep(handler.Sink);
        Check(handler.Seen);
        return m;
    }

    public IEnumerable<Measurement> EndToEndThreads()
    {
        ulong channelId;
        using (ShmWriter writer = NewWriter(out channelId))
        using (ShmReader reader = ShmReader.Open(scratch.Path, channelId))
        {
            // The reader reads through the writer's mapping (same process), whose pages the writer pre-touched.
            reader.Prefault();
            yield return TimeTwoThreads("end-to-end threads", "Kekbit writer -> reader (prefaulted)", () =>
            {
                for (long i = 0; i < records; i++)
                {
                    writer.Write(_payload);
                }
            }, () =>
            {
                long seen = 0, sink = 0;
                while (seen < records)
                {
                    ReadResult record = reader.TryRead();
                    if (record.IsRecord)
                    {
                        sink += PayloadSink.Consume(record.Span);
                        seen++;
                    }
                }

                PayloadSink.Keep(sink);
            });
        }

        using var raw = new RawProtocol(scratch.Path, Capacity, preTouch: true);
        using RawProtocol rawReader = raw.OpenReader();
        rawReader.Populate();
        yield return TimeTwoThreads("end-to-end threads", "raw protocol limit", () =>
        {
            for (long i = 0; i < records; i++)
            {
                raw.Write(_payload);
            }
        }, () =>
        {
            long seen = 0, sink = 0;
            while (seen < records)
            {
                if (rawReader.TryRead(out ReadOnlySpan<byte> payload) >= 0)
                {
                    sink += PayloadSink.Consume(payload);
                    seen++;
                }
            }

            PayloadSink.Keep(sink);
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
        return new Measurement("end-to-end processes", payloadSize, "Kekbit writer -> reader process (prefaulted)", records, Stopwatch.GetElapsedTime(start, end));
    }

    /// <summary>
    /// The same records through a Unix domain stream socket from a child process: one <c>send</c> per record there, and
    /// here blocking receives into a 64 KiB buffer until every byte has come.
    /// </summary>
    public Measurement EndToEndSocket()
    {
        string path = Path.Combine(scratch.Path, $"stream-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        // A syscall per record: a million records are plenty to measure, and keep the run short.
        long count = Math.Min(records, 1_000_000);
        using Process child = SelfProcess.Start("uds-stream", path, count.ToString(CultureInfo.InvariantCulture), payloadSize.ToString(CultureInfo.InvariantCulture));
        using Socket connection = listener.Accept();
        byte[] buffer = new byte[64 * 1024];
        long expected = count * payloadSize, received = 0;
        long start = Stopwatch.GetTimestamp();
        while (received < expected)
        {
            int n = connection.Receive(buffer);
            if (n == 0)
            {
                throw new InvalidOperationException("The socket writer closed early.");
            }

            received += n;
            PayloadSink.Keep(PayloadSink.Consume(buffer.AsSpan(0, n)));
        }

        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        child.WaitForExit();
        File.Delete(path);
        return new Measurement("end-to-end processes", payloadSize, "Unix domain socket, one send per record", count, elapsed);
    }

    /// <summary>Role of the child process in <see cref="EndToEndSocket"/>: sends COUNT records of SIZE bytes, one send each.</summary>
    public static int StreamToSocket(string path, long count, int size)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        byte[] payload = new byte[size];
        for (long i = 0; i < count; i++)
        {
            socket.Send(payload);
        }

        return 0;
    }

    /// <summary>Role of the child process in <see cref="EndToEndProcesses"/>: read COUNT records, busy-polling.</summary>
    public static int ChildRead(string root, ulong channelId, long count)
    {
        using ShmReader reader = ShmReader.OpenWhenReady(root, channelId, TimeSpan.FromSeconds(30));
        reader.Prefault();
        Console.WriteLine("READY");
        long seen = 0, sink = 0;
        while (seen < count)
        {
            ReadResult result = reader.TryRead();
            if (result.IsRecord)
            {
                sink += PayloadSink.Consume(result.Span);
                seen++;
            }
            else if (result.IsFinal)
            {
                Console.WriteLine($"FAILED {result}");
                return 1;
            }
        }

        long done = Stopwatch.GetTimestamp();
        PayloadSink.Keep(sink);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DONE {done}"));
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

    private void WriteAll(RawProtocol raw)
    {
        for (long i = 0; i < records; i++)
        {
            raw.Write(_payload);
        }
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
