using System.Buffers.Binary;
using Kekbit.Core.Waiting;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// The batch read (ShmReader.ReadBatch, and IReader's default for other readers): the same records and the same outcome as
/// a TryRead loop, batch limits and early stops, a disposal mid-batch, and no allocation per record.
/// </summary>
public sealed class ReadBatchTests
{
    private const ulong Id = 77;

    private static string WriteRecords(TempRoot root, int count, bool close, int capacity = 1 << 16)
    {
        using var writer = ShmWriter.Create(root.Path, Metadata.Create(1, Id, capacity, 200, 60_000, TickUnit.Millis));
        for (int i = 0; i < count; i++)
        {
            byte[] payload = new byte[i % 50];
            payload.AsSpan().Fill((byte)i);
            Assert.True(writer.Write(payload).IsSuccess);
        }

        string path = writer.Path;
        if (!close)
        {
            // Leaves the channel open: the writer's Dispose would write CLOSE.
            File.Copy(path, path + ".open");
        }

        writer.Dispose();
        if (!close)
        {
            File.Move(path + ".open", path, overwrite: true);
        }

        return path;
    }

    private static List<(long Position, byte[] Payload)> ByTryRead(string path, out ReadResult end)
    {
        using var reader = ShmReader.Open(path);
        var records = new List<(long, byte[])>();
        ReadResult result;
        while ((result = reader.TryRead()).IsRecord)
        {
            records.Add((result.Position, result.ToArray()));
        }

        end = result;
        return records;
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 7)]
    [InlineData(false, 256)]
    [InlineData(true, int.MaxValue)]
    public void Delivers_what_a_TryRead_loop_delivers_and_ends_the_same_way(bool close, int batch)
    {
        using var root = new TempRoot();
        string path = WriteRecords(root, 100, close);
        List<(long, byte[])> expected = ByTryRead(path, out ReadResult expectedEnd);

        using var reader = ShmReader.Open(path);
        var collector = new Collector { Records = [] };
        int calls = 0;
        while (reader.ReadBatch(ref collector, batch) is int count && count > 0)
        {
            Assert.True(count <= batch);
            calls++;
        }

        Assert.Equal(expected.Select(r => r.Item1), collector.Records.Select(r => r.Position));
        Assert.All(expected.Zip(collector.Records), pair => Assert.Equal(pair.First.Item2, pair.Second.Payload));
        Assert.Equal(close ? ReadStatus.Closed : null, reader.ExhaustedBy);
        Assert.Equal(expectedEnd.Status, reader.TryRead().Status);
        Assert.Equal(expectedEnd.Position, reader.Position);
        Assert.Equal((int)((100L + batch - 1) / batch), calls);
    }

    [Fact]
    public void A_handler_that_returns_false_ends_the_batch_after_its_record()
    {
        using var root = new TempRoot();
        string path = WriteRecords(root, 10, close: true);
        using var reader = ShmReader.Open(path);
        var stopper = new StopAfter { Limit = 3 };

        Assert.Equal(3, reader.ReadBatch(ref stopper, 100));
        Assert.Equal(3, stopper.Seen);
        Assert.Equal(3, reader.TryRead().Span.Length); // The fourth record: record i holds i % 50 bytes.
    }

    [Theory]
    [InlineData(0xFFFF_FFFF_0000_0000UL, ReadFailure.UnknownMarker)]
    [InlineData(209UL, ReadFailure.UnknownMarker)] // The max record length is 208 (200 + 8, aligned).
    public void A_corrupted_length_is_the_typed_failure_after_the_records_before_it(ulong slot, ReadFailure expected)
    {
        using var root = new TempRoot();
        string path = WriteRecords(root, 3, close: true);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            byte[] bytes = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, slot);
            stream.Position = 1024 + 8 + 16; // The third record (records 0 and 1 take 8 and 16 bytes).
            stream.Write(bytes);
        }

        using var reader = ShmReader.Open(path);
        var collector = new Collector { Records = [] };
        Assert.Equal(2, reader.ReadBatch(ref collector, 100));
        Assert.Equal(ReadStatus.Failed, reader.ExhaustedBy);
        Assert.Equal(expected, reader.Failure);
        Assert.Equal(0, reader.ReadBatch(ref collector, 100));
    }

    [Fact]
    public void A_file_shorter_than_its_data_area_reads_its_whole_records_then_fails_as_truncated()
    {
        using var reader = ShmReader.Open(Fixtures.ChannelFile("03_full_closed/raw"));
        var collector = new Collector { Records = [] };
        while (reader.ReadBatch(ref collector, 64) > 0)
        {
        }

        Assert.Equal(ReadStatus.Failed, reader.ExhaustedBy);
        Assert.Equal(ReadFailure.FileTruncated, reader.Failure);
        Assert.Equal(130032, reader.Position);
        Assert.NotEmpty(collector.Records);
    }

    [Fact]
    public void A_reader_disposed_by_its_handler_throws_on_the_next_record_and_delivers_no_zeros()
    {
        using var root = new TempRoot();
        string path = WriteRecords(root, 10, close: true);
        var reader = ShmReader.Open(path);
        var disposer = new DisposeAt { Reader = reader, At = 2 };

        Assert.Throws<ObjectDisposedException>(() => reader.ReadBatch(ref disposer, 100));
        Assert.Equal(2, disposer.Seen);
        Assert.Throws<ObjectDisposedException>(() => reader.ReadBatch(ref disposer, 100));
    }

    [Fact]
    public void Refuses_a_batch_of_no_records()
    {
        using var root = new TempRoot();
        using var reader = ShmReader.Open(WriteRecords(root, 1, close: true));
        var collector = new Collector { Records = [] };
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadBatch(ref collector, 0));
    }

    [Fact]
    public void Other_readers_batch_through_TryRead_and_the_poller_drains_through_the_batch()
    {
        using var root = new TempRoot();
        string path = WriteRecords(root, 20, close: true);
        List<(long, byte[])> expected = ByTryRead(path, out _);
        using IReader timeout = new TimeoutReader(ShmReader.Open(path), TimeSpan.FromMinutes(1));
        var poller = new ReaderPoller(timeout, new NoOpIdleStrategy(), batchSize: 8);
        var positions = new List<long>();

        Assert.Equal(8, poller.Drain(static (list, record) => list.Add(record.Position), positions));
        var collector = new Collector { Records = [] };
        Assert.Equal(8, poller.Drain(ref collector));
        Assert.Equal(4, poller.Poll(ref collector, TestContext.Current.CancellationToken));
        Assert.Equal(0, poller.Poll(ref collector, TestContext.Current.CancellationToken));

        Assert.True(poller.IsExhausted);
        Assert.Equal(expected.Select(r => r.Item1), positions.Concat(collector.Records.Select(r => r.Position)));
    }

    [Fact]
    public void Reading_in_batches_allocates_nothing_per_record()
    {
        using var root = new TempRoot();
        string path = WriteRecords(root, 2_000, close: false, capacity: 1 << 20);
        using var reader = ShmReader.Open(path);
        using var other = new TimeoutReader(ShmReader.Open(path), TimeSpan.FromMinutes(1));
        var poller = new ReaderPoller(other, new NoOpIdleStrategy(), batchSize: 100);
        var sum = new Summer();
        var state = new System.Runtime.CompilerServices.StrongBox<long>();

        long allocated = Allocations.OfSecondRun(0, _ =>
        {
            for (int i = 0; i < 5; i++)
            {
                reader.ReadBatch(ref sum, 100);
                poller.Drain(ref sum);
                poller.Drain(static (box, record) => box.Value += record.Span.Length, state);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(2_000, sum.Records);
    }

    private struct Collector : IRecordHandler
    {
        public List<(long Position, byte[] Payload)> Records;

        public readonly bool OnRecord(in ReadResult record)
        {
            Records.Add((record.Position, record.ToArray()));
            return true;
        }
    }

    private struct StopAfter : IRecordHandler
    {
        public int Limit;
        public int Seen;

        public bool OnRecord(in ReadResult record) => ++Seen < Limit;
    }

    private struct DisposeAt : IRecordHandler
    {
        public ShmReader Reader;
        public int At;
        public int Seen;

        public bool OnRecord(in ReadResult record)
        {
            Assert.Equal(Seen % 50, record.Span.Length);
            if (++Seen == At)
            {
                Reader.Dispose();
            }

            return true;
        }
    }

    private struct Summer : IRecordHandler
    {
        public long Records;
        public long Bytes;

        public bool OnRecord(in ReadResult record)
        {
            Records++;
            Bytes += record.Span.Length;
            return true;
        }
    }
}
