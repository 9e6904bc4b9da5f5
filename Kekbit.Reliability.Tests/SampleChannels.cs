using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Valid channel files to damage: written by this port (closed, unclosed, filled to the brim) and by the Rust
/// crate kekbit 0.3.5 (the shared fixtures, including its real 896-bytes-short file). Built once, kept in memory.
/// </summary>
internal static class SampleChannels
{
    private static readonly Lazy<IReadOnlyList<SampleChannel>> AllLazy = new(Build);

    public static IReadOnlyList<SampleChannel> All => AllLazy.Value;

    private static List<SampleChannel> Build()
    {
        using var root = new TempRoot("kekbit-samples");
        var random = new Random(42);
        List<SampleChannel> samples =
        [
            Written(root, 1, random, records: 60, close: true),
            Written(root, 2, random, records: 40, close: false),
            Written(root, 3, random, records: int.MaxValue, close: true),
        ];
        foreach (string fixture in new[] { "01_small_closed", "02_unclosed", "03_full_closed/raw", "06_binary_all_bytes", "07_edge_empty_and_max" })
        {
            samples.Add(new SampleChannel($"kekbit 0.3.5 {fixture}", File.ReadAllBytes(Fixtures.ChannelFile(fixture))));
        }

        return samples;
    }

    private static SampleChannel Written(TempRoot root, ulong channelId, Random random, int records, bool close)
    {
        var metadata = Metadata.Create(9, channelId, 16384, 100, 1000, TickUnit.Millis);
        byte[] payload = new byte[metadata.MaxRecordLength];
        using (var writer = ShmWriter.Create(root.Path, metadata))
        {
            for (int i = 0; i < records; i++)
            {
                random.NextBytes(payload);
                if (writer.Write(payload.AsSpan(0, random.Next(payload.Length + 1))).Status == WriteStatus.ChannelFull)
                {
                    break;
                }
            }

            if (!close)
            {
                writer.Flush();
                return new SampleChannel($"unclosed, {records} records", ChannelBytes.Read(root.ChannelFile(channelId)));
            }
        }

        return new SampleChannel(records == int.MaxValue ? "full and closed" : $"closed, {records} records", File.ReadAllBytes(root.ChannelFile(channelId)));
    }
}

/// <summary>A valid channel file, held in memory, with the data offsets of its length slots.</summary>
internal sealed class SampleChannel(string name, byte[] bytes)
{
    public string Name { get; } = name;

    public byte[] Bytes { get; } = bytes;

    public int[] Slots { get; } = ReferenceReader.LengthSlots(bytes);

    public override string ToString() => Name;
}
