using System.Buffers.Binary;
using Kekbit.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Kekbit.Core.Tests;

/// <summary>Damage in the data area ends reading with a typed failure, after every record before it.</summary>
public sealed class DamagedDataTests
{
    private static string WriteThree(TempRoot root)
    {
        using var writer = ShmWriter.Create(root.Path, Metadata.Create(1, 8, 16384, 100, 1000, TickUnit.Millis));
        writer.Write("aaaa"u8);
        writer.Write("bbbb"u8);
        writer.Write("cccc"u8);
        return writer.Path;
    }

    private static void Patch(string file, long offset, ulong value)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        stream.Position = offset;
        stream.Write(bytes);
    }

    [Theory]
    [InlineData(0xFFFF_FFFF_0000_0000UL, ReadFailure.UnknownMarker)]
    [InlineData(113UL, ReadFailure.UnknownMarker)]
    public void An_invalid_length_slot_fails_after_the_records_before_it(ulong slot, ReadFailure expected)
    {
        using var root = new TempRoot();
        string file = WriteThree(root);
        Patch(file, 1024 + 16, slot);
        using var reader = ShmReader.Open(file);
        Assert.True(reader.TryRead().IsRecord);
        ReadResult end = reader.TryRead();
        Assert.Equal((ReadStatus.Failed, expected, 16L), (end.Status, end.Failure, end.Position));
        Assert.Equal(ReadStatus.Failed, reader.TryRead().Status);
        Assert.Equal(expected, reader.Failure);
    }

    [Fact]
    public void A_length_that_runs_past_the_capacity_fails()
    {
        using var root = new TempRoot();
        string file;
        long last;
        using (var writer = ShmWriter.Create(root.Path, Metadata.Create(1, 8, 16384, 100, 1000, TickUnit.Millis)))
        {
            while (writer.Available > 64)
            {
                writer.Write(new byte[56]);
            }

            file = writer.Path;
            last = writer.WriteOffset;
        }

        // A valid-looking length in the CLOSE slot, 64 bytes before the end: 8 + 112 bytes would run past it.
        Patch(file, 1024 + last, 112);
        using var reader = ShmReader.Open(file);
        while (reader.TryRead().IsRecord)
        {
        }

        Assert.Equal((ReadStatus.Failed, ReadFailure.RecordBeyondCapacity, last), (reader.ExhaustedBy, reader.Failure, reader.Position));
    }

    [Theory]
    [InlineData(1024 + 16 + 4)]
    [InlineData(1024 + 16)]
    [InlineData(1024 + 3)]
    [InlineData(1024)]
    [InlineData(500)]
    [InlineData(128)]
    public void A_truncated_file_reads_its_whole_records_then_fails_as_truncated(int length)
    {
        using var root = new TempRoot();
        string file = WriteThree(root);
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.SetLength(length);
        }

        using var reader = ShmReader.Open(file);
        int records = 0;
        while (reader.TryRead().IsRecord)
        {
            records++;
        }

        Assert.Equal(length >= 1024 + 16 ? 1 : 0, records);
        Assert.Equal((ReadStatus.Failed, ReadFailure.FileTruncated), (reader.ExhaustedBy, reader.Failure));
        Assert.True(reader.IsFileTruncated);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(127)]
    public void A_file_too_short_for_metadata_is_refused(int length)
    {
        using var root = new TempRoot();
        string file = WriteThree(root);
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.SetLength(length);
        }

        Assert.Equal(ChannelError.FileTooShort, Assert.Throws<ChannelException>(() => ShmReader.Open(file)).Error);
    }

    [Fact]
    public void Records_restart_the_timeout_clock()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Metadata.Create(1, 8, 16384, 100, 100, TickUnit.Millis));
        var clock = new FakeTimeProvider();
        using var reader = new TimeoutReader(ShmReader.Open(root.Path, 8), clock);
        Assert.Equal(TimeSpan.FromMilliseconds(100), reader.Timeout);
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        clock.Advance(TimeSpan.FromMilliseconds(99));
        writer.Write("alive"u8);
        Assert.True(reader.TryRead().IsRecord);
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(ReadStatus.Timeout, reader.TryRead().Status);
        writer.Write("too late"u8);
        Assert.Equal(ReadStatus.Timeout, reader.TryRead().Status);
        Assert.Equal(ReadStatus.Timeout, reader.ExhaustedBy);
    }
}
