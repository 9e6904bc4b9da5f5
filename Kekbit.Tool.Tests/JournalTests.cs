using System.Text.Json;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary>info, verify and ls on journal folders: live, closed, damaged, with cursors behind; JSON; and the errors.</summary>
public sealed class JournalTests : IDisposable
{
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    private string Folder => Path.Combine(_root.Path, "orders");

    private static readonly JournalWriterOptions Small = new() { SegmentCapacity = 16384, PreTouch = false };

    private static void Write(JournalWriter writer, int from, int count)
    {
        Span<byte> payload = stackalloc byte[16];
        for (int i = from; i < from + count; i++)
        {
            BitConverter.TryWriteBytes(payload, (long)i);
            Assert.Equal(WriteStatus.Success, writer.Write(payload).Status);
        }
    }

    private void CommitCursor(string name, int records)
    {
        using JournalReader cursor = JournalReader.OpenCursor(Folder, name);
        for (int i = 0; i < records; i++)
        {
            Assert.True(cursor.TryRead().IsRecord);
        }

        cursor.Commit();
    }

    private void WriteClosedJournal(int records)
    {
        using JournalWriter writer = JournalWriter.Open(Folder, Small);
        Write(writer, 0, records);
    }

    [Fact]
    public void Info_on_a_live_journal_shows_id_segments_range_writer_and_cursor_lag()
    {
        using JournalWriter writer = JournalWriter.Open(Folder, Small);
        Write(writer, 0, 2000);
        CommitCursor("billing", 500);

        ToolRun run = ToolRun.InProcess("info", Folder);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("journal", run.Output, StringComparison.Ordinal);
        Assert.Contains(writer.JournalId.ToString(), run.Output, StringComparison.Ordinal);
        Assert.Contains("0..1999", run.Output, StringComparison.Ordinal);
        Assert.Contains($"live (process {Environment.ProcessId})", run.Output, StringComparison.Ordinal);
        Assert.Contains("billing", run.Output, StringComparison.Ordinal);
        Assert.Contains("1,500", run.Output, StringComparison.Ordinal); // the cursor's lag
        Assert.Empty(run.Error);

        // Read-only: the writer writes on and the cursor opens where it was committed.
        Write(writer, 2000, 1);
        using JournalReader cursor = JournalReader.OpenCursor(Folder, "billing");
        Assert.Equal(500, cursor.NextSequence);
    }

