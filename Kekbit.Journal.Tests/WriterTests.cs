using Kekbit.Core;
using Kekbit.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static Kekbit.Journal.Tests.JournalTestSupport;

namespace Kekbit.Journal.Tests;

public sealed class WriterTests
{
    [Fact]
    public void Records_roll_across_segments_with_dense_sequences_and_every_segment_is_an_ordinary_channel()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using (var writer = JournalWriter.Open(folder, Small()))
        {
            WriteValues(writer, 0, 5000);
            Assert.Equal(5000, writer.NextSequence);
            Assert.True(writer.Rolls >= 5, $"only {writer.Rolls} rolls");
        }

        using var reader = JournalReader.Open(folder);
        var read = ReadAvailable(reader);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => ((long)i, (long)i)), read);

        // Each segment is a closed channel any channel reader reads: its first record is the journal's header.
        foreach (string file in Directory.EnumerateFiles(folder, "*.kekbit", SearchOption.AllDirectories))
        {
            using ShmReader channel = ShmReader.Open(file);
            ReadResult header = channel.TryRead();
            Assert.True(header.IsRecord);
            Assert.Equal("KJOURNAL", System.Text.Encoding.ASCII.GetString(header.Span[..8]));
            ReadResult last;
            while ((last = channel.TryRead()).IsRecord)
            {
            }

            Assert.Equal(ReadStatus.Closed, last.Status);
        }
    }

    [Fact]
    public void A_record_larger_than_the_max_record_length_is_refused_and_changes_nothing()
    {
        using var root = new TempRoot();
        using var writer = JournalWriter.Open(NewFolder(root), Small());
        int max = writer.Metadata.MaxRecordLength;
        Assert.Equal(WriteStatus.RecordTooLarge, writer.Write(new byte[max + 1]).Status);
        Assert.Equal(0, writer.NextSequence);
        for (int i = 0; i < 300; i++)
        {
            Assert.Equal(WriteStatus.Success, writer.Write(new byte[max]).Status); // rolls as needed: the largest record always fits a new segment
        }

        Assert.Equal(300, writer.NextSequence);
        Assert.True(writer.Rolls > 0);
    }

    [Fact]
    public void Restart_continues_after_the_last_record_in_a_new_segment_and_a_following_reader_goes_on()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        JournalReader follower;
        using (var writer = JournalWriter.Open(folder, Small()))
        {
            WriteValues(writer, 0, 1000);
            follower = JournalReader.Open(folder);
            Assert.Equal(1000, ReadAvailable(follower).Count);
        }

        using (follower)
        {
            Assert.Empty(ReadAvailable(follower)); // a closed journal is not an end: nothing yet
            using (var writer = JournalWriter.Open(folder, Small()))
            {
                Assert.Equal(1000, writer.NextSequence);
                WriteValues(writer, 1000, 1000);
            }

            var next = ReadAvailable(follower);
            Assert.Equal(Enumerable.Range(1000, 1000).Select(i => ((long)i, (long)i)), next);
        }

        using var fresh = JournalReader.Open(folder);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => ((long)i, (long)i)), ReadAvailable(fresh));
    }

    [Fact]
    public void Two_writers_racing_to_open_a_journal_exactly_one_wins()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        for (int round = 0; round < 10; round++)
        {
            using var go = new ManualResetEventSlim();
            var outcomes = new JournalWriter?[4];
            var errors = new JournalError?[4];
            Thread[] threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
            {
                go.Wait();
                try
                {
                    outcomes[i] = JournalWriter.Open(folder, Small());
                }
                catch (JournalException e)
                {
                    errors[i] = e.Error;
                }
            })).ToArray();
            foreach (Thread t in threads)
            {
                t.Start();
            }

            go.Set();
            foreach (Thread t in threads)
            {
                t.Join();
            }

            Assert.Single(outcomes, w => w is not null);
            Assert.Equal(3, errors.Count(e => e == JournalError.WriterActive));
            JournalWriter winner = outcomes.Single(w => w is not null)!;
            WriteValues(winner, winner.NextSequence, 10);
            winner.Dispose();
        }

        using var reader = JournalReader.Open(folder);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => ((long)i, (long)i)), ReadAvailable(reader));
    }

    [Fact]
    public void Two_writer_processes_racing_exactly_one_wins_and_the_lock_of_a_killed_writer_is_released()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using ChildProcess a = JournalAgent.Start("hold", folder);
        using ChildProcess b = JournalAgent.Start("hold", folder);
        string first = a.WaitForLine(l => l is "WON" || l.StartsWith("LOST", StringComparison.Ordinal), JournalAgent.Deadline);
        string second = b.WaitForLine(l => l is "WON" || l.StartsWith("LOST", StringComparison.Ordinal), JournalAgent.Deadline);
        Assert.Equal(["LOST WriterActive", "WON"], new[] { first, second }.Order());
        Assert.Equal(JournalError.WriterActive, Assert.Throws<JournalException>(() => JournalWriter.Open(folder, Small())).Error);

        (first == "WON" ? a : b).Kill(); // SIGKILL: no cleanup runs, the kernel drops the lock
        using var writer = JournalWriter.Open(folder, Small());
        WriteValues(writer, 0, 10);
    }

    [Fact]
    public void Rolls_by_record_count_and_by_time()
    {
        using var root = new TempRoot();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 10, 59, 0, TimeSpan.Zero));
        string byCount = NewFolder(root, "count");
        using (var writer = JournalWriter.Open(byCount, new JournalWriterOptions { SegmentCapacity = 1 << 20, PreTouch = false, MaxRecordsPerSegment = 100 }))
        {
            WriteValues(writer, 0, 1000);
            Assert.Equal(9, writer.Rolls);
        }

        string byTime = NewFolder(root, "time");
        using (var writer = JournalWriter.Open(byTime, new JournalWriterOptions { SegmentCapacity = 1 << 20, PreTouch = false, TimeProvider = clock, RollInterval = TimeSpan.FromHours(1) }))
        {
            WriteValues(writer, 0, 10);
            clock.Advance(TimeSpan.FromSeconds(59));
            WriteValues(writer, 10, 10);
            Assert.Equal(0, writer.Rolls);
            clock.Advance(TimeSpan.FromSeconds(1)); // 11:00: the hour turns
            WriteValues(writer, 20, 10);
            Assert.Equal(1, writer.Rolls);
            clock.Advance(TimeSpan.FromMinutes(59));
            WriteValues(writer, 30, 10);
            Assert.Equal(1, writer.Rolls);
            clock.Advance(TimeSpan.FromMinutes(1));
            WriteValues(writer, 40, 10);
            Assert.Equal(2, writer.Rolls);
        }

        using var reader = JournalReader.Open(byTime);
        Assert.Equal(50, ReadAvailable(reader).Count);
    }
}
