using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// <see cref="ShmReader.Prefault()"/>: it maps the pages a reader will read (no page faults while reading them), changes
/// nothing that is read, copes with truncated files and live writers, and allocates nothing.
/// </summary>
public sealed class PrefaultTests
{
    private const int Payload = 32;

    // 4 KiB pages: what these tests count is the faults a 4 KiB-page mapping takes (HugePagesTests covers 2 MiB pages).
    private static ShmWriter NewWriter(TempRoot root, int capacity, bool preTouch) =>
        ShmWriter.Create(root.Path, Metadata.Create(1, 9, capacity, Payload, 1000, TickUnit.Millis), options: new ShmWriterOptions { PreTouch = preTouch, HugePages = false });

    private static byte[] PayloadFor(int i)
    {
        byte[] payload = new byte[Payload];
        BitConverter.TryWriteBytes(payload, i);
        payload[^1] = (byte)i;
        return payload;
    }

    [Theory]
    [MemberData(nameof(FixtureReadTests.Cases), MemberType = typeof(FixtureReadTests))]
    public void Fixtures_read_the_same_after_Prefault(string root, string expectedFile)
    {
        using var reader = ShmReader.Open(Fixtures.ChannelFile(root));
        reader.Prefault();
        var output = new StringWriter();
        ChannelDump.Write(reader, output);
        Assert.Equal(File.ReadAllText(Path.Combine(Fixtures.Kekbit035, expectedFile)), output.ToString());
    }

    [Fact]
    public void A_truncated_fixture_prefaults_up_to_its_end_and_fails_as_before()
    {
        using var reader = ShmReader.Open(Fixtures.ChannelFile("03_full_closed/raw"));
        Assert.True(reader.IsFileTruncated);
        reader.Prefault();
        reader.Prefault(long.MaxValue);
        var output = new StringWriter();
        ReadResult end = ChannelDump.Write(reader, output);
        Assert.Equal(ReadFailure.FileTruncated, end.Failure);
        reader.Prefault();
        Assert.Equal(ReadFailure.FileTruncated, reader.TryRead().Failure);
    }

    [Fact]
    public void Records_written_after_a_prefault_read_back_exactly()
    {
        using var root = new TempRoot();
        // Not pre-touched: the reader maps pages the writer has not written yet, which must stay coherent with its later stores.
        using var writer = NewWriter(root, 1 << 20, preTouch: false);
        using var reader = ShmReader.Open(root.Path, 9);
        reader.Prefault();
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        for (int i = 0; i < 20_000; i++)
        {
            Assert.Equal(WriteStatus.Success, writer.Write(PayloadFor(i)).Status);
        }

        writer.Dispose();
        for (int i = 0; i < 20_000; i++)
        {
            ReadResult record = reader.TryRead();
            Assert.True(record.IsRecord);
            Assert.Equal(PayloadFor(i), record.Span.ToArray());
        }

        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
    }

    [Fact]
    public void Prefault_ahead_covers_only_what_it_is_asked_and_arguments_are_checked()
    {
        using var root = new TempRoot();
        using var writer = NewWriter(root, 1 << 20, preTouch: true);
        writer.Write(PayloadFor(1));
        using var reader = ShmReader.Open(root.Path, 9);
        Assert.False(reader.Prefault(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.Prefault(-1));
        reader.Prefault(64 << 10);
        Assert.Equal(PayloadFor(1), reader.TryRead().Span.ToArray());
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.Prefault());
    }

    [Fact]
    public void Reading_a_prefaulted_channel_takes_no_page_faults()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && Environment.OSVersion.Version >= new Version(5, 14), "MADV_POPULATE_READ needs Linux 5.14");
        using var root = new TempRoot();
        const int Capacity = 8 << 20;
        const int Records = Capacity / 40 - 2;
        using (var writer = NewWriter(root, Capacity, preTouch: true))
        {
            byte[] payload = new byte[Payload];
            for (int i = 0; i < Records; i++)
            {
                writer.Write(payload);
            }
        }

        // Both passes run the same, already compiled loop; only the mapping differs.
        using (var fresh = ShmReader.Open(root.Path, 9))
        {
            _ = FaultsWhileReading(fresh, Records);
        }

        long freshFaults;
        using (var fresh = ShmReader.Open(root.Path, 9))
        {
            freshFaults = FaultsWhileReading(fresh, Records);
        }

        using var prefaulted = ShmReader.Open(root.Path, 9);
        Assert.True(prefaulted.Prefault());
        long prefaultedFaults = FaultsWhileReading(prefaulted, Records);

        // 2048 pages: a fresh mapping faults at least once per 16 pages (the kernel's fault-around), a prefaulted one not at all.
        Assert.True(freshFaults >= 100, $"a fresh mapping took only {freshFaults} page faults");
        Assert.True(prefaultedFaults <= 10, $"a prefaulted mapping took {prefaultedFaults} page faults");
    }

    [Fact]
    public void Prefault_allocates_nothing()
    {
        using var root = new TempRoot();
        using var writer = NewWriter(root, 1 << 20, preTouch: true);
        using var reader = ShmReader.Open(root.Path, 9);
        long allocated = Allocations.OfSecondRun(reader, static reader =>
        {
            reader.Prefault();
            reader.Prefault(4096);
        });
        Assert.Equal(0, allocated);
    }

    private static long FaultsWhileReading(ShmReader reader, int records)
    {
        long before = ThreadFaults.Minor();
        int seen = 0;
        while (reader.TryRead().IsRecord)
        {
            seen++;
        }

        long faults = ThreadFaults.Minor() - before;
        Assert.Equal(records, seen);
        return faults;
    }
}
