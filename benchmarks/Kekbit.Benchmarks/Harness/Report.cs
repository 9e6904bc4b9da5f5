using System.Globalization;
using System.Text;

namespace Kekbit.Benchmarks.Harness;

/// <summary>Collects measurements and renders them as markdown tables, with ratios against the reference of each group.</summary>
internal sealed class Report
{
    private readonly List<Measurement> _throughput = [];
    private readonly List<LatencyWorkloads.Result> _latency = [];
    private readonly List<(string Strategy, TimeSpan Cpu, TimeSpan Wall)> _idle = [];

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

    public string ToMarkdown(string header)
    {
        var text = new StringBuilder();
        text.AppendLine(header).AppendLine();
        if (_throughput.Count > 0)
        {
            text.AppendLine("| workload | payload | implementation | M records/s | MB/s | vs reference | bytes allocated |");
            text.AppendLine("|---|---:|---|---:|---:|---:|---:|");
            foreach (var group in _throughput.GroupBy(m => (m.Workload, m.PayloadSize)))
            {
                Measurement reference = group.FirstOrDefault(m => m.Implementation.StartsWith("raw", StringComparison.Ordinal) || m.Implementation.Contains("bounded", StringComparison.Ordinal));
                foreach (Measurement m in group)
                {
                    string ratio = reference.Records == 0 ? "" : $"{m.RecordsPerSecond / reference.RecordsPerSecond:P0}";
                    text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {m.Workload} | {m.PayloadSize} B | {m.Implementation} | {m.RecordsPerSecond / 1e6:F2} | {m.MegabytesPerSecond:F0} | {ratio} | {m.AllocatedBytes} |"));
                }
            }

            text.AppendLine();
        }

        if (_latency.Count > 0)
        {
            text.AppendLine("| one-way latency across processes | records | p50 | p99 | p99.9 | p99.99 | max |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (LatencyWorkloads.Result r in _latency)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Transport} | {r.Count} | {Ns(r.P50)} | {Ns(r.P99)} | {Ns(r.P999)} | {Ns(r.P9999)} | {Ns(r.Max)} |"));
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

    private static string Ns(double nanos) => nanos switch
    {
        < 10_000 => string.Create(CultureInfo.InvariantCulture, $"{nanos:F0} ns"),
        < 10_000_000 => string.Create(CultureInfo.InvariantCulture, $"{nanos / 1000:F1} µs"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{nanos / 1e6:F1} ms"),
    };
}
