using Kekbit.Core.Internal;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// The writer and readers of one file in one process share its mapping (Linux): a reader beside the writer, or a second
/// reader, maps nothing new, and the mapping lives while any of them holds it, whatever the order of disposal.
/// </summary>
public sealed class SharedMappingTests
{
    private const ulong Id = 91;

    private static bool Shares => OperatingSystem.IsLinux();

    private static ShmWriter NewWriter(TempRoot root, int capacity = 1 << 22) =>
        ShmWriter.Create(root.Path, Metadata.Create(1, Id, capacity, 64, 60_000, TickUnit.Millis));

    private static void WriteRecords(ShmWriter writer, int count)
    {
        byte[] payload = new byte[56];
        for (int i = 0; i < count; i++)
        {
            payload.AsSpan().Fill((byte)(i + 1));
            Assert.True(writer.Write(payload).IsSuccess);
        }
    }

    private static int ReadAll(ShmReader reader, int first = 1)
    {
        int count = 0;
        ReadResult record;
        while ((record = reader.TryRead()).IsRecord)
        {
            Assert.Equal((byte)(count + first), record.Span[0]);
            count++;
        }

        return count;
    }

    [Fact]
    public void A_reader_in_the_writers_process_reads_through_the_writers_mapping_and_takes_no_page_fault()
    {
        Assert.SkipUnless(Shares, "mappings are shared on Linux only");
        using var root = new TempRoot();
        using ShmWriter writer = NewWriter(root);
        WriteRecords(writer, 60_000); // 3.8 MB: about 900 pages.
        using ShmReader reader = ShmReader.Open(root.Path, Id);
        Assert.True(reader.SharesMapping);
        Assert.Equal(2, SharedMapping.UsersOf(root.ChannelFile(Id)));

        (int read, long faults) = FaultCount.ReadRest(reader, first: 1);

        Assert.Equal(59_999, read);
        // A fresh mapping would take about 900 / 16 faults here (the kernel maps 16 pages per fault); the writer's none.
        Assert.True(faults < 8, $"the reader took {faults} page faults");
        WriteRecords(writer, 1);
        Assert.True(reader.TryRead().IsRecord);
    }

    [Fact]
    public void A_second_reader_shares_the_first_ones_mapping_and_takes_no_page_fault()
    {
        Assert.SkipUnless(Shares, "mappings are shared on Linux only");
        using var root = new TempRoot();
        using (ShmWriter writer = NewWriter(root))
        {
            WriteRecords(writer, 60_000);
        }

        // The writer is gone, so the first reader maps the file itself (read-only).
        using ShmReader first = ShmReader.Open(root.Path, Id);
        Assert.False(first.SharesMapping);
        Assert.Equal(60_000, ReadAll(first));

        using ShmReader second = ShmReader.Open(root.Path, Id);
        Assert.True(second.SharesMapping);
        Assert.True(first.SharesMapping);
        long before = ThreadFaults.Minor();
        Assert.Equal(60_000, ReadAll(second));
        long faults = ThreadFaults.Minor() - before;

        Assert.True(faults < 8, $"the second reader took {faults} page faults");
        Assert.Equal(first.Position, second.Position);
        Assert.Equal(ReadStatus.Closed, first.TryRead().Status);
        Assert.Equal(ReadStatus.Closed, second.TryRead().Status);
    }

