using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Scenario 2: a reader process is SIGKILLed while it reads a channel that a writer process is filling. The
/// writer, another reader process and an in-process reader carry on unaffected and read everything.
/// </summary>
public sealed class ReaderKillTests
{
    private const int Records = 200_000;

    [Fact]
    public void Killing_a_reader_mid_read_affects_neither_the_writer_nor_other_readers()
    {
        int seed = Soak.Seed();
        var random = new Random(seed);
        int rounds = Soak.Scale(4);
        int killedWhileWriting = 0;
        for (int round = 0; round < rounds; round++)
        {
            killedWhileWriting += KillReaderOnce(random, (ulong)round + 1) ? 1 : 0;
        }

        Figures.Report("reader kills", $"{rounds} reader processes SIGKILLed mid-read (seed {seed}), {killedWhileWriting} while the writer was writing; each time a surviving reader process and an in-process reader read all {Records} records, checksums equal to the writer's");
    }

    private static bool KillReaderOnce(Random random, ulong channelId)
    {
        using var root = new TempRoot("kekbit-rkill");
        string id = channelId.ToString(CultureInfo.InvariantCulture);
        using ChildProcess writer = ChildProcess.StartAgent("write", root.Path, id, Records.ToString(CultureInfo.InvariantCulture), "--every", "100", "--close-on-line", "--wait-go");
        writer.WaitFor("WAITING");
        // The readers wait for the channel to appear, so they read while the writer writes.
        using ChildProcess victim = ChildProcess.StartAgent("read", root.Path, id, "--every", "1000");
        using ChildProcess survivor = ChildProcess.StartAgent("read", root.Path, id);
        var inProcess = LiveReader.Start(() => ShmReader.OpenWhenReady(root.Path, channelId, AgentOutput.Deadline));
        victim.WaitFor("OPENING");
        survivor.WaitFor("OPENING");
        writer.StandardInput.WriteLine("go");
        writer.StandardInput.Flush();

        long killAt = random.Next(1, Records / 1000) * 1000L;
        victim.WaitForLine(line => line.StartsWith("READ", StringComparison.Ordinal) && (line.StartsWith("READ ", StringComparison.Ordinal) || AgentOutput.Number(line) >= killAt), AgentOutput.Deadline);
        bool writerStillWriting = !writer.StandardOutput.Contains("DONE", StringComparison.Ordinal);
        victim.Kill();
        Assert.DoesNotContain("READ count", victim.StandardOutput, StringComparison.Ordinal);

        (long written, ulong checksum) = writer.WaitForWrittenReport();
        writer.StandardInput.WriteLine("close");
        writer.StandardInput.Flush();
        writer.WaitFor("CLOSED");

        ReaderReport report = survivor.WaitForReadReport();
        Assert.Equal((Records, written, checksum, "Closed", true), ((long)Records, report.Count, report.Checksum, report.End, report.Intact));
        (PatternTally tally, ReadResult end) = inProcess.Join();
        Assert.Equal((written, checksum, true, ReadStatus.Closed), (tally.Count, tally.Checksum, tally.Intact, end.Status));
        return writerStillWriting;
    }
}
