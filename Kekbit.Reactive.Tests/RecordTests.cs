using Kekbit.Core;

namespace Kekbit.Reactive.Tests;

public sealed class RecordTests
{
    [Theory]
    [InlineData(0, 0, 8)]
    [InlineData(0, 1, 16)]
    [InlineData(16, 8, 32)]
    [InlineData(16, 9, 40)]
    public void NextPosition_is_past_the_length_slot_payload_and_padding(long position, int length, long next) =>
        Assert.Equal(next, new Record(position, new byte[length]).NextPosition);

    [Fact]
    public void NextPosition_is_where_a_reader_finds_the_following_record()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 2, size: 13);
        using ShmReader reader = channel.OpenReader();

        var first = Record.From(reader.TryRead());
        var second = Record.From(reader.TryRead());

        Assert.Equal(second.Position, first.NextPosition);
        Assert.Equal(reader.Position, second.NextPosition);
    }

    [Fact]
    public void Payload_is_a_view_of_the_mapping_and_ToArray_a_copy_that_outlives_the_reader()
    {
        using var channel = new TestChannel();
        channel.WritePattern(5, 1);
        ShmReader reader = channel.OpenReader();
        var record = Record.From(reader.TryRead());
        byte[] copy = record.ToArray();

        reader.Dispose();

        Assert.Throws<ObjectDisposedException>(() => record.Span.Length);
        Assert.True(Kekbit.TestSupport.RecordPattern.IsIntact(copy, out ulong index));
        Assert.Equal(5UL, index);
    }

    [Fact]
    public void Records_are_equal_by_position_and_bytes()
    {
        var a = new Record(8, new byte[] { 1, 2 });
        var b = new Record(8, new byte[] { 1, 2 });
        var c = new Record(16, new byte[] { 1, 2 });

        Assert.True(a == b);
        Assert.True(a != c);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal("Record at 8, 2 bytes", a.ToString());
    }
}
