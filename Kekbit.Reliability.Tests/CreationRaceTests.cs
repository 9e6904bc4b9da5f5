using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Scenario 4: two processes create the same channel at the same moment; exactly one wins and the other is
/// told the channel already exists. A reader polling meanwhile only ever sees "not found" or "not ready" until
/// it opens a complete channel, never a half-written header. A lock left by a crashed creator is reported as
/// stale, and deleting it (and the incomplete file) recovers.
/// </summary>
public sealed class CreationRaceTests
{
    private const ulong ChannelId = 0x5EED;

    [Fact]
    public void Two_processes_racing_to_create_a_channel_one_wins_the_other_is_refused()
    {
        int rounds = Soak.Scale(8);
        var refusals = new Dictionary<string, int>();
        var seenByProbe = new HashSet<ChannelError>();
        for (int round = 0; round < rounds; round++)
        {
            using var root = new TempRoot("kekbit-race");
            string id = ChannelId.ToString(CultureInfo.InvariantCulture);
            // A 64 MiB channel: its creation (preallocation, header, flush) is slow enough for the probe to look inside it.
            string[] args = ["write", root.Path, id, "100", "--capacity", (64 << 20).ToString(CultureInfo.InvariantCulture), "--wait-go"];
            using ChildProcess first = ChildProcess.StartAgent(args);
            using ChildProcess second = ChildProcess.StartAgent(args);
            first.WaitFor("WAITING");
            second.WaitFor("WAITING");
            var probe = new OpenProbe(root.Path, ChannelId);
            foreach (ChildProcess rival in new[] { first, second })
            {
                rival.StandardInput.WriteLine("go");
                rival.StandardInput.Flush();
            }

            string firstEnd = first.WaitForLine(line => line is "CLOSED" || line.StartsWith("ERROR ", StringComparison.Ordinal), AgentOutput.Deadline);
            string secondEnd = second.WaitForLine(line => line is "CLOSED" || line.StartsWith("ERROR ", StringComparison.Ordinal), AgentOutput.Deadline);
            string[] ends = [firstEnd, secondEnd];
            Assert.Single(ends, "CLOSED");
            string refusal = ends.Single(end => end != "CLOSED").Split(' ')[1];
            // Regression: the loser once got StaleLock, having read the winner's lock just before the winner
            // released it and exited; a lock is now only stale if it is still there once its creator is found gone.
            Assert.Equal(nameof(ChannelError.StorageAlreadyExists), refusal);
            refusals[refusal] = refusals.GetValueOrDefault(refusal) + 1;

            (PatternTally tally, ReadResult end, IReadOnlyCollection<ChannelError> errors) = probe.Finish();
            Assert.Equal((100, true, ReadStatus.Closed), (tally.Count, tally.Intact, end.Status));
            Assert.All(errors, error => Assert.True(error is ChannelError.StorageNotFound or ChannelError.StorageNotReady, $"the probe saw {error}"));
            seenByProbe.UnionWith(errors);
            Assert.False(File.Exists(StorageLayout.LockFile(root.Path, ChannelId)), "the winner left its lock behind");
        }

        Figures.Report("creation races", $"{rounds} races of two processes: {rounds} single winners, refusals {string.Join(", ", refusals.Select(r => $"{r.Key} x{r.Value}"))}; a reader polling during creation saw only {string.Join(", ", seenByProbe.Order())}, never a half header");
    }

