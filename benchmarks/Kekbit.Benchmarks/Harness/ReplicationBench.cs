using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Replication.Nats;
using Kekbit.TestSupport;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// <c>replication</c> mode: push throughput (journal to JetStream) beside a plain NATS.Net JetStream publish loop with
/// the same window (the peer), and origin-to-mirror latency p50/p99, for 32 B and 1 KiB records, against a nats-server
/// (JetStream, file store) on loopback that it starts itself.
/// </summary>
internal static class ReplicationBench
{
    private const int Window = 256;

    public static int Run(bool quick)
    {
        long count = quick ? 5_000 : 100_000;
        int rounds = quick ? 2 : 3;
        int latencySamples = quick ? 200 : 2_000;
        var lines = new List<string>
        {
            "| record | peer: NATS.Net publish loop (msg/s) | push replicator (msg/s) | push / peer | client CPU per message, peer / push (us) | origin-to-mirror p50 (us) | p99 (us) |",
            "|---|---|---|---|---|---|---|",
        };

        // Warm-up (JIT tiers, page cache, the server binary): both sides once, untimed.
        PeerAsync(32, 2_000).GetAwaiter().GetResult();
        PushAsync(32, 2_000).GetAwaiter().GetResult();
        foreach (int size in new[] { 32, 1024 })
        {
            // Alternating rounds (peer first, then push first, ...): a machine shared with other work drifts, so each
            // round's ratio compares runs taken seconds apart; the table gives the medians.
            var peers = new List<double>();
            var pushes = new List<double>();
            var ratios = new List<double>();
            var peerCpu = new List<double>();
            var pushCpu = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                Timed peerRun, pushRun;
                if (round % 2 == 0)
                {
                    peerRun = PeerAsync(size, count).GetAwaiter().GetResult();
                    pushRun = PushAsync(size, count).GetAwaiter().GetResult();
                }
                else
                {
                    pushRun = PushAsync(size, count).GetAwaiter().GetResult();
                    peerRun = PeerAsync(size, count).GetAwaiter().GetResult();
                }

                double peer = peerRun.Rate, push = pushRun.Rate;
                peerCpu.Add(peerRun.ClientCpuUs);
                pushCpu.Add(pushRun.ClientCpuUs);

                peers.Add(peer);
                pushes.Add(push);
                ratios.Add(push / peer);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{size} B round {round + 1}: peer {peer:N0} msg/s, push {push:N0} msg/s, push / peer {push / peer:P0}; client CPU per message: peer {peerRun.ClientCpuUs:N1} us, push {pushRun.ClientCpuUs:N1} us; nats-server CPU per message: peer {peerRun.ServerCpuUs:N1} us, push {pushRun.ServerCpuUs:N1} us; allocated per message (whole process): peer {peerRun.AllocatedBytes:N0} B, push {pushRun.AllocatedBytes:N0} B (load {LoadAverage()})"));
            }

            (double p50, double p99) = LatencyAsync(size, latencySamples).GetAwaiter().GetResult();
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {size} B | {Median(peers):N0} | {Median(pushes):N0} | {Median(ratios):P0} (rounds: {string.Join(", ", ratios.Select(r => r.ToString("P0", CultureInfo.InvariantCulture)))}) | {Median(peerCpu):N1} / {Median(pushCpu):N1} | {p50:N0} | {p99:N0} |"));
            Console.Error.WriteLine(lines[^1]);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Replication on loopback, {count:N0} records per run, {rounds} alternating rounds (medians), window {Window}, nats-server file store, load average {LoadAverage()}:"));
        Console.WriteLine();
        foreach (string line in lines)
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    /// <summary>One timed run: messages per second, and CPU microseconds per message of this process (the client) and of nats-server.</summary>
    private readonly record struct Timed(double Rate, double ClientCpuUs, double ServerCpuUs, double AllocatedBytes);

    /// <summary>Wall clock plus the CPU time of this process and of the server: CPU per message does not depend on what else the shared machine runs.</summary>
    private readonly record struct CpuClock(NatsServer Server, long Started, TimeSpan Client, TimeSpan ServerCpu, long Allocated)
    {
        public static CpuClock Start(NatsServer server) =>
            new(server, Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime, server.ProcessorTime, GC.GetTotalAllocatedBytes(precise: true));

        public Timed Stop(long count) => new(
            count / Stopwatch.GetElapsedTime(Started).TotalSeconds,
            (Process.GetCurrentProcess().TotalProcessorTime - Client).TotalMicroseconds / count,
            (Server.ProcessorTime - ServerCpu).TotalMicroseconds / count,
            (double)(GC.GetTotalAllocatedBytes(precise: true) - Allocated) / count);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>
    /// The peer: the publish loop a user would write with NATS.Net alone (<c>PublishConcurrentAsync</c>, the same window,
    /// no headers, no message id, no expected-sequence check). Its clock includes connecting and creating the stream,
    /// as the push replicator's includes its start (connect, stream lookup and creation, reconcile).
    /// </summary>
    private static async Task<Timed> PeerAsync(int size, long count)
    {
        await using NatsServer server = await NatsServer.StartAsync();
        var cpu = CpuClock.Start(server);
        await using var nats = new NatsConnection(new NatsOpts { Url = server.Url });
        await nats.ConnectAsync();
        var js = new NatsJSContext(nats);
        await js.CreateStreamAsync(new StreamConfig("peer", ["peer"]) { Storage = StreamConfigStorage.File });
        var window = new Queue<NatsJSPublishConcurrentFuture>(Window);
        byte[] payload = new byte[size];
        for (long i = 0; i < count; i++)
        {
            if (window.Count == Window)
            {
                await using NatsJSPublishConcurrentFuture oldest = window.Dequeue();
                (await oldest.GetResponseAsync()).EnsureSuccess();
            }

            window.Enqueue(await js.PublishConcurrentAsync("peer", payload));
        }

        while (window.TryDequeue(out NatsJSPublishConcurrentFuture future))
        {
            await using (future)
            {
                (await future.GetResponseAsync()).EnsureSuccess();
            }
        }

        return cpu.Stop(count);
    }

    private static async Task<Timed> PushAsync(int size, long count)
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-bench-nats");
        string origin = Path.Combine(root.Path, "origin");
        using JournalWriter writer = JournalWriter.Open(origin, new JournalWriterOptions { SegmentCapacity = 64 << 20 });
        byte[] payload = new byte[size];
        for (long i = 0; i < count; i++)
        {
            writer.Write(payload);
        }

        using var push = new NatsPushReplicator(new NatsPushOptions { JournalFolder = origin, Stream = "orders", MaxInFlight = Window, Connection = new NatsConnectionOptions { Url = server.Url } });
        var cpu = CpuClock.Start(server);
        await push.StartAsync(CancellationToken.None);
        while (push.GetStatus().LastReplicatedSequence != count - 1)
        {
            if (push.GetStatus().Fault is { } fault)
            {
                throw fault;
            }

            await Task.Delay(20);   // GetStatus opens a journal reader for the lag: poll gently, off the measured path
        }

        Timed run = cpu.Stop(count);
        await push.StopAsync(CancellationToken.None);
        return run;
    }

    private static async Task<(double P50, double P99)> LatencyAsync(int size, int samples)
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-bench-nats");
        string origin = Path.Combine(root.Path, "origin");
        string mirrorFolder = Path.Combine(root.Path, "mirror");
        var connection = new NatsConnectionOptions { Url = server.Url };
        using JournalWriter writer = JournalWriter.Open(origin, new JournalWriterOptions { SegmentCapacity = 64 << 20 });
        byte[] payload = new byte[Math.Max(size, 8)];
        BinaryPrimitives.WriteInt64LittleEndian(payload, Stopwatch.GetTimestamp());
        writer.Write(payload.AsSpan(0, size >= 8 ? size : 8));   // creates the stream before the mirror starts
        using var push = new NatsPushReplicator(new NatsPushOptions { JournalFolder = origin, Stream = "orders", MaxInFlight = Window, Connection = connection, InitialBackoff = TimeSpan.FromMilliseconds(10) });
        await push.StartAsync(CancellationToken.None);
        while (push.GetStatus().LastReplicatedSequence < 0)
        {
            await Task.Delay(1);
        }

        using var mirror = new NatsMirrorReplicator(new NatsMirrorOptions { JournalFolder = mirrorFolder, Stream = "orders", Connection = connection });
        await mirror.StartAsync(CancellationToken.None);
        while (mirror.GetStatus().LastReplicatedSequence < 0)
        {
            await Task.Delay(1);
        }

        using JournalReader reader = JournalReader.Open(mirrorFolder, JournalStart.AtSequence(1));
        var latencies = new List<double>(samples);
        for (int i = 0; i < samples; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(payload, Stopwatch.GetTimestamp());
            writer.Write(payload.AsSpan(0, size >= 8 ? size : 8));
            while (true)
            {
                ReadResult read = reader.TryRead();
                if (read.IsRecord)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(BinaryPrimitives.ReadInt64LittleEndian(read.Span)).TotalMicroseconds);
                    break;
                }

                reader.WaitForData(TimeSpan.FromMilliseconds(10));
            }
        }

        await mirror.StopAsync(CancellationToken.None);
        await push.StopAsync(CancellationToken.None);
        latencies.Sort();
        return (latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.99)]);
    }
}
