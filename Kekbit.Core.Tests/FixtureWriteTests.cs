using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// Writing each fixture's input with the same hints produces the same bytes kekbit 0.3.5 wrote:
/// the same data area and the same metadata but for the creation time, and the same outcome per write.
/// With the doorbell off every other byte is identical too; with it on (the default) only the doorbell's cache
/// line in the reserved header bytes differs, which kekbit 0.3.5 never reads (docs/FORMAT.md, "The doorbell").
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
        (byte[] theirs, byte[] ours) = WriteFixture(c, doorbell: false);
        AssertSameMetadataButCreationTime(theirs, ours, 0, 1024);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void With_the_doorbell_only_the_doorbell_line_of_the_reserved_header_differs(FixtureCase c)
    {
        (byte[] theirs, byte[] ours) = WriteFixture(c, doorbell: true);
        AssertSameMetadataButCreationTime(theirs, ours, 0, 512);
        AssertSameMetadataButCreationTime(theirs, ours, 576, 1024);
        // The mark ("DOORBELL"), version 1, a wake sequence and a waiters flag that no reader ever touched.
        Assert.Equal("444F4F5242454C4C" + "01000000" + "00000000" + "00000000" + "00000000", Convert.ToHexString(ours, 512, 24));
        Assert.All(ours.AsSpan(512 + 24, 64 - 24).ToArray(), b => Assert.Equal(0, b));
        Assert.All(theirs.AsSpan(512, 64).ToArray(), b => Assert.Equal(0, b));
    }

    /// <summary>Writes the fixture's input as kekbit did; checks the outcomes and the data area; returns kekbit's file and ours.</summary>
    private static (byte[] Theirs, byte[] Ours) WriteFixture(FixtureCase c, bool doorbell)
    {
        using var root = new TempRoot();
        var metadata = Metadata.Create(c.WriterId, c.ChannelId, c.CapacityHint, c.MaxLengthHint, c.Timeout, c.Tick);
        IHandler? handler = c.Sequenced ? ChainedHandler.Link(new EncoderHandler(), new SequenceHandler(0)) : null;
        var writer = ShmWriter.Create(root.Path, metadata, handler, new ShmWriterOptions { Doorbell = doorbell });
        var outcomes = new List<string>();
        List<byte[]> inputs = ReadInputs(c.Name);
        for (int i = 0; i < inputs.Count; i++)
        {
            WriteResult result = writer.Write(inputs[i]);
            outcomes.Add(result.Status switch
            {
                WriteStatus.Success => string.Create(CultureInfo.InvariantCulture, $"{i} OK {result.RecordSize}"),
                WriteStatus.ChannelFull => $"{i} ERR ChannelFull",
                WriteStatus.RecordTooLarge or WriteStatus.RecordDoesNotFit => $"{i} ERR EncodingError",
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
        int compared = Math.Min(theirs.Length, ours.Length);
        Assert.Equal(Convert.ToHexString(theirs, 1024, compared - 1024), Convert.ToHexString(ours, 1024, compared - 1024));
        // kekbit's files end 896 bytes early; past their end ours holds only zeros.
        Assert.All(ours.AsSpan(compared).ToArray(), b => Assert.Equal(0, b));
        return (theirs, ours);
    }

    /// <summary>Header bytes [<paramref name="from"/>, <paramref name="to"/>) are the same, but for the creation time (bytes 48-55).</summary>
    private static void AssertSameMetadataButCreationTime(byte[] theirs, byte[] ours, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            if (i is < 48 or >= 56 && theirs[i] != ours[i])
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture, $"header byte {i}: kekbit wrote {theirs[i]:X2}, we wrote {ours[i]:X2}"));
            }
        }
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
