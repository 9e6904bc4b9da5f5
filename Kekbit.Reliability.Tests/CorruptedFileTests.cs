using System.Buffers.Binary;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Issue 2's list of corruptions, one by one, on a real channel file: each gives its documented typed error
/// (a <see cref="ChannelException"/> when opening, a <see cref="ReadFailure"/> when reading), never a crash.
/// </summary>
public sealed class CorruptedFileTests : IDisposable
{
    private const ulong ChannelId = 77;
    private readonly TempRoot _root = new("kekbit-corrupt");
    private readonly byte[] _valid;

    public CorruptedFileTests()
    {
        var metadata = Metadata.Create(1, ChannelId, 16384, 100, 1000, TickUnit.Millis);
        using (var writer = ShmWriter.Create(_root.Path, metadata))
        {
            byte[] payload = new byte[40];
            for (int i = 0; i < 3; i++)
            {
                RecordPattern.Fill(payload, (ulong)i);
                writer.Write(payload);
            }
        }

        _valid = File.ReadAllBytes(ChannelFile);
    }

    private string ChannelFile => _root.ChannelFile(ChannelId);

    public static TheoryData<string, int, ulong, int, ChannelError> HeaderDamage => new()
    {
        { "bad signature", 0, 0x2A54_4942_4B45_4B2B, 8, ChannelError.InvalidSignature },
        { "zero signature (header never completed)", 0, 0, 8, ChannelError.InvalidSignature },
        { "newer version 1.0.1", 8, (1UL << 48) + 1, 8, ChannelError.IncompatibleVersion },
        { "newer version 2.0.0", 8, 2UL << 48, 8, ChannelError.IncompatibleVersion },
        { "capacity below 16384", 32, 16376, 4, ChannelError.InvalidCapacity },
        { "capacity not 8-aligned", 32, 16385, 4, ChannelError.InvalidCapacity },
        { "capacity above the largest mappable", 32, uint.MaxValue - 7, 4, ChannelError.InvalidCapacity },
        { "max length not 8-aligned", 36, 113, 4, ChannelError.InvalidMaxRecordLength },
        { "max length above capacity / 128 - 8", 36, 128, 4, ChannelError.InvalidMaxRecordLength },
        { "unknown tick unit", 56, 7, 1, ChannelError.InvalidTickUnit },
    };

    [Theory]
    [MemberData(nameof(HeaderDamage))]
    public void Damaged_metadata_is_refused_with_its_typed_error(string why, int offset, ulong value, int width, ChannelError expected)
    {
        byte[] file = (byte[])_valid.Clone();
        Span<byte> field = file.AsSpan(offset, width);
        if (width == 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(field, value);
        }
        else if (width == 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)value);
        }
        else
        {
            field[0] = (byte)value;
        }

        File.WriteAllBytes(ChannelFile, file);
        var error = Assert.Throws<ChannelException>(() => ShmReader.Open(ChannelFile));
        Assert.Equal(expected, error.Error);
        Assert.Contains(ChannelFile, error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(why));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(127)]
    public void A_file_shorter_than_the_metadata_is_refused(int length)
    {
        File.WriteAllBytes(ChannelFile, _valid[..length]);
        Assert.Equal(ChannelError.FileTooShort, Assert.Throws<ChannelException>(() => ShmReader.Open(ChannelFile)).Error);
    }

    [Fact]
    public void A_truncated_file_reads_its_whole_records_then_fails_as_truncated()
    {
        // Cut inside the third record's payload: the first two are whole, the third must not be delivered.
        File.WriteAllBytes(ChannelFile, _valid[..(1024 + (2 * 48) + 20)]);
        AssertReadsThenFails(ReadFailure.FileTruncated, records: 2, position: 96);
    }

    [Fact]
    public void An_unknown_marker_in_a_length_slot_fails_as_unknown_marker()
    {
        byte[] file = (byte[])_valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(1024 + 48), 0xDEAD_BEEF_0000_0000);
        File.WriteAllBytes(ChannelFile, file);
        AssertReadsThenFails(ReadFailure.UnknownMarker, records: 1, position: 48);
    }

    [Fact]
    public void A_length_reaching_beyond_the_capacity_fails_as_beyond_capacity()
    {
        // In a channel filled to the brim, the final slot lies within 8 bytes of the capacity: any length there overruns it.
        SampleChannel full = SampleChannels.All.Single(sample => sample.Name == "full and closed");
        byte[] file = (byte[])full.Bytes.Clone();
        int lastSlot = full.Slots[^1];
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(1024 + lastSlot), 16);
        File.WriteAllBytes(ChannelFile, file);
        using var reader = ShmReader.Open(ChannelFile);
        (PatternTally tally, ReadResult end) = LiveReader.ReadAvailable(reader);
        Assert.Equal(full.Slots.Length - 1, tally.Count);
        Assert.Equal((ReadStatus.Failed, ReadFailure.RecordBeyondCapacity, (long)lastSlot), (end.Status, end.Failure, end.Position));
    }

    [Fact]
    public void A_length_beyond_the_end_of_the_file_fails_as_truncated()
    {
        byte[] file = (byte[])_valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(1024 + 48), 112);
        File.WriteAllBytes(ChannelFile, file[..(1024 + 48 + 8 + 50)]);
        AssertReadsThenFails(ReadFailure.FileTruncated, records: 1, position: 48);
    }

    public void Dispose() => _root.Dispose();

    private void AssertReadsThenFails(ReadFailure failure, int records, long position)
    {
        using var reader = ShmReader.Open(ChannelFile);
        (PatternTally tally, ReadResult end) = LiveReader.ReadAvailable(reader);
        Assert.Equal((records, true), (tally.Count, tally.Intact));
        Assert.Equal((ReadStatus.Failed, failure, position), (end.Status, end.Failure, end.Position));
        Assert.Equal((ReadStatus.Failed, failure), (reader.ExhaustedBy, reader.Failure));
    }
}
