using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>Every channel written by the Rust crate kekbit 0.3.5 reads back exactly as its expected.txt says.</summary>
public sealed class FixtureReadTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "01_small_closed", "01_small_closed/expected.txt" },
        { "02_unclosed", "02_unclosed/expected.txt" },
        { "03_full_closed/extended", "03_full_closed/expected.txt" },
        { "04_big_channel_id", "04_big_channel_id/expected.txt" },
        { "05_seq_chain", "05_seq_chain/expected.txt" },
        { "06_binary_all_bytes", "06_binary_all_bytes/expected.txt" },
        { "07_edge_empty_and_max", "07_edge_empty_and_max/expected.txt" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dump_of_each_fixture_equals_its_expected_output(string root, string expectedFile)
    {
        using var reader = ShmReader.Open(Fixtures.ChannelFile(root));
        var output = new StringWriter();
        ChannelDump.Write(reader, output);
        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures.Kekbit035, expectedFile)), output.ToString());
    }

    [Fact]
    public void Short_raw_file_reads_its_intact_records_then_fails_as_truncated()
    {
        using var reader = ShmReader.Open(Fixtures.ChannelFile("03_full_closed/raw"));
        Assert.True(reader.IsFileTruncated);
        var output = new StringWriter();
        ReadResult end = ChannelDump.Write(reader, output);
        string expectedRecords = File.ReadAllText(Path.Combine(Fixtures.Kekbit035, "03_full_closed/expected_raw_intact_prefix.txt"));
        Assert.Equal(expectedRecords + "END Failed position=130032\n", output.ToString());
        Assert.Equal(ReadFailure.FileTruncated, end.Failure);
        Assert.Equal(ReadStatus.Failed, reader.ExhaustedBy);
        Assert.Equal(ReadStatus.Failed, reader.TryRead().Status);
    }

    [Theory]
    [InlineData("01_small_closed", 1UL, 101UL, 20008, 112, 10000UL, TickUnit.Millis, 1795465913089UL)]
    [InlineData("04_big_channel_id", 4UL, 0xAAAABBBBCCCCDDDDUL, 16384, 72, 1000UL, TickUnit.Secs, 1795465913UL)]
    [InlineData("06_binary_all_bytes", 6UL, 106UL, 65536, 264, 99999999999UL, TickUnit.Nanos, 1795465913175062773UL)]
    public void Metadata_of_fixtures_matches_meta_txt(string root, ulong writerId, ulong channelId, int capacity, int maxLength, ulong timeout, TickUnit tick, ulong created)
    {
        using var reader = ShmReader.Open(Fixtures.Root(root), channelId);
        Metadata m = reader.Metadata;
        Assert.Equal(
            (writerId, channelId, capacity, maxLength, timeout, tick, created, "1.0.0"),
            (m.WriterId, m.ChannelId, m.Capacity, m.MaxRecordLength, m.Timeout, m.TickUnit, m.CreationTime, m.VersionText));
    }

    [Fact]
    public void Unclosed_fixture_times_out_through_a_timeout_reader()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var reader = new TimeoutReader(ShmReader.Open(Fixtures.ChannelFile("02_unclosed")), clock);
        var output = new StringWriter();
        Assert.Equal(ReadStatus.Nothing, ChannelDump.Write(reader, output).Status);
        clock.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        ReadResult end = reader.TryRead();
        Assert.Equal((ReadStatus.Timeout, 104L), (end.Status, end.Position));
        Assert.Equal(ReadStatus.Timeout, reader.ExhaustedBy);
    }
}
