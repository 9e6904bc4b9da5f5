using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary>
/// <c>kekbit tail [-f] JOURNAL</c>: the last records, a start by sequence or from the first record, following a live writer
/// across segment rolls and a restart in a real child process, stopping on SIGINT, never touching the journal's cursors.
/// </summary>
public sealed class JournalTailTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly JournalWriterOptions Small = new() { SegmentCapacity = 16384, PreTouch = false };

    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    private string Folder => Path.Combine(_root.Path, "orders");

    private static void Write(JournalWriter writer, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            Assert.Equal(WriteStatus.Success, writer.Write(Encoding.UTF8.GetBytes(Line(i))).Status);
        }
    }

    private static string Line(int i) => string.Create(CultureInfo.InvariantCulture, $"record {i}");

    private static string Lines(int from, int count) => string.Concat(Enumerable.Range(from, count).Select(i => Line(i) + "\n"));

    private void WriteClosedJournal(int records)
    {
        using JournalWriter writer = JournalWriter.Open(Folder, Small);
        Write(writer, 0, records);
    }

    [Fact]
    public void Tail_prints_the_last_records_of_a_journal_across_segments()
    {
        WriteClosedJournal(2000);
        Assert.True(Directory.GetFiles(Folder, "*.kekbit", SearchOption.AllDirectories).Length >= 3, "the records span several segments");

        ToolRun last = ToolRun.InProcess("tail", Folder);
        Assert.Equal(0, last.ExitCode);
        Assert.Equal(Lines(1990, 10), last.Output);
        Assert.Empty(last.Error);

        Assert.Equal(Lines(1500, 500), ToolRun.InProcess("tail", Folder, "-n", "500").Output);
        Assert.Equal(Lines(0, 2000), ToolRun.InProcess("tail", Folder, "-n", "100000").Output);
        Assert.Equal("", ToolRun.InProcess("tail", Folder, "-n", "0").Output);
        Assert.Equal(Lines(0, 2000), ToolRun.InProcess("tail", Folder, "--from-start").Output);
        Assert.Equal(Lines(1234, 766), ToolRun.InProcess("tail", Folder, "--from-seq", "1234").Output);
        Assert.Equal("11 7265636f72642031393939\n", ToolRun.InProcess("tail", Folder, "-n", "1", "--hex").Output);
    }

    [Fact]
    public void Tail_of_a_journal_with_nothing_written_prints_nothing()
    {
        using (JournalWriter.Open(Folder, Small))
        {
        }

        ToolRun run = ToolRun.InProcess("tail", Folder);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Empty(run.Error);
    }

    [Fact]
    public void Where_to_start_is_said_once_and_sequences_are_for_journals()
    {
        WriteClosedJournal(10);

        ToolRun both = ToolRun.InProcess("tail", Folder, "-n", "3", "--from-seq", "2");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("give one of them", both.Error, StringComparison.Ordinal);
        Assert.Equal(2, ToolRun.InProcess("tail", Folder, "--from-start", "--from-seq", "2").ExitCode);

        ToolRun past = ToolRun.InProcess("tail", Folder, "--from-seq", "11");
        Assert.Equal(2, past.ExitCode);
        Assert.Contains("past the journal's end", Assert.Single(past.ErrorLines), StringComparison.Ordinal);

        ToolRun.InProcessWithText("a\nb\n", "write", _root.Path, "1", "7");
        ToolRun channel = ToolRun.InProcess("tail", _root.Path, "7", "--from-seq", "0");
        Assert.Equal(2, channel.ExitCode);
        Assert.Contains("--from-seq is for journals", channel.Error, StringComparison.Ordinal);
        Assert.Equal("a\nb\n", ToolRun.InProcess("tail", _root.Path, "7", "--from-start").Output);
    }

    [Fact]
    public void A_folder_that_is_not_a_journal_is_a_usage_error_naming_it()
    {
        string plain = Path.Combine(_root.Path, "plain");
        Directory.CreateDirectory(plain);

        ToolRun run = ToolRun.InProcess("tail", plain, "-f");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"'{plain}' is a folder but not a journal", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public void Tail_of_a_damaged_journal_prints_the_intact_records_then_names_the_damage()
    {
        WriteClosedJournal(3000);
        string damaged = StorageLayout.ChannelFile(Folder, 2);
        long position = ChannelInspection.Inspect(damaged, cancellationToken: TestContext.Current.CancellationToken).LastRecordPosition;
        using (var file = new FileStream(damaged, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = ChannelInspection.FileOffsetOf(position);
            file.Write(BitConverter.GetBytes(0x7777_7777_7777_7777UL));
        }

        ToolRun run = ToolRun.InProcess("tail", Folder, "--from-start");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith(Lines(0, 100), run.Output, StringComparison.Ordinal);
        Assert.Contains($"{damaged}: damaged segment at position {position}", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Tail_follow_of_a_journal_with_nothing_written_yet_prints_its_first_records()
    {
        using JournalWriter writer = JournalWriter.Open(Folder, Small);
        using var tail = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "kekbit.dll"), "tail", Folder, "-f"]);
        // The tail may open before or after the first record: either way it prints every record, once.
        Write(writer, 0, 600);
        tail.WaitForLine(line => line == Line(599), Deadline);

        using (var kill = Process.Start("kill", ["-s", "TERM", tail.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            Assert.True(kill.WaitForExit(Deadline) && kill.ExitCode == 0);
        }

        Assert.Equal(143, tail.WaitForExit(Deadline));
        // A suffix of the records, in order, with none missing or repeated: all of them, or the last 10 at its start and what followed.
        int printed = tail.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.True(printed >= 10, tail.StandardOutput);
        Assert.Equal(Lines(600 - printed, printed), tail.StandardOutput);
        Assert.Equal("kekbit: interrupted by SIGTERM\n", tail.StandardError);
    }

    [Fact]
    public void Tail_follow_follows_a_live_writer_across_rolls_and_a_restart_until_SIGINT_and_takes_no_cursor()
    {
        var writer = JournalWriter.Open(Folder, Small);
        try
        {
            Write(writer, 0, 20);
            using var tail = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "kekbit.dll"), "tail", "-f", Folder, "-n", "3"]);
            tail.WaitForLine(line => line == Line(19), Deadline);

            // Enough to roll several segments of 16 KiB while the tail follows.
            long segmentBefore = writer.Segment;
            Write(writer, 20, 3000);
            Assert.True(writer.Segment >= segmentBefore + 3, $"the writer rolled only to segment {writer.Segment}");
            tail.WaitForLine(line => line == Line(3019), Deadline);

            // A writer that closes and comes back continues in a new segment: the tail goes on there.
            writer.Dispose();
            writer = JournalWriter.Open(Folder, Small);
            Write(writer, 3020, 5);
            tail.WaitForLine(line => line == Line(3024), Deadline);

            using (var kill = Process.Start("kill", ["-s", "INT", tail.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                Assert.True(kill.WaitForExit(Deadline) && kill.ExitCode == 0);
            }

            Assert.Equal(130, tail.WaitForExit(Deadline));
            Assert.Equal(Lines(17, 3008), tail.StandardOutput);
            Assert.Equal("kekbit: interrupted by SIGINT\n", tail.StandardError);
            Assert.False(Directory.Exists(Path.Combine(Folder, "cursors")), "tail created a cursor");
        }
        finally
        {
            writer.Dispose();
        }
    }
}
