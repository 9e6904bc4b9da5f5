using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;
using static Kekbit.Journal.Tests.JournalTestSupport;

namespace Kekbit.Journal.Tests;

/// <summary>Real writer and reader processes killed with SIGKILL while they work.</summary>
public sealed class CrashTests
{
    /// <summary>The agent's records: record s carries s, then s % 23 pattern bytes (Kekbit.Journal.TestAgent's Fill).</summary>
    private static bool IsAgentRecord(ReadOnlySpan<byte> payload, long sequence)
    {
        if (payload.Length != 8 + (int)(sequence % 23) || BinaryPrimitives.ReadInt64LittleEndian(payload) != sequence)
        {
            return false;
        }

        for (int i = 8; i < payload.Length; i++)
        {
            if (payload[i] != (byte)(sequence + i - 8))
            {
                return false;
            }
        }

        return true;
    }

    private static long Published(string line) => long.Parse(line.AsSpan("PUBLISHED ".Length), CultureInfo.InvariantCulture);

    [Fact]
    public void A_killed_writer_s_segment_is_sealed_and_a_new_writer_continues_without_renumbering_while_a_reader_follows()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var follower = JournalReader.Open(folder);
        long acknowledged;
        using (ChildProcess writer = JournalAgent.Start("write", folder, "100000000", "--capacity", "65536", "--batch", "100", "--pause-ms", "1"))
        {
            acknowledged = Published(writer.WaitForLine(l => l.StartsWith("PUBLISHED ", StringComparison.Ordinal) && Published(l) >= 5000, JournalAgent.Deadline));
            writer.Kill();
        }

        long read = 0;
        for (ReadResult r = follower.TryRead(); r.IsRecord; r = follower.TryRead())
        {
            Assert.True(IsAgentRecord(r.Span, follower.LastSequence));
            read++;
        }

        Assert.True(read >= acknowledged, $"{read} records, {acknowledged} acknowledged");
        long lastSegment = follower.Segment;

