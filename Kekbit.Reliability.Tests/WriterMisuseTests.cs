using System.Buffers.Binary;
using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Scenario 7: a writer used wrongly gets its documented result every time, and nothing already published
/// changes: writing after dispose, disposing twice, a second writer from another process, oversize records,
/// and many threads filling a channel through the thread-safe <see cref="RetryWriter"/>.
/// </summary>
public sealed class WriterMisuseTests : IDisposable
{
    private const ulong ChannelId = 21;
    private readonly TempRoot _root = new("kekbit-misuse");

    private string ChannelFile => _root.ChannelFile(ChannelId);

    [Fact]
    public void Writing_after_dispose_is_refused_as_closed_and_disposing_twice_changes_nothing()
    {
        var writer = ShmWriter.Create(_root.Path, NewMetadata());
        WritePatterns(writer, 10);
        writer.Dispose();
        byte[] closed = ChannelBytes.Read(ChannelFile);

        Assert.Equal(WriteStatus.Closed, writer.Write(new byte[8]).Status);
        Assert.Equal(WriteStatus.Closed, writer.Write(7L, (value, record) => record.WriteUInt64LittleEndian((ulong)value)).Status);
        Assert.Throws<ObjectDisposedException>(writer.Flush);
        writer.Dispose();

        Assert.Equal(closed, ChannelBytes.Read(ChannelFile));
        AssertChannelHolds(10, ReadStatus.Closed);
    }

    [Fact]
    public void A_second_writer_in_another_process_is_refused_and_changes_nothing()
    {
        string id = ChannelId.ToString(CultureInfo.InvariantCulture);
        // This process writes; another process tries to create the same channel.
        using (var writer = ShmWriter.Create(_root.Path, NewMetadata()))
        {
            WritePatterns(writer, 5);
            writer.Flush();
            byte[] before = ChannelBytes.Read(ChannelFile);
            using ChildProcess rival = ChildProcess.StartAgent("write", _root.Path, id, "5");
            Assert.Equal(nameof(ChannelError.StorageAlreadyExists), rival.WaitForError());
            Assert.Equal(3, rival.WaitForExit(AgentOutput.Deadline));
            Assert.Equal(before, ChannelBytes.Read(ChannelFile));
        }

        AssertChannelHolds(5, ReadStatus.Closed);

        // Another process writes (and keeps the channel open); this process tries to create it.
        ulong otherId = ChannelId + 1;
        using ChildProcess owner = ChildProcess.StartAgent("write", _root.Path, otherId.ToString(CultureInfo.InvariantCulture), "50", "--close-on-line");
        owner.WaitFor("DONE");
        var error = Assert.Throws<ChannelException>(() => ShmWriter.Create(_root.Path, NewMetadata(otherId)));
        Assert.Equal(ChannelError.StorageAlreadyExists, error.Error);
        owner.StandardInput.WriteLine("close");
        owner.StandardInput.Flush();
        owner.WaitFor("CLOSED");
        using var reader = ShmReader.Open(_root.Path, otherId);
        (PatternTally tally, ReadResult end) = LiveReader.ReadAvailable(reader);
        Assert.Equal((50L, true, ReadStatus.Closed), (tally.Count, tally.Intact, end.Status));
    }

    [Fact]
    public void An_oversize_record_is_refused_and_leaves_the_channel_unchanged()
    {
        using var writer = ShmWriter.Create(_root.Path, NewMetadata());
        var chained = ShmWriter.Create(_root.Path, NewMetadata(ChannelId + 1), new SequenceHandler(0));
        WritePatterns(writer, 3);
        writer.Flush();
        byte[] before = ChannelBytes.Read(ChannelFile);
        int max = writer.Metadata.MaxRecordLength;

        Assert.Equal(WriteStatus.RecordTooLarge, writer.Write(new byte[max + 1]).Status);
        Assert.Equal(WriteStatus.RecordTooLarge, writer.Write(new byte[1 << 20]).Status);
        Assert.Equal(WriteStatus.RecordTooLarge, writer.Write(max + 1, (length, record) => record.Write(new byte[length])).Status);
        writer.Flush();
        Assert.Equal(before, ChannelBytes.Read(ChannelFile));
        // The refusal is not final: a record that fits still goes in, right where the refused one would have.
        Assert.True(writer.Write(new byte[max]).IsSuccess);

        // Through a handler chain: the 8-byte sequence number plus the payload overflow the record.
        Assert.Equal(WriteStatus.RecordTooLarge, chained.Write(new byte[max - 7]).Status);
        Assert.True(chained.Write(new byte[max - 8]).IsSuccess);
        chained.Dispose();
        using var reader = ShmReader.Open(_root.Path, ChannelId + 1);
        ReadResult only = reader.TryRead();
        Assert.Equal(max, only.Payload.Length);
        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
    }

