using System.Buffers.Binary;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// A channel with the doorbell reads, by the reference model of kekbit 0.3.5's rules (docs/FORMAT.md) and by
/// <see cref="ShmReader"/>, exactly as the same file with the doorbell bytes zeroed, whatever state the doorbell is in.
/// </summary>
public sealed class DoorbellCompatibilityTests
{
    [Fact]
    public void The_doorbell_bytes_change_nothing_kekbit_reads()
    {
        using var root = new TempRoot("kekbit-doorbell");
        string file = root.ChannelFile(12);
        using (var writer = ShmWriter.Create(root.Path, Metadata.Create(1, 12, 1 << 16, 100, 1000, TickUnit.Millis)))
        {
            for (int i = 0; i < 50; i++)
            {
                byte[] payload = new byte[RecordPattern.MinSize + i];
                RecordPattern.Fill(payload, (ulong)i);
                Assert.True(writer.Write(payload).IsSuccess);
            }
        }

        byte[] withDoorbell = ChannelBytes.Read(file);
        Assert.Equal(0x4C4C_4542_524F_4F44UL, BinaryPrimitives.ReadUInt64LittleEndian(withDoorbell.AsSpan(512)));
        // A live doorbell: a wake sequence that has wrapped many times and a reader registered.
        BinaryPrimitives.WriteUInt32LittleEndian(withDoorbell.AsSpan(528), 0xFFFF_FFF0);
        BinaryPrimitives.WriteUInt32LittleEndian(withDoorbell.AsSpan(532), 1);
        byte[] without = (byte[])withDoorbell.Clone();
        without.AsSpan(512, 64).Clear();

        ChannelOutcome expected = ReferenceReader.Read(without), actual = ReferenceReader.Read(withDoorbell);
        Assert.Null(actual.OpenError);
        Assert.Equal((expected.End, expected.Failure, expected.EndPosition), (actual.End, actual.Failure, actual.EndPosition));
        Assert.Equal(50, actual.Records.Count);
        Assert.Equal(expected.Records.Select(r => (r.Position, Convert.ToHexString(r.Payload))), actual.Records.Select(r => (r.Position, Convert.ToHexString(r.Payload))));

        // Ours agrees, with and without the doorbell.
        foreach (byte[] bytes in new[] { withDoorbell, without })
        {
            File.WriteAllBytes(file, bytes);
            using ShmReader reader = ShmReader.Open(file);
            Assert.Equal(ReferenceReader.Read(bytes).Records.Select(r => r.Position), ReadPositions(reader));
        }
    }

    private static List<long> ReadPositions(ShmReader reader)
    {
        var positions = new List<long>();
        ReadResult result;
        while ((result = reader.TryRead()).IsRecord)
        {
            positions.Add(result.Position);
        }

        Assert.Equal(ReadStatus.Closed, result.Status);
        return positions;
    }
}
