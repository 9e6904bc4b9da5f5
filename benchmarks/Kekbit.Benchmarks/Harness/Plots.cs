using System.Globalization;
using ScottPlot;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// The harness's pictures (ScottPlot 5, written as SVG): one-way latency percentile curves per wait strategy, and
/// throughput per record size for each workload, every series from the same run.
/// </summary>
internal static class Plots
{
    private const int Width = 1200;
    private const int Height = 540;

    /// <summary>The latency curves of the wait-strategy plot, each found by its row's name; rows a run lacks are skipped.</summary>
    private static readonly (string Label, Func<string, bool> Row)[] WaitStrategies =
    [
        ("futex floor (ping-pong / 2)", t => t.StartsWith("raw futex", StringComparison.Ordinal)),
        ("busy-spin reader", t => t == "Kekbit, busy-spin reader"),
        ("doorbell reader (WaitForData)", t => t.StartsWith("Kekbit, doorbell reader", StringComparison.Ordinal) && t.EndsWith("100,000/s", StringComparison.Ordinal)),
        ("backoff reader (default strategy)", t => t == "Kekbit, backoff reader (default strategy)"),
        ("Unix domain socket (blocking receive)", t => t.StartsWith("Unix domain socket", StringComparison.Ordinal)),
    ];

    /// <summary>Writes every plot into <paramref name="folder"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(Report report, MachineInfo machine, string folder)
    {
        var written = new List<string>();
        string subtitle = string.Create(CultureInfo.InvariantCulture, $"{machine.Cores} cores, {machine.CpuModel}, kernel {machine.Kernel}, load {machine.LoadAverageAtStart}, {machine.StartedUtc:yyyy-MM-dd}");
        Add(written, Latency(report, subtitle, folder, "latency-wait-strategies.svg", "One-way latency across processes, 32 B records at 100,000/s, per wait strategy",
            WaitStrategies.Select(w => (w.Label, report.Latency.FirstOrDefault(r => w.Row(r.Transport)))).ToList()));
        Add(written, Latency(report, subtitle, folder, "latency-doorbell-rates.svg", "Doorbell and backoff readers at paced rates, 32 B records, across processes",
            report.Latency.Where(r => r.Transport.Contains("/s", StringComparison.Ordinal))
                .Select(r => (r.Transport.Replace("Kekbit, ", "", StringComparison.Ordinal), (LatencyWorkloads.Result?)r)).ToList()));
        foreach ((string workload, string file) in new[]
        {
            ("write-only", "throughput-write.svg"),
            ("read-only", "throughput-read.svg"),
            ("end-to-end threads", "throughput-end-to-end-threads.svg"),
            ("end-to-end processes", "throughput-end-to-end-processes.svg"),
            ("delivery, end to end", "throughput-delivery.svg"),
        })
        {
            Add(written, Throughput(report, subtitle, folder, file, workload));
        }

        return written;
    }

    private static void Add(List<string> written, string? file)
    {
        if (file is not null)
        {
            written.Add(file);
        }
    }

    /// <summary>Latency against percentile, both on log scales (the x axis counts nines).</summary>
    private static string? Latency(Report report, string subtitle, string folder, string file, string title, IReadOnlyList<(string Label, LatencyWorkloads.Result? Result)> curves)
    {
        if (curves.All(c => c.Result is null))
        {
            return null;
        }

        var plot = new Plot();
        double lowest = double.MaxValue, highest = 0;
        foreach ((string label, LatencyWorkloads.Result? result) in curves)
        {
            if (result is null)
            {
                continue;
            }

            double[] xs = result.Distribution.Select(d => Nines(d.Percentile)).ToArray();
            double[] ys = result.Distribution.Select(d => Math.Log10(Math.Max(d.Nanos, 1))).ToArray();
            lowest = Math.Min(lowest, ys.Min());
            highest = Math.Max(highest, ys.Max());
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = label;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 5;
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [Nines(0), Nines(50), Nines(90), Nines(99), Nines(99.9), Nines(99.99), Nines(99.999), Nines(100)],
            ["p0", "p50", "p90", "p99", "p99.9", "p99.99", "p99.999", "max"]);
        DecadeTicks(plot.Axes.Left, Math.Floor(lowest), Math.Ceiling(highest), Nanoseconds);
        plot.Axes.SetLimits(-0.1, Nines(100) + 0.1, Math.Floor(lowest) - 0.05, Math.Ceiling(highest) + 0.05);
        plot.Title(title + "\n" + subtitle);
        plot.XLabel("percentile");
        plot.YLabel("latency (log scale)");
        plot.ShowLegend(Edge.Right);
        return Save(plot, folder, file);
    }