    [Fact]
    public void Many_threads_filling_a_channel_through_a_retry_writer_each_get_their_documented_result()
    {
        const int threads = 4;
        const int capacity = 64 * 1024;
        // Few attempts, so that contention really produces WouldWait answers (each must have written nothing).
        var shared = new RetryWriter(ShmWriter.Create(_root.Path, NewMetadata(capacity: capacity)), attempts: 1);
        var published = new long[threads];
        var wouldWait = new long[threads];
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var start = new Barrier(threads);
        // 8-byte payloads (thread in the top 16 bits, its sequence below) make 16-byte records, which fill the
        // capacity exactly: the last write of every thread must see ChannelFull, and so must every write after it.
        var workers = Enumerable.Range(0, threads).Select(thread => new Thread(() =>
        {
            Span<byte> payload = stackalloc byte[8];
            start.SignalAndWait();
            while (true)
            {
                BinaryPrimitives.WriteInt64LittleEndian(payload, ((long)thread << 48) | published[thread]);
                WriteStatus status = shared.Write(payload).Status;
                switch (status)
                {
                    case WriteStatus.Success:
                        published[thread]++;
                        continue;
                    case WriteStatus.WouldWait:
                        wouldWait[thread]++;
                        continue;
                    case WriteStatus.ChannelFull:
                        for (int k = 0; k < 10; k++)
                        {
                            // Full is final; under contention a write may also be turned away before it reaches the writer.
                            if (shared.Write(payload).Status is not (WriteStatus.ChannelFull or WriteStatus.WouldWait))
                            {
                                unexpected.Enqueue($"thread {thread}: a write after full was not refused as full");
                            }
                        }

                        return;
                    default:
                        unexpected.Enqueue($"thread {thread}: {status}");
                        return;
                }
            }
        })).ToList();
        workers.ForEach(worker => worker.Start());
        Assert.All(workers, worker => Assert.True(worker.Join(AgentOutput.Deadline)));
        shared.Dispose();
        Assert.Empty(unexpected);
        Assert.Equal(WriteStatus.Closed, shared.Write(new byte[8]).Status);

        // Every published record is in the channel exactly once, each thread's in the order it wrote them.
        var next = new long[threads];
        using var reader = ShmReader.Open(_root.Path, ChannelId);
        ReadResult result;
        while ((result = reader.TryRead()).IsRecord)
        {
            long tagged = BinaryPrimitives.ReadInt64LittleEndian(result.Span);
            int thread = (int)(tagged >> 48);
            Assert.Equal(next[thread]++, tagged & 0xFFFF_FFFF_FFFF);
        }

        Assert.Equal((ReadStatus.Closed, (long)capacity), (result.Status, reader.Position));
        Assert.Equal(published, next);
        Figures.Report("retry writer", $"{threads} threads filled a 64 KiB channel: {published.Sum()} records published, {wouldWait.Sum()} WouldWait retries, then ChannelFull (or WouldWait) for every later write; every record read back once, in each thread's order");
    }

    public void Dispose() => _root.Dispose();

    private static Metadata NewMetadata(ulong channelId = ChannelId, int capacity = 16384) =>
        Metadata.Create(1, channelId, capacity, 100, 1000, TickUnit.Millis);

    private static void WritePatterns(ShmWriter writer, int count)
    {
        byte[] payload = new byte[24];
        for (int i = 0; i < count; i++)
        {
            RecordPattern.Fill(payload, (ulong)i);
            Assert.True(writer.Write(payload).IsSuccess);
        }
    }

    private void AssertChannelHolds(long records, ReadStatus end)
    {
        using var reader = ShmReader.Open(ChannelFile);
        (PatternTally tally, ReadResult last) = LiveReader.ReadAvailable(reader);
        Assert.Equal((records, true, end), (tally.Count, tally.Intact, last.Status));
    }
}
