using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Output;
using Kekbit.Tool.Stat;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Kekbit.Tool.Commands;

/// <summary>
/// <c>kekbit stat ROOT</c>: a live view of every channel and journal under a root, refreshed every interval, like
/// AeronStat: state, the writer's rate (records/s and MB/s, from two samples of its position), fill, time since the last
/// write; for a journal (one row, not its segments) also its segments, sequence range and durable cursors' lag. Reads
/// only: never maps a channel writable, never registers on a doorbell, never takes a journal's locks, never writes a byte.
/// </summary>
internal static class StatCommand
{
    private const double MinInterval = 0.05;
    private const double MaxInterval = 3600;

    public static Command Create(ToolConsole console)
    {
        var root = CommonArguments.Folder("root", "The root folder that holds channels.");
        var json = CommonArguments.Json();
        var once = new Option<bool>("--once") { Description = "Take two samples one interval apart, print them once and exit." };
        var interval = IntervalOption();
        var command = new Command("stat", "Watch every channel and journal under a root folder, refreshed every interval: state, writer rate (records/s, MB/s), fill, time since the last write, writer process; a journal is one row with its segments, sequence range and cursors' lag. Reads only; never disturbs a writer. Without --once it runs until interrupted (exit code 130); output that is not a terminal gets one table (or one JSON line with --json) per interval.")
        {
            root,
            once,
            json,
            interval,
        };
        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
            Run(console, parse.GetValue(root)!, parse.GetValue(once), parse.GetValue(json), TimeSpan.FromSeconds(parse.GetValue(interval)), cancellationToken));
        return command;
    }

    private static Option<double> IntervalOption() => new("--interval", "-i")
    {
        Description = string.Create(CultureInfo.InvariantCulture, $"Seconds between samples, {MinInterval} to {MaxInterval} (decimals allowed)."),
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 1,
        CustomParser = result =>
        {
            string text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds is >= MinInterval and <= MaxInterval)
            {
                return seconds;
            }

            result.AddError(string.Create(CultureInfo.InvariantCulture, $"'{text}' is not a valid --interval: use seconds from {MinInterval} to {MaxInterval}"));
            return 1;
        },
    };

    private static int Run(ToolConsole console, string root, bool once, bool json, TimeSpan interval, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root))
        {
            throw new ToolException(ExitCodes.Unavailable, $"{root}: no such folder");
        }

        string fullRoot = Path.GetFullPath(root);
        var warned = new HashSet<string>(StringComparer.Ordinal);
        var skipped = new List<(string Folder, string Reason)>();
        IStatSource[] sources = [new ChannelStatSource(), new JournalStatSource()];
        List<StatRow> Sample()
        {
            skipped.Clear();
            RootContents contents = RootContents.Find(fullRoot, (folder, reason) => skipped.Add((folder, reason)), cancellationToken);
            ChannelWriters writers = ChannelWriters.Scan();
            DateTimeOffset now = DateTimeOffset.UtcNow;
            var rows = new List<StatRow>();
            foreach (IStatSource source in sources)
            {
                rows.AddRange(source.Sample(contents, writers, now, cancellationToken));
            }

            foreach ((string folder, string reason) in skipped)
            {
                if (warned.Add(folder))
                {
                    console.Error.WriteLine($"kekbit: warning: skipped {folder}: {reason}");
                }
            }

            return rows;
        }

        List<StatRow> rows = Sample();
        if (console.IsInteractive && !once && !json && console.Out == Console.Out)
        {
            return RunLive(console, fullRoot, rows, Sample, interval, cancellationToken);
        }

        if (!json || once)
        {
            Stream(console, fullRoot, once, json, interval, Sample, skipped, cancellationToken);
            return ExitCodes.Success;
        }

        try
        {
            Stream(console, fullRoot, once, json, interval, Sample, skipped, cancellationToken);
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (console.Interruption.Token.IsCancellationRequested)
        {
            // A stream of JSON Lines ends with its error on one line too, so that a line reader never sees a partial document.
            string message = $"interrupted by {console.Interruption.SignalName}";
            JsonOutput.WriteError(console.Out, message, console.Interruption.ExitCode, oneLine: true);
            console.Out.Flush();
            console.Error.WriteLine($"kekbit: {message}");
            return console.Interruption.ExitCode;
        }
    }

    /// <summary>Prints a sample every interval (one with <paramref name="once"/>): tables, or JSON documents (one per line when streaming).</summary>
    private static void Stream(ToolConsole console, string fullRoot, bool once, bool json, TimeSpan interval, Func<List<StatRow>> sample, List<(string Folder, string Reason)> skipped, CancellationToken cancellationToken)
    {
        while (true)
        {
            Wait(interval, cancellationToken);
            List<StatRow> rows = sample();
            DateTimeOffset now = DateTimeOffset.UtcNow;
            if (json)
            {
                WriteJson(console.Out, fullRoot, interval, now, rows, skipped, indented: once);
            }
            else
            {
                if (!once)
                {
                    console.Out.Write(string.Create(CultureInfo.InvariantCulture, $"{now:yyyy-MM-dd HH:mm:ss}Z {fullRoot}\n"));
                }

                if (rows.Count == 0)
                {
                    console.Error.WriteLine($"kekbit: no channels under {fullRoot}");
                }
                else
                {
                    console.Write(TableOf(fullRoot, rows, now));
                }
            }

            console.Out.Flush();
            if (once)
            {
                return;
            }
        }
    }

    /// <summary>The terminal view: one table redrawn in place every interval until interrupted.</summary>
    private static int RunLive(ToolConsole console, string root, List<StatRow> first, Func<List<StatRow>> sample, TimeSpan interval, CancellationToken cancellationToken)
    {
        IRenderable View(List<StatRow> rows) => new Rows(
            new Markup(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"kekbit stat {root}: every {interval.TotalSeconds:0.##} s, Ctrl+C to quit"))),
            rows.Count == 0 ? new Markup("[grey]no channels yet[/]") : TableOf(root, rows, DateTimeOffset.UtcNow));
        // Redrawing in place counts lines: a line wider than the terminal would wrap and break the count, so the view is laid
        // out for the terminal's width (table cells wrap instead), not the unbounded width of piped output.
        console.RichOut.Profile.Width = Math.Max(40, Console.WindowWidth);
        console.RichOut.Live(View(first)).AutoClear(false).Start(context =>
        {
            while (true)
            {
                Wait(interval, cancellationToken);
                context.UpdateTarget(View(sample()));
                context.Refresh();
            }
        });
        return ExitCodes.Success;
    }

    private static void Wait(TimeSpan interval, CancellationToken cancellationToken)
    {
        // Cancellation sets the handle: Ctrl+C ends the wait at once.
        cancellationToken.WaitHandle.WaitOne(interval);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>The channels' table, then the journals' (each only when there are some).</summary>
    private static Rows TableOf(string root, List<StatRow> rows, DateTimeOffset now)
    {
        var tables = new List<IRenderable>();
        if (rows.Exists(row => row.Journal is null))
        {
            tables.Add(ChannelTable(root, rows, now));
        }

        if (rows.Exists(row => row.Journal is not null))
        {
            if (tables.Count > 0)
            {
                tables.Add(Text.Empty);
            }

            tables.Add(JournalTable(root, rows, now));
        }

        return new Rows(tables);
    }

    private static Table ChannelTable(string root, List<StatRow> rows, DateTimeOffset now)
    {
        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        table.AddColumns("CHANNEL", "STATE", "RECORDS", "REC/S", "MB/S", "FILL", "IDLE", "WRITER", "PATH");
        foreach (int column in new[] { 2, 3, 4, 5, 6, 7 })
        {
            table.Columns[column].RightAligned();
        }

        foreach (StatRow row in rows)
        {
            if (row.Journal is not null)
            {
                continue;
            }

            table.AddRow(
                row.ChannelId is ulong id ? Names.Hex(id) : "?",
                LsCommand.StateMarkup(row.State),
                Markup.Escape(Names.Count(row.Records)),
                Rate(row),
                Megabytes(row),
                Markup.Escape(Names.Percent(row.FillPercent)),
                row.LastWrite is DateTimeOffset last ? Age(now - last) : "-",
                Process(row),
                Markup.Escape(Path.GetRelativePath(root, row.Path)));
        }

        return table;
    }

    /// <summary>One row per journal: FILL is its current segment's; CURSORS lists each durable cursor with its lag in records.</summary>
    private static Table JournalTable(string root, List<StatRow> rows, DateTimeOffset now)
    {
        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        table.AddColumns("JOURNAL", "STATE", "SEGMENTS", "SEQUENCES", "REC/S", "MB/S", "FILL", "IDLE", "WRITER", "CURSORS (LAG)");
        foreach (int column in new[] { 2, 4, 5, 6, 7, 8 })
        {
            table.Columns[column].RightAligned();
        }

        foreach (StatRow row in rows)
        {
            if (row.Journal is not JournalStat journal)
            {
                continue;
            }

            table.AddRow(
                Markup.Escape(Path.GetRelativePath(root, row.Path)),
                JournalViews.StateMarkup(journal.State),
                Names.Count(journal.Segments),
                Markup.Escape(JournalViews.SequenceRange(journal.FirstSequence, journal.LastSequence)),
                Rate(row),
                Megabytes(row),
                Markup.Escape(Names.Percent(row.FillPercent)),
                row.LastWrite is DateTimeOffset last ? Age(now - last) : "-",
                Process(row),
                Markup.Escape(JournalViews.CursorLags(journal.Cursors)));
        }

        return table;
    }

    private static string Rate(StatRow row) => row.RecordsPerSecond is double rate ? Markup.Escape(Names.Count((long)Math.Round(rate))) : "-";

    private static string Megabytes(StatRow row) => row.BytesPerSecond is double bytes ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.00}") : "-";

    private static string Process(StatRow row) => row.WriterProcessId is int pid ? pid.ToString(CultureInfo.InvariantCulture) : "-";

    /// <summary>A time since, for people: 0.4s, 12s, 5m, 3h, 2d.</summary>
    private static string Age(TimeSpan age) => age switch
    {
        { TotalSeconds: < 10 } => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, age.TotalSeconds):0.0}s"),
        { TotalMinutes: < 2 } => string.Create(CultureInfo.InvariantCulture, $"{age.TotalSeconds:0}s"),
        { TotalHours: < 2 } => string.Create(CultureInfo.InvariantCulture, $"{age.TotalMinutes:0}m"),
        { TotalDays: < 2 } => string.Create(CultureInfo.InvariantCulture, $"{age.TotalHours:0}h"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{age.TotalDays:0}d"),
    };

    /// <summary>
    /// One sample as JSON: <c>{"root", "sampledAt", "intervalSeconds", "channels": [...], "journals": [...], "skipped": [...]}</c>.
    /// A channel: <c>kind, path, channelId, state, reason</c> and the rate fields; a journal: <c>kind, path, journalId,
    /// state</c> (the journal's), <c>reason</c> (its first fault), <c>segments, currentSegment, firstSequence, lastSequence</c>,
    /// the rate fields (records, bytes and fill of the current segment), <c>totalBytes</c> and <c>cursors</c>
    /// (<see cref="JsonOutput.WriteCursors"/>). The rate fields: <c>records, bytesUsed, capacity, fillPercent,
    /// recordsPerSecond, bytesPerSecond, megabytesPerSecond, lastWrite, secondsSinceLastWrite, writerProcessId</c>.
    /// </summary>
    private static void WriteJson(TextWriter output, string root, TimeSpan interval, DateTimeOffset now, List<StatRow> rows, List<(string Folder, string Reason)> skipped, bool indented)
    {
        void Document(Utf8JsonWriter json)
        {
            json.WriteStartObject();
            json.WriteString("root", root);
            json.WriteString("sampledAt", now);
            json.WriteNumber("intervalSeconds", interval.TotalSeconds);
            json.WriteStartArray("channels");
            foreach (StatRow row in rows)
            {
                if (row.Journal is not null)
                {
                    continue;
                }

                json.WriteStartObject();
                json.WriteString("kind", row.Kind);
                json.WriteString("path", row.Path);
                if (row.ChannelId is ulong id)
                {
                    json.WriteString("channelId", Names.Hex(id));
                }
                else
                {
                    json.WriteNull("channelId");
                }

                json.WriteString("state", Names.Of(row.State));
                JsonOutput.WriteNullableString(json, "reason", row.Reason);
                WriteActivity(json, row, now);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("journals");
            foreach (StatRow row in rows)
            {
                if (row.Journal is not JournalStat journal)
                {
                    continue;
                }

                json.WriteStartObject();
                json.WriteString("kind", row.Kind);
                json.WriteString("path", row.Path);
                JsonOutput.WriteNullableString(json, "journalId", journal.JournalId?.ToString());
                json.WriteString("state", Names.Of(journal.State));
                JsonOutput.WriteNullableString(json, "reason", row.Reason);
                json.WriteNumber("segments", journal.Segments);
                JsonOutput.WriteNullableNumber(json, "currentSegment", journal.CurrentSegment);
                JsonOutput.WriteNullableNumber(json, "firstSequence", journal.FirstSequence);
                json.WriteNumber("lastSequence", journal.LastSequence);
                WriteActivity(json, row, now);
                json.WriteNumber("totalBytes", journal.TotalBytes);
                JsonOutput.WriteCursors(json, journal.Cursors);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            JsonOutput.WriteSkipped(json, skipped);
            json.WriteEndObject();
        }

        if (indented)
        {
            JsonOutput.Write(output, Document);
        }
        else
        {
            JsonOutput.WriteLine(output, Document);
        }
    }

    /// <summary>The fields channels and journals share: records, fill, the writer's rate, the last write, the writer's process.</summary>
    private static void WriteActivity(Utf8JsonWriter json, StatRow row, DateTimeOffset now)
    {
        json.WriteNumber("records", row.Records);
        json.WriteNumber("bytesUsed", row.BytesUsed);
        json.WriteNumber("capacity", row.Capacity);
        json.WriteNumber("fillPercent", Math.Round(row.FillPercent, 2));
        JsonOutput.WriteNullableNumber(json, "recordsPerSecond", row.RecordsPerSecond is double rate ? Math.Round(rate, 1) : null);
        JsonOutput.WriteNullableNumber(json, "bytesPerSecond", row.BytesPerSecond is double bytes ? Math.Round(bytes, 1) : null);
        JsonOutput.WriteNullableNumber(json, "megabytesPerSecond", row.BytesPerSecond is double megabytes ? Math.Round(megabytes / 1e6, 3) : null);
        if (row.LastWrite is DateTimeOffset last)
        {
            json.WriteString("lastWrite", last);
            json.WriteNumber("secondsSinceLastWrite", Math.Round(Math.Max(0, (now - last).TotalSeconds), 3));
        }
        else
        {
            json.WriteNull("lastWrite");
            json.WriteNull("secondsSinceLastWrite");
        }

        JsonOutput.WriteNullableNumber(json, "writerProcessId", row.WriterProcessId);
    }
}
