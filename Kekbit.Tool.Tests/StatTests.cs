using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.TestSupport;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Stat;

namespace Kekbit.Tool.Tests;

/// <summary><c>kekbit stat</c>: --once and --json on live, closed and abandoned channels and on journals (one row each, with cursors), the rate from two samples, the running view, read-only, and its usage errors.</summary>
public sealed class StatTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly TempRoot _root = new();
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        for (int i = _disposables.Count - 1; i >= 0; i--)
        {
            _disposables[i].Dispose();
        }

        _root.Dispose();
    }

    [Fact]
    public void Once_json_shows_live_closed_and_abandoned_channels()
    {
        if (!ChannelWriters.Scan().IsComplete)
        {
            Assert.Skip("SKIPPED: other users' processes are invisible here, so a recent channel counts as live until its timeout");
        }

        ShmWriter live = Live(1);
        live.Write("x"u8);
        Closed(2, records: 3);
        ToolRun abandoned = ToolRun.AsProcess("a\nb\n"u8.ToArray(), "write", _root.Path, "1", "3", "--no-close");
        Assert.Equal(0, abandoned.ExitCode);

        ToolRun run = ToolRun.InProcess("stat", _root.Path, "--once", "--json", "--interval", "0.05");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        using JsonDocument json = JsonDocument.Parse(run.Output);
        Assert.Equal(_root.Path, json.RootElement.GetProperty("root").GetString());
        Assert.Equal(0.05, json.RootElement.GetProperty("intervalSeconds").GetDouble());
        JsonElement[] channels = [.. json.RootElement.GetProperty("channels").EnumerateArray()];
        Assert.Equal(["0x1", "0x2", "0x3"], channels.Select(c => c.GetProperty("channelId").GetString()));
        Assert.Equal(["live", "closed", "abandoned"], channels.Select(c => c.GetProperty("state").GetString()));
        Assert.Equal([1L, 3L, 2L], channels.Select(c => c.GetProperty("records").GetInt64()));
        Assert.Equal(Environment.ProcessId, channels[0].GetProperty("writerProcessId").GetInt32());
        Assert.Equal(JsonValueKind.Null, channels[1].GetProperty("writerProcessId").ValueKind);
        Assert.Equal("not closed, and no process on this host maps it writable", channels[2].GetProperty("reason").GetString());
        Assert.All(channels, channel =>
        {
            // Nothing was written between the two samples.
            Assert.Equal(0, channel.GetProperty("recordsPerSecond").GetDouble());
            Assert.Equal(0, channel.GetProperty("megabytesPerSecond").GetDouble());
            Assert.True(channel.GetProperty("secondsSinceLastWrite").GetDouble() >= 0);
        });
        Assert.Equal(16384, channels[1].GetProperty("capacity").GetInt64());
        Assert.Equal(Math.Round(100.0 * 48 / 16384, 2), channels[1].GetProperty("fillPercent").GetDouble());
    }

    [Fact]
    public void Once_prints_a_table_with_one_row_per_channel()
    {
        Live(1).Write("live"u8);
        Closed(2, records: 2);

        ToolRun run = ToolRun.InProcess("stat", _root.Path, "--once", "--interval", "0.05");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        string[] lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal(["CHANNEL", "STATE", "RECORDS", "REC/S", "MB/S", "FILL", "IDLE", "WRITER", "PATH"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string[] live = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["0x1", "live", "1", "0", "0.00", "0.1%"], live[..6]);
        Assert.Equal([Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "0000_0000/0000_0001.kekbit"], live[^2..]);
        Assert.Equal(["0x2", "closed", "2"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]);
    }

    [Fact]
    public void The_rate_comes_from_two_samples_of_the_write_position()
    {
        ShmWriter writer = Live(1);
        var source = new ChannelStatSource();
        DateTimeOffset start = DateTimeOffset.UtcNow;
        StatRow first = Assert.Single(source.Sample(Contents(), ChannelWriters.Scan(), start, TestContext.Current.CancellationToken));
        for (int i = 0; i < 10; i++)
        {
            writer.Write("12345678"u8); // 16 bytes each.
        }

        StatRow second = Assert.Single(source.Sample(Contents(), ChannelWriters.Scan(), start.AddSeconds(2), TestContext.Current.CancellationToken));

        Assert.Null(first.RecordsPerSecond);
        Assert.Null(first.BytesPerSecond);
        Assert.Equal(5, second.RecordsPerSecond);
        Assert.Equal(80, second.BytesPerSecond);
        Assert.Equal(start.AddSeconds(2), second.LastWrite);
        Assert.Equal(10, second.Records);
    }

    [Fact]
    public async Task Without_once_it_prints_one_json_line_per_interval_until_interrupted()
    {
        Closed(2, records: 1);
        using var output = new StringWriter { NewLine = "\n" };
        TextWriter synchronized = TextWriter.Synchronized(output);
        var error = new StringWriter { NewLine = "\n" };
        using var interruption = Interruption.Manual();
        var console = new ToolConsole(synchronized, error, new MemoryStream(), isInteractive: false, interruption);

        Task<int> run = Task.Run(() => KekbitCli.Run(["stat", _root.Path, "--json", "--interval", "0.05"], console), TestContext.Current.CancellationToken);
        string[] Lines()
        {
            lock (synchronized)
            {
                return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }
        }

        var deadline = Stopwatch.StartNew();
        while (Lines().Length < 2 && deadline.Elapsed < Deadline && !run.IsCompleted)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        interruption.Raise(PosixSignal.SIGINT);

        Assert.Equal(130, await run.WaitAsync(Deadline, TestContext.Current.CancellationToken));
        string[] lines = Lines();
        Assert.True(lines.Length >= 2, $"expected two samples, got: {string.Join('\n', lines)}");
        foreach (string line in lines[..^1])
        {
            using JsonDocument json = JsonDocument.Parse(line);
            Assert.Equal("closed", Assert.Single(json.RootElement.GetProperty("channels").EnumerateArray()).GetProperty("state").GetString());
        }

        Assert.Equal("""{"error":"interrupted by SIGINT","exitCode":130}""", lines[^1]);

        Assert.Equal("kekbit: interrupted by SIGINT\n", error.ToString());
    }

    [Fact]
    public void Stat_writes_nothing_to_the_channels_it_watches_nor_registers_on_their_doorbell()
    {
        ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 4, 16384, 100, 60_000, TickUnit.Millis), options: new ShmWriterOptions { Doorbell = true });
        _disposables.Add(writer);
        writer.Write("watched"u8);
        byte[] before = File.ReadAllBytes(writer.Path);
        DateTime modified = File.GetLastWriteTimeUtc(writer.Path);

        ToolRun run = ToolRun.InProcess("stat", _root.Path, "--once", "--json", "--interval", "0.05");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(before, File.ReadAllBytes(writer.Path));
        Assert.Equal(modified, File.GetLastWriteTimeUtc(writer.Path));
    }

    [Fact]
    public void An_empty_root_has_no_channels()
    {
        ToolRun json = ToolRun.InProcess("stat", _root.Path, "--once", "--json", "--interval", "0.05");
        ToolRun text = ToolRun.InProcess("stat", _root.Path, "--once", "--interval", "0.05");

        Assert.Equal(0, json.ExitCode);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        Assert.Empty(document.RootElement.GetProperty("channels").EnumerateArray());
        Assert.Equal((0, "", $"kekbit: no channels under {_root.Path}\n"), (text.ExitCode, text.Output, text.Error));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.01")]
    [InlineData("-1")]
    [InlineData("3601")]
    [InlineData("1s")]
    [InlineData("")]
    public void A_bad_interval_is_a_usage_error(string interval)
    {
        ToolRun run = ToolRun.InProcess("stat", _root.Path, "--once", "--json", "--interval", interval);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is not a valid --interval: use seconds from 0.05 to 3600; see 'kekbit stat --help'", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(run.Output);
        Assert.Equal(2, json.RootElement.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public void A_missing_root_cannot_be_watched_and_a_file_is_no_root()
    {
        Closed(1, records: 1);

        ToolRun missing = ToolRun.InProcess("stat", Path.Combine(_root.Path, "nope"), "--once");
        ToolRun file = ToolRun.InProcess("stat", StorageLayout.ChannelFile(_root.Path, 1), "--once");

        Assert.Equal(3, missing.ExitCode);
        Assert.Equal($"kekbit: {Path.Combine(_root.Path, "nope")}: no such folder", Assert.Single(missing.ErrorLines));
        Assert.Equal(2, file.ExitCode);
        Assert.Contains("is a file, not a folder", Assert.Single(file.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Once_json_shows_each_journal_as_one_entry_with_its_segments_sequences_fill_and_cursor_lag()
    {
        Closed(1, records: 2);
        string live = Path.Combine(_root.Path, "orders");
        string closed = Path.Combine(_root.Path, "nested", "audit");
        JournalWriter writer = JournalWriter.Open(live, SmallJournal);
        _disposables.Add(writer);
        WriteJournal(writer, 3000);
        CommitCursor(live, "billing", 1000);
        CommitCursor(live, "shipping", 3000);
        using (JournalWriter auditWriter = JournalWriter.Open(closed, SmallJournal))
        {
            WriteJournal(auditWriter, 10);
        }

        string cursorFile = Path.Combine(live, "cursors", "billing.cursor");
        byte[] cursorBefore = File.ReadAllBytes(cursorFile);
        // The writer creates its next segment ahead in the background: wait until it is there, so that this inspection and
        // the tool see the same segments.
        JournalInspection inspected = JournalInspection.Inspect(live, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(SpinWait.SpinUntil(
            () => (inspected = JournalInspection.Inspect(live, cancellationToken: TestContext.Current.CancellationToken)).Segments.Count == writer.Segment + 2,
            TimeSpan.FromSeconds(30)), "the segment created ahead did not appear");

        ToolRun run = ToolRun.InProcess("stat", _root.Path, "--once", "--json", "--interval", "0.05");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        using JsonDocument json = JsonDocument.Parse(run.Output);
        // The journals' segments are not channels of their own.
        Assert.Equal(["0x1"], json.RootElement.GetProperty("channels").EnumerateArray().Select(c => c.GetProperty("channelId").GetString()));
        JsonElement[] journals = [.. json.RootElement.GetProperty("journals").EnumerateArray()];
        Assert.Equal([closed, live], journals.Select(j => j.GetProperty("path").GetString()));
        JsonElement orders = journals[1];
        Assert.Equal("journal", orders.GetProperty("kind").GetString());
        Assert.Equal(writer.JournalId.ToString(), orders.GetProperty("journalId").GetString());
        Assert.Equal("live", orders.GetProperty("state").GetString());
        Assert.Equal(inspected.Segments.Count, orders.GetProperty("segments").GetInt32());
        Assert.True(orders.GetProperty("segments").GetInt32() > 3);
        Assert.Equal(writer.Segment, orders.GetProperty("currentSegment").GetInt64());
        Assert.Equal(0, orders.GetProperty("firstSequence").GetInt64());
        Assert.Equal(2999, orders.GetProperty("lastSequence").GetInt64());
        Assert.Equal(3000, orders.GetProperty("records").GetInt64());
        Assert.Equal(16384, orders.GetProperty("capacity").GetInt64());
        JournalSegmentInspection current = inspected.Segments.Last(segment => segment.FirstSequence is not null);
        Assert.Equal(Math.Round(current.Channel.FillPercent, 2), orders.GetProperty("fillPercent").GetDouble());
        Assert.Equal(0, orders.GetProperty("recordsPerSecond").GetDouble()); // nothing written between the two samples
        Assert.Equal(0, orders.GetProperty("bytesPerSecond").GetDouble());
        Assert.Equal(Environment.ProcessId, orders.GetProperty("writerProcessId").GetInt32());
        JsonElement[] cursors = [.. orders.GetProperty("cursors").EnumerateArray()];
        Assert.Equal(["billing", "shipping"], cursors.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal([2000L, 0L], cursors.Select(c => c.GetProperty("lag").GetInt64()));
        Assert.Equal(1000, cursors[0].GetProperty("nextSequence").GetInt64());

        JsonElement audit = journals[0];
        Assert.Equal("closed", audit.GetProperty("state").GetString());
        Assert.Equal("9", audit.GetProperty("lastSequence").GetRawText());
        Assert.Equal(JsonValueKind.Null, audit.GetProperty("writerProcessId").ValueKind);
        Assert.Empty(audit.GetProperty("cursors").EnumerateArray());

        // Read-only: the cursor file is untouched, the cursor can be taken, and the writer goes on.
        Assert.Equal(cursorBefore, File.ReadAllBytes(cursorFile));
        using (JournalReader billing = JournalReader.OpenCursor(live, "billing"))
        {
            Assert.Equal(1000, billing.NextSequence);
        }

        Assert.Equal(WriteStatus.Success, writer.Write("after"u8).Status);
    }

    [Fact]
    public void Once_prints_a_journal_table_after_the_channels()
    {
        Closed(1, records: 2);
        string folder = Path.Combine(_root.Path, "orders");
        JournalWriter writer = JournalWriter.Open(folder, SmallJournal);
        _disposables.Add(writer);
        WriteJournal(writer, 100);
        CommitCursor(folder, "billing", 40);

        ToolRun run = ToolRun.InProcess("stat", _root.Path, "--once", "--interval", "0.05");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        string[] lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("CHANNEL", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("0x1", lines[1], StringComparison.Ordinal);
        Assert.Equal(["JOURNAL", "STATE", "SEGMENTS", "SEQUENCES", "REC/S", "MB/S", "FILL", "IDLE", "WRITER", "CURSORS", "(LAG)"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string[] row = lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["orders", "live"], row[..2]);
        Assert.Equal(["0..99", "0", "0.00"], row[3..6]);
        Assert.Equal([Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "billing", "(60)"], row[^3..]);
    }

    [Fact]
    public void A_journal_rate_counts_records_and_bytes_across_rolls_between_two_samples()
    {
        string folder = Path.Combine(_root.Path, "orders");
        JournalWriter writer = JournalWriter.Open(folder, SmallJournal);
        _disposables.Add(writer);
        WriteJournal(writer, 10);
        var source = new JournalStatSource();
        DateTimeOffset start = DateTimeOffset.UtcNow;
        StatRow first = Assert.Single(source.Sample(Contents(), ChannelWriters.Scan(), start, TestContext.Current.CancellationToken));
        long bytesBefore = UsedBytes(folder);
        long segmentBefore = writer.Segment;
        WriteJournal(writer, 2000); // rolls several 16 KiB segments

        StatRow second = Assert.Single(source.Sample(Contents(), ChannelWriters.Scan(), start.AddSeconds(4), TestContext.Current.CancellationToken));

        Assert.True(writer.Segment >= segmentBefore + 2, "the writer rolled");
        Assert.Null(first.RecordsPerSecond);
        Assert.Null(first.BytesPerSecond);
        Assert.Equal(500, second.RecordsPerSecond);
        Assert.Equal((UsedBytes(folder) - bytesBefore) / 4.0, second.BytesPerSecond);
        Assert.Equal(start.AddSeconds(4), second.LastWrite);
        Assert.Equal(2009, second.Journal!.LastSequence);
        Assert.Equal(writer.Segment, second.Journal.CurrentSegment);
    }

    [Fact]
    public void A_journal_whose_writer_is_gone_without_closing_it_is_abandoned()
    {
        if (!ChannelWriters.Scan().IsComplete)
        {
            Assert.Skip("SKIPPED: other users' processes are invisible here, so an unclosed segment counts as live until its timeout");
        }

        // A copy of a live journal's files: its segments were never closed and no process maps them, as after a kill -9.
        string live = Path.Combine(_root.Path, "live");
        string copy = Path.Combine(_root.Path, "copy");
        using (JournalWriter writer = JournalWriter.Open(live, SmallJournal))
        {
            WriteJournal(writer, 1000);
            foreach (string file in Directory.GetFiles(live, "*.kekbit", SearchOption.AllDirectories))
            {
                string target = Path.Combine(copy, Path.GetRelativePath(live, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        ToolRun run = ToolRun.InProcess("stat", _root.Path, "--once", "--json", "--interval", "0.05");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        using JsonDocument json = JsonDocument.Parse(run.Output);
        JsonElement[] journals = [.. json.RootElement.GetProperty("journals").EnumerateArray()];
        Assert.Equal([copy, live], journals.Select(j => j.GetProperty("path").GetString()));
        Assert.Equal(["abandoned", "closed"], journals.Select(j => j.GetProperty("state").GetString()));
        Assert.Equal(999, journals[0].GetProperty("lastSequence").GetInt64());
        Assert.Equal(JsonValueKind.Null, journals[0].GetProperty("writerProcessId").ValueKind);
    }

    private static readonly JournalWriterOptions SmallJournal = new() { SegmentCapacity = 16384, PreTouch = false };

    private static void WriteJournal(JournalWriter writer, int records)
    {
        for (int i = 0; i < records; i++)
        {
            Assert.Equal(WriteStatus.Success, writer.Write("0123456789abcdef"u8).Status);
        }
    }

    private static void CommitCursor(string folder, string name, int records)
    {
        using JournalReader cursor = JournalReader.OpenCursor(folder, name);
        for (int i = 0; i < records; i++)
        {
            Assert.True(cursor.TryRead().IsRecord);
        }

        cursor.Commit();
    }

    private static long UsedBytes(string folder) =>
        JournalInspection.Inspect(folder, cancellationToken: TestContext.Current.CancellationToken).Segments.Sum(segment => segment.Channel.BytesUsed);

    private RootContents Contents() => RootContents.Find(_root.Path, (_, _) => Assert.Fail("nothing to skip"), TestContext.Current.CancellationToken);

    private ShmWriter Live(ulong channelId)
    {
        ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, channelId, 16384, 100, 60_000, TickUnit.Millis));
        _disposables.Add(writer);
        return writer;
    }

    private void Closed(ulong channelId, int records)
    {
        using ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, channelId, 16384, 100, 1000, TickUnit.Millis));
        for (int i = 0; i < records; i++)
        {
            writer.Write("12345678"u8);
        }
    }
}
