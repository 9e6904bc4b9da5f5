using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Scenario 1 (and issue 2's "writer process killed mid-stream"): a writer process is SIGKILLed at random
/// points while an in-process reader (and, every fourth time, a reader process) follows it. Every record the
/// writer had announced as published must be read back intact and in order, no torn record may ever be
/// delivered, and the readers must report the abandoned writer once the channel's timeout has passed.
/// </summary>
public sealed class WriterKillTests
{
    private const int ChannelTimeoutMs = 200;
    private const int RecordsPerWriter = 20_000;

    [Fact]
    public void Killed_writers_lose_no_published_record_and_readers_time_out()
    {
        int seed = Soak.Seed();
        var random = new Random(seed);
        int kills = Soak.Scale(20);
        int midStream = 0;
        long recordsVerified = 0;
        int readerProcesses = 0;
        for (int i = 0; i < kills; i++)
        {
            KillOutcome outcome = KillOnce(random, channelId: (ulong)(i + 1), withReaderProcess: i % 4 == 0);
            midStream += outcome.WasMidStream ? 1 : 0;
            recordsVerified += outcome.RecordsRead;
            readerProcesses += outcome.ReaderProcesses;
        }

        Figures.Report("writer kills", $"{kills} SIGKILLs (seed {seed}), {midStream} mid-stream, {recordsVerified} records read back intact and in order, {readerProcesses} reader processes timed out as expected, 0 lost, 0 torn");
        // Usually 70-80% land mid-stream; a loaded machine may react late, so only a quarter is required.
        Assert.True(midStream >= kills / 4, $"only {midStream} of {kills} kills landed while the writer was still writing");
    }

    private static KillOutcome KillOnce(Random random, ulong channelId, bool withReaderProcess)
    {
        using var root = new TempRoot("kekbit-kill");
        string size = random.Next(RecordPattern.MinSize, 121).ToString(CultureInfo.InvariantCulture);
        long killAfter = random.Next(1, RecordsPerWriter * 3 / 4);
        using var writer = ChildProcess.StartAgent("write", root.Path, Id(channelId), RecordsPerWriter.ToString(CultureInfo.InvariantCulture),
            "--size", size, "--every", "1", "--timeout-ms", ChannelTimeoutMs.ToString(CultureInfo.InvariantCulture), "--no-close");
        writer.WaitFor("READY");
        var live = LiveReader.Start(() => new TimeoutReader(ShmReader.Open(root.Path, channelId)));
        using ChildProcess? readerProcess = withReaderProcess ? ChildProcess.StartAgent("read", root.Path, Id(channelId)) : null;
        readerProcess?.WaitFor("OPENED");

        writer.WaitForLine(line => line == "DONE" || (line.StartsWith("PUBLISHED ", StringComparison.Ordinal) && AgentOutput.Number(line) >= killAfter), AgentOutput.Deadline);
        writer.Kill();
        long published = writer.LastPublished();
        bool midStream = !writer.StandardOutput.Contains("DONE", StringComparison.Ordinal);

        (PatternTally liveTally, ReadResult liveEnd) = live.Join();
        AssertEveryPublishedRecord(liveTally, published, "in-process reader");
        Assert.Equal(ReadStatus.Timeout, liveEnd.Status);
        Assert.True(live.IdleBeforeEnd >= TimeSpan.FromMilliseconds(ChannelTimeoutMs), $"the reader gave up after {live.IdleBeforeEnd}, before the channel's timeout");

        // A reader opened after the kill sees exactly what the live reader saw, then nothing: the channel is unclosed.
        using (var late = ShmReader.Open(root.Path, channelId))
        {
            (PatternTally lateTally, ReadResult lateEnd) = LiveReader.ReadAvailable(late);
            Assert.Equal((liveTally.Count, liveTally.Checksum, true), (lateTally.Count, lateTally.Checksum, lateTally.Intact));
            Assert.Equal(ReadStatus.Nothing, lateEnd.Status);
        }

        if (readerProcess is not null)
        {
            ReaderReport report = readerProcess.WaitForReadReport();
            Assert.Equal(("Timeout", true, liveTally.Count, liveTally.Checksum), (report.End, report.Intact, report.Count, report.Checksum));
        }

        return new KillOutcome(midStream, liveTally.Count, readerProcess is null ? 0 : 1);
    }

    internal static void AssertEveryPublishedRecord(PatternTally tally, long published, string who)
    {
        Assert.True(tally.Intact, $"{who}: record {tally.FirstBad} was torn or out of order");
        Assert.True(tally.Count >= published, $"{who}: read {tally.Count} records, but the writer had published {published}");
    }

    internal static string Id(ulong channelId) => channelId.ToString(CultureInfo.InvariantCulture);

    private sealed record KillOutcome(bool WasMidStream, long RecordsRead, int ReaderProcesses);
}
