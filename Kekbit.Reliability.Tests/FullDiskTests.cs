using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Scenario 5: on a real 1 MiB tmpfs, creating a channel larger than the free space fails at creation with
/// <see cref="ChannelError.InsufficientSpace"/> and leaves nothing behind; a writer process that fills the file
/// system to the last page writes every record without dying of SIGBUS (the file is preallocated); and the
/// channels already there stay readable throughout.
/// </summary>
public sealed class FullDiskTests
{
    [Fact]
    public void A_full_file_system_fails_creation_cleanly_and_existing_channels_stay_readable()
    {
        using TmpfsMount? disk = TmpfsMount.TryMount("1m", out string whyNot);
        if (disk is null)
        {
            Assert.Skip($"SKIPPED full-disk scenario: {whyNot}");
        }

        string root = Path.Combine(disk.Path, "channels");
        // An existing, closed channel, and one a writer process keeps open.
        WriteClosedChannel(root, channelId: 1, records: 100);
        using ChildProcess openWriter = ChildProcess.StartAgent("write", root, "2", "200", "--capacity", "16384", "--close-on-line");
        (long openWritten, ulong openChecksum) = openWriter.WaitForWrittenReport();

        // Too large for what is left: refused at creation, in this process and in another, with nothing left behind.
        var tooLarge = Metadata.Create(1, 3, 2 << 20, 64, 1000, TickUnit.Millis);
        Assert.Equal(ChannelError.InsufficientSpace, Assert.Throws<ChannelException>(() => ShmWriter.Create(root, tooLarge)).Error);
        using (ChildProcess refused = ChildProcess.StartAgent("write", root, "3", "10", "--capacity", (2 << 20).ToString(CultureInfo.InvariantCulture)))
        {
            Assert.Equal(nameof(ChannelError.InsufficientSpace), refused.WaitForError());
            Assert.Equal(3, refused.WaitForExit(AgentOutput.Deadline));
        }

        AssertNothingLeftFor(root, 3);

        // A writer process fills the file system to its last page: every write lands in preallocated space, so
        // the channel fills up (ChannelFull) and closes normally instead of the process dying of SIGBUS.
        int fillCapacity = (int)((disk.FreeBytes - 2 * 4096 - 1024 - 32) & ~4095L);
        using (ChildProcess filler = ChildProcess.StartAgent("write", root, "4", "1000000", "--size", "64", "--capacity", fillCapacity.ToString(CultureInfo.InvariantCulture)))
        {
            Assert.EndsWith("ChannelFull", filler.WaitFor("WRITE-FAILED"), StringComparison.Ordinal);
            filler.WaitFor("CLOSED");
            Assert.Equal(0, filler.WaitForExit(AgentOutput.Deadline));
        }

        long freeAfterFill = disk.FreeBytes;
        var small = Metadata.Create(1, 5, 16384, 64, 1000, TickUnit.Millis);
        Assert.True(freeAfterFill < small.FileLength, $"the filler left {freeAfterFill} bytes free");
        Assert.Equal(ChannelError.InsufficientSpace, Assert.Throws<ChannelException>(() => ShmWriter.Create(root, small)).Error);
        AssertNothingLeftFor(root, 5);

        // Every channel on the full file system still reads back whole.
        Assert.Equal((100L, ReadStatus.Closed), ReadAll(root, 1));
        openWriter.StandardInput.WriteLine("close");
        openWriter.StandardInput.Flush();
        openWriter.WaitFor("CLOSED");
        using (var reader = ShmReader.Open(root, 2))
        {
            (PatternTally tally, ReadResult end) = LiveReader.ReadAvailable(reader);
            Assert.Equal((openWritten, openChecksum, true, ReadStatus.Closed), (tally.Count, tally.Checksum, tally.Intact, end.Status));
        }

        (long filled, ReadStatus fillEnd) = ReadAll(root, 4);
        Assert.Equal(ReadStatus.Closed, fillEnd);
        Figures.Report("full disk", $"1 MiB tmpfs: 2 MiB channel refused with InsufficientSpace (in-process and in a child process, exit 3, no SIGBUS, nothing left behind); a writer process filled the disk with a {fillCapacity}-byte channel ({filled} records, ChannelFull, closed, {freeAfterFill} bytes left); a 16 KiB channel then refused; 3 existing channels read back whole");
    }

    private static void WriteClosedChannel(string root, ulong channelId, int records)
    {
        using var writer = ShmWriter.Create(root, Metadata.Create(1, channelId, 16384, 64, 1000, TickUnit.Millis));
        byte[] payload = new byte[32];
        for (int i = 0; i < records; i++)
        {
            RecordPattern.Fill(payload, (ulong)i);
            Assert.True(writer.Write(payload).IsSuccess);
        }
    }

    private static (long Count, ReadStatus End) ReadAll(string root, ulong channelId)
    {
        using var reader = ShmReader.Open(root, channelId);
        (PatternTally tally, ReadResult end) = LiveReader.ReadAvailable(reader);
        Assert.True(tally.Intact);
        return (tally.Count, end.Status);
    }

    private static void AssertNothingLeftFor(string root, ulong channelId)
    {
        Assert.False(File.Exists(StorageLayout.ChannelFile(root, channelId)), "a refused channel left its file behind");
        Assert.False(File.Exists(StorageLayout.LockFile(root, channelId)), "a refused channel left its lock behind");
    }
}
