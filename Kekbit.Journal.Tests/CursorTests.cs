using Kekbit.Core;
using Kekbit.TestSupport;
using static Kekbit.Journal.Tests.JournalTestSupport;

namespace Kekbit.Journal.Tests;

public sealed class CursorTests
{
    [Fact]
    public void A_durable_cursor_resumes_after_its_last_commit_and_a_new_one_starts_where_told()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        WriteValues(writer, 0, 3000);

        using (var billing = JournalReader.OpenCursor(folder, "billing"))
        {
            Assert.Equal("billing", billing.CursorName);
            for (int i = 0; i < 1500; i++)
            {
                Assert.True(billing.TryRead().IsRecord);
            }

            billing.Commit();
            for (int i = 0; i < 10; i++)
            {
                Assert.True(billing.TryRead().IsRecord); // read, not committed: read again after a restart
            }
        }

        using (var billing = JournalReader.OpenCursor(folder, "billing"))
        {
            Assert.Equal(1500, billing.NextSequence);
            Assert.Equal(Enumerable.Range(1500, 1500).Select(i => ((long)i, (long)i)), ReadAvailable(billing));
            billing.Commit();
        }

        using (var billing = JournalReader.OpenCursor(folder, "billing"))
        {
            Assert.Empty(ReadAvailable(billing));
            WriteValues(writer, 3000, 3);
            Assert.Equal(3, ReadAvailable(billing).Count);
        }