        using (var restarted = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 65536, PreTouch = false }))
        {
            Assert.Equal(read, restarted.NextSequence); // everything published is kept, nothing renumbered
            Assert.True(restarted.Segment > lastSegment);
            Span<byte> payload = stackalloc byte[32];
            for (long s = read; s < read + 100; s++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(payload, s);
                for (int i = 0; i < s % 23; i++)
                {
                    payload[8 + i] = (byte)(s + i);
                }

                Assert.True(restarted.Write(payload[..(8 + (int)(s % 23))]).IsSuccess);
            }
        }

        // The follower went past the sealed segment (and any empty one the dead writer created ahead) into the new one.
        for (ReadResult r = follower.TryRead(); r.IsRecord; r = follower.TryRead())
        {
            Assert.True(IsAgentRecord(r.Span, follower.LastSequence));
            read++;
        }

        Assert.Equal(ReadStatus.Nothing, follower.TryRead().Status);
        Assert.Equal(follower.NextSequence, read);
        Assert.Equal(read, follower.LastSequence + 1);

        // Every segment is now closed: the abandoned one sealed after its last complete record.
        foreach (string file in Directory.EnumerateFiles(folder, "*.kekbit", SearchOption.AllDirectories))
        {
            using ShmReader channel = ShmReader.Open(file);
            ReadResult last;
            while ((last = channel.TryRead()).IsRecord)
            {
            }

            Assert.Equal(ReadStatus.Closed, last.Status);
        }
    }

    /// <summary>
    /// The test: at least 20 SIGKILLs of the writer during a run of 1M records in small segments (a roll every
    /// ~2,500 records), while a reader process with a durable cursor follows and is itself killed and restarted. Every
    /// record the writer acknowledged is there once, in order, with dense sequences, and the reader's output (its
    /// effectively-once sink) holds every sequence exactly once.
    /// </summary>
    [Fact]
    public void A_million_records_survive_twenty_writer_kills_and_reader_kills_exactly_once()
    {
        const long Total = 1_000_000;
        const int WriterKills = 20;
        using var root = new TempRoot();
        string folder = NewFolder(root);
        string output = Path.Combine(root.Path, "processed.txt");
        var random = new Random(1313);
        var clock = Stopwatch.StartNew();
        long acknowledged = 0;
        int readerKills = 0;
        ChildProcess reader = JournalAgent.Start("read", folder, "effectively-once", output, Total.ToString(CultureInfo.InvariantCulture));
        try
        {
            for (int kill = 0; kill < WriterKills; kill++)
            {
                using ChildProcess writer = JournalAgent.Start("write", folder, Total.ToString(CultureInfo.InvariantCulture), "--capacity", "65536", "--batch", "200", "--pause-ms", "1");
                long target = Math.Min(acknowledged + random.Next(20_000, 45_000), Total - 10_000);
                string line = writer.WaitForLine(l => l.StartsWith("PUBLISHED ", StringComparison.Ordinal) && Published(l) >= target, JournalAgent.Deadline);
                writer.Kill();
                acknowledged = Math.Max(acknowledged, Published(line));
                if (kill % 4 == 1)
                {
                    // The reader too, wherever it is: mid-batch, mid-commit, mid-write of its output.
                    reader.Kill();
                    reader.Dispose();
                    readerKills++;
                    reader = JournalAgent.Start("read", folder, "effectively-once", output, Total.ToString(CultureInfo.InvariantCulture));
                }
            }

            using (ChildProcess last = JournalAgent.Start("write", folder, Total.ToString(CultureInfo.InvariantCulture), "--capacity", "65536", "--batch", "2000", "--pause-ms", "0"))
            {
                last.WaitForLine(l => l == $"DONE {Total}", JournalAgent.Deadline);
                Assert.Equal(0, last.WaitForExit(JournalAgent.Deadline));
            }

            reader.WaitForLine(l => l == "DONE", JournalAgent.Deadline);
            Assert.Equal(0, reader.WaitForExit(JournalAgent.Deadline));
        }
        finally
        {
            reader.Dispose();
        }

        // The journal: every record once, in order, dense, as the writer wrote it.
        long count = 0;
        using (var all = JournalReader.Open(folder))
        {
            for (ReadResult r = all.TryRead(); r.IsRecord; r = all.TryRead())
            {
                Assert.Equal(count, all.LastSequence);
                Assert.True(IsAgentRecord(r.Span, count), $"record {count} is not the one written");
                count++;
            }

            Assert.Equal(ReadStatus.Nothing, all.TryRead().Status);
        }

        Assert.Equal(Total, count);
        Assert.True(acknowledged <= count);

        // The reader's effectively-once output: each sequence exactly once, in order.
        long expected = 0;
        foreach (string line in File.ReadLines(output))
        {
            Assert.Equal(expected.ToString(CultureInfo.InvariantCulture), line);
            expected++;
        }

        Assert.Equal(Total, expected);
        int segments = Directory.EnumerateFiles(folder, "*.kekbit", SearchOption.AllDirectories).Count();
        TestContext.Current.SendDiagnosticMessage($"{Total:N0} records, {segments} segments, {WriterKills} writer kills, {readerKills} reader kills, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(segments > 300, $"only {segments} segments");
        Assert.True(readerKills >= 4);
    }

    [Fact]
    public void A_full_disk_when_creating_a_segment_is_a_typed_error_that_loses_nothing_and_writing_continues_once_space_is_freed()
    {
        using TmpfsMount? disk = TmpfsMount.TryMount("5m", out string whyNot);
        if (disk is null)
        {
            Assert.Skip($"SKIPPED full-disk journal scenario: {whyNot}");
        }

        string folder = Path.Combine(disk.Path, "journal");
        string filler = Path.Combine(disk.Path, "filler");
        File.WriteAllBytes(filler, new byte[1 << 20]);
        var options = new JournalWriterOptions { SegmentCapacity = 1 << 20, PreTouch = true };
        long written = 0;
        JournalException? full = null;
        using (var writer = JournalWriter.Open(folder, options))
        {
            Span<byte> payload = stackalloc byte[32];
            while (full is null && written < 10_000_000)
            {
                int length = Fill(payload, written);
                try
                {
                    Assert.Equal(WriteStatus.Success, writer.Write(payload[..length]).Status);
                    written++;
                }
                catch (JournalException e)
                {
                    full = e;
                }
            }

            Assert.NotNull(full);
            Assert.Equal(JournalError.InsufficientSpace, full.Error);
            Assert.Equal(written, writer.NextSequence);
            // Still full: the same typed error, nothing written.
            int retry = Fill(payload, written);
            Assert.Equal(JournalError.InsufficientSpace, Assert.Throws<JournalException>(() => writer.Write(new byte[retry])).Error);

            File.Delete(filler);
            WriteValues(writer, written, 1000);
            written += 1000;
        }

        using var reader = JournalReader.Open(folder);
        Assert.Equal(Enumerable.Range(0, (int)written).Select(i => ((long)i, (long)i)), ReadAvailable(reader));
    }
}
