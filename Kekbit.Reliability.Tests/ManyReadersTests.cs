using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Scenario 3: four reader processes and two in-process readers follow one writer process through a channel
/// of a million records. Each reader sees every record, intact and in order, and its checksum equals the writer's.
/// </summary>
public sealed class ManyReadersTests
{
    private const int ReaderProcesses = 4;
    private const int InProcessReaders = 2;

    [Fact]
    public void Six_readers_see_every_one_of_a_million_records_in_order()
    {
        int records = Soak.Scale(1_000_000);
        const ulong channelId = 0xABCD;
        using var root = new TempRoot("kekbit-many");
        string id = channelId.ToString(CultureInfo.InvariantCulture);
        var open = TimeSpan.FromSeconds(60);

        // Every reader is waiting before the writer starts, so they all read while it writes.
        var processes = Enumerable.Range(0, ReaderProcesses).Select(_ => ChildProcess.StartAgent("read", root.Path, id, "--open-timeout-ms", "60000")).ToList();
        try
        {
            var inProcess = Enumerable.Range(0, InProcessReaders).Select(_ => LiveReader.Start(() => ShmReader.OpenWhenReady(root.Path, channelId, open))).ToList();
            using ChildProcess writer = ChildProcess.StartAgent("write", root.Path, id, records.ToString(CultureInfo.InvariantCulture), "--size", "16", "--every", "100000");
            (long written, ulong checksum) = writer.WaitForWrittenReport();
            writer.WaitFor("CLOSED");
            Assert.Equal(records, written);

            foreach (ChildProcess reader in processes)
            {
                ReaderReport report = reader.WaitForReadReport();
                Assert.Equal((written, checksum, "Closed", true), (report.Count, report.Checksum, report.End, report.Intact));
            }

            foreach (LiveReader reader in inProcess)
            {
                (PatternTally tally, ReadResult end) = reader.Join();
                Assert.Equal((written, checksum, true, ReadStatus.Closed), (tally.Count, tally.Checksum, tally.Intact, end.Status));
            }

            Figures.Report("many readers", $"{ReaderProcesses} reader processes + {InProcessReaders} in-process readers, {written} records of 16 bytes written concurrently by a writer process; all 6 checksums = writer's {checksum:x16}, 0 lost, 0 out of order");
        }
        finally
        {
            processes.ForEach(process => process.Dispose());
        }
    }
}
