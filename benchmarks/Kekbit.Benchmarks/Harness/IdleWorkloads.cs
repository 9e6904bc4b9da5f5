using System.Diagnostics;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.Core.Waiting;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>What an idle reader costs: a reader process polls an empty channel with one idle strategy; its CPU time is measured.</summary>
internal static class IdleWorkloads
{
    public static readonly string[] Strategies = ["busy-spin", "yielding", "backoff", "sleeping"];

    public static (TimeSpan Cpu, TimeSpan Wall) Measure(TempRoot scratch, ulong channelId, string strategy, TimeSpan duration)
    {
        using Process reader = SelfProcess.Start("idle-reader", scratch.Path, channelId.ToString(CultureInfo.InvariantCulture), strategy, duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
        string line = SelfProcess.ExpectLine(reader, "IDLE ");
        reader.WaitForExit();
        string[] parts = line.Split(' ');
        return (TimeSpan.FromTicks(long.Parse(parts[1], CultureInfo.InvariantCulture)), TimeSpan.FromTicks(long.Parse(parts[2], CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// Role of the reader process: poll for the given time (with "doorbell", wait in <see cref="ShmReader.WaitForData"/>
    /// instead; with "observable" or "await-foreach", let a default <c>ToObservable()</c> subscription or <c>await foreach</c>
    /// over <c>ReadAllAsync()</c> wait), then print its CPU and wall time in ticks.
    /// </summary>
    public static int Reader(string root, ulong channelId, string strategy, double milliseconds)
    {
        IIdleStrategy idle = strategy switch
        {
            "busy-spin" => new BusySpinIdleStrategy(),
            "yielding" => new YieldingIdleStrategy(),
            "sleeping" => new SleepingIdleStrategy(),
            _ => new BackoffIdleStrategy(),
        };
        using ShmReader reader = ShmReader.Open(root, channelId);
        var poller = new ReaderPoller(reader, idle);
        using var process = Process.GetCurrentProcess();
        var duration = TimeSpan.FromMilliseconds(milliseconds);
        if (strategy is "observable" or "await-foreach")
        {
            return IdleSource(reader, strategy, process, duration);
        }

        TimeSpan cpuBefore = process.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) is var elapsed && elapsed < duration)
        {
            if (strategy == "doorbell")
            {
                reader.WaitForData(duration - elapsed);
            }
            else
            {
                poller.Poll<int>(static (_, _) => { }, 0);
            }
        }

        TimeSpan wall = Stopwatch.GetElapsedTime(start);
        process.Refresh();
        TimeSpan cpu = process.TotalProcessorTime - cpuBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"IDLE {cpu.Ticks} {wall.Ticks}"));
        return 0;
    }

    /// <summary>A default source waits on the empty channel: the process's CPU time over <paramref name="duration"/>, after a short warm-up.</summary>
    private static int IdleSource(ShmReader reader, string source, Process process, TimeSpan duration)
    {
        using var stop = new CancellationTokenSource();
        IDisposable? subscription = null;
        Task? enumeration = null;
        if (source == "observable")
        {
            subscription = reader.ToObservable().Subscribe(_ => { });
        }
        else
        {
            enumeration = Task.Run(async () =>
            {
                try
                {
                    await foreach (Record record in reader.ReadAllAsync(stop.Token))
                    {
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        Thread.Sleep(200); // Warm-up: JIT, spins, first sleeps.
        process.Refresh();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        Thread.Sleep(duration);
        process.Refresh();
        TimeSpan cpu = process.TotalProcessorTime - cpuBefore;
        TimeSpan wall = Stopwatch.GetElapsedTime(start);
        subscription?.Dispose();
        stop.Cancel();
        enumeration?.GetAwaiter().GetResult();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"IDLE {cpu.Ticks} {wall.Ticks}"));
        return 0;
    }
}
