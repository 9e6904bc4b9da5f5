using System.Buffers.Binary;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// The writer's lifetime guard: disposing from any thread while a write runs never crashes, the channel then ends
/// with CLOSE right after the last complete record, and a write from inside an encoder is refused.
/// </summary>
public sealed class WriterLifetimeTests
{
    private const int Rounds = 200;
    private const int PayloadSize = 24;

    private static readonly RecordEncoder<ulong> PatternEncoder = static (index, output) =>
    {
        Span<byte> span = output.GetSpan(PayloadSize);
        RecordPattern.Fill(span[..PayloadSize], index);
        output.Advance(PayloadSize);
    };

    public enum WritePath
    {
        Span,
        SpanThroughHandlers,
        Encoder,
    }

    [Theory]
    [InlineData(WritePath.Span)]
    [InlineData(WritePath.SpanThroughHandlers)]
    [InlineData(WritePath.Encoder)]
    public void Disposing_while_another_thread_writes_ends_the_channel_with_close_after_the_last_complete_record(WritePath path)
    {
        using var root = new TempRoot();
        IHandler? handlers = path == WritePath.SpanThroughHandlers ? new SequenceHandler() : null;
        for (ulong round = 0; round < Rounds; round++)
        {
            ulong channelId = 1000 + round;
            var writer = ShmWriter.Create(root.Path, Metadata.Create(1, channelId, 2 << 20, 64, 1000, TickUnit.Millis), handlers);
            using var started = new ManualResetEventSlim();
            long written = 0;
            WriteStatus last = WriteStatus.Success;
            var producer = new Thread(() =>
            {
                Span<byte> payload = stackalloc byte[PayloadSize];
                for (ulong i = 0; ; i++)
                {
                    RecordPattern.Fill(payload, i);
                    WriteResult result;
                    // A full channel (or one too full for this record) keeps the producer in the race until Closed:
                    // refused writes still enter the guard.
                    while ((result = path == WritePath.Encoder ? writer.Write(i, PatternEncoder) : writer.Write(payload)).Status is WriteStatus.ChannelFull or WriteStatus.RecordDoesNotFit)
                    {
                    }

                    if (!result.IsSuccess)
                    {
                        last = result.Status;
                        return;
                    }

                    written++;
                    started.Set();
                }
            })
            { IsBackground = true };
            producer.Start();
            Assert.True(started.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

            writer.Dispose();

            Assert.True(producer.Join(TimeSpan.FromSeconds(10)));
            Assert.Equal(WriteStatus.Closed, last);
            Assert.Equal(written, ReadPatternRecords(root, channelId, handlers is null ? 0 : 8, out ReadStatus end));
            Assert.Equal(ReadStatus.Closed, end);
            File.Delete(root.ChannelFile(channelId));
        }
    }

    [Fact]
    public void Disposing_a_RetryWriter_while_two_threads_write_ends_the_channel_with_close_after_the_last_complete_record()
    {
        using var root = new TempRoot();
        for (ulong round = 0; round < Rounds; round++)
        {
            ulong channelId = 2000 + round;
            var shared = new RetryWriter(ShmWriter.Create(root.Path, Metadata.Create(1, channelId, 2 << 20, 64, 1000, TickUnit.Millis)));
            using var started = new ManualResetEventSlim();
            var written = new long[2];
            var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
            {
                Span<byte> payload = stackalloc byte[PayloadSize];
                for (ulong i = 0; ; i++)
                {
                    RecordPattern.Fill(payload, ((ulong)t << 32) | i);
                    WriteResult result;
                    while ((result = shared.Write(payload)).Status is WriteStatus.WouldWait or WriteStatus.ChannelFull or WriteStatus.RecordDoesNotFit)
                    {
                    }

                    if (!result.IsSuccess)
                    {
                        Assert.Equal(WriteStatus.Closed, result.Status);
                        return;
                    }

                    written[t]++;
                    started.Set();
                }
            })
            { IsBackground = true }).ToList();
            threads.ForEach(t => t.Start());
            Assert.True(started.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

            shared.Dispose();

            Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(10))));
            using (ShmReader reader = ShmReader.Open(root.Path, channelId))
            {
                var next = new ulong[2];
                ReadResult read;
                while ((read = reader.TryRead()).IsRecord)
                {
                    Assert.True(RecordPattern.IsIntact(read.Span, out ulong index));
                    Assert.Equal(next[index >> 32]++, index & 0xFFFF_FFFF);
                }

                Assert.Equal(ReadStatus.Closed, read.Status);
                Assert.Equal(written, next.Select(n => (long)n));
            }

            File.Delete(root.ChannelFile(channelId));
        }
    }

    [Fact]
    public void Dispose_from_inside_an_encoder_closes_the_channel_right_after_that_record()
    {
        using var root = new TempRoot();
        var writer = NewWriter(root);
        Assert.True(writer.Write(0UL, PatternEncoder).IsSuccess);

        long disposeMilliseconds = -1;
        WriteResult result = writer.Write(1UL, (index, output) =>
        {
            output.WriteUInt64LittleEndian(index);
            long start = Environment.TickCount64;
            writer.Dispose();
            // Recognised as called from inside the write: no wait for a write that cannot end before Dispose returns.
            disposeMilliseconds = Environment.TickCount64 - start;
            Assert.True(writer.IsClosed);
            output.WriteUInt64LittleEndian(index + 100);
        });

        Assert.InRange(disposeMilliseconds, 0, (long)ShmWriter.DisposeWait.TotalMilliseconds / 2);
        Assert.Equal(WriteStatus.Success, result.Status);
        Assert.Equal(WriteStatus.Closed, writer.Write(2UL, PatternEncoder).Status);
        using ShmReader reader = ShmReader.Open(root.Path, 1);
        Assert.True(RecordPattern.IsIntact(reader.TryRead().Span, out ulong first) && first == 0);
        ReadResult second = reader.TryRead();
        Assert.Equal([1UL, 101UL], [BinaryPrimitives.ReadUInt64LittleEndian(second.Span), BinaryPrimitives.ReadUInt64LittleEndian(second.Span[8..])]);
        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
    }

    [Fact]
    public void Dispose_waits_a_bounded_time_for_a_blocked_encoder_then_that_write_closes_the_channel()
    {
        using var root = new TempRoot();
        var writer = NewWriter(root);
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        WriteResult result = default;
        var producer = new Thread(() => result = writer.Write(0UL, (index, output) =>
        {
            inside.Set();
            release.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            PatternEncoder(index, output);
        }));
        producer.Start();
        Assert.True(inside.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        long before = Environment.TickCount64;
        writer.Dispose();
        long waited = Environment.TickCount64 - before;

        Assert.InRange(waited, 900, 10_000);
        Assert.True(writer.IsClosed);
        using (ShmReader early = ShmReader.Open(root.Path, 1))
        {
            // Not closed yet: the write still runs in the mapping.
            Assert.Equal(ReadStatus.Nothing, early.TryRead().Status);
        }

        release.Set();
        Assert.True(producer.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(WriteStatus.Success, result.Status);
        Assert.Equal(1, ReadPatternRecords(root, 1, 0, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_write_from_inside_an_encoder_throws_and_the_outer_record_is_published_intact_or_not_at_all(bool shared)
    {
        using var root = new TempRoot();
        ShmWriter shm = NewWriter(root);
        IWriter writer = shared ? new RetryWriter(shm) : shm;
        Assert.True(writer.Write(0UL, PatternEncoder).IsSuccess);
        Exception? inner = null;

        // The encoder catches the refusal and finishes its record: published intact.
        WriteResult caught = writer.Write(1UL, (index, output) =>
        {
            output.WriteUInt64LittleEndian(index);
            inner = Record.Exception(() => writer.Write(99UL, PatternEncoder));
            Record.Exception(() => writer.Write(new byte[8]));
            Record.Exception(writer.Flush);
            output.WriteUInt64LittleEndian(index + 100);
        });
        // The encoder lets it propagate: nothing published.
        var propagated = Assert.Throws<InvalidOperationException>(() => writer.Write(2UL, (index, output) =>
        {
            output.WriteUInt64LittleEndian(index);
            writer.Write(new byte[8]);
        }));
        Assert.True(writer.Write(3UL, PatternEncoder).IsSuccess);

        Assert.IsType<InvalidOperationException>(inner);
        Assert.Contains("already running", propagated.Message, StringComparison.Ordinal);
        Assert.Equal(WriteStatus.Success, caught.Status);
        writer.Dispose();
        using ShmReader reader = ShmReader.Open(root.Path, 1);
        Assert.True(RecordPattern.IsIntact(reader.TryRead().Span, out ulong first) && first == 0);
        ReadResult second = reader.TryRead();
        Assert.Equal(16, second.Span.Length);
        Assert.Equal([1UL, 101UL], [BinaryPrimitives.ReadUInt64LittleEndian(second.Span), BinaryPrimitives.ReadUInt64LittleEndian(second.Span[8..])]);
        Assert.True(RecordPattern.IsIntact(reader.TryRead().Span, out ulong third) && third == 3);
        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
    }

    [Fact]
    public void A_RecordBuffer_kept_past_its_write_throws_on_every_use_and_touches_nothing()
    {
        using var root = new TempRoot();
        var writer = NewWriter(root);
        RecordBuffer? kept = null;
        Memory<byte> keptMemory = default;
        Assert.True(writer.Write(0UL, (index, output) =>
        {
            kept = output;
            keptMemory = output.GetMemory(PayloadSize);
            PatternEncoder(index, output);
        }).IsSuccess);
        Assert.NotNull(kept);
        byte[] before = File.ReadAllBytes(root.ChannelFile(1));

        AssertEveryUseThrows(kept, keptMemory);
        writer.Dispose();
        AssertEveryUseThrows(kept, keptMemory);

        byte[] after = File.ReadAllBytes(root.ChannelFile(1));
        Assert.Equal(1, ReadPatternRecords(root, 1, 0, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
        // Only the CLOSE marker after the record changed.
        int closeAt = 1024 + 32;
        Assert.Equal(before[..closeAt], after[..closeAt]);
        Assert.Equal(before[(closeAt + 8)..], after[(closeAt + 8)..]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_oversize_size_hint_ends_the_write_with_RecordTooLarge_without_allocating_it(bool memory)
    {
        using var root = new TempRoot();
        var writer = NewWriter(root);
        Assert.True(writer.Write(0UL, PatternEncoder).IsSuccess);
        // Asks for `hint` bytes (the record's limit + 1 when negative), fills them and advances.
        RecordEncoder<int> greedy = (hint, output) =>
        {
            int size = hint < 0 ? output.Limit + 1 : hint;
            Span<byte> span = memory ? output.GetMemory(size).Span : output.GetSpan(size);
            span[..size].Fill(1);
            output.Advance(size);
        };
        writer.Write(-1, greedy); // Warm up the refusal path (JIT, exception machinery).

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        WriteResult huge = writer.Write(1 << 30, greedy);
        WriteResult justOver = writer.Write(-1, greedy);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal((WriteStatus.RecordTooLarge, WriteStatus.RecordTooLarge), (huge.Status, justOver.Status));
        Assert.InRange(allocated, 0, 64 * 1024);
        Assert.True(writer.Write(64, greedy).IsSuccess);
        writer.Dispose();
        using ShmReader reader = ShmReader.Open(root.Path, 1);
        Assert.True(RecordPattern.IsIntact(reader.TryRead().Span, out _));
        Assert.Equal(64, reader.TryRead().Span.Length);
        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
    }

    [Fact]
    public void An_encoder_that_swallows_the_oversize_refusal_still_gets_RecordTooLarge()
    {
        using var root = new TempRoot();
        var writer = NewWriter(root);

        WriteResult result = writer.Write<int>(0, static (_, output) =>
        {
            try
            {
                output.GetSpan(1000);
            }
            catch (Exception)
            {
                // A careless encoder.
            }

            output.WriteUInt64LittleEndian(1);
        });

        Assert.Equal(WriteStatus.RecordTooLarge, result.Status);
        writer.Dispose();
        Assert.Equal(0, ReadPatternRecords(root, 1, 0, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    private static ShmWriter NewWriter(TempRoot root) =>
        ShmWriter.Create(root.Path, Metadata.Create(1, 1, 1 << 16, 64, 1000, TickUnit.Millis));

    private static void AssertEveryUseThrows(RecordBuffer buffer, Memory<byte> memory)
    {
        Assert.Throws<InvalidOperationException>(() => buffer.Write(new byte[8]));
        Assert.Throws<InvalidOperationException>(() => buffer.WriteUInt64LittleEndian(1));
        Assert.Throws<InvalidOperationException>(() => buffer.Advance(1));
        Assert.Throws<InvalidOperationException>(() => buffer.GetSpan(1).Fill(1));
        Assert.Throws<InvalidOperationException>(() => buffer.GetMemory(1));
        Assert.Throws<InvalidOperationException>(() => buffer.WrittenSpan.Length);
        Assert.Throws<InvalidOperationException>(() => buffer.WrittenCount);
        Assert.Throws<InvalidOperationException>(() => buffer.FreeCapacity);
        Assert.Throws<InvalidOperationException>(() => buffer.Limit);
        Assert.Throws<InvalidOperationException>(() => buffer.IsOverflowed);
        Assert.Throws<InvalidOperationException>(() => memory.Span.Fill(0xEE));
        Assert.Throws<InvalidOperationException>(() => memory.Pin());
    }

    /// <summary>Reads channel <paramref name="channelId"/>: every record must be an intact pattern record, indexes 0, 1, 2...; returns how many.</summary>
    private static long ReadPatternRecords(TempRoot root, ulong channelId, int headerBytes, out ReadStatus end)
    {
        using ShmReader reader = ShmReader.Open(root.Path, channelId);
        long count = 0;
        ReadResult read;
        while ((read = reader.TryRead()).IsRecord)
        {
            Assert.True(RecordPattern.IsIntact(read.Span[headerBytes..], out ulong index), $"record {count} is damaged");
            Assert.Equal((ulong)count, index);
            count++;
        }

        end = read.Status;
        return count;
    }
}
