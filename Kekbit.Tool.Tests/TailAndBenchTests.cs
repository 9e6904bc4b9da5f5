using System.Text;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary><c>kekbit tail</c> (with and without <c>-f</c>) and <c>kekbit bench</c>.</summary>
public sealed class TailAndBenchTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public void Tail_prints_the_last_records_as_text_or_hex()
    {
        using var root = new TempRoot();
        ToolRun.InProcessWithText("one\ntwo\nthree\nline\\with\u0001control\n", "write", root.Path, "1", "1");

        Assert.Equal("three\nline\\\\with\\x01control\n", ToolRun.InProcess("tail", root.Path, "1", "-n", "2").Output);
        Assert.Equal("5 7468726565\n", ToolRun.InProcess("tail", root.Path, "1", "-n", "2", "--hex").Output.Split('\n')[0] + "\n");
        Assert.Equal("one\ntwo\nthree\nline\\\\with\\x01control\n", ToolRun.InProcess("tail", root.Path, "1", "-n", "100").Output);
        Assert.Equal("", ToolRun.InProcess("tail", root.Path, "1", "-n", "0").Output);
    }

    [Fact]
    public void Tail_follow_prints_records_as_a_live_writer_publishes_them_and_ends_when_it_closes()
    {
        using var root = new TempRoot();
        var writer = ShmWriter.Create(root.Path, Metadata.Create(1, 5, 16384, 100, 30_000, TickUnit.Millis));
        try
        {
            writer.Write("before"u8);
            using var tail = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "kekbit.dll"), "tail", root.Path, "5", "-f"]);
            tail.WaitForLine(line => line == "before", Deadline);

            writer.Write("after"u8);
            tail.WaitForLine(line => line == "after", Deadline);
            writer.Dispose();

            Assert.Equal(0, tail.WaitForExit(Deadline));
            Assert.Equal("before\nafter\n", tail.StandardOutput);
        }
        finally
        {
            writer.Dispose();
        }
    }

    [Fact]
    public void Tail_follow_gives_up_with_exit_code_5_when_the_writer_is_silent_for_longer_than_the_timeout()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Metadata.Create(1, 6, 16384, 100, 200, TickUnit.Millis));
        writer.Write("only"u8);

        ToolRun run = ToolRun.InProcess("tail", root.Path, "6", "-f");

        Assert.Equal(5, run.ExitCode);
        Assert.Equal("only\n", run.Output);
        Assert.Contains("its writer is considered gone", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Tail_of_a_damaged_channel_prints_the_intact_records_then_fails()
    {
        ToolRun run = ToolRun.InProcess("tail", Fixtures.ChannelFile("03_full_closed/raw"), "-n", "1", "--hex");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("141 04050607", run.Output, StringComparison.Ordinal);
        Assert.Contains("FileTruncated", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_writes_and_reads_a_temporary_channel_and_removes_it()
    {
        using var folder = new TempRoot();

        ToolRun run = ToolRun.InProcess("bench", "--records", "20000", "--size", "32", "--folder", folder.Path, "--json");

        Assert.Equal(0, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Output);
        string[] phases = [.. json.RootElement.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("phase").GetString()!)];
        Assert.Equal(["write", "read"], phases);
        Assert.All(json.RootElement.GetProperty("phases").EnumerateArray(), p => Assert.True(p.GetProperty("recordsPerSecond").GetDouble() > 0));
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public void Bench_prints_a_table_by_default()
    {
        using var folder = new TempRoot();

        ToolRun run = ToolRun.InProcess("bench", "-r", "1000", "--folder", folder.Path);

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"^PHASE\s+RECORDS", run.Output);
        Assert.Matches(@"\nwrite\s+1,000\s+64 B", run.Output);
        Assert.Matches(@"\nread\s+1,000\s+64 B", run.Output);
    }
}
