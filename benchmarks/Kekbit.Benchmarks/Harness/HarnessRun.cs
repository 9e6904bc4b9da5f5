using System.Globalization;
using Kekbit.Core;
using Kekbit.Core.Internal;
using Kekbit.Core.Waiting;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>Runs every harness workload and writes the report.</summary>
internal static class HarnessRun
{
    public static int Run(bool quick, string? output)
    {
        var report = new Report();
        using var scratch = new TempRoot("kekbit-bench");
        Console.Error.WriteLine($"Kekbit harness ({(quick ? "quick smoke run" : "full run")}), {Environment.ProcessorCount} cores, files under {scratch.Path}");
        // Warm-up: run every code path once untimed, so the timed runs use fully optimised code.
        var warmup = new ThroughputWorkloads(scratch, 64, 50_000);
        _ = warmup.WriteOnly().Concat(warmup.ReadOnly()).Concat(warmup.EndToEndThreads()).ToList();
        foreach (int size in new[] { 32, 256, 4096 })
        {
            long records = quick ? 20_000 : Math.Min(8_000_000, (256L << 20) / RecordLayout.RecordSize(size));
            var workloads = new ThroughputWorkloads(scratch, size, records);
            foreach (Measurement m in workloads.WriteOnly().Concat(workloads.ReadOnly()).Concat(workloads.EndToEndThreads()))
            {
                report.Add(m);
            }

            report.Add(workloads.EndToEndProcesses());
            report.Add(workloads.Memcpy());
            var reactive = new ReactiveWorkloads(scratch, size, records);
            foreach (Measurement m in reactive.Delivery().Concat(reactive.Sinks()))
            {
                report.Add(m);
            }
        }

        long latencyCount = quick ? 20_000 : 1_000_000;
        const int Rate = 100_000;
        var busySpin = new BusySpinIdleStrategy();
        report.Add(LatencyWorkloads.Kekbit(scratch, 1_000_001, latencyCount, Rate, "Kekbit, busy-spin reader", busySpin));
        report.Add(LatencyWorkloads.Kekbit(scratch, 1_000_002, latencyCount, Rate, "Kekbit, backoff reader (default strategy)", new BackoffIdleStrategy()));
        report.Add(LatencyWorkloads.UnixSocket(scratch, latencyCount, Rate));
        if (Futex.IsSupported)
        {
            DoorbellWorkloads.Run(report, scratch, quick);
        }

        // Idle cost: an empty channel that nobody writes; each strategy polls it from its own process.
        using (ShmWriter.Create(scratch.Path, Metadata.Create(1, 2_000_000, 0, 8, 60_000, TickUnit.Millis)))
        {
            TimeSpan idleTime = quick ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(10);
            foreach (string strategy in IdleWorkloads.Strategies)
            {
                (TimeSpan cpu, TimeSpan wall) = IdleWorkloads.Measure(scratch, 2_000_000, strategy, idleTime);
                report.AddIdle(strategy, cpu, wall);
            }
        }

        return Write(report, quick, output);
    }

    /// <summary>Only the doorbell rows (<see cref="DoorbellWorkloads"/>).</summary>
    public static int RunDoorbell(bool quick, string? output)
    {
        if (!Futex.IsSupported)
        {
            Console.Error.WriteLine("The doorbell needs Linux futexes (x86-64 or arm64).");
            return 2;
        }

        var report = new Report();
        using var scratch = new TempRoot("kekbit-bench");
        Console.Error.WriteLine($"Kekbit doorbell harness ({(quick ? "quick smoke run" : "full run")}), {Environment.ProcessorCount} cores, files under {scratch.Path}");
        DoorbellWorkloads.Run(report, scratch, quick);
        return Write(report, quick, output);
    }

    private static int Write(Report report, bool quick, string? output)
    {
        string markdown = report.ToMarkdown(string.Create(CultureInfo.InvariantCulture,
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} on {Environment.ProcessorCount} cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}){(quick ? ", quick smoke run: figures are not meaningful" : "")}."));
        Console.WriteLine(markdown);
        if (output is not null)
        {
            File.WriteAllText(output, markdown);
        }

        return 0;
    }
}
