using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// Writing each fixture's input with the same hints produces the same bytes kekbit 0.3.5 wrote:
/// the same data area and the same metadata but for the creation time, and the same outcome per write.
/// </summary>
public sealed class FixtureWriteTests
{
    public sealed record FixtureCase(string Name, string FileRoot, ulong WriterId, ulong ChannelId, int CapacityHint, int MaxLengthHint, ulong Timeout, TickUnit Tick, bool Close, bool Sequenced)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<FixtureCase> Cases => new()
    {
        new FixtureCase("01_small_closed", "01_small_closed", 1, 101, 20001, 100, 10000, TickUnit.Millis, Close: true, Sequenced: false),
        new FixtureCase("02_unclosed", "02_unclosed", 2, 102, 16384, 100, 5000, TickUnit.Millis, Close: false, Sequenced: false),
        new FixtureCase("03_full_closed", "03_full_closed/extended", 3, 103, 131072, 1000, 10000, TickUnit.Millis, Close: true, Sequenced: false),
        new FixtureCase("04_big_channel_id", "04_big_channel_id", 4, 0xAAAA_BBBB_CCCC_DDDD, 16384, 64, 1000, TickUnit.Secs, Close: true, Sequenced: false),
        new FixtureCase("05_seq_chain", "05_seq_chain", 5, 105, 16384, 100, 1000000, TickUnit.Micros, Close: true, Sequenced: true),
        new FixtureCase("06_binary_all_bytes", "06_binary_all_bytes", 6, 106, 65536, 256, 99999999999, TickUnit.Nanos, Close: true, Sequenced: false),
        new FixtureCase("07_edge_empty_and_max", "07_edge_empty_and_max", 7, 107, 16384, 100, 1000, TickUnit.Millis, Close: true, Sequenced: false),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Same_input_and_hints_give_the_same_bytes_and_write_outcomes(FixtureCase c)
    {
        using var root = new TempRoot();
        var metadata = Metadata.Create(c.WriterId, c.ChannelId, c.CapacityHint, c.MaxLengthHint, c.Timeout, c.Tick);
        IHandler? handler = c.Sequenced ? ChainedHandler.Link(new EncoderHandler(), new SequenceHandler(0)) : null;
        var writer = ShmWriter.Create(root.Path, metadata, handler);
        var outcomes = new List<string>();
        List<byte[]> inputs = ReadInputs(c.Name);
        for (int i = 0; i < inputs.Count; i++)
        {
            WriteResult result = writer.Write(inputs[i]);
            outcomes.Add(result.Status switch
            {
                WriteStatus.Success => string.Create(CultureInfo.InvariantCulture, $"{i} OK {result.RecordSize}"),
                WriteStatus.ChannelFull => $"{i} ERR ChannelFull",
                WriteStatus.RecordTooLarge => $"{i} ERR EncodingError",
                _ => $"{i} {result.Status}",
            });
        }

        Assert.Equal(ExpectedOutcomes(c.Name), outcomes);
        if (c.Close)
        {
            writer.Dispose();
        }

        // Read through a fresh handle, not the mapping: what is in the file is what counts.
        byte[] ours = File.ReadAllBytes(root.ChannelFile(c.ChannelId));
        byte[] theirs = File.ReadAllBytes(Fixtures.ChannelFile(c.FileRoot));
        writer.Dispose();

        Assert.Equal(1024 + metadata.Capacity + 32, ours.Length);
        AssertSameMetadataButCreationTime(theirs, ours);
        int compared = Math.Min(theirs.Length, ours.Length);
        Assert.Equal(Convert.ToHexString(theirs, 1024, compared - 1024), Convert.ToHexString(ours, 1024, compared - 1024));
        // kekbit's files end 896 bytes early; past their end ours holds only zeros.
        Assert.All(ours.AsSpan(compared).ToArray(), b => Assert.Equal(0, b));
    }

    private static void AssertSameMetadataButCreationTime(byte[] theirs, byte[] ours)
    {
        Assert.Equal(Convert.ToHexString(theirs, 0, 48), Convert.ToHexString(ours, 0, 48));
        Assert.Equal(Convert.ToHexString(theirs, 56, 1024 - 56), Convert.ToHexString(ours, 56, 1024 - 56));
    }

    private static List<byte[]> ReadInputs(string name)
    {
        string text = Path.Combine(Fixtures.Root(name), "input.txt");
        if (File.Exists(text))
        {
            string content = File.ReadAllText(text);
            if (content.EndsWith('\n'))
            {
                content = content[..^1];
            }

            return content.Split('\n').Select(Encoding.UTF8.GetBytes).ToList();
        }

        byte[] frames = File.ReadAllBytes(Path.Combine(Fixtures.Root(name), "input.bin"));
        var records = new List<byte[]>();
        for (int offset = 0; offset < frames.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(frames.AsSpan(offset));
            records.Add(frames.AsSpan(offset + 4, length).ToArray());
            offset += 4 + length;
        }

        return records;
    }

    private static List<string> ExpectedOutcomes(string name) =>
        File.ReadAllLines(Path.Combine(Fixtures.Root(name), "write.log"))
            .Where(line => line.Length > 0 && char.IsDigit(line[0]))
            .Select(line => line.Contains(" ERR EncodingError", StringComparison.Ordinal) ? line[..(line.IndexOf(" ERR", StringComparison.Ordinal) + " ERR EncodingError".Length)] : line)
            .ToList();
}
