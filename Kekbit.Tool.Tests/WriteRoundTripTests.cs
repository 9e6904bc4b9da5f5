using System.Buffers.Binary;
using System.Text;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary><c>kekbit write</c> then <c>kekbit dump</c> gives back exactly what was written.</summary>
public sealed class WriteRoundTripTests
{
    [Fact]
    public void Text_lines_written_by_a_process_dump_back_as_the_same_records()
    {
        using var root = new TempRoot();
        string[] lines = ["hello", "", "wörld ✓", "a line with\ttab", new string('x', 100)];

        ToolRun write = ToolRun.AsProcess(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), "write", root.Path, "1", "0x2a", "--max-length", "100");
        ToolRun dump = ToolRun.AsProcess("dump", root.Path, "42");

        Assert.Equal(0, write.ExitCode);
        Assert.Contains("wrote 5 records", Assert.Single(write.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(ExpectedDump(lines.Select(Encoding.UTF8.GetBytes), closed: true), dump.Output);
        Assert.Equal(0, dump.ExitCode);
    }

    [Fact]
    public void A_last_line_without_newline_is_a_record_and_CRLF_endings_are_not_part_of_records()
    {
        using var root = new TempRoot();

        ToolRun write = ToolRun.InProcessWithText("one\r\ntwo\r\nthree", "write", root.Path, "1", "7");

        Assert.Equal(0, write.ExitCode);
        Assert.Equal("one\ntwo\nthree\n", ToolRun.InProcess("tail", root.Path, "7").Output);
    }

    [Fact]
    public void Binary_frames_round_trip_every_byte_value_and_empty_records()
    {
        using var root = new TempRoot();
        byte[][] records = [[], Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x0A, 0x0D]];

        ToolRun write = ToolRun.AsProcess(Frames(records), "write", root.Path, "9", "0xAAAABBBBCCCCDDDD", "--frames", "--max-length", "256", "--json");
        ToolRun dump = ToolRun.InProcess("dump", StorageLayout.ChannelFile(root.Path, 0xAAAABBBBCCCCDDDD));

        Assert.Equal(0, write.ExitCode);
        Assert.Contains("\"records\": 4", write.Output, StringComparison.Ordinal);
        Assert.Equal(ExpectedDump(records, closed: true), dump.Output);
    }

    [Fact]
    public void No_close_leaves_the_channel_unclosed()
    {
        using var root = new TempRoot();

        ToolRun write = ToolRun.InProcessWithText("a\nb\n", "write", root.Path, "1", "5", "--no-close");

        Assert.Equal(0, write.ExitCode);
        Assert.Equal("1 61\n1 62\nEND Nothing position=32\n", ToolRun.InProcess("dump", root.Path, "5").Output);
    }

    [Fact]
    public void An_oversize_line_stops_writing_with_exit_code_4_and_the_records_before_it_stay_readable()
    {
        using var root = new TempRoot();
        string input = "short\n" + new string('y', 200) + "\nnever written\n";

        ToolRun write = ToolRun.InProcessWithText(input, "write", root.Path, "1", "6", "--max-length", "100");

        Assert.Equal(4, write.ExitCode);
        Assert.Contains("record 2 holds 200 bytes, more than the channel's max record length of 112", write.ErrorLines[^1], StringComparison.Ordinal);
        Assert.Equal("5 73686f7274\nEND Closed position=16\n", ToolRun.InProcess("dump", root.Path, "6").Output);
    }

    [Fact]
    public void A_truncated_frame_is_refused_and_the_frames_before_it_are_kept()
    {
        using var root = new TempRoot();
        byte[] input = [.. Frames([[1, 2, 3]]), 10, 0, 0, 0, 1, 2];

        ToolRun write = ToolRun.InProcess(input, "write", root.Path, "1", "8", "--frames");

        Assert.Equal(4, write.ExitCode);
        Assert.Contains("ends inside frame 2", write.ErrorLines[^1], StringComparison.Ordinal);
        Assert.Equal("3 010203\nEND Closed position=16\n", ToolRun.InProcess("dump", root.Path, "8").Output);
    }

    [Fact]
    public void Writing_over_an_existing_channel_is_refused()
    {
        using var root = new TempRoot();
        Assert.Equal(0, ToolRun.InProcessWithText("a\n", "write", root.Path, "1", "3").ExitCode);

        ToolRun again = ToolRun.InProcessWithText("b\n", "write", root.Path, "1", "3");

        Assert.Equal(4, again.ExitCode);
        Assert.Contains("StorageAlreadyExists", Assert.Single(again.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_range_and_text_options_select_and_render_records()
    {
        using var root = new TempRoot();
        ToolRun.InProcessWithText("r0\nr1\nr2\nr3\n", "write", root.Path, "1", "4");

        Assert.Equal("2 r1\n2 r2\nEND Record position=48\n", ToolRun.InProcess("dump", root.Path, "4", "--from", "1", "--count", "2", "--text").Output);
        Assert.Equal("2 7233\nEND Closed position=64\n", ToolRun.InProcess("dump", root.Path, "4", "--from", "3").Output);
    }

    private static byte[] Frames(IEnumerable<byte[]> records)
    {
        var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (byte[] record in records)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)record.Length);
            stream.Write(length);
            stream.Write(record);
        }

        return stream.ToArray();
    }

    private static string ExpectedDump(IEnumerable<byte[]> records, bool closed)
    {
        var text = new StringBuilder();
        long position = 0;
        foreach (byte[] record in records)
        {
            text.Append(record.Length);
            if (record.Length > 0)
            {
                text.Append(' ').Append(Convert.ToHexStringLower(record));
            }

            text.Append('\n');
            position += RecordLayout.RecordSize(record.Length);
        }

        return text.Append($"END {(closed ? "Closed" : "Nothing")} position={position}\n").ToString();
    }
}