    [Fact]
    public void Info_json_on_a_closed_journal_has_segments_sequences_and_cursors()
    {
        WriteClosedJournal(2000);
        CommitCursor("audit", 2000);
        CommitCursor("billing", 10);

        ToolRun run = ToolRun.InProcess("info", Folder, "--json");

        Assert.Equal(0, run.ExitCode);
        using JsonDocument document = JsonDocument.Parse(run.Output);
        JsonElement journal = document.RootElement;
        Assert.Equal("journal", journal.GetProperty("kind").GetString());
        Assert.Equal("closed", journal.GetProperty("state").GetString());
        Assert.False(journal.GetProperty("writer").GetBoolean());
        Assert.Equal(0, journal.GetProperty("firstSequence").GetInt64());
        Assert.Equal(1999, journal.GetProperty("lastSequence").GetInt64());
        Assert.Equal(2000, journal.GetProperty("records").GetInt64());
        JsonElement[] segments = [.. journal.GetProperty("segments").EnumerateArray()];
        Assert.True(segments.Length > 1);
        Assert.Equal(segments.Length, journal.GetProperty("segmentCount").GetInt32());
        Assert.Equal(2000, segments.Sum(s => s.GetProperty("records").GetInt64()));
        JsonElement[] cursors = [.. journal.GetProperty("cursors").EnumerateArray()];
        Assert.Equal(["audit", "billing"], cursors.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(0, cursors[0].GetProperty("lag").GetInt64());
        Assert.Equal(1990, cursors[1].GetProperty("lag").GetInt64());
        Assert.Empty(journal.GetProperty("faults").EnumerateArray());
    }

    [Fact]
    public void Verify_a_healthy_journal_exits_0_and_a_damaged_segment_exits_1_naming_file_and_offset()
    {
        WriteClosedJournal(3000);
        ToolRun healthy = ToolRun.InProcess("verify", Folder);
        Assert.Equal(0, healthy.ExitCode);
        Assert.Contains("healthy journal, closed: 3,000 records, sequences 0..2999", healthy.Output, StringComparison.Ordinal);

        string damaged = StorageLayout.ChannelFile(Folder, 2);
        long position = ChannelInspection.Inspect(damaged, cancellationToken: TestContext.Current.CancellationToken).LastRecordPosition;
        using (var file = new FileStream(damaged, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = ChannelInspection.FileOffsetOf(position);
            file.Write(BitConverter.GetBytes(0x7777_7777_7777_7777UL));
        }

        ToolRun run = ToolRun.InProcess("verify", Folder);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"{damaged}: damaged segment at position {position} (file offset {ChannelInspection.FileOffsetOf(position)})", run.Output, StringComparison.Ordinal);

        ToolRun json = ToolRun.InProcess("verify", Folder, "--json");
        Assert.Equal(1, json.ExitCode);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        Assert.Equal("damaged", document.RootElement.GetProperty("state").GetString());
        JsonElement fault = Assert.Single(document.RootElement.GetProperty("faults").EnumerateArray());
        Assert.Equal("SegmentDamaged", fault.GetProperty("error").GetString());
        Assert.Equal(damaged, fault.GetProperty("segmentPath").GetString());
        Assert.Equal(position, fault.GetProperty("offset").GetInt64());
        Assert.Equal("UnknownMarker", fault.GetProperty("failure").GetString());

        // info still shows the journal, and says what is wrong on stderr.
        ToolRun info = ToolRun.InProcess("info", Folder);
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("damaged", info.Output, StringComparison.Ordinal);
        Assert.Contains(damaged, info.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_reports_a_gap_in_the_sequences_between_segments()
    {
        WriteClosedJournal(3000);
        File.Delete(StorageLayout.ChannelFile(Folder, 2));

        ToolRun run = ToolRun.InProcess("verify", Folder);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"{StorageLayout.ChannelFile(Folder, 3)}: sequence gap", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_that_is_not_a_journal_and_a_missing_folder_are_clear_errors()
    {
        Directory.CreateDirectory(Path.Combine(_root.Path, "plain"));
        ToolRun plain = ToolRun.InProcess("info", Path.Combine(_root.Path, "plain"), "--json");
        Assert.Equal(2, plain.ExitCode);
        Assert.Contains("is a folder but not a journal", plain.Error, StringComparison.Ordinal);
        using (JsonDocument error = JsonDocument.Parse(plain.Output))
        {
            Assert.Equal(2, error.RootElement.GetProperty("exitCode").GetInt32());
        }

        ToolRun missing = ToolRun.InProcess("verify", Path.Combine(_root.Path, "missing"));
        Assert.Equal(3, missing.ExitCode);
        Assert.Single(missing.ErrorLines);
    }

    [Fact]
    public void Ls_shows_a_journal_as_one_entry_beside_loose_channels()
    {
        WriteClosedJournal(2000);
        CommitCursor("billing", 100);
        using (ShmWriter channel = ShmWriter.Create(_root.Path, Metadata.Create(1, 7, 4096, 100, 1000, TickUnit.Millis)))
        {
            channel.Write([1, 2, 3]);
        }

        ToolRun run = ToolRun.InProcess("ls", _root.Path);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("orders", run.Output, StringComparison.Ordinal);
        Assert.Contains("0..1999", run.Output, StringComparison.Ordinal);
        Assert.Contains("billing (1,900)", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("0000_0001.kekbit", run.Output, StringComparison.Ordinal); // segments are not listed as channels

        ToolRun json = ToolRun.InProcess("ls", _root.Path, "--json");
        Assert.Equal(0, json.ExitCode);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        JsonElement loose = Assert.Single(document.RootElement.GetProperty("channels").EnumerateArray());
        Assert.Equal(7UL, loose.GetProperty("metadata").GetProperty("channelId").GetUInt64());
        JsonElement journal = Assert.Single(document.RootElement.GetProperty("journals").EnumerateArray());
        Assert.Equal(Folder, journal.GetProperty("path").GetString());
        Assert.Equal(1999, journal.GetProperty("lastSequence").GetInt64());
        Assert.Equal(1900, journal.GetProperty("cursors")[0].GetProperty("lag").GetInt64());
    }

    [Fact]
    public void Dump_prints_records_with_their_sequence_across_segments_from_a_sequence()
    {
        WriteClosedJournal(2000);

        ToolRun all = ToolRun.InProcess("dump", Folder);
        Assert.Equal(0, all.ExitCode);
        string[] lines = all.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2001, lines.Length);
        Assert.StartsWith("0 16 0000000000000000", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("1999 16 cf07000000000000", lines[1999], StringComparison.Ordinal);
        Assert.StartsWith("END Nothing position=", lines[2000], StringComparison.Ordinal);

        ToolRun part = ToolRun.InProcess("dump", Folder, "--from-seq", "1500", "-n", "2");
        Assert.Equal(0, part.ExitCode);
        string[] partLines = part.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, partLines.Length);
        Assert.StartsWith("1500 16 dc05000000000000", partLines[0], StringComparison.Ordinal);
        Assert.StartsWith("1501 16 dd05000000000000", partLines[1], StringComparison.Ordinal);
        Assert.StartsWith("END Record position=", partLines[2], StringComparison.Ordinal);

        ToolRun past = ToolRun.InProcess("dump", Folder, "--from-seq", "5000");
        Assert.Equal(2, past.ExitCode);
        Assert.Single(past.ErrorLines);

        ToolRun channel = ToolRun.InProcess("dump", StorageLayout.ChannelFile(Folder, 0), "--from-seq", "1");
        Assert.Equal(2, channel.ExitCode);
        Assert.Contains("--from-seq is for journals", channel.Error, StringComparison.Ordinal);
    }
}
