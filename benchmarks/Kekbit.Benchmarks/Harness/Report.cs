using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kekbit.Benchmarks.Harness;

/// <summary>Collects measurements and renders them as markdown tables, with ratios against the reference of each group.</summary>
internal sealed class Report
{
    private readonly List<Measurement> _throughput = [];
    private readonly List<LatencyWorkloads.Result> _latency = [];
    private readonly List<(string Strategy, TimeSpan Cpu, TimeSpan Wall)> _idle = [];
    private readonly List<string> _notes = [];

    /// <summary>A line said under the throughput table (a row skipped, and why).</summary>
    public void AddNote(string note)
    {
        _notes.Add(note);
        Console.Error.WriteLine($"  note: {note}");
    }

    public void Add(Measurement m)
    {
        _throughput.Add(m);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {m.Workload,-22} {m.PayloadSize,5} B  {m.Implementation,-42} {m.RecordsPerSecond / 1e6,9:F2} M rec/s {m.MegabytesPerSecond,9:F0} MB/s"));
    }

    public void Add(LatencyWorkloads.Result r)
    {
        _latency.Add(r);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  latency {r.Transport,-48} p50 {r.P50,8:F0} ns  p99 {r.P99,8:F0} ns  max {r.Max,10:F0} ns"));
    }

    public void AddIdle(string strategy, TimeSpan cpu, TimeSpan wall)
    {
        _idle.Add((strategy, cpu, wall));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  idle {strategy,-30} {cpu.TotalMilliseconds,8:F0} ms CPU in {wall.TotalSeconds:F1} s = {100 * cpu / wall,6:F2}% of a core"));
    }

    /// <summary>The implementation name of the raw protocol limit's rows, the reference of every ratio.</summary>
    public const string RawLimit = "raw protocol limit";

    public IReadOnlyList<Measurement> Throughput => _throughput;

    public IReadOnlyList<LatencyWorkloads.Result> Latency => _latency;

    /// <summary>
    /// The raw protocol limit row a measurement is compared with, same payload size: the raw write for writes (sinks and
    /// memcpy included), the raw read (of a mapping without page faults) for reads, the raw writer thread to reader
    /// thread for everything end to end (processes, sockets and the delivery paths).
    /// </summary>
    public Measurement? RawReference(Measurement m)
    {
        string workload = m.Workload switch
        {
            "write-only" or "write via sink" or "memcpy" => "write-only",
            "read-only" => "read-only",
            _ => "end-to-end threads",
        };
        foreach (Measurement r in _throughput)
        {
            if (r.Workload == workload && r.PayloadSize == m.PayloadSize && r.Implementation == RawLimit)
            {
                return r;
            }
        }

        return null;
    }

    /// <summary>This measurement's records per second over its raw limit's, or null without one.</summary>
    public double? RatioToRaw(Measurement m) => RawReference(m) is { } r ? m.RecordsPerSecond / r.RecordsPerSecond : null;

    /// <summary>The futex ping-pong floor, if the run measured it.</summary>
    public LatencyWorkloads.Result? FutexFloor => _latency.FirstOrDefault(r => r.Transport.StartsWith("raw futex", StringComparison.Ordinal));

    public string ToMarkdown(string header)
    {
        var text = new StringBuilder();
        text.AppendLine(header).AppendLine();
        if (_throughput.Count > 0)
        {
            text.AppendLine("| workload | payload | implementation | M records/s | MB/s | vs raw limit | bytes allocated |");
            text.AppendLine("|---|---:|---|---:|---:|---:|---:|");
            foreach (var group in _throughput.GroupBy(m => (m.Workload, m.PayloadSize)))
            {
                foreach (Measurement m in group)
                {
                    string ratio = RatioToRaw(m) is double r ? string.Create(CultureInfo.InvariantCulture, $"{r:P0}") : "";
                    text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {m.Workload} | {m.PayloadSize} B | {m.Implementation} | {m.RecordsPerSecond / 1e6:F2} | {m.MegabytesPerSecond:F0} | {ratio} | {m.AllocatedBytes} |"));
                }
            }

            text.AppendLine();
            foreach (string note in _notes)
            {
                text.AppendLine($"- {note}");
            }

            if (_notes.Count > 0)
            {
                text.AppendLine();
            }
        }

        if (_latency.Count > 0)
        {
            LatencyWorkloads.Result? floor = FutexFloor;
            text.AppendLine("| one-way latency across processes, 32 B | records | p50 | p99 | p99.9 | p99.99 | max | p50 vs futex floor | from publish: p50 | p99 | p99.9 |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (LatencyWorkloads.Result r in _latency)
            {
                string ratio = floor is null || floor.P50 <= 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{r.P50 / floor.P50:F2}×");
                string fromPublish = r.FromPublish is { } p ? $"{Ns(p.P50)} | {Ns(p.P99)} | {Ns(p.P999)}" : " | ";
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Transport} | {r.Count} | {Ns(r.P50)} | {Ns(r.P99)} | {Ns(r.P999)} | {Ns(r.P9999)} | {Ns(r.Max)} | {ratio} | {fromPublish} |"));
            }

            text.AppendLine();
        }

        if (_idle.Count > 0)
        {
            text.AppendLine("| idle reader, strategy | CPU time | wall time | share of one core |");
            text.AppendLine("|---|---:|---:|---:|");
            foreach (var (strategy, cpu, wall) in _idle)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {strategy} | {cpu.TotalMilliseconds:F0} ms | {wall.TotalSeconds:F1} s | {100 * cpu / wall:F2}% |"));
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    /// <summary>The whole run as JSON: the machine, every row with its ratio to the raw limit, the latency curves, the idle costs.</summary>
    public string ToJson(MachineInfo machine, bool quick, IReadOnlyDictionary<string, string> settings) => JsonSerializer.Serialize(
        new
        {
            machine,
            quick,
            settings,
            throughput = _throughput.Select(m => new
            {
                workload = m.Workload,
                payloadBytes = m.PayloadSize,
                implementation = m.Implementation,
                records = m.Records,
                seconds = m.Elapsed.TotalSeconds,
                recordsPerSecond = m.RecordsPerSecond,
                megabytesPerSecond = m.MegabytesPerSecond,
                ratioToRawLimit = RatioToRaw(m),
                allocatedBytes = m.AllocatedBytes,
            }),
            latency = _latency.Select(r => new
            {
                transport = r.Transport,
                records = r.Count,
                p50Ns = r.P50,
                p99Ns = r.P99,
                p999Ns = r.P999,
                p9999Ns = r.P9999,
                maxNs = r.Max,
                distribution = r.Distribution.Select(d => new { percentile = d.Percentile, ns = d.Nanos }),
            }),
            idle = _idle.Select(i => new { strategy = i.Strategy, cpuMs = i.Cpu.TotalMilliseconds, wallSeconds = i.Wall.TotalSeconds, shareOfCore = i.Cpu / i.Wall }),
        },
        JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private static string Ns(double nanos) => nanos switch
    {
        < 10_000 => string.Create(CultureInfo.InvariantCulture, $"{nanos:F0} ns"),
        < 10_000_000 => string.Create(CultureInfo.InvariantCulture, $"{nanos / 1000:F1} µs"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{nanos / 1e6:F1} ms"),
    };
}
