using Kekbit.Core;
using Kekbit.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static Kekbit.Journal.Tests.JournalTestSupport;

namespace Kekbit.Journal.Tests;

public sealed class ReaderTests
{
    [Fact]
    public void A_reader_follows_the_writer_across_rolls_as_records_arrive()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var reader = JournalReader.Open(folder); // before the journal exists
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        using var writer = JournalWriter.Open(folder, Small());
        var seen = new List<(long, long)>();
        for (long v = 0; v < 3000; v += 100)
        {
            WriteValues(writer, v, 100);
            seen.AddRange(ReadAvailable(reader));
        }

        Assert.Equal(Enumerable.Range(0, 3000).Select(i => ((long)i, (long)i)), seen);
        Assert.True(writer.Rolls > 3);
    }

    [Fact]
    public void Start_at_the_end_at_a_sequence_and_at_a_position()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        WriteValues(writer, 0, 4000);

        using (var end = JournalReader.Open(folder, JournalStart.End))
        {
            Assert.Empty(ReadAvailable(end));
            Assert.Equal(4000, end.NextSequence);
            WriteValues(writer, 4000, 5);
            Assert.Equal(Enumerable.Range(4000, 5).Select(i => ((long)i, (long)i)), ReadAvailable(end));
        }

        foreach (long sequence in new long[] { 0, 1, 250, 251, 1999, 3333, 4004, 4005 })
        {
            using var at = JournalReader.Open(folder, JournalStart.AtSequence(sequence));
            var read = ReadAvailable(at);
            Assert.Equal(Enumerable.Range((int)sequence, (int)(4005 - sequence)).Select(i => ((long)i, (long)i)), read);
        }

        Assert.Equal(JournalError.InvalidStart, Assert.Throws<JournalException>(() => JournalReader.Open(folder, JournalStart.AtSequence(4006))).Error);

        // A record's position starts there again; the reader's position after it starts after it.
        using var first = JournalReader.Open(folder);
        for (int i = 0; i < 1234; i++)
        {
            Assert.True(first.TryRead().IsRecord);
        }

        ReadResult record = first.TryRead();
        using (var again = JournalReader.Open(folder, JournalStart.AtPosition(record.Position)))
        {
            Assert.Equal((1234L, 1234L), ReadAvailable(again)[0]);
        }

        using (var after = JournalReader.Open(folder, JournalStart.AtPosition(first.Position)))
        {
            Assert.Equal((1235L, 1235L), ReadAvailable(after)[0]);
        }

        Assert.Equal(JournalError.InvalidStart, Assert.Throws<JournalException>(() => JournalReader.Open(folder, JournalStart.AtPosition(record.Position + 8))).Error);
    }

    [Fact]
    public void Start_at_a_time_finds_the_first_record_stamped_then_or_later()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        DateTimeOffset start = clock.GetUtcNow();
        using (var writer = JournalWriter.Open(folder, Small(clock: clock, timestamps: true)))
        {
            Span<byte> payload = stackalloc byte[32];
            for (long v = 0; v < 3000; v++)
            {
                clock.Advance(TimeSpan.FromMilliseconds(1)); // record v is stamped start + (v + 1) ms
                int length = Fill(payload, v);
                Assert.True(writer.Write(payload[..length]).IsSuccess);
            }

            Assert.True(writer.Rolls > 5);
        }

        foreach (int v in new[] { 0, 1, 500, 1717, 2999 })
        {
            using var reader = JournalReader.Open(folder, JournalStart.AtTime(start + TimeSpan.FromMilliseconds(v + 1)));
            ReadResult first = reader.TryRead();
            Assert.True(first.IsRecord);
            Assert.Equal(v, reader.LastSequence);
            Assert.Equal(v, ValueOf(first.Span[8..]));
            Assert.Equal((ulong)(start + TimeSpan.FromMilliseconds(v + 1)).ToUnixTimeMilliseconds() * 1_000_000, JournalReader.TimestampOf(first.Span));
        }

        using (var before = JournalReader.Open(folder, JournalStart.AtTime(start - TimeSpan.FromDays(1))))
        {
            Assert.True(before.TryRead().IsRecord);
            Assert.Equal(0, before.LastSequence);
        }

        using var later = JournalReader.Open(folder, JournalStart.AtTime(start + TimeSpan.FromDays(1)));
        Assert.Equal(ReadStatus.Nothing, later.TryRead().Status);
        Assert.Equal(3000, later.NextSequence);
    }

    [Fact]
    public void A_reader_whose_segment_is_deleted_keeps_reading_its_mapping()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        WriteValues(writer, 0, 2000);
        using var reader = JournalReader.Open(folder);
        Assert.True(reader.TryRead().IsRecord);
        foreach (string file in Directory.EnumerateFiles(folder, "0000_0000.kekbit", SearchOption.AllDirectories))
        {
            File.Delete(file);
        }

        var rest = ReadAvailable(reader);
        Assert.Equal(1999, rest.Count);
        Assert.Equal(1999, rest[^1].Sequence);
    }

    [Fact]
    public void A_damaged_segment_in_the_middle_is_reported_with_its_file_and_offset_and_nothing_crashes()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using (var writer = JournalWriter.Open(folder, Small()))
        {
            WriteValues(writer, 0, 3000);
        }

        string damaged = StorageLayout.ChannelFile(folder, 2);
        long offset;
        using (var probe = JournalReader.Open(folder, JournalStart.AtSequence(0)))
        {
            while (probe.Segment < 2 || probe.NextSequence < 0)
            {
                Assert.True(probe.TryRead().IsRecord);
            }

            for (int i = 0; i < 10; i++)
            {
                Assert.True(probe.TryRead().IsRecord);
            }

            offset = probe.Position & 0xFFFF_FFFF;
        }

        using (var file = new FileStream(damaged, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 1024 + offset;
            file.Write(BitConverter.GetBytes(0x7777_7777_7777_7777UL));
        }

        using var reader = JournalReader.Open(folder);
        var read = ReadAvailable(reader);
        ReadResult failed = reader.TryRead();
        Assert.Equal(ReadStatus.Failed, failed.Status);
        Assert.Equal(ReadStatus.Failed, reader.ExhaustedBy);
        JournalFault fault = Assert.IsType<JournalFault>(reader.Fault);
        Assert.Equal(JournalError.SegmentDamaged, fault.Error);
        Assert.Equal(damaged, fault.SegmentPath);
        Assert.Equal(offset, fault.Offset);
        Assert.Equal(ReadFailure.UnknownMarker, fault.Failure);
        Assert.Equal(Enumerable.Range(0, read.Count).Select(i => ((long)i, (long)i)), read);
        Assert.Equal(ReadStatus.Failed, reader.TryRead().Status);

        // Seeking past the damage works: the segments after it are intact.
        using var after = JournalReader.Open(folder, JournalStart.AtSequence(2900));
        Assert.Equal(100, ReadAvailable(after).Count);
    }

    [Fact]
    public void TryRead_and_Write_allocate_nothing_per_record_across_rolls()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 4 << 20, PreTouch = false });
        using var reader = JournalReader.Open(folder);
        byte[] payload = new byte[32];
        long written = Allocations.OfSecondRun((writer, payload), static s =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                s.writer.Write(s.payload);
            }
        });
        long read = Allocations.OfSecondRun(reader, static r =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                r.TryRead();
            }
        });
        Assert.Equal(0, written);
        Assert.Equal(0, read);
        Assert.Equal(40_000, writer.NextSequence);
        Assert.Equal(39_999, reader.LastSequence);
    }
}
