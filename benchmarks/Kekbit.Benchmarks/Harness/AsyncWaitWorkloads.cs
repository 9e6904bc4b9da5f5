using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using Kekbit.Core;
using Kekbit.Core.Internal;
using Kekbit.Core.Waiting;
using Kekbit.Reactive;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// Readers that await <see cref="ShmReader.WaitForDataAsync"/>, holding no thread: their one-way latency across processes,
/// and what 1,000 idle ones cost their process (CPU and threads). Rows of the doorbell report (<see cref="DoorbellWorkloads"/>).
/// </summary>
internal static class AsyncWaitWorkloads
{
    /// <summary>
    /// The async rows alone (mode "async-wait"): the futex floor, the async doorbell reader at 1k, 10k and 100k records/s
    /// (the blocking doorbell reader beside it), and 1,000 idle async readers (only those with <paramref name="idleOnly"/>).
    /// </summary>
    public static int Run(bool quick, bool idleOnly, string? output, int[]? rates = null, bool latencyOnly = false)
    {
        var report = new Report();
        using var scratch = new TempRoot("kekbit-bench");
        Console.Error.WriteLine($"Kekbit async-wait harness ({(quick ? "quick smoke run" : "full run")}), {Environment.ProcessorCount} cores, files under {scratch.Path}");
        ulong channelId = 4_000_000;
        rates ??= [1_000, 10_000, 100_000];
        foreach (int rate in idleOnly ? [] : rates)
        {
            long count = quick ? Math.Min(20_000, rate) : rate * 10L;
            if (rate == rates[0])
            {
                report.Add(DoorbellWorkloads.FutexPingPong(scratch, quick ? 2_000 : 100_000));
            }

            // The busy-spin reader beside the doorbell ones: its tail is the writer's and the machine's, not the doorbell's.
            report.Add(LatencyWorkloads.Kekbit(scratch, channelId++, count, rate, $"Kekbit, busy-spin reader, {rate:N0}/s", new BusySpinIdleStrategy()));

            report.Add(LatencyWorkloads.Kekbit(scratch, channelId++, count, rate, $"Kekbit, doorbell reader (WaitForData), {rate:N0}/s", idle: null));
            report.Add(ReaderLatency(scratch, channelId++, count, rate, $"Kekbit, async doorbell reader (await WaitForDataAsync), {rate:N0}/s"));
        }

        if (!latencyOnly)
        {
            AddIdleReaders(report, scratch, channelId, 1_000, quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10));
        }

