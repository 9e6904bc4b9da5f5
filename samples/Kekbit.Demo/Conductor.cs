using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.Samples;
using Spectre.Console;

namespace Kekbit.Demo;

/// <summary>
/// Runs the demo: a fresh channel root, one writer process, two reader processes, live progress, then what each
/// reader received, throughput and latency. Returns 0 only if every reader got every record, in order, intact.
/// </summary>
internal static class Conductor
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(100);

    public static int Run(DemoSettings settings)
    {
        long started = Stopwatch.GetTimestamp();
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 120; // A pipe has no width: keep the summary table on one line per row.
        }

        AnsiConsole.MarkupLine("[bold]Kekbit demo[/]: one writer process and two reader processes on one memory-mapped channel");
        using var root = new SampleRoot("demo");
        string channelFile = StorageLayout.ChannelFile(root.Path, Roles.ChannelId);
        AnsiConsole.MarkupLine($"channel  [grey]{Markup.Escape(channelFile)}[/]");

        using Child writer = Child.Start(Roles.Writer, root.Path, settings.BurstRecords.ToString(CultureInfo.InvariantCulture));
        if (!writer.WaitUntilReady(DemoSettings.Deadline))
        {
            return Fail("the writer process did not create the channel");
        }

        using Child rx = Child.Start(Roles.RxReader, root.Path);
        using Child async = Child.Start(Roles.AsyncReader, root.Path);
        if (!rx.WaitUntilReady(DemoSettings.Deadline) || !async.WaitUntilReady(DemoSettings.Deadline))
        {
            return Fail("a reader process did not open the channel");
        }

        AnsiConsole.MarkupLine($"writing  {settings.BurstRecords:N0} records as fast as possible, then {settings.PacedRecords:N0} in paced batches of {settings.PacedBatch}");
        writer.Send(Roles.Go);
        Child[] children = [writer, rx, async];
        bool paced = false;
        ShowProgress(children, settings.TotalRecords, onRefresh: () =>
        {
            if (!paced && rx.Progress >= settings.BurstRecords && async.Progress >= settings.BurstRecords)
            {
                paced = true;
                writer.Send(Roles.Pace);
            }
        });
        foreach (Child child in children)
        {
            if (!child.WaitForExit(DemoSettings.Deadline))
            {
                return Fail($"{child.Role} did not finish within {DemoSettings.Deadline.TotalSeconds:0} s");
            }
        }

        List<string> failures = Summarize(writer, [rx, async], settings);
        TimeSpan took = Stopwatch.GetElapsedTime(started);
        if (failures.Count > 0)
        {
            failures.ForEach(failure => Fail(failure));
            AnsiConsole.MarkupLine($"[red]Demo FAILED[/] after {took.TotalSeconds:0.0} s.");
            return 1;
        }

        AnsiConsole.MarkupLine($"[green]Demo passed[/] in {took.TotalSeconds:0.0} s: each reader got every record, in order, intact.");
        return 0;
    }

    /// <summary>Shows each child's progress until all have exited: bars on a terminal, a line now and then otherwise.</summary>
    /// <param name="children">The processes to watch.</param>
    /// <param name="total">Records each will write or read.</param>
    /// <param name="onRefresh">Called at each refresh, to steer the run.</param>
    private static void ShowProgress(Child[] children, int total, Action onRefresh)
    {
        if (!Console.IsOutputRedirected)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(context =>
                {
                    var bars = children.Select(child => (child, bar: context.AddTask(child.Role, maxValue: total))).ToArray();
                    while (true)
                    {
                        onRefresh();
                        bool done = children.All(child => child.HasExited);
                        foreach ((Child child, ProgressTask bar) in bars)
                        {
                            bar.Value = child.Progress;
                        }

                        if (done)
                        {
                            return;
                        }

                        Thread.Sleep(Refresh);
                    }
                });
            return;
        }

        long lastPrinted = 0;
        while (true)
        {
            onRefresh();
            bool done = children.All(child => child.HasExited);
            if (done || Stopwatch.GetElapsedTime(lastPrinted) > TimeSpan.FromMilliseconds(250))
            {
                lastPrinted = Stopwatch.GetTimestamp();
                Console.WriteLine("progress " + string.Join("  ", children.Select(child => $"{child.Role} {child.Progress:N0}/{total:N0}")));
            }

            if (done)
            {
                return;
            }

            Thread.Sleep(Refresh);
        }
    }

    /// <summary>Prints the results table and what each reader received; returns what went wrong, if anything.</summary>
    private static List<string> Summarize(Child writer, Child[] readers, DemoSettings settings)
    {
        var failures = new List<string>();
        WriterReport? written = Parse<WriterReport>(writer, failures);
        var table = new Table().Border(TableBorder.None);
        table.AddColumns("process", "records", "in order", "checksum", "burst rate", "latency µs p50/p99/max");
        foreach (TableColumn column in table.Columns)
        {
            column.PadLeft(0).PadRight(2); // Compact: the table fits an 80-column terminal.
        }

        foreach (int column in new[] { 1, 4, 5 })
        {
            table.Columns[column].RightAligned();
        }

        if (written is not null)
        {
            table.AddRow(writer.Role, $"{written.Records:N0}", "", Short(written.Checksum), Rate(settings.BurstRecords, written.BurstSeconds), "");
        }

        var received = new List<ReaderReport>();
        foreach (Child reader in readers)
        {
            if (Parse<ReaderReport>(reader, failures) is not ReaderReport report)
            {
                continue;
            }

            received.Add(report);
            bool complete = written is not null && report.Records == written.Records;
            bool intact = written is not null && report.Checksum == written.Checksum;
            table.AddRow(
                reader.Role,
                Colour($"{report.Records:N0}", complete),
                Colour(report.InOrder ? "yes" : "NO", report.InOrder),
                Colour(intact ? "matches" : Short(report.Checksum), intact),
                Rate(settings.BurstRecords, report.BurstSeconds),
                $"{report.LatencyP50Microseconds:N0}/{report.LatencyP99Microseconds:N0}/{report.LatencyMaxMicroseconds:N0}");
            if (!complete || !intact || !report.InOrder || report.End != "Closed")
            {
                failures.Add($"{reader.Role} received {report.Records:N0} records (in order: {report.InOrder}, checksum {(intact ? "matches" : "differs")}), ended with: {report.End}");
            }
        }

        AnsiConsole.Write(table);
        foreach (ReaderReport report in received)
        {
            AnsiConsole.MarkupLine($"[bold]{report.Role}[/] via [blue]{Markup.Escape(report.Pipeline)}[/]");
            AnsiConsole.MarkupLine($"  first [grey]\"{Markup.Escape(report.FirstText)}\"[/]");
            AnsiConsole.MarkupLine($"  last  [grey]\"{Markup.Escape(report.LastText)}\"[/]");
        }

        if (written is not null)
        {
            AnsiConsole.MarkupLine($"channel  {written.Records:N0} records, {written.BytesUsed / 1048576.0:0.0} MiB");
            AnsiConsole.MarkupLine("latency  of the paced records, from the writer's write to the reader's read");
        }

        return failures;
    }

    private static T? Parse<T>(Child child, List<string> failures)
        where T : class
    {
        if (child.ExitCode != 0 || child.Result is null)
        {
            failures.Add($"{child.Role} exited with code {child.ExitCode}{(child.Result is null ? " without a result" : "")}");
        }

        return child.Result is null ? null : JsonSerializer.Deserialize<T>(child.Result);
    }

    private static string Rate(int records, double seconds) =>
        seconds <= 0 ? "-" : $"{records / seconds / 1e6:0.00} M/s";

    /// <summary>The first 8 hex digits of a checksum: enough to tell two apart at a glance.</summary>
    private static string Short(ulong checksum) => $"{checksum >> 32:x8}";

    private static string Colour(string text, bool good) => good ? $"[green]{Markup.Escape(text)}[/]" : $"[red]{Markup.Escape(text)}[/]";

    private static int Fail(string message)
    {
        AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
        return 1;
    }
}
