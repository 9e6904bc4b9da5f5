using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary><c>kekbit dump</c>, run as a real process, prints every kekbit 0.3.5 fixture exactly as its expected.txt.</summary>
public sealed class FixtureDumpTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "01_small_closed", "101", "01_small_closed/expected.txt" },
        { "02_unclosed", "0x66", "02_unclosed/expected.txt" },
        { "03_full_closed/extended", "103", "03_full_closed/expected.txt" },
        { "04_big_channel_id", "0xAAAABBBBCCCCDDDD", "04_big_channel_id/expected.txt" },
        { "05_seq_chain", "105", "05_seq_chain/expected.txt" },
        { "06_binary_all_bytes", "0x6a", "06_binary_all_bytes/expected.txt" },
        { "07_edge_empty_and_max", "107", "07_edge_empty_and_max/expected.txt" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dump_by_root_and_id_equals_expected_txt_byte_for_byte(string root, string channelId, string expectedFile)
    {
        ToolRun run = ToolRun.AsProcess("dump", Fixtures.Root(root), channelId);

        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures.Kekbit035, expectedFile)), run.Output);
        Assert.Equal((0, ""), (run.ExitCode, run.Error));
    }

    [Fact]
    public void Dump_by_file_path_equals_dump_by_root_and_id()
    {
        ToolRun byPath = ToolRun.InProcess("dump", Fixtures.ChannelFile("05_seq_chain"));

        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures.Kekbit035, "05_seq_chain/expected.txt")), byPath.Output);
        Assert.Equal(0, byPath.ExitCode);
    }

    [Fact]
    public void Dump_of_the_short_raw_file_prints_its_intact_records_then_END_Failed_and_exits_non_zero()
    {
        ToolRun run = ToolRun.AsProcess("dump", Fixtures.ChannelFile("03_full_closed/raw"));

        string intact = File.ReadAllText(Path.Combine(Fixtures.Kekbit035, "03_full_closed/expected_raw_intact_prefix.txt"));
        Assert.Equal(intact + "END Failed position=130032\n", run.Output);
        Assert.Equal(1, run.ExitCode);
        string error = Assert.Single(run.ErrorLines);
        Assert.Contains("damaged at position 130032", error, StringComparison.Ordinal);
        Assert.Contains("FileTruncated", error, StringComparison.Ordinal);
    }
}
