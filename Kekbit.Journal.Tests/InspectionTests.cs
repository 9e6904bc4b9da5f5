using Kekbit.Core;
using Kekbit.TestSupport;
using static Kekbit.Journal.Tests.JournalTestSupport;

namespace Kekbit.Journal.Tests;

public sealed class InspectionTests
{
    [Fact]
    public void A_live_journal_shows_its_segments_dense_sequences_writer_and_cursor_lag_without_disturbing_them()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        WriteValues(writer, 0, 1000);
        using (var cursor = JournalReader.OpenCursor(folder, "billing"))
        {
            for (int i = 0; i < 400; i++)
            {
                Assert.True(cursor.TryRead().IsRecord);
            }

            cursor.Commit();
        }

        JournalInspection report = JournalInspection.Inspect(folder, ChannelWriters.Scan(), TestContext.Current.CancellationToken);

        Assert.True(report.IsHealthy, report.Fault?.ToString());
        Assert.Equal(JournalState.Live, report.State);
        Assert.True(report.HasWriter);
        Assert.Equal(writer.JournalId, report.JournalId);
        Assert.Equal(0, report.FirstSequence);
        Assert.Equal(999, report.LastSequence);
        Assert.Equal(1000, report.RecordCount);
        Assert.True(report.Segments.Count(s => s.FirstSequence is not null) > 1, "the writes should have rolled");
        long expected = 0;
        foreach (JournalSegmentInspection segment in report.Segments.Where(s => s.FirstSequence is not null))
        {
            Assert.Equal(expected, segment.FirstSequence);
            expected += segment.RecordCount;
        }

        JournalCursorInspection billing = Assert.Single(report.Cursors);
        Assert.Equal("billing", billing.Name);
        Assert.Equal(400, billing.NextSequence);
        Assert.Equal(600, billing.Lag);

        // Inspection took nothing: the writer writes on, and the cursor opens (its lock is free) where it was committed.
        WriteValues(writer, 1000, 1);
        using var again = JournalReader.OpenCursor(folder, "billing");
        Assert.Equal(400, again.NextSequence);
    }

    [Fact]
    public void A_closed_journal_is_closed_and_a_damaged_segment_is_named_with_its_offset()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using (var writer = JournalWriter.Open(folder, Small()))
        {
            WriteValues(writer, 0, 3000);
        }

        JournalInspection closed = JournalInspection.Inspect(folder, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(JournalState.Closed, closed.State);
        Assert.Equal(2999, closed.LastSequence);
        Assert.Null(closed.WriterProcessId);

        string damaged = StorageLayout.ChannelFile(folder, 2);
        JournalSegmentInspection segment = closed.Segments.Single(s => s.Number == 2);
        long offset = segment.Channel.LastRecordPosition;
        using (var file = new FileStream(damaged, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 1024 + offset;
            file.Write(BitConverter.GetBytes(0x7777_7777_7777_7777UL));
        }

        JournalInspection report = JournalInspection.Inspect(folder, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(JournalState.Damaged, report.State);
        JournalFault fault = Assert.IsType<JournalFault>(report.Fault);
        Assert.Equal(JournalError.SegmentDamaged, fault.Error);
        Assert.Equal(damaged, fault.SegmentPath);
        Assert.Equal(offset, fault.Offset);
        Assert.Equal(ReadFailure.UnknownMarker, fault.Failure);
    }

    [Fact]
    public void A_folder_of_plain_channels_or_a_missing_folder_is_not_a_journal()
    {
        using var root = new TempRoot();
        using (var channel = ShmWriter.Create(root.Path, Metadata.Create(1, 1, 4096, 100, 1000, TickUnit.Millis)))
        {
            channel.Write([1, 2, 3]);
        }

        Assert.False(JournalInspection.IsJournal(root.Path));
        Assert.False(JournalInspection.IsJournal(Path.Combine(root.Path, "missing")));
        Assert.Equal(JournalError.CouldNotAccessStorage, Assert.Throws<JournalException>(() => JournalInspection.Inspect(root.Path, cancellationToken: TestContext.Current.CancellationToken)).Error);
        Assert.Equal(JournalError.CouldNotAccessStorage, Assert.Throws<JournalException>(() => JournalInspection.Inspect(Path.Combine(root.Path, "missing"), cancellationToken: TestContext.Current.CancellationToken)).Error);
    }
}