    /// <summary>MB/s per payload size (log scale), one line per implementation of <paramref name="workload"/>.</summary>
    private static string? Throughput(Report report, string subtitle, string folder, string file, string workload)
    {
        List<Measurement> rows = report.Throughput.Where(m => m.Workload == workload).ToList();
        if (rows.Count == 0)
        {
            return null;
        }

        int[] sizes = rows.Select(m => m.PayloadSize).Distinct().Order().ToArray();
        var plot = new Plot();
        double lowest = double.MaxValue, highest = 0;
        foreach (var series in rows.GroupBy(m => m.Implementation))
        {
            var points = series.Select(m => (X: (double)Array.IndexOf(sizes, m.PayloadSize), Y: Math.Log10(Math.Max(m.MegabytesPerSecond, 0.01)))).ToArray();
            lowest = Math.Min(lowest, points.Min(p => p.Y));
            highest = Math.Max(highest, points.Max(p => p.Y));
            var scatter = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            scatter.LegendText = series.Key;
            scatter.LineWidth = series.Key == Report.RawLimit ? 3 : 2;
            scatter.MarkerSize = 6;
            if (series.Key == Report.RawLimit)
            {
                scatter.LinePattern = LinePattern.Dashed;
                scatter.Color = Colors.Black;
            }
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            sizes.Select((_, i) => (double)i).ToArray(),
            sizes.Select(s => s >= 1024 ? $"{s / 1024} KiB" : $"{s} B").ToArray());
        DecadeTicks(plot.Axes.Left, Math.Floor(lowest), Math.Ceiling(highest), v => string.Create(CultureInfo.InvariantCulture, $"{v:#,0.##} MB/s"));
        plot.Axes.SetLimits(-0.2, sizes.Length - 0.8, Math.Floor(lowest) - 0.05, Math.Ceiling(highest) + 0.05);
        plot.Title($"Throughput, {workload}, payload bytes per second\n{subtitle}");
        plot.XLabel("record payload");
        plot.YLabel("MB/s (log scale)");
        plot.ShowLegend(Edge.Right);
        return Save(plot, folder, file);
    }

    /// <summary>Ticks at each power of ten (labelled by <paramref name="label"/>) on an axis that holds log10 values.</summary>
    private static void DecadeTicks(ScottPlot.IAxis axis, double from, double to, Func<double, string> label)
    {
        var decades = new List<double>();
        for (double d = from; d <= to; d++)
        {
            decades.Add(d);
        }

        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(decades.ToArray(), decades.Select(d => label(Math.Pow(10, d))).ToArray());
    }

    /// <summary>Percentile as a count of nines: p50 is 0.3, p90 1, p99 2, p99.9 3; the maximum is drawn at 5.5.</summary>
    private static double Nines(double percentile) => percentile >= 100 ? 5.5 : -Math.Log10(1 - (percentile / 100));

    private static string Nanoseconds(double ns) => ns switch
    {
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{ns:0} ns"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000:0} µs"),
        < 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000_000:0} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000_000_000:0} s"),
    };

    private static string Save(Plot plot, string folder, string file)
    {
        string path = Path.Combine(folder, file);
        plot.SaveSvg(path, Width, Height);
        return path;
    }
}