    [Fact]
    public void A_creator_killed_mid_creation_leaves_a_stale_lock_never_a_half_channel()
    {
        int seed = Soak.Seed();
        var random = new Random(seed);
        int rounds = Soak.Scale(5);
        var outcomes = new Dictionary<string, int>();
        for (int round = 0; round < rounds; round++)
        {
            using var root = new TempRoot("kekbit-crash");
            string lockFile = StorageLayout.LockFile(root.Path, ChannelId);
            // 256 MiB: preallocating it keeps the creator inside its lock long enough to be killed there.
            using ChildProcess creator = ChildProcess.StartAgent("write", root.Path, ChannelId.ToString(CultureInfo.InvariantCulture), "10", "--capacity", (256 << 20).ToString(CultureInfo.InvariantCulture), "--wait-go", "--no-close");
            creator.WaitFor("WAITING");
            creator.StandardInput.WriteLine("go");
            creator.StandardInput.Flush();
            WaitUntil(() => File.Exists(lockFile) || creator.StandardOutput.Contains("READY", StringComparison.Ordinal));
            // Kill at once half the time, otherwise a few scheduler turns later: inside the creation, or just after it.
            for (int turns = random.Next(2) * random.Next(200); turns > 0; turns--)
            {
                Thread.Yield();
            }

            creator.Kill();
            string outcome = OutcomeAfterCrash(root.Path);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Figures.Report("creator kills", $"{rounds} creators SIGKILLed during creation (seed {seed}): {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} x{o.Value}"))}; never a half header without its lock");
    }

    /// <summary>What a reader finds after a creator died: a stale lock (then recovered as documented), nothing, or a whole channel.</summary>
    private static string OutcomeAfterCrash(string root)
    {
        try
        {
            using var reader = ShmReader.Open(root, ChannelId);
            (PatternTally tally, ReadResult end) = LiveReader.ReadAvailable(reader);
            Assert.Equal((true, ReadStatus.Nothing), (tally.Intact, end.Status));
            return "complete channel";
        }
        catch (ChannelException e) when (e.Error == ChannelError.StorageNotFound)
        {
            return "nothing created yet";
        }
        catch (ChannelException e) when (e.Error == ChannelError.StaleLock)
        {
            // The documented recovery: delete the lock and the incomplete file, then create again.
            File.Delete(StorageLayout.LockFile(root, ChannelId));
            File.Delete(StorageLayout.ChannelFile(root, ChannelId));
            using (ShmWriter.Create(root, Metadata.Create(1, ChannelId, 16384, 64, 1000, TickUnit.Millis)))
            {
            }

            return "StaleLock, recovered";
        }
    }

    /// <summary>Polls <paramref name="condition"/>, yielding between tries, for at most the agent deadline.</summary>
    private static void WaitUntil(Func<bool> condition)
    {
        long start = TimeProvider.System.GetTimestamp();
        var backoff = default(SpinWait);
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetElapsedTime(start) < AgentOutput.Deadline, "the creator never started creating");
            backoff.SpinOnce(sleep1Threshold: -1);
        }
    }

    [Fact]
    public void A_reader_waiting_for_a_channel_opens_it_once_created()
    {
        using var root = new TempRoot("kekbit-wait");
        var waiting = LiveReader.Start(() => ShmReader.OpenWhenReady(root.Path, ChannelId, AgentOutput.Deadline));
        using ChildProcess writer = ChildProcess.StartAgent("write", root.Path, ChannelId.ToString(CultureInfo.InvariantCulture), "500");
        (long written, ulong checksum) = writer.WaitForWrittenReport();
        (PatternTally tally, ReadResult end) = waiting.Join();
        Assert.Equal((written, checksum, ReadStatus.Closed), (tally.Count, tally.Checksum, end.Status));
    }

    [Fact]
    public void A_stale_lock_is_reported_and_deleting_it_recovers()
    {
        using var root = new TempRoot("kekbit-stale");
        string lockFile = StorageLayout.LockFile(root.Path, ChannelId);
        string channelFile = root.ChannelFile(ChannelId);
        Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);
        // A creator that crashed mid-creation: its lock names a process that is gone, beside an incomplete file.
        File.WriteAllText(lockFile, DeadProcessId().ToString(CultureInfo.InvariantCulture));
        File.WriteAllBytes(channelFile, new byte[4096]);
        var metadata = Metadata.Create(1, ChannelId, 16384, 64, 1000, TickUnit.Millis);

        var readerError = Assert.Throws<ChannelException>(() => ShmReader.Open(root.Path, ChannelId));
        var waiterError = Assert.Throws<ChannelException>(() => ShmReader.OpenWhenReady(root.Path, ChannelId, AgentOutput.Deadline, TestContext.Current.CancellationToken));
        var writerError = Assert.Throws<ChannelException>(() => ShmWriter.Create(root.Path, metadata));
        Assert.Equal((ChannelError.StaleLock, ChannelError.StaleLock, ChannelError.StaleLock), (readerError.Error, waiterError.Error, writerError.Error));
        Assert.Contains("delete", readerError.Message, StringComparison.Ordinal);
        Assert.Contains(lockFile, readerError.Message, StringComparison.Ordinal);

        // The documented recovery: delete the lock and the incomplete channel file, then create again.
        File.Delete(lockFile);
        File.Delete(channelFile);
        using (var writer = ShmWriter.Create(root.Path, metadata))
        {
            Assert.True(writer.Write([1, 2, 3]).IsSuccess);
        }

        using var reader = ShmReader.Open(root.Path, ChannelId);
        Assert.Equal(3, reader.TryRead().Payload.Length);
    }

    /// <summary>The id of a process that has exited: a test agent started with no command, which exits at once.</summary>
    private static int DeadProcessId()
    {
        using ChildProcess gone = ChildProcess.StartAgent();
        gone.WaitForExit(AgentOutput.Deadline);
        return gone.Id;
    }

    /// <summary>
    /// Tries to open the channel over and over on its own thread (yielding between tries) until it opens, noting
    /// every error; then reads the channel to its end.
    /// </summary>
    private sealed class OpenProbe
    {
        private readonly HashSet<ChannelError> _errors = [];
        private readonly LiveReader _reader;

        public OpenProbe(string root, ulong channelId)
        {
            _reader = LiveReader.Start(() =>
            {
                var backoff = default(SpinWait);
                while (true)
                {
                    try
                    {
                        return ShmReader.Open(root, channelId);
                    }
                    catch (ChannelException e)
                    {
                        _errors.Add(e.Error);
                        if (e.Error is not (ChannelError.StorageNotFound or ChannelError.StorageNotReady))
                        {
                            throw;
                        }

                        backoff.SpinOnce(sleep1Threshold: -1);
                    }
                }
            });
        }

        public (PatternTally Tally, ReadResult End, IReadOnlyCollection<ChannelError> Errors) Finish()
        {
            try
            {
                (PatternTally tally, ReadResult end) = _reader.Join();
                return (tally, end, _errors);
            }
            catch (InvalidOperationException e) when (e.InnerException is ChannelException inner)
            {
                Assert.Fail($"the probe saw {inner.Error} while the channel was being created: {inner.Message}");
                throw;
            }
        }
    }
}