        string markdown = report.ToMarkdown(string.Create(CultureInfo.InvariantCulture,
            $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, load average before the run {LoadAverage()}{(quick ? ", quick smoke run: figures are not meaningful" : "")}."));
        Console.WriteLine(markdown);
        if (output is not null)
        {
            File.WriteAllText(output, markdown);
        }

        return 0;
    }

    /// <summary>Creates <paramref name="channels"/> empty channels and adds the rows of <see cref="MeasureIdleReaders"/> over them.</summary>
    public static void AddIdleReaders(Report report, TempRoot scratch, ulong firstChannelId, int channels, TimeSpan duration)
    {
        var writers = new List<ShmWriter>(channels);
        try
        {
            for (int i = 0; i < channels; i++)
            {
                writers.Add(ShmWriter.Create(scratch.Path, Metadata.Create(1, firstChannelId + (ulong)i, 0, 8, 60_000, TickUnit.Millis)));
            }

            (TimeSpan cpu, TimeSpan wall, int threads, int waiterThreads, TimeSpan waiterCpu) = MeasureIdleReaders(scratch, firstChannelId, channels, duration);
            report.AddIdle(string.Create(CultureInfo.InvariantCulture,
                $"{channels:N0} channels, each followed by an idle await foreach over ReadAllAsync(): whole process ({threads} threads, {waiterThreads} of them doorbell waiters)"), cpu, wall);
            report.AddIdle("the same, doorbell waiter threads only", waiterCpu, wall);
            (TimeSpan baselineCpu, TimeSpan baselineWall) = MeasureIdleBaseline(duration);
            report.AddIdle("baseline: an empty .NET process (the harness executable, no reader)", baselineCpu, baselineWall);
        }
        finally
        {
            writers.ForEach(writer => writer.Dispose());
        }
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>
    /// <see cref="LatencyWorkloads.Kekbit"/> with the reader awaiting <see cref="ShmReader.WaitForDataAsync"/> in an async loop:
    /// each wake-up goes writer ring, waiter thread, thread-pool continuation.
    /// </summary>
    public static LatencyWorkloads.Result ReaderLatency(TempRoot scratch, ulong channelId, long count, int rate, string name) =>
        ReaderLatencyAsync(scratch, channelId, count, rate, name).GetAwaiter().GetResult();

    private static async Task<LatencyWorkloads.Result> ReaderLatencyAsync(TempRoot scratch, ulong channelId, long count, int rate, string name)
    {
        using Process writer = SelfProcess.Start("latency-writer", scratch.Path, channelId.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture), rate.ToString(CultureInfo.InvariantCulture));
        SelfProcess.ExpectLine(writer, "READY");
        using ShmReader reader = await ShmReader.OpenWhenReadyAsync(scratch.Path, channelId, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var stamps = new LatencyStamps(warmup: count / 10);
        long lookWakeupsBefore = DoorbellWaiterThread.WakeupsByLook;
        await writer.StandardInput.WriteLineAsync("GO").ConfigureAwait(false);
        await writer.StandardInput.FlushAsync().ConfigureAwait(false);
        while (true)
        {
            ReadResult result = reader.TryRead();
            if (result.IsRecord)
            {
                stamps.Record(result.Span);
                continue;
            }

            if (result.IsFinal)
            {
                break;
            }

            await reader.WaitForDataAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }

        await writer.WaitForExitAsync().ConfigureAwait(false);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ({name}: {DoorbellWaiterThread.WakeupsByLook - lookWakeupsBefore} waits completed by a periodic look, not a ring)"));
        return stamps.Summarise(name);
    }

    /// <summary>Starts a child that awaits <paramref name="channels"/> empty channels for <paramref name="duration"/>; returns its CPU, wall time and threads.</summary>
    public static (TimeSpan Cpu, TimeSpan Wall, int Threads, int WaiterThreads, TimeSpan WaiterCpu) MeasureIdleReaders(TempRoot scratch, ulong firstChannelId, int channels, TimeSpan duration)
    {
        using Process child = SelfProcess.Start("idle-async-readers", scratch.Path, firstChannelId.ToString(CultureInfo.InvariantCulture), channels.ToString(CultureInfo.InvariantCulture), duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
        string line = SelfProcess.ExpectLine(child, "IDLE ");
        child.WaitForExit();
        string[] parts = line.Split(' ');
        return (TimeSpan.FromTicks(long.Parse(parts[1], CultureInfo.InvariantCulture)), TimeSpan.FromTicks(long.Parse(parts[2], CultureInfo.InvariantCulture)),
            int.Parse(parts[3], CultureInfo.InvariantCulture), int.Parse(parts[4], CultureInfo.InvariantCulture), TimeSpan.FromTicks(long.Parse(parts[5], CultureInfo.InvariantCulture)));
    }

    /// <summary>Starts a child that only sleeps (<see cref="IdleBaseline"/>) for <paramref name="duration"/>; returns its CPU and wall time.</summary>
    public static (TimeSpan Cpu, TimeSpan Wall) MeasureIdleBaseline(TimeSpan duration)
    {
        using Process child = SelfProcess.Start("idle-baseline", duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
        string line = SelfProcess.ExpectLine(child, "IDLE ");
        child.WaitForExit();
        string[] parts = line.Split(' ');
        return (TimeSpan.FromTicks(long.Parse(parts[1], CultureInfo.InvariantCulture)), TimeSpan.FromTicks(long.Parse(parts[2], CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// Role of the child for <see cref="MeasureIdleReaders"/>: opens the channels, starts one
    /// <c>await foreach</c> over <c>ReadAllAsync()</c> per channel (defaults: the doorbell idle strategy), lets them settle, then measures its CPU time over <paramref name="milliseconds"/>; prints
    /// "IDLE cpuTicks wallTicks threads waiterThreads waiterCpuTicks".
    /// </summary>
    public static int IdleReaders(string root, ulong firstChannelId, int channels, double milliseconds)
    {
        var readers = new ShmReader[channels];
        for (int i = 0; i < channels; i++)
        {
            readers[i] = ShmReader.Open(root, firstChannelId + (ulong)i);
        }

        var duration = TimeSpan.FromMilliseconds(milliseconds);
        // The window starts after the loops' waits timed out four times (DoorbellIdleStrategy.DefaultMaxSleep, or the
        // KEKBIT_IDLE_WAIT_MS wait; 40 s at most), so it measures the steady state: the tiered JIT compiles the paths a
        // timed-out wait takes over its first rounds (measured: 0.66-0.99% of a core in a window after one or two rounds,
        // 0.25% after four), and the window holds the waits' periodic timeouts at their steady rate. A quick run (a window
        // under 5 s) settles 1 s. KEKBIT_IDLE_SETTLE_MS overrides the settling time.
        TimeSpan rounds = TimeSpan.FromTicks(Math.Min(4 * (WaitTimeout ?? DoorbellIdleStrategy.DefaultMaxSleep).Ticks, TimeSpan.FromSeconds(40).Ticks));
        TimeSpan settle = double.TryParse(Environment.GetEnvironmentVariable("KEKBIT_IDLE_SETTLE_MS"), CultureInfo.InvariantCulture, out double settleMs)
            ? TimeSpan.FromMilliseconds(settleMs)
            : duration < TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(1) : rounds + TimeSpan.FromSeconds(1);
        using var stop = new CancellationTokenSource(duration + settle + TimeSpan.FromMilliseconds(500));
        Task[] loops = [.. readers.Select(reader => Task.Run(() => IdleLoop(reader, stop.Token)))];
        Thread.Sleep(settle);
        MeasureIdleSelf(duration);
        Task.WaitAll(loops);
        foreach (ShmReader reader in readers)
        {
            reader.Dispose();
        }

        return 0;
    }

    /// <summary>
    /// Role of the child for the baseline row: an empty .NET process (the same executable, no channel, no reader) measured
    /// as <see cref="IdleReaders"/> measures itself; its CPU is the runtime's own idle cost, which no reader can go under.
    /// </summary>
    public static int IdleBaseline(double milliseconds)
    {
        Thread.Sleep(TimeSpan.FromSeconds(1));
        MeasureIdleSelf(TimeSpan.FromMilliseconds(milliseconds));
        return 0;
    }

    /// <summary>
    /// Measures this process's CPU over <paramref name="duration"/> (the measuring thread sleeps throughout) and prints
    /// "IDLE cpuTicks wallTicks threads waiterThreads waiterCpuTicks" on standard output and, on standard error, the CPU
    /// of each group of threads by name (<see cref="ThreadCpu"/>).
    /// </summary>
    private static void MeasureIdleSelf(TimeSpan duration)
    {
        // The measuring code runs many times before the window, with pauses for the tiered JIT: reading /proc calls the
        // file and UTF-8 code hundreds of times, and without this its tier-up compilations (Tier0, instrumented, Tier1, on
        // the ".NET Tiered Compilation" thread, 100 ms after the calls) landed inside the window and were charged to the
        // readers (0.6-0.7% of a core out of 0.7-1.8% measured). The process's CPU is read last before the window and first
        // after it, with microsecond precision (getrusage; Process.TotalProcessorTime counts 10 ms ticks).
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 40; i++)
            {
                _ = WaiterThreadsCpuNanoseconds(out _);
                _ = ThreadCpu.Attribute(ThreadCpu.Snapshot(), ThreadCpu.Snapshot(), duration);
                _ = ProcessCpu.Used();
                _ = Directory.GetDirectories("/proc/self/task").Length;
            }

            Thread.Sleep(500);
        }

        Dictionary<int, (string Name, long Nanoseconds)> threadsBefore = ThreadCpu.Snapshot();
        long waiterBefore = WaiterThreadsCpuNanoseconds(out _);
        TimeSpan cpuBefore = ProcessCpu.Used();
        long start = Stopwatch.GetTimestamp();
        Thread.Sleep(duration);
        TimeSpan cpu = ProcessCpu.Used() - cpuBefore;
        TimeSpan wall = Stopwatch.GetElapsedTime(start);
        long waiterCpu = WaiterThreadsCpuNanoseconds(out int waiterThreads) - waiterBefore;
        Dictionary<int, (string Name, long Nanoseconds)> threadsAfter = ThreadCpu.Snapshot();
        int threads = Directory.GetDirectories("/proc/self/task").Length;
        long listed = threadsAfter.Sum(t => t.Value.Nanoseconds - (threadsBefore.TryGetValue(t.Key, out var b) ? b.Nanoseconds : 0));
        int ended = threadsBefore.Keys.Count(id => !threadsAfter.ContainsKey(id));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  CPU by thread over {wall.TotalSeconds:F1} s (% of a core): {ThreadCpu.Attribute(threadsBefore, threadsAfter, wall)}; not in any listed thread (threads that ended: {ended} of {threadsBefore.Count}: {string.Join(", ", threadsBefore.Where(t => !threadsAfter.ContainsKey(t.Key)).Select(t => t.Value.Name))}): {(cpu.Ticks * 100 - listed) / 1e7 / wall.TotalSeconds:F3}%"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"IDLE {cpu.Ticks} {wall.Ticks} {threads} {waiterThreads} {waiterCpu / 100}"));
    }

    /// <summary>The CPU time the doorbell waiter's threads have used (/proc/self/task/*/schedstat, nanoseconds), and how many there are.</summary>
    private static long WaiterThreadsCpuNanoseconds(out int threads)
    {
        long total = 0;
        threads = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("Kekbit doorbell", StringComparison.Ordinal))
            {
                threads++;
                total += long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    // Each loop is what a user writes: await foreach over ReadAllAsync() with its defaults (the doorbell idle strategy,
    // whose waits run on the process-wide waiter). KEKBIT_IDLE_WAIT_MS=N makes the loops await WaitForDataAsync with an
    // N ms timeout instead, to show what the wait's length costs.
    private static readonly TimeSpan? WaitTimeout =
        double.TryParse(Environment.GetEnvironmentVariable("KEKBIT_IDLE_WAIT_MS"), CultureInfo.InvariantCulture, out double ms) ? TimeSpan.FromMilliseconds(ms) : null;

    private static async Task IdleLoop(ShmReader reader, CancellationToken stop)
    {
        try
        {
            if (WaitTimeout is { } timeout)
            {
                while (!await reader.WaitForDataAsync(timeout, stop).ConfigureAwait(false))
                {
                }

                return;
            }

            await foreach (Record record in reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                GC.KeepAlive(record);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