        using var audit = JournalReader.OpenCursor(folder, "audit", JournalStart.End);
        Assert.Empty(ReadAvailable(audit));
        Assert.Equal(3003, audit.NextSequence);
    }

    [Fact]
    public void A_writer_recovering_the_journal_leaves_the_cursor_locks_alone()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using (var writer = JournalWriter.Open(folder, Small()))
        {
            WriteValues(writer, 0, 10);
        }

        using var held = JournalReader.OpenCursor(folder, "billing");
        using (var writer = JournalWriter.Open(folder, Small()))
        {
            WriteValues(writer, 10, 10);
        }

        Assert.True(File.Exists(Path.Combine(folder, "cursors", "billing.lock")));
        Assert.Equal(JournalError.CursorInUse, Assert.Throws<JournalException>(() => JournalReader.OpenCursor(folder, "billing")).Error);
    }

    [Fact]
    public void A_cursor_has_one_reader_at_a_time_and_a_plain_reader_cannot_commit()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        using var first = JournalReader.OpenCursor(folder, "billing");
        Assert.Equal(JournalError.CursorInUse, Assert.Throws<JournalException>(() => JournalReader.OpenCursor(folder, "billing")).Error);
        using var plain = JournalReader.Open(folder);
        Assert.Throws<InvalidOperationException>(() => plain.Commit());
        Assert.Throws<ArgumentException>(() => JournalReader.OpenCursor(folder, "../escape"));
    }

    [Fact]
    public void A_commit_torn_by_a_crash_leaves_the_previous_commit()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        WriteValues(writer, 0, 100);
        using (var reader = JournalReader.OpenCursor(folder, "c"))
        {
            for (int i = 0; i < 40; i++)
            {
                reader.TryRead();
            }

            reader.Commit(); // generation 1: slot 1
            for (int i = 0; i < 20; i++)
            {
                reader.TryRead();
            }

            reader.Commit(); // generation 2: slot 0
        }

        // Tear the newest slot as a crash in the middle of its write would: half old bytes, half new.
        string file = Path.Combine(folder, "cursors", "c.cursor");
        byte[] bytes = File.ReadAllBytes(file);
        bytes[20] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
        using (var reader = JournalReader.OpenCursor(folder, "c"))
        {
            Assert.Equal(40, reader.NextSequence);
        }

        File.WriteAllBytes(file, new byte[128]); // both slots gone: a new cursor
        using var fresh = JournalReader.OpenCursor(folder, "c");
        Assert.Equal(0, fresh.NextSequence);
    }

    [Fact]
    public void Commit_per_batch_allocates_nothing()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        using var reader = JournalReader.OpenCursor(folder, "c");
        Assert.Equal(0, Allocations.OfSecondRun(reader, static r =>
        {
            for (int i = 0; i < 1000; i++)
            {
                r.Commit();
            }
        }));
    }

    [Fact]
    public void Retention_deletes_old_segments_but_never_one_a_cursor_needs_unless_told_and_then_the_cursor_reports_the_gap()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        WriteValues(writer, 0, 5000);
        using (var lagging = JournalReader.OpenCursor(folder, "lagging"))
        {
            for (int i = 0; i < 1000; i++)
            {
                lagging.TryRead();
            }

            lagging.Commit();
        }

        long cursorSegment;
        using (var probe = JournalReader.OpenCursor(folder, "lagging"))
        {
            cursorSegment = probe.Segment;
        }

        IReadOnlyList<long> deleted = JournalRetention.Apply(folder, new JournalRetentionPolicy { MaxSegments = 2 });
        Assert.Equal(Enumerable.Range(0, (int)cursorSegment).Select(i => (long)i), deleted);
        using (var reader = JournalReader.OpenCursor(folder, "lagging"))
        {
            Assert.Equal(1000, reader.NextSequence);
            Assert.Equal(4000, ReadAvailable(reader).Count);
        }

        // Told to: the segments go, and the cursor that needed them reports the gap rather than skipping it.
        deleted = JournalRetention.Apply(folder, new JournalRetentionPolicy { MaxSegments = 2, DeleteSegmentsCursorsNeed = true });
        Assert.NotEmpty(deleted);
        Assert.Equal(JournalError.Gap, Assert.Throws<JournalException>(() => JournalReader.OpenCursor(folder, "lagging")).Error);
        using var accepting = JournalReader.OpenCursor(folder, "lagging", options: new JournalCursorOptions { AcceptGap = true });
        Assert.True(accepting.TryRead().IsRecord);
        Assert.True(accepting.LastSequence > 1000);

        Assert.Equal(JournalError.Gap, Assert.Throws<JournalException>(() => JournalReader.Open(folder, JournalStart.AtSequence(0))).Error);
    }

    [Fact]
    public void A_reader_that_reaches_deleted_segments_reports_a_gap_with_the_segment()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        WriteValues(writer, 0, 3000);
        using var reader = JournalReader.Open(folder);
        Assert.True(reader.TryRead().IsRecord);
        File.Delete(StorageLayout.ChannelFile(folder, 1));
        File.Delete(StorageLayout.ChannelFile(folder, 2));
        var read = ReadAvailable(reader);
        Assert.Equal(ReadStatus.Failed, reader.TryRead().Status);
        Assert.Equal(JournalError.Gap, reader.Fault!.Error);
        Assert.Equal(StorageLayout.ChannelFile(folder, 3), reader.Fault.SegmentPath);
        Assert.Equal(Enumerable.Range(1, read.Count).Select(i => ((long)i, (long)i)), read);
    }

    [Fact]
    public void Retention_by_size_and_age_runs_after_rolls()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        var options = new JournalWriterOptions { SegmentCapacity = 16384, PreTouch = false, Retention = new JournalRetentionPolicy { MaxBytes = 5 * (16384 + 1056) } };
        using (var writer = JournalWriter.Open(folder, options))
        {
            WriteValues(writer, 0, 10_000);
        }

        // Retention runs in the background after each roll: by the last roll, at most the limit plus the segments it could not yet see.
        int left = Directory.EnumerateFiles(folder, "*.kekbit", SearchOption.AllDirectories).Count();
        Assert.InRange(left, 2, 7);
        Assert.Empty(JournalRetention.Apply(folder, new JournalRetentionPolicy { MaxAge = TimeSpan.FromDays(1) }));
        Assert.NotEmpty(JournalRetention.Apply(folder, new JournalRetentionPolicy { MaxAge = TimeSpan.FromDays(1) }, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(2))));
        using var reader = JournalReader.Open(folder);
        Assert.Equal(9999, ReadAvailable(reader)[^1].Sequence);
    }
}