    [Fact]
    public void The_writers_mapping_lives_while_a_reader_holds_it_and_the_last_user_retires_it()
    {
        Assert.SkipUnless(Shares, "mappings are shared on Linux only");
        using var root = new TempRoot();
        string file = StorageLayout.ChannelFile(root.Path, Id);
        ShmWriter writer = NewWriter(root);
        WriteRecords(writer, 10);
        using ShmReader reader = ShmReader.Open(root.Path, Id);
        ReadResult kept = reader.TryRead();
        ReadOnlySpan<byte> span = kept.Span;

        writer.Dispose();

        // The reader reads on through the writer's mapping, to the end the close marked.
        Assert.Equal(1, SharedMapping.UsersOf(file));
        Assert.Equal(9, ReadAll(reader, first: 2));
        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
        Assert.All(span.ToArray(), b => Assert.Equal(1, b));

        reader.Dispose();

        Assert.Equal(0, SharedMapping.UsersOf(file));
        if (Libc.SupportsZeroPlaceholder)
        {
            Assert.All(span.ToArray(), b => Assert.Equal(0, b));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_mapping_lives_while_the_writer_or_any_reader_holds_it_whichever_reader_is_disposed_first(bool firstGoesFirst)
    {
        Assert.SkipUnless(Shares, "mappings are shared on Linux only");
        using var root = new TempRoot();
        using ShmWriter writer = NewWriter(root);
        WriteRecords(writer, 10);
        string file = StorageLayout.ChannelFile(root.Path, Id);
        ShmReader first = ShmReader.Open(root.Path, Id);
        ShmReader second = ShmReader.Open(root.Path, Id);
        Assert.Equal(3, SharedMapping.UsersOf(file)); // the writer and both readers
        ReadResult kept = (firstGoesFirst ? first : second).TryRead();
        ReadOnlySpan<byte> span = kept.Span;
        ShmReader survivor = firstGoesFirst ? second : first;

        (firstGoesFirst ? first : second).Dispose();

        // The disposed reader's records refuse new spans; a span taken before still reads the file, which the other maps.
        Assert.Throws<ObjectDisposedException>(() => kept.Payload.Span.Length);
        Assert.All(span.ToArray(), b => Assert.Equal(1, b));
        Assert.True(survivor.SharesMapping); // with the writer
        Assert.Equal(10, ReadAll(survivor));
        Assert.Equal(2, SharedMapping.UsersOf(file));

        survivor.Dispose();

        // The writer still maps the file: the span reads its bytes.
        Assert.Equal(1, SharedMapping.UsersOf(file));
        Assert.All(span.ToArray(), b => Assert.Equal(1, b));

        writer.Dispose();

        // The last one retires the mapping: the span now reads zeros, and nothing stays registered.
        Assert.Equal(0, SharedMapping.UsersOf(file));
        if (Libc.SupportsZeroPlaceholder)
        {
            Assert.All(span.ToArray(), b => Assert.Equal(0, b));
        }

        Assert.Throws<ObjectDisposedException>(() => survivor.TryRead());
    }

    [Fact]
    public void Readers_outlive_the_writer_and_a_reader_opened_after_it_shares_and_sees_the_end()
    {
        Assert.SkipUnless(Shares, "mappings are shared on Linux only");
        using var root = new TempRoot();
        ShmReader first;
        using (ShmWriter writer = NewWriter(root))
        {
            WriteRecords(writer, 5);
            first = ShmReader.Open(root.Path, Id);
        }

        using (first)
        {
            using ShmReader late = ShmReader.Open(root.Path, Id);
            Assert.True(late.SharesMapping);
            Assert.Equal(5, ReadAll(first));
            Assert.Equal(ReadStatus.Closed, first.TryRead().Status);
            Assert.Equal(5, ReadAll(late));
            Assert.Equal(ReadStatus.Closed, late.TryRead().Status);
        }
    }

    [Fact]
    public void A_channel_created_again_at_the_same_path_is_another_file_and_is_not_shared()
    {
        Assert.SkipUnless(Shares, "mappings are shared on Linux only");
        using var root = new TempRoot();
        ShmReader old;
        using (ShmWriter writer = NewWriter(root))
        {
            WriteRecords(writer, 3);
            old = ShmReader.Open(root.Path, Id);
        }

        using (old)
        {
            File.Delete(root.ChannelFile(Id));
            using ShmWriter again = NewWriter(root);
            WriteRecords(again, 7);
            using ShmReader fresh = ShmReader.Open(root.Path, Id);

            // The new file's reader shares the new writer's mapping; the old file's reader is alone with its own.
            Assert.True(fresh.SharesMapping);
            Assert.Equal(2, SharedMapping.UsersOf(root.ChannelFile(Id)));
            Assert.False(old.SharesMapping);
            Assert.Equal(3, ReadAll(old));
            Assert.Equal(7, ReadAll(fresh));
        }
    }

    [Fact]
    public void A_reader_disposed_by_two_threads_at_once_gives_its_use_back_once()
    {
        Assert.SkipUnless(Shares, "mappings are shared on Linux only");
        using var root = new TempRoot();
        using ShmWriter writer = NewWriter(root);
        WriteRecords(writer, 100);
        using ShmReader survivor = ShmReader.Open(root.Path, Id);
        for (int i = 0; i < 50; i++)
        {
            ShmReader twice = ShmReader.Open(root.Path, Id);
            using var barrier = new Barrier(2);
            var other = new Thread(() =>
            {
                barrier.SignalAndWait();
                twice.Dispose();
            });
            other.Start();
            barrier.SignalAndWait(TestContext.Current.CancellationToken);
            twice.Dispose();
            other.Join();
        }

        // Had a use been given back twice, the survivor's mapping would be retired under it (zeros, not records).
        Assert.Equal(100, ReadAll(survivor));
    }

    [Fact]
    public void Disposing_one_reader_while_another_thread_reads_through_the_shared_mapping_is_safe()
    {
        Assert.SkipUnless(Shares, "mappings are shared on Linux only");
        using var root = new TempRoot();
        using ShmWriter writer = NewWriter(root);
        WriteRecords(writer, 20_000);
        using ShmReader reading = ShmReader.Open(root.Path, Id);
        ShmReader disposed = ShmReader.Open(root.Path, Id);
        using var started = new ManualResetEventSlim();
        int seen = 0;
        var thread = new Thread(() =>
        {
            started.Set();
            seen = ReadAll(reading);
        });
        thread.Start();
        started.Wait(TestContext.Current.CancellationToken);
        disposed.Dispose();
        thread.Join();

        Assert.Equal(20_000, seen);
        Assert.Throws<ObjectDisposedException>(() => disposed.TryRead());
    }

    [Fact]
    public void Disposing_the_writer_while_another_thread_reads_through_its_mapping_is_safe()
    {
        Assert.SkipUnless(Shares, "mappings are shared on Linux only");
        for (int round = 0; round < 20; round++)
        {
            using var root = new TempRoot();
            ShmWriter writer = NewWriter(root);
            using ShmReader reader = ShmReader.Open(root.Path, Id);
            Assert.True(reader.SharesMapping);
            using var started = new ManualResetEventSlim();
            int seen = 0, wrong = 0;
            ReadStatus end = ReadStatus.Nothing;
            var thread = new Thread(() =>
            {
                started.Set();
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                while (DateTime.UtcNow < deadline)
                {
                    ReadResult record = reader.TryRead();
                    if (record.IsRecord)
                    {
                        wrong += record.Span[0] == (byte)(seen + 1) ? 0 : 1;
                        seen++;
                    }
                    else if (record.Status != ReadStatus.Nothing)
                    {
                        end = record.Status;
                        return;
                    }
                }
            });
            thread.Start();
            started.Wait(TestContext.Current.CancellationToken);
            WriteRecords(writer, 200);

            // The close races the reading thread: the reader keeps the writer's mapping, and reads every record, then the end.
            writer.Dispose();
            thread.Join();

            Assert.Equal(ReadStatus.Closed, end);
            Assert.Equal(200, seen);
            Assert.Equal(0, wrong);
        }
    }
}
