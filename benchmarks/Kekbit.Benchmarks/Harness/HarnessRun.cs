using System.Globalization;
using Kekbit.Core;
using Kekbit.Core.Internal;
using Kekbit.Core.Waiting;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>Runs every harness workload and writes the report.</summary>
internal static class HarnessRun
{
    /// <summary>The payload sizes every throughput workload runs at.</summary>
    public static readonly int[] PayloadSizes = [32, 256, 1024, 4096];

    /// <summary>What each side of the comparison ran with, said in every result file.</summary>
    public static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["Kekbit"] = "ShmWriter with PreTouch=true and the doorbell (default) on a channel file under the run's folder; ShmReader.TryRead or ReaderPoller.Drain (the batch read, a struct handler) busy-polling; rows say when the reader called Prefault() (madvise MADV_POPULATE_READ) and whether that is timed, when the reader ran in the writer's process (it then reads through the writer's mapping) or another reader of the process held the file (its mapping is then shared), a fresh mapping being what a reader in another process opens, and when the channel lay on a tmpfs mounted huge=within_size (root only; the run mounts it and removes it after)",
        ["raw protocol limit"] = "a bare loop with Kekbit's record layout and memory ordering into a pre-touched mapped file in the same folder, no checks; its reader maps the file separately and is populated (MADV_POPULATE_READ) unless the row says fresh mapping",
        ["FasterLog"] = "Microsoft.FASTER.Core 2.6.5: " + Peers.FasterLogPeer.Settings,
        ["System.Threading.Channels"] = "bounded(1024) and unbounded, SingleReader and SingleWriter, carrying ReadOnlyMemory<byte> views of one array (no copy), read with ReadAllAsync",
        ["Unix domain socket"] = "SOCK_STREAM between two processes: one send per record, blocking receives (64 KiB buffer for throughput, one record for latency)",
        ["latency"] = "a writer process paces 32-byte records at the given rate and stamps each with its due time (no coordinated omission) and its publish time; this process records arrival minus due time in HdrHistogram (the main columns), and arrival minus publish time (the 'from publish' columns: without the pacing writer's own lateness when the scheduler wakes it late); the first 10% are warm-up",
        ["futex floor"] = "a raw futex ping-pong between two processes over a shared mapping: half a round trip, the least any wake-up across processes costs here",
    };

    public static int Run(bool quick, string? output, string? outputFolder = null)
    {
        var report = new Report();
        using var scratch = new TempRoot("kekbit-bench");
        MachineInfo machine = MachineInfo.Capture(scratch.Path);
        Console.Error.WriteLine($"Kekbit harness ({(quick ? "quick smoke run" : "full run")}). {machine.ToMarkdown()}");
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        // Channels on a huge-page tmpfs (root only): mounted for the run, unmounted and deleted at its end.
        using HugeTmpfs? huge = HugeTmpfs.TryMount(320L << 20);
        if (huge is null)
        {
            report.AddNote($"read-only, huge-page tmpfs rows: {HugeTmpfs.SkipReason}");
        }

        // Warm-up: run every code path once untimed, so the timed runs use fully optimised code.
        var warmup = new ThroughputWorkloads(scratch, 64, 50_000, huge: huge);
        _ = warmup.WriteOnly().Concat(warmup.ReadOnly()).Concat(warmup.EndToEndThreads()).Concat(warmup.FasterLog()).ToList();
        foreach (int size in PayloadSizes)
        {
            long records = quick ? 20_000 : Math.Min(8_000_000, (256L << 20) / RecordLayout.RecordSize(size));
            // Writes and reads are the best of three attempts (one in a quick run): the least disturbed on a shared machine.
            var workloads = new ThroughputWorkloads(scratch, size, records, repeats: quick ? 1 : 3, huge: huge);
            foreach (Measurement m in workloads.WriteOnly().Concat(workloads.FasterLog()).Concat(workloads.ReadOnly()).Concat(workloads.EndToEndThreads()))
            {
                report.Add(m);
            }

            report.Add(workloads.EndToEndProcesses());
            report.Add(workloads.EndToEndSocket());
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

        Console.Error.WriteLine($"Harness finished in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMinutes:F1} min.");
        return Write(report, machine, quick, output, outputFolder);
    }

    /// <summary>Only the doorbell rows (<see cref="DoorbellWorkloads"/>).</summary>
    public static int RunDoorbell(bool quick, string? output, int[]? rates = null, bool latencyOnly = false)
    {
        if (!Futex.IsSupported)
        {
            Console.Error.WriteLine("The doorbell needs Linux futexes (x86-64 or arm64).");
            return 2;
        }

        var report = new Report();
        using var scratch = new TempRoot("kekbit-bench");
        MachineInfo machine = MachineInfo.Capture(scratch.Path);
        Console.Error.WriteLine($"Kekbit doorbell harness ({(quick ? "quick smoke run" : "full run")}). {machine.ToMarkdown()}");
        DoorbellWorkloads.Run(report, scratch, quick, rates, latencyOnly);
        return Write(report, machine, quick, output, outputFolder: null);
    }

    /// <summary>
    /// Prints the markdown report; writes it to <paramref name="output"/> too; into <paramref name="outputFolder"/> writes
    /// results.md, results.json and the SVG plots.
    /// </summary>
    private static int Write(Report report, MachineInfo machine, bool quick, string? output, string? outputFolder)
    {
        var header = new System.Text.StringBuilder();
        header.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Measured {machine.StartedUtc:yyyy-MM-dd}{(quick ? ", quick smoke run: figures are not meaningful" : "")}. {machine.ToMarkdown()}"));
        header.AppendLine();
        foreach ((string side, string settings) in Settings)
        {
            header.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- **{side}**: {settings}."));
        }

        string markdown = report.ToMarkdown(header.ToString().TrimEnd());
        Console.WriteLine(markdown);
        if (output is not null)
        {
            File.WriteAllText(output, markdown);
        }

        if (outputFolder is not null)
        {
            Directory.CreateDirectory(outputFolder);
            File.WriteAllText(Path.Combine(outputFolder, "results.md"), markdown);
            File.WriteAllText(Path.Combine(outputFolder, "results.json"), report.ToJson(machine, quick, Settings));
            foreach (string plot in Plots.Write(report, machine, outputFolder))
            {
                Console.Error.WriteLine($"  wrote {plot}");
            }
        }

        return 0;
    }
}
