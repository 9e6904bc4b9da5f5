using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>Issue 2: a second real process reads records while this process writes them, and sees CLOSE when the writer disposes.</summary>
public sealed class CrossProcessTests
{
    [Fact]
    public void A_reader_process_follows_a_live_writer_and_sees_it_close()
    {
        using var root = new TempRoot("kekbit-xproc");
        var metadata = Metadata.Create(1, 5, 1 << 20, 64, 30_000, TickUnit.Millis);
        var writer = ShmWriter.Create(root.Path, metadata);
        using ChildProcess reader = ChildProcess.StartAgent("read", root.Path, "5", "--every", "500");
        reader.WaitFor("OPENED");
        byte[] payload = new byte[48];
        ulong checksum = 0;
        void WriteRecords(int from, int count)
        {
            for (int i = from; i < from + count; i++)
            {
                RecordPattern.Fill(payload, (ulong)i);
                Assert.True(writer.Write(payload).IsSuccess);
                checksum = RecordPattern.Checksum(checksum, payload);
            }
        }

        WriteRecords(0, 1000);
        // The other process has read these while the channel is still open...
        reader.WaitFor("READING 1000");
        WriteRecords(1000, 1000);
        writer.Dispose();

        // ...and reads the rest, then the CLOSE marker.
        ReaderReport report = reader.WaitForReadReport();
        Assert.Equal(new ReaderReport(2000, checksum, "Closed", 2000 * 56, Intact: true), report);
        Assert.Equal(0, reader.WaitForExit(AgentOutput.Deadline));
    }
}
