using Kekbit.Core;
using Kekbit.Journal.Internal;
using Kekbit.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static Kekbit.Journal.Tests.JournalTestSupport;

namespace Kekbit.Journal.Tests;

/// <summary>The segments' sparse index: seeks find the same records with it, without it, and with it damaged, missing or lagging.</summary>
public sealed class SegmentIndexTests
{
    private const int Records = 6000;
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    /// <summary>64 KiB segments, stamped records, no pre-touch, the given index interval.</summary>
    private static JournalWriterOptions Indexed(TimeProvider clock, int indexInterval) =>
        new() { SegmentCapacity = 65536, PreTouch = false, TimeProvider = clock, Timestamps = true, IndexInterval = indexInterval };

    /// <summary>Writes the same <see cref="Records"/> records, stamped 1 ms apart, into a journal with the given index interval.</summary>
    private static string WriteJournal(TempRoot root, string name, int indexInterval)
    {
        string folder = NewFolder(root, name);
        var clock = new FakeTimeProvider(Start);
        using var writer = JournalWriter.Open(folder, Indexed(clock, indexInterval));
        Span<byte> payload = stackalloc byte[32];
        for (long v = 0; v < Records; v++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1)); // record v is stamped Start + (v + 1) ms
            int length = Fill(payload, v);
            Assert.True(writer.Write(payload[..length]).IsSuccess);
        }

        Assert.True(writer.Rolls >= 3);
        return folder;
    }

    private static IEnumerable<JournalStart> Starts(string reference)
    {
        yield return JournalStart.Beginning;
        yield return JournalStart.End;
        foreach (long sequence in new long[] { 0, 1, 15, 16, 17, 100, 1023, 1024, 1500, 2047, 2048, 3001, 4444, 5998, 5999, 6000 })
        {
            yield return JournalStart.AtSequence(sequence);
        }

        foreach (int ms in new[] { -5, 0, 1, 2, 16, 17, 18, 999, 1500, 2500, 4321, 5999, 6000, 6001, 9000 })
        {
            yield return JournalStart.AtTime(Start + TimeSpan.FromMilliseconds(ms));
        }

        // Positions of a spread of records, taken from the reference journal (positions are the same in every copy).
        using var reader = JournalReader.Open(reference);
        for (long i = 0; reader.TryRead() is { IsRecord: true } record; i++)
        {
            if (i % 397 == 0)
            {
                yield return JournalStart.AtPosition(record.Position);
            }
        }
    }

    /// <summary>Where a reader opened at <paramref name="start"/> lands: its next sequence, its position and the first value it reads.</summary>
    private static (long Next, long Position, long? Value) Seek(string folder, JournalStart start)
    {
        using var reader = JournalReader.Open(folder, start);
        long next = reader.NextSequence;
        long position = reader.Position;
        ReadResult first = reader.TryRead();
        return (next, position, first.IsRecord ? ValueOf(first.Span[8..]) : null);
    }

    private static void AssertSameSeeks(string reference, string indexed)
    {
        int compared = 0;
        foreach (JournalStart start in Starts(reference))
        {
            (long Next, long Position, long? Value) expected = Seek(reference, start);
            Assert.Equal(expected, Seek(indexed, start));
            compared++;
        }

        Assert.True(compared > 40);
    }

    [Fact]
    public void Seeks_by_sequence_time_position_and_end_land_where_they_land_without_an_index()
    {
        using var root = new TempRoot();
        string plain = WriteJournal(root, "plain", indexInterval: 0);
        string indexed = WriteJournal(root, "indexed", indexInterval: 16);

        Assert.Empty(Directory.EnumerateFiles(plain, "*" + SegmentIndex.Extension, SearchOption.AllDirectories));
        string[] indexes = Directory.GetFiles(indexed, "*" + SegmentIndex.Extension, SearchOption.AllDirectories);
        Assert.NotEmpty(indexes);
        Assert.All(indexes, index => Assert.True(new FileInfo(index).Length > 0));

        // Spot checks against the values themselves, then every start against the journal without an index.
        Assert.Equal((3001L, 3001L), (Seek(indexed, JournalStart.AtSequence(3001)).Next, Seek(indexed, JournalStart.AtSequence(3001)).Value!.Value));
        Assert.Equal(2499L, Seek(indexed, JournalStart.AtTime(Start + TimeSpan.FromMilliseconds(2500))).Value);
        Assert.Equal((6000L, (long?)null), (Seek(indexed, JournalStart.End).Next, Seek(indexed, JournalStart.End).Value));
        AssertSameSeeks(plain, indexed);
    }

    [Fact]
    public void A_damaged_missing_torn_or_lying_index_is_ignored_and_seeks_still_land_right()
    {
        using var root = new TempRoot();
        string plain = WriteJournal(root, "plain", indexInterval: 0);
        string indexed = WriteJournal(root, "indexed", indexInterval: 16);
        string[] indexes = Directory.GetFiles(indexed, "*" + SegmentIndex.Extension, SearchOption.AllDirectories).Order().ToArray();
        Assert.True(indexes.Length >= 4);

        // Garbage over the middle of one, a torn last entry in another, one deleted.
        byte[] garbage = new byte[SegmentIndex.EntryLength * 5];
        new Random(13).NextBytes(garbage);
        using (var file = new FileStream(indexes[0], FileMode.Open, FileAccess.Write))
        {
            file.Position = file.Length / 2 / SegmentIndex.EntryLength * SegmentIndex.EntryLength;
            file.Write(garbage);
        }

        using (var file = new FileStream(indexes[1], FileMode.Open, FileAccess.Write))
        {
            file.SetLength(file.Length - (SegmentIndex.EntryLength / 2));
        }

        File.Delete(indexes[2]);

        // Entries with valid checksums that name no record the file holds: past its end, and unaligned.
        string segmentPath = Path.ChangeExtension(indexes[3], StorageLayout.ChannelExtension);
        Assert.True(StorageLayout.TryParseChannelId(segmentPath, out ulong segment));
        using (var reader = JournalReader.Open(indexed))
        {
            reader.TryRead();
            Guid journalId = reader.JournalId;
            byte[] lies = new byte[SegmentIndex.EntryLength * 2];
            long first = new FileInfo(indexes[3]).Length / SegmentIndex.EntryLength; // appended: the search's last probes meet them
            SegmentIndex.Encode(lies, journalId, (long)segment, long.MaxValue / 2, 1L << 40);
            SegmentIndex.Encode(lies.AsSpan(SegmentIndex.EntryLength), journalId, (long)segment, long.MaxValue / 2, 12);
            using var file = new FileStream(indexes[3], FileMode.Open, FileAccess.Write);
            file.Position = first * SegmentIndex.EntryLength;
            file.Write(lies);
        }

        AssertSameSeeks(plain, indexed);
    }

    [Fact]
    public void An_index_that_lags_its_segment_as_after_a_writer_kill_only_lengthens_the_walk()
    {
        using var root = new TempRoot();
        string plain = WriteJournal(root, "plain", indexInterval: 0);
        string indexed = WriteJournal(root, "indexed", indexInterval: 16);

        // A killed writer leaves each segment's index short of its records (entries follow the records they name): keep a
        // third of every index, none of one.
        string[] indexes = Directory.GetFiles(indexed, "*" + SegmentIndex.Extension, SearchOption.AllDirectories).Order().ToArray();
        for (int i = 0; i < indexes.Length; i++)
        {
            using var file = new FileStream(indexes[i], FileMode.Open, FileAccess.Write);
            file.SetLength(i == 1 ? 0 : file.Length / SegmentIndex.EntryLength / 3 * SegmentIndex.EntryLength);
        }

        AssertSameSeeks(plain, indexed);

        // A writer that opens the journal again continues with a full index in its new segment.
        var clock = new FakeTimeProvider(Start + TimeSpan.FromMilliseconds(Records + 1));
        using (var writer = JournalWriter.Open(indexed, Indexed(clock, 16)))
        {
            Span<byte> payload = stackalloc byte[32];
            for (long v = Records; v < Records + 100; v++)
            {
                int length = Fill(payload, v);
                Assert.True(writer.Write(payload[..length]).IsSuccess);
            }
        }

        Assert.Equal(Records + 50, Seek(indexed, JournalStart.AtSequence(Records + 50)).Value);
    }

    [Fact]
    public void A_seek_uses_the_index_rather_than_walking_the_segment()
    {
        using var root = new TempRoot();
        string indexed = WriteJournal(root, "indexed", indexInterval: 16);

        // Replace the first segment's index by one entry that is off by one record (well formed, checksum and all): a seek
        // that uses it lands one record late, which a walk never would.
        using var reader = JournalReader.Open(indexed);
        Assert.True(reader.TryRead().IsRecord);
        long segment = Segments.SegmentOf(reader.Position);
        long s = 100;
        while (reader.LastSequence < s)
        {
            Assert.True(reader.TryRead().IsRecord);
        }

        byte[] entry = new byte[SegmentIndex.EntryLength];
        SegmentIndex.Encode(entry, reader.JournalId, segment, s, Segments.OffsetOf(reader.Position)); // the offset of record s + 1
        File.WriteAllBytes(SegmentIndex.PathOf(indexed, segment), entry);

        Assert.Equal(s + 6, Seek(indexed, JournalStart.AtSequence(s + 5)).Value);
        Assert.Equal(s - 5, Seek(indexed, JournalStart.AtSequence(s - 5)).Value);
    }

    [Fact]
    public void Writes_that_add_index_entries_allocate_nothing()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 4 << 20, PreTouch = false, IndexInterval = 4 });
        byte[] payload = new byte[32];
        long allocated = Allocations.OfSecondRun((writer, payload), static s =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                s.writer.Write(s.payload);
            }
        });
        Assert.Equal(0, allocated);
        Assert.Equal(0, writer.Rolls);
        string index = SegmentIndex.PathOf(folder, writer.Segment);
        // Records 4, 8, ... of the segment (from 0) have entries.
        Assert.Equal((40_000 - 1) / 4 * SegmentIndex.EntryLength, new FileInfo(index).Length);
    }

    [Fact]
    public void The_cached_segment_listing_sees_segments_added_and_deleted()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using (var writer = JournalWriter.Open(folder, Small()))
        {
            WriteValues(writer, 0, 1000);
        }

        // Folders last changed a second ago: the listing is cached at once (no wait for the settle time).
        string segmentFolder = Path.GetDirectoryName(Segments.PathOf(folder, 0))!;
        void Age()
        {
            DateTime past = DateTime.UtcNow - TimeSpan.FromSeconds(1);
            Directory.SetLastWriteTimeUtc(folder, past);
            Directory.SetLastWriteTimeUtc(segmentFolder, past);
        }

        List<long> Fresh() => Directory.GetFiles(segmentFolder, "*" + StorageLayout.ChannelExtension)
            .Select(f => StorageLayout.TryParseChannelId(f, out ulong id) ? (long)id : -1).Order().ToList();

        Age();
        List<long> before = Segments.List(folder);
        Assert.Equal(Fresh(), before);
        Assert.Equal(before, Segments.List(folder));

        using (var writer = JournalWriter.Open(folder, Small()))
        {
            WriteValues(writer, 1000, 1000);
            Assert.True(Segments.List(folder).Count > before.Count);
            // The segment created ahead appears in the background: compare once it is there.
            Assert.True(SpinWait.SpinUntil(() => Fresh().Count == writer.Segment + 2, TimeSpan.FromSeconds(30)), "the segment created ahead did not appear");
            Assert.Equal(Fresh(), Segments.List(folder));
        }

        Age();
        Assert.Equal(Fresh(), Segments.List(folder));
        File.Delete(Segments.PathOf(folder, before[0]));
        Assert.DoesNotContain(before[0], Segments.List(folder));
        Assert.Equal(Fresh(), Segments.List(folder));
        using var reader = JournalReader.Open(folder, JournalStart.AtSequence(1000));
        Assert.Equal(1000, ValueOf(reader.TryRead().Span));
    }

    [Fact]
    public void A_negative_index_interval_is_refused()
    {
        using var root = new TempRoot();
        Assert.Throws<ArgumentOutOfRangeException>(() => JournalWriter.Open(NewFolder(root), new JournalWriterOptions { IndexInterval = -1 }));
    }
}
