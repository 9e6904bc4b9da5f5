using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// <see cref="ShmWriterOptions.HugePages"/>: a new channel on a tmpfs (the test roots lie under /dev/shm) is backed by 2 MiB
/// pages on Linux 6.1 and later, a fresh reader maps it 2 MiB at a time, and the file's bytes are those of a channel
/// without them.
/// </summary>
public sealed class HugePagesTests
{
    private const int Payload = 32;
    private const int Capacity = 16 << 20;
    private const int Records = Capacity / 40 - 2;

    private static bool Expected =>
        OperatingSystem.IsLinux() && Environment.Is64BitProcess && Environment.OSVersion.Version >= new Version(6, 1) && Directory.Exists("/dev/shm");

    private static Metadata NewMetadata() => Metadata.Create(1, 5, Capacity, Payload, 1000, TickUnit.Millis);

    private static ShmWriter NewWriter(string root, bool hugePages, Metadata? metadata = null) =>
        ShmWriter.Create(root, metadata ?? NewMetadata(), options: new ShmWriterOptions { HugePages = hugePages });

    private static void Fill(ShmWriter writer)
    {
        byte[] payload = new byte[Payload];
        for (int i = 0; i < Records; i++)
        {
            BitConverter.TryWriteBytes(payload, i);
            Assert.Equal(WriteStatus.Success, writer.Write(payload).Status);
        }
    }

    /// <summary>Opens a reader (its own fresh mapping: no writer of the file in this process), reads all, returns its faults.</summary>
    private static long FreshReaderFaults(string root)
    {
        using var reader = ShmReader.Open(root, 5);
        (int read, long faults) = FaultCount.ReadRest(reader);
        Assert.Equal(Records - 1, read);
        return faults;
    }

    [Fact]
    public void A_fresh_reader_of_a_channel_on_huge_pages_maps_it_2_MiB_at_a_time()
    {
        Assert.SkipUnless(Expected, "MADV_COLLAPSE of a tmpfs file needs 64-bit Linux 6.1 and /dev/shm");
        using var huge = new TempRoot();
        using var small = new TempRoot();
        using (ShmWriter writer = NewWriter(huge.Path, hugePages: true))
        {
            Assert.True(writer.UsesHugePages, "the kernel refused MADV_COLLAPSE on the channel file");
            Fill(writer);
        }

        using (ShmWriter writer = NewWriter(small.Path, hugePages: false))
        {
            Assert.False(writer.UsesHugePages);
            Fill(writer);
        }

        long hugeFaults = FreshReaderFaults(huge.Path);
        long smallFaults = FreshReaderFaults(small.Path);

        // 16 MiB: 8 pages of 2 MiB and the file's tail in 4 KiB pages (13 faults measured, some of them not the mapping's),
        // against 4,096 pages of 4 KiB mapped 16 per fault.
        Assert.True(hugeFaults <= 40, $"a fresh reader of the huge-page channel took {hugeFaults} page faults");
        Assert.True(smallFaults >= 128, $"a fresh reader of the 4 KiB-page channel took only {smallFaults} page faults");
    }

    [Theory]
    [InlineData("within_size")]
    [InlineData("always")]
    public void On_a_tmpfs_with_huge_pages_already_every_record_reaches_the_file(string huge)
    {
        // Linux 6.18 lost every write of a mapping that had asked for the collapse of a file such a tmpfs had already
        // backed with 2 MiB pages; the writer collapses through a mapping of its own and checks the one it writes through.
        using TmpfsMount? mount = TmpfsMount.TryMount("64m", out string whyNot, huge: huge);
        Assert.SkipWhen(mount is null, whyNot);
        using (ShmWriter writer = NewWriter(mount!.Path, hugePages: true))
        {
            Fill(writer);
        }

        using var reader = ShmReader.Open(mount.Path, 5);
        for (int i = 0; i < Records; i++)
        {
            ReadResult record = reader.TryRead();
            Assert.True(record.IsRecord, $"record {i} is missing");
            Assert.Equal(i, BitConverter.ToInt32(record.Span));
        }

        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
    }

    [Fact]
    public void A_channel_on_huge_pages_holds_the_same_bytes_as_one_without()
    {
        using var huge = new TempRoot();
        using var small = new TempRoot();
        Metadata metadata = NewMetadata(); // one creation time for both
        foreach ((TempRoot root, bool hugePages) in new[] { (huge, true), (small, false) })
        {
            using ShmWriter writer = NewWriter(root.Path, hugePages, metadata);
            Fill(writer);
        }

        byte[] hugeBytes = File.ReadAllBytes(huge.ChannelFile(5));
        byte[] smallBytes = File.ReadAllBytes(small.ChannelFile(5));
        Assert.Equal(smallBytes.Length, hugeBytes.Length);
        int differs = hugeBytes.AsSpan().CommonPrefixLength(smallBytes);
        Assert.True(differs == hugeBytes.Length, $"the files differ at byte {differs}");
    }
}
