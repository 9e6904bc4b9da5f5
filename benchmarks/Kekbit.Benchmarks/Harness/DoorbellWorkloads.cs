using System.Diagnostics;
using System.Globalization;
using System.IO.MemoryMappedFiles;
using HdrHistogram;
using Kekbit.Core;
using Kekbit.Core.Internal;
using Kekbit.Core.Waiting;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// The doorbell's figures: the floor (a raw futex ping-pong between two processes over a shared file mapping, nothing
/// of Kekbit but its futex calls) and the one-way latency of readers sleeping on the doorbell at paced rates, with the
/// default backoff reader beside them; the same for readers awaiting <see cref="ShmReader.WaitForDataAsync"/> (woken by
/// the process-wide futex_waitv waiter); and the CPU an idle reader costs, doorbell and backoff, and what 1,000 idle
/// async readers cost a process (CPU and threads).
/// </summary>
internal static unsafe class DoorbellWorkloads
{
    private const int PongOffset = 64;

    /// <summary>
    /// Runs the doorbell rows into <paramref name="report"/>: latency at <paramref name="rates"/> (1k, 10k and 100k records/s
    /// when null), then, unless <paramref name="latencyOnly"/>, the idle costs.
    /// </summary>
    public static void Run(Report report, TempRoot scratch, bool quick, int[]? rates = null, bool latencyOnly = false)
    {
        report.Add(FutexPingPong(scratch, quick ? 2_000 : 100_000));
        ulong channelId = 3_000_000;
        foreach (int rate in rates ?? [1_000, 10_000, 100_000])
        {
            long count = quick ? Math.Min(20_000, rate) : rate * 10L;
            report.Add(LatencyWorkloads.Kekbit(scratch, channelId++, count, rate, $"Kekbit, doorbell reader (WaitForData), {rate:N0}/s", idle: null));
            report.Add(AsyncWaitWorkloads.ReaderLatency(scratch, channelId++, count, rate, $"Kekbit, async doorbell reader (await WaitForDataAsync), {rate:N0}/s"));
            report.Add(LatencyWorkloads.KekbitSource(scratch, channelId++, count, rate, $"Kekbit, ToObservable() defaults (doorbell), {rate:N0}/s", "observable"));
            report.Add(LatencyWorkloads.KekbitSource(scratch, channelId++, count, rate, $"Kekbit, await foreach ReadAllAsync() defaults, {rate:N0}/s", "async"));
            report.Add(LatencyWorkloads.Kekbit(scratch, channelId++, count, rate, $"Kekbit, backoff reader (0.4.0 default strategy), {rate:N0}/s", new BackoffIdleStrategy()));
        }

        if (latencyOnly)
        {
            return;
        }

        // What a reader waiting on an empty channel costs: WaitForData, the default ToObservable() and await foreach
        // over ReadAllAsync() (both on the doorbell), and the backoff that was the default before.
        using (ShmWriter.Create(scratch.Path, Metadata.Create(1, channelId, 0, 8, 60_000, TickUnit.Millis)))
        {
            TimeSpan idleTime = quick ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(10);
            foreach (string strategy in new[] { "doorbell", "observable", "await-foreach", "backoff" })
            {
                (TimeSpan cpu, TimeSpan wall) = IdleWorkloads.Measure(scratch, channelId, strategy, idleTime);
                report.AddIdle(strategy, cpu, wall);
            }
        }

        // What 1,000 channels each awaited by an idle async loop cost their process.
        AsyncWaitWorkloads.AddIdleReaders(report, scratch, channelId + 1, 1_000, quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// Ping-pong through two futex words in a shared file, this process and a child, each side sleeping in FUTEX_WAIT
    /// until the other wakes it: half of each round trip is one cross-process wake-up, the floor for the doorbell.
    /// </summary>
    public static LatencyWorkloads.Result FutexPingPong(TempRoot scratch, long rounds)
    {
        string file = Path.Combine(scratch.Path, "futex-pingpong");
        using (var stream = new FileStream(file, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            stream.SetLength(4096);
        }

        try
        {
            using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, mapName: null, 4096, MemoryMappedFileAccess.ReadWrite);
            using MemoryMappedViewAccessor view = map.CreateViewAccessor(0, 4096);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            try
            {
                uint* ping = (uint*)(start + view.PointerOffset);
                uint* pong = (uint*)(start + view.PointerOffset + PongOffset);
                using Process child = SelfProcess.Start("futex-pong", file, rounds.ToString(CultureInfo.InvariantCulture));
                SelfProcess.ExpectLine(child, "READY");
                var histogram = new LongHistogram(TimeSpan.FromSeconds(100).Ticks * 100, 3);
                long warmup = rounds / 10;
                for (uint i = 1; i <= rounds; i++)
                {
                    long sent = Stopwatch.GetTimestamp();
                    Volatile.Write(ref *ping, i);
                    Futex.WakeAll(ping);
                    WaitFor(pong, i);
                    if (i > warmup)
                    {
                        histogram.RecordValue((long)((Stopwatch.GetTimestamp() - sent) * 1e9 / Stopwatch.Frequency / 2));
                    }
                }

                child.WaitForExit();
                return LatencyWorkloads.Summarise("raw futex ping-pong between processes (floor: round trip / 2)", histogram);
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Role of the child process for <see cref="FutexPingPong"/>: answers every ping with the same pong.</summary>
    public static int Pong(string file, long rounds)
    {
        using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, mapName: null, 4096, MemoryMappedFileAccess.ReadWrite);
        using MemoryMappedViewAccessor view = map.CreateViewAccessor(0, 4096);
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        uint* ping = (uint*)(start + view.PointerOffset);
        uint* pong = (uint*)(start + view.PointerOffset + PongOffset);
        Console.WriteLine("READY");
        for (uint i = 1; i <= rounds; i++)
        {
            WaitFor(ping, i);
            Volatile.Write(ref *pong, i);
            Futex.WakeAll(pong);
        }

        view.SafeMemoryMappedViewHandle.ReleasePointer();
        return 0;
    }

    /// <summary>Sleeps in FUTEX_WAIT until <paramref name="word"/> holds <paramref name="value"/> (the 100 ms timeout only guards against a dead peer).</summary>
    private static void WaitFor(uint* word, uint value)
    {
        uint seen;
        while ((seen = Volatile.Read(ref *word)) != value)
        {
            Futex.Wait(word, seen, TimeSpan.FromMilliseconds(100));
        }
    }
}
