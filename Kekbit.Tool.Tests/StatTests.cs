using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.TestSupport;
using Kekbit.Tool.Stat;

namespace Kekbit.Tool.Tests;

/// <summary><c>kekbit stat</c>: --once and --json on live, closed and abandoned channels, the rate from two samples, the running view, read-only, and its usage errors.</summary>
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
        var source = new ChannelStatSource(_root.Path, (_, _) => Assert.Fail("nothing to skip"));
        DateTimeOffset start = DateTimeOffset.UtcNow;
        StatRow first = Assert.Single(source.Sample(ChannelWriters.Scan(), start, TestContext.Current.CancellationToken));
        for (int i = 0; i < 10; i++)
        {
            writer.Write("12345678"u8); // 16 bytes each.
        }

        StatRow second = Assert.Single(source.Sample(ChannelWriters.Scan(), start.AddSeconds(2), TestContext.Current.CancellationToken));

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
