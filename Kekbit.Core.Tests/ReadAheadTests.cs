using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// The reader's read-ahead (<see cref="ShmReader.ReadAheadWindow"/>, off by default): with it on, records read exactly as
/// without it across window boundaries, from fixtures and truncated files, while a writer races the reader; it populates
/// about one window per step, never re-asks for what <see cref="ShmReader.Prefault()"/> populated, and allocates nothing.
/// </summary>
public sealed class ReadAheadTests
{
    private const int Payload = 32;
    private const long SmallWindow = 16 << 10;

    private static ShmWriter NewWriter(TempRoot root, int capacity, bool preTouch) =>
        ShmWriter.Create(root.Path, Metadata.Create(1, 11, capacity, Payload, 1000, TickUnit.Millis), options: new ShmWriterOptions { PreTouch = preTouch });

    private static byte[] PayloadFor(int i)
    {
        byte[] payload = new byte[Payload];
        BitConverter.TryWriteBytes(payload, i);
        payload[^1] = (byte)i;
        return payload;
    }

    [Fact]
    public void Read_ahead_is_off_by_default()
    {
        using var root = new TempRoot();
        using var writer = NewWriter(root, 1 << 20, preTouch: true);
        writer.Write(PayloadFor(1));
        using var reader = ShmReader.Open(root.Path, 11);
        Assert.Equal(ShmReader.DefaultReadAheadWindow, reader.ReadAheadWindow);
        Assert.True(reader.TryRead().IsRecord);
        Assert.Equal(0, reader.ReadAheadCalls);
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadAheadWindow = -1);
    }

    [Fact]
    public void Records_read_identically_across_windows_and_each_step_populates_about_one_window()
    {
        using var root = new TempRoot();
        const int Capacity = 1 << 20;
        const int Records = Capacity / 40 - 2;
        using (var writer = NewWriter(root, Capacity, preTouch: false))
        {
            for (int i = 0; i < Records; i++)
            {
                Assert.Equal(WriteStatus.Success, writer.Write(PayloadFor(i)).Status);
            }
        }

        using var reader = ShmReader.Open(root.Path, 11);
        reader.ReadAheadWindow = SmallWindow;
        for (int i = 0; i < Records; i++)
        {
            ReadResult record = reader.TryRead();
            Assert.True(record.IsRecord);
            Assert.Equal(PayloadFor(i), record.Span.ToArray());
            Assert.Equal(PayloadFor(i), record.Payload.ToArray());
        }

        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
        // The first step asks for two windows, every later one for about one: 1 MiB / 16 KiB = 64 windows.
        Assert.InRange(reader.ReadAheadCalls, 60, 66);

        // SeekTo forgets what was populated: reading again populates again, and reads the same.
        long calls = reader.ReadAheadCalls;
        reader.SeekTo(0);
        Assert.Equal(PayloadFor(0), reader.TryRead().Span.ToArray());
        Assert.Equal(calls + 1, reader.ReadAheadCalls);
    }

    [Theory]
    [MemberData(nameof(FixtureReadTests.Cases), MemberType = typeof(FixtureReadTests))]
    public void Fixtures_read_the_same_with_read_ahead(string root, string expectedFile)
    {
        using var reader = ShmReader.Open(Fixtures.ChannelFile(root));
        reader.ReadAheadWindow = 4096;
        var output = new StringWriter();
        ChannelDump.Write(reader, output);
        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures.Kekbit035, expectedFile)), output.ToString());
    }

    [Fact]
    public void A_truncated_fixture_reads_with_read_ahead_up_to_its_end_and_fails_as_before()
    {
        using var reader = ShmReader.Open(Fixtures.ChannelFile("03_full_closed/raw"));
        Assert.True(reader.IsFileTruncated);
        reader.ReadAheadWindow = 4096;
        var output = new StringWriter();
        ReadResult end = ChannelDump.Write(reader, output);
        Assert.Equal(ReadFailure.FileTruncated, end.Failure);
        string expectedRecords = File.ReadAllText(Path.Combine(Fixtures.Kekbit035, "03_full_closed/expected_raw_intact_prefix.txt"));
        Assert.StartsWith(expectedRecords, output.ToString(), StringComparison.Ordinal);
        Assert.Equal(ReadFailure.FileTruncated, reader.TryRead().Failure);
    }

    [Fact]
    public async Task A_reader_racing_a_writer_across_window_boundaries_reads_every_record_exactly()
    {
        using var root = new TempRoot();
        const int Capacity = 2 << 20;
        const int Records = 40_000;
        // Not pre-touched: read-ahead maps pages the writer has not written yet, which must stay coherent with its later stores.
        using var writer = NewWriter(root, Capacity, preTouch: false);
        using var reader = ShmReader.Open(root.Path, 11);
        reader.ReadAheadWindow = SmallWindow;
        var writing = Task.Run(() =>
        {
            for (int i = 0; i < Records; i++)
            {
                Assert.Equal(WriteStatus.Success, writer.Write(PayloadFor(i)).Status);
                if (i % 512 == 0)
                {
                    Thread.Yield();
                }
            }
        }, TestContext.Current.CancellationToken);

        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        for (int i = 0; i < Records;)
        {
            ReadResult record = reader.TryRead();
            if (record.IsRecord)
            {
                Assert.Equal(PayloadFor(i), record.Span.ToArray());
                i++;
                continue;
            }

            Assert.Equal(ReadStatus.Nothing, record.Status);
            Assert.True(DateTime.UtcNow < deadline, $"only {i} records arrived");
            Thread.Yield();
        }

        await writing;
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        Assert.True(reader.ReadAheadCalls > Records * 40L / SmallWindow / 2);
    }

    [Fact]
    public void Read_ahead_does_not_ask_again_for_what_Prefault_populated()
    {
        using var root = new TempRoot();
        using (var writer = NewWriter(root, 1 << 20, preTouch: true))
        {
            for (int i = 0; i < 10_000; i++)
            {
                writer.Write(PayloadFor(i));
            }
        }

        using var reader = ShmReader.Open(root.Path, 11);
        reader.ReadAheadWindow = SmallWindow;
        Assert.True(reader.Prefault());
        while (reader.TryRead().IsRecord)
        {
        }

        Assert.Equal(0, reader.ReadAheadCalls);
    }

    [Fact]
    public void Reading_with_read_ahead_allocates_nothing()
    {
        using var root = new TempRoot();
        using (var writer = NewWriter(root, 1 << 20, preTouch: true))
        {
            for (int i = 0; i < 20_000; i++)
            {
                writer.Write(PayloadFor(i));
            }
        }

        using var reader = ShmReader.Open(root.Path, 11);
        reader.ReadAheadWindow = SmallWindow;
        long allocated = Allocations.OfSecondRun(reader, static reader =>
        {
            reader.SeekTo(0);
            long sum = 0;
            ReadResult record;
            while ((record = reader.TryRead()).IsRecord)
            {
                sum += record.Span[0] + record.Payload.Span[1];
            }

            Assert.True(sum >= 0);
        });
        Assert.Equal(0, allocated);
        Assert.True(reader.ReadAheadCalls > 0);
    }

    [Fact]
    public void Span_after_dispose_throws_as_Payload_Span_does()
    {
        using var root = new TempRoot();
        using var writer = NewWriter(root, 1 << 20, preTouch: true);
        writer.Write(PayloadFor(3));
        var reader = ShmReader.Open(root.Path, 11);
        ReadResult record = reader.TryRead();
        Assert.Equal(PayloadFor(3), record.Span.ToArray());
        Assert.Equal(PayloadFor(3)[1..], record.Payload[1..].Span.ToArray());
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => record.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => record.Payload.Span.Length);

        // A result over ordinary memory takes the ordinary path.
        ReadResult copy = ReadResult.Record(0, PayloadFor(4));
        Assert.Equal(PayloadFor(4), copy.Span.ToArray());
    }
}
