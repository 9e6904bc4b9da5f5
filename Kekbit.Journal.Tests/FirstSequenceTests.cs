using Kekbit.Core;
using Kekbit.TestSupport;
using static Kekbit.Journal.Tests.JournalTestSupport;

namespace Kekbit.Journal.Tests;

public sealed class FirstSequenceTests
{
    [Fact]
    public void A_new_journal_starts_at_the_first_sequence_across_rolls_and_readers_seek_and_cursor_from_there()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using (var writer = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 16384, PreTouch = false, FirstSequence = 1_000 }))
        {
            Assert.Equal(1_000, writer.NextSequence);
            WriteValues(writer, 1_000, 3_000);
            Assert.Equal(4_000, writer.NextSequence);
            Assert.True(writer.Rolls >= 2, $"only {writer.Rolls} rolls");
        }

        using (var reader = JournalReader.Open(folder))
        {
            Assert.Equal(Enumerable.Range(1_000, 3_000).Select(i => ((long)i, (long)i)), ReadAvailable(reader));
        }

        using (var reader = JournalReader.Open(folder, JournalStart.AtSequence(2_500)))
        {
            Assert.True(reader.TryRead().IsRecord);
            Assert.Equal(2_500, reader.LastSequence);
        }

        using (var cursor = JournalReader.OpenCursor(folder, "c", JournalStart.Beginning))
        {
            Assert.True(cursor.TryRead().IsRecord);
            Assert.Equal(1_000, cursor.LastSequence);
        }

        JournalInspection inspection = JournalInspection.Inspect(folder, cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(inspection.IsHealthy, inspection.Fault?.ToString());
        Assert.Equal(1_000, inspection.FirstSequence);
        Assert.Equal(3_999, inspection.LastSequence);
        Assert.Equal(3_000, inspection.RecordCount);
    }

    [Fact]
    public void An_existing_journal_keeps_its_numbering_and_the_option_is_ignored()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using (var writer = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 16384, PreTouch = false, FirstSequence = 50 }))
        {
            WriteValues(writer, 50, 10);
        }

        using (var writer = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 16384, PreTouch = false, FirstSequence = 7 }))
        {
            Assert.Equal(60, writer.NextSequence);
            WriteValues(writer, 60, 5);
        }

        using (var writer = JournalWriter.Open(folder, Small()))
        {
            Assert.Equal(65, writer.NextSequence);
        }

        using var reader = JournalReader.Open(folder);
        Assert.Equal(Enumerable.Range(50, 15).Select(i => ((long)i, (long)i)), ReadAvailable(reader));
    }

    [Fact]
    public void A_negative_or_too_large_first_sequence_is_refused_before_anything_is_created()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 16384, PreTouch = false, FirstSequence = -1 }));
        Assert.Equal(nameof(JournalWriterOptions.FirstSequence), negative.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 16384, PreTouch = false, FirstSequence = JournalWriterOptions.MaxFirstSequence + 1 }));
        Assert.False(Directory.Exists(folder));
    }
}
