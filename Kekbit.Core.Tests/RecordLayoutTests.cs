using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>The record arithmetic of <see cref="RecordLayout"/>, and that the writer and reader follow it to the byte.</summary>
public sealed class RecordLayoutTests
{
    [Theory]
    [InlineData(0, 8)]
    [InlineData(1, 16)]
    [InlineData(8, 16)]
    [InlineData(9, 24)]
    [InlineData(100, 112)]
    [InlineData(int.MaxValue, 2147483656L)]
    public void A_record_takes_its_length_slot_and_payload_rounded_up_to_8(long payload, long size)
    {
        Assert.Equal(size, RecordLayout.RecordSize(payload));
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(1, 8, 0)]
    [InlineData(7, 8, 0)]
    [InlineData(8, 8, 8)]
    [InlineData(15, 16, 8)]
    public void Values_align_up_and_down_to_8(long value, long up, long down)
    {
        Assert.Equal(up, RecordLayout.AlignUp(value));
        Assert.Equal(down, RecordLayout.AlignDown(value));
    }

    [Theory]
    [InlineData(16384, 0, 16384, false)]
    [InlineData(16384, 16368, 16, false)]
    [InlineData(16384, 16376, 8, true)]
    [InlineData(16384, 16384, 0, true)]
    [InlineData(16388, 16376, 8, true)]
    public void A_channel_is_full_when_8_bytes_or_fewer_remain(long capacity, long position, long available, bool full)
    {
        Assert.Equal(available, RecordLayout.Available(capacity, position));
        Assert.Equal(full, RecordLayout.IsFull(capacity, position));
    }

    [Fact]
    public void The_writer_and_reader_follow_the_layout_to_the_last_byte()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Metadata.Create(1, 1, 16384, 100, 1000, TickUnit.Millis));
        var sizes = new List<int>();
        for (int length = 0; !writer.IsFull; length = (length + 7) % 100)
        {
            int before = writer.WriteOffset;
            byte[] payload = new byte[Math.Min(length, writer.Available - RecordLayout.HeaderLength)];
            WriteResult result = writer.Write(payload);

            Assert.True(result.IsSuccess);
            Assert.Equal(RecordLayout.RecordSize(payload.Length), result.RecordSize);
            Assert.Equal(before + result.RecordSize, writer.WriteOffset);
            Assert.Equal(RecordLayout.Available(writer.Metadata.Capacity, writer.WriteOffset), writer.Available);
            Assert.Equal(RecordLayout.IsFull(writer.Metadata.Capacity, writer.WriteOffset), writer.IsFull);
            sizes.Add(result.RecordSize);
        }

        using ShmReader reader = ShmReader.Open(writer.Path);
        ReadResult record;
        int index = 0;
        while ((record = reader.TryRead()).IsRecord)
        {
            Assert.Equal(sizes[index++], RecordLayout.RecordSize(record.Payload.Length));
            Assert.Equal(record.Position + RecordLayout.RecordSize(record.Payload.Length), reader.Position);
        }

        Assert.Equal(sizes.Count, index);
    }
}
