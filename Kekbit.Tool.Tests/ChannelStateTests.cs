using System.Buffers.Binary;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary><c>ls</c>, <c>info</c> and <c>verify</c> on healthy, unclosed, full and corrupted channels.</summary>
public sealed class ChannelStateTests : IDisposable
{
    private readonly TempRoot _root = new();
    private readonly List<IDisposable> _writers = [];

    public void Dispose()
    {
        foreach (IDisposable writer in _writers)
        {
            writer.Dispose();
        }

        _root.Dispose();
    }

    [Fact]
    public void Ls_lists_every_channel_with_its_state_records_and_fill()
    {
        CreateClosed(1, "a", "bb");
        CreateLive(2, "live");
        CreateAbandoned(0x66);
        CreateFull(4, close: true);
        CreateCorrupted(101);

        ToolRun run = ToolRun.InProcess("ls", _root.Path, "--json");

        Assert.Equal(0, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Output);
        var states = json.RootElement.GetProperty("channels").EnumerateArray()
            .ToDictionary(c => c.GetProperty("metadata").GetProperty("channelId").GetUInt64(), c => (c.GetProperty("state").GetString(), c.GetProperty("records").GetInt64()));
        Assert.Equal(("closed", 2L), states[1]);
        Assert.Equal(("live", 1L), states[2]);
        Assert.Equal(("abandoned", 5L), states[0x66]);
        Assert.Equal("full", states[4].Item1);
        Assert.Equal(("corrupted", 2L), states[101]);
    }

    [Fact]
    public void Ls_as_a_table_shows_one_row_per_channel_with_relative_paths()
    {
        CreateClosed(0x10, "x");
        CreateAbandoned(0x66);

        ToolRun run = ToolRun.AsProcess("ls", _root.Path);

        Assert.Equal(0, run.ExitCode);
        string[] lines = run.Output.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^CHANNEL\s+WRITER\s+STATE\s+RECORDS\s+USED\s+FILL\s+PATH", lines[0]);
        Assert.Matches(@"^0x10\s+1\s+closed\s+1\s+16 B\s+0\.1%\s+0000_0000/0000_0010\.kekbit", lines[1]);
        Assert.Matches(@"^0x66\s+2\s+abandoned\s+5\s+104 B\s+0\.6%\s+0000_0000/0000_0066\.kekbit", lines[2]);
    }

    [Fact]
    public void Ls_of_a_missing_root_fails_and_of_an_empty_root_says_so()
    {
        ToolRun missing = ToolRun.InProcess("ls", Path.Combine(_root.Path, "nope"));
        ToolRun empty = ToolRun.InProcess("ls", _root.Path);

        Assert.Equal(3, missing.ExitCode);
        Assert.Single(missing.ErrorLines);
        Assert.Equal((0, ""), (empty.ExitCode, empty.Output));
        Assert.Contains("no channels", Assert.Single(empty.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Info_shows_every_metadata_field_of_a_kekbit_fixture()
    {
        ToolRun run = ToolRun.InProcess("info", Fixtures.Root("01_small_closed"), "101", "--json");

        Assert.Equal(0, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Output);
        JsonElement metadata = json.RootElement.GetProperty("metadata");
        Assert.Equal("1.0.0", metadata.GetProperty("version").GetString());
        Assert.Equal(1UL, metadata.GetProperty("writerId").GetUInt64());
        Assert.Equal("0x65", metadata.GetProperty("channelIdHex").GetString());
        Assert.Equal(20008, metadata.GetProperty("capacity").GetInt32());
        Assert.Equal(112, metadata.GetProperty("maxRecordLength").GetInt32());
        Assert.Equal(10000UL, metadata.GetProperty("timeout").GetUInt64());
        Assert.Equal("millis", metadata.GetProperty("tickUnit").GetString());
        Assert.Equal(1795465913089UL, metadata.GetProperty("creationTime").GetUInt64());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1795465913089), metadata.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal("closed", json.RootElement.GetProperty("state").GetString());
        Assert.Equal(12, json.RootElement.GetProperty("records").GetInt64());
        Assert.Equal(432, json.RootElement.GetProperty("bytesUsed").GetInt64());
        Assert.True(json.RootElement.GetProperty("fileTruncated").GetBoolean());
    }

    [Fact]
    public void Info_as_text_names_the_fields_and_the_creation_date()
    {
        ToolRun run = ToolRun.InProcess("info", Fixtures.ChannelFile("04_big_channel_id"));

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"channel id\s+12297848147757817309 \(0xaaaabbbbccccdddd\)", run.Output);
        Assert.Matches(@"timeout\s+1000 secs", run.Output);
        Assert.Matches(@"creation time\s+1795465913 secs since the Unix epoch = 2026-11-23T", run.Output);
        Assert.Matches(@"records\s+3 *\n", run.Output);
    }

    [Fact]
    public void Info_of_a_live_unclosed_channel_names_its_writer_process()
    {
        CreateLive(9, "x");

        ToolRun run = ToolRun.InProcess("info", _root.Path, "9", "--json");

        using JsonDocument json = JsonDocument.Parse(run.Output);
        Assert.Equal("live", json.RootElement.GetProperty("state").GetString());
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(Environment.ProcessId, json.RootElement.GetProperty("writerProcessId").GetInt32());
        }
    }

