using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Scenario 8: once <see cref="ShmWriter.Flush"/> returns, the records are in the file: read back through a
/// fresh file handle (not the mapping) and decoded by the reference model, they are exactly what was written.
/// </summary>
public sealed class DurabilityTests
{
    [Fact]
    public void After_flush_the_records_are_in_the_file_and_after_dispose_the_close_marker_too()
    {
        using var root = new TempRoot("kekbit-durable");
        var metadata = Metadata.Create(1, 8, 1 << 16, 200, 1000, TickUnit.Millis);
        string file = root.ChannelFile(8);
        var writer = ShmWriter.Create(root.Path, metadata);
        var written = new List<byte[]>();
        var random = new Random(8);
        for (int batch = 0; batch < 5; batch++)
        {
            for (int i = 0; i < 20; i++)
            {
                byte[] payload = new byte[random.Next(RecordPattern.MinSize, 200)];
                RecordPattern.Fill(payload, (ulong)written.Count);
                Assert.True(writer.Write(payload).IsSuccess);
                written.Add(payload);
            }

            writer.Flush();
            ChannelOutcome onDisk = ReferenceReader.Read(ChannelBytes.Read(file));
            Assert.Equal(ReadStatus.Nothing, onDisk.End);
            Assert.Equal(written, onDisk.Records.Select(record => record.Payload));
            Assert.Equal(writer.WriteOffset, onDisk.EndPosition);
        }

        writer.Dispose();
        ChannelOutcome closed = ReferenceReader.Read(ChannelBytes.Read(file));
        Assert.Equal((ReadStatus.Closed, written.Count), (closed.End, closed.Records.Count));
        Assert.Equal(metadata.FileLength, new FileInfo(file).Length);
    }
}