    [Fact]
    public void Verify_passes_healthy_unclosed_and_full_channels()
    {
        CreateClosed(1, "a");
        CreateAbandoned(0x66);
        CreateFull(4, close: false);

        ToolRun closed = ToolRun.AsProcess("verify", _root.Path, "1");
        ToolRun unclosed = ToolRun.InProcess("verify", _root.Path, "0x66");
        ToolRun full = ToolRun.InProcess("verify", _root.Path, "4");

        Assert.Equal((0, ""), (closed.ExitCode, closed.Error));
        Assert.Contains("healthy, closed: 1 record, 16 of 16384 bytes used", closed.Output, StringComparison.Ordinal);
        Assert.Equal(0, unclosed.ExitCode);
        Assert.Contains("healthy, abandoned: 5 records", unclosed.Output, StringComparison.Ordinal);
        Assert.Equal(0, full.ExitCode);
        Assert.Contains("healthy, full:", full.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_reports_the_first_corruption_with_its_position_and_exit_code_1()
    {
        CreateCorrupted(101);

        ToolRun run = ToolRun.AsProcess("verify", _root.Path, "101");
        ToolRun json = ToolRun.InProcess("verify", _root.Path, "101", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("corrupted at position 32 (file offset 1056)", run.Output, StringComparison.Ordinal);
        Assert.Contains("UnknownMarker", run.Output, StringComparison.Ordinal);
        Assert.Equal(1, json.ExitCode);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        Assert.Equal("UnknownMarker", document.RootElement.GetProperty("failure").GetString());
        Assert.False(document.RootElement.GetProperty("healthy").GetBoolean());
    }

    [Fact]
    public void Verify_of_the_short_raw_kekbit_file_reports_its_truncation()
    {
        ToolRun run = ToolRun.InProcess("verify", Fixtures.ChannelFile("03_full_closed/raw"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("corrupted at position 130032", run.Output, StringComparison.Ordinal);
        Assert.Contains("(FileTruncated); 261 records intact before it", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_flags_a_channel_file_moved_to_another_channels_path()
    {
        CreateClosed(1, "a");
        string moved = StorageLayout.ChannelFile(_root.Path, 2);
        File.Copy(StorageLayout.ChannelFile(_root.Path, 1), moved);

        ToolRun run = ToolRun.InProcess("verify", moved);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("misplaced", run.Output, StringComparison.Ordinal);
    }

    private void CreateClosed(ulong channelId, params string[] records)
    {
        using ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, channelId, 16384, 100, 1000, TickUnit.Millis));
        foreach (string record in records)
        {
            Assert.True(writer.Write(System.Text.Encoding.UTF8.GetBytes(record)).IsSuccess);
        }
    }

    /// <summary>An unclosed channel whose writer is alive: this test process maps it.</summary>
    private void CreateLive(ulong channelId, string record)
    {
        ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, channelId, 16384, 100, 60_000, TickUnit.Millis));
        _writers.Add(writer);
        Assert.True(writer.Write(System.Text.Encoding.UTF8.GetBytes(record)).IsSuccess);
    }

    /// <summary>kekbit 0.3.5's unclosed fixture, whose writer exited without closing.</summary>
    private void CreateAbandoned(ulong channelId)
    {
        string target = StorageLayout.ChannelFile(_root.Path, channelId);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(Fixtures.ChannelFile("02_unclosed"), target);
    }

    private void CreateFull(ulong channelId, bool close)
    {
        ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, channelId, 16384, 100, 60_000, TickUnit.Millis));
        byte[] payload = new byte[100];
        while (writer.Write(payload).IsSuccess)
        {
        }

        while (!writer.IsFull && writer.Write(payload.AsSpan(0, Math.Max(0, writer.Available - 8))).IsSuccess)
        {
        }

        if (close)
        {
            writer.Dispose();
        }
        else
        {
            _writers.Add(writer);
        }
    }

    /// <summary>The small kekbit fixture with its third record's length slot overwritten by garbage.</summary>
    private void CreateCorrupted(ulong channelId)
    {
        string target = StorageLayout.ChannelFile(_root.Path, channelId);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        byte[] bytes = File.ReadAllBytes(Fixtures.ChannelFile("01_small_closed"));
        // Records 0 and 1 take 16 bytes each (header and padding included): record 2's slot is at data offset 32.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1024 + 32), 0xDEAD_BEEFUL);
        File.WriteAllBytes(target, bytes);
    }
}
