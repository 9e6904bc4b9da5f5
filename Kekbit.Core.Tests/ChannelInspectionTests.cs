using System.Buffers.Binary;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary><see cref="ChannelInspection"/> on channels in every state, and <see cref="ChannelWriters"/> finding writers.</summary>
public sealed class ChannelInspectionTests : IDisposable
{
    private readonly TempRoot _root = new();
    private readonly List<ShmWriter> _writers = [];

    public void Dispose()
    {
        foreach (ShmWriter writer in _writers)
        {
            writer.Dispose();
        }

        _root.Dispose();
    }

    [Fact]
    public void A_closed_channel_reports_its_records_sizes_and_end()
    {
        string file = Create(1, close: true, "a", "bcdefghij");

        ChannelInspection inspection = Inspect(file);

        Assert.Equal(ChannelState.Closed, inspection.State);
        Assert.Null(inspection.Reason);
        Assert.Null(inspection.OpenError);
        Assert.Equal(2, inspection.RecordCount);
        Assert.Equal(RecordLayout.RecordSize(1) + RecordLayout.RecordSize(9), inspection.BytesUsed);
        Assert.Equal(16384 - 40, inspection.Available);
        Assert.Equal(16, inspection.LastRecordPosition);
        Assert.Equal(ReadStatus.Closed, inspection.End);
        Assert.True(inspection.IsClosed);
        Assert.True(inspection.IsHealthy);
        Assert.False(inspection.IsFileTruncated);
        Assert.Equal(inspection.Metadata!.FileLength, inspection.FileLength);
        Assert.Equal(1UL, inspection.PathChannelId);
        Assert.Equal(1UL, inspection.Metadata.ChannelId);
    }

    [Fact]
    public void A_channel_whose_writer_maps_it_is_live_and_names_the_writer_process()
    {
        string file = Create(2, close: false, "x");

        ChannelInspection inspection = Inspect(_root.Path, 2);

        Assert.Equal(ChannelState.Live, inspection.State);
        Assert.Equal(ReadStatus.Nothing, inspection.End);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(Environment.ProcessId, inspection.WriterProcessId);
            Assert.Equal(Environment.ProcessId, ChannelWriters.Scan().WriterOf(file));
        }
    }

    [Fact]
    public void A_writer_is_found_through_a_linked_root()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "writers are seen through /proc on Linux only");
        Create(3, close: false, "x");
        string link = _root.Path + "-link";
        File.CreateSymbolicLink(link, _root.Path);
        try
        {
            ChannelInspection inspection = Inspect(link, 3);

            Assert.Equal(ChannelState.Live, inspection.State);
            Assert.Equal(Environment.ProcessId, inspection.WriterProcessId);
            Assert.StartsWith(link, inspection.Path, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(link);
        }
    }

    [Fact]
    public void An_unclosed_channel_without_a_writer_is_abandoned_with_the_reason()
    {
        string file = Create(4, close: false, "x");
        _writers[^1].Flush();
        string copy = StorageLayout.ChannelFile(_root.Path, 5);
        File.Copy(file, copy);
        BinaryPrimitives.WriteUInt64LittleEndian(Span(copy, 24, out byte[] bytes), 5); // The copy's own channel id.
        File.WriteAllBytes(copy, bytes);
        File.SetLastWriteTimeUtc(copy, DateTime.UtcNow.AddHours(-1)); // Silent for longer than the timeout, too.

        ChannelInspection scanned = Inspect(copy);
        ChannelInspection unseen = Inspect(copy, ChannelWriters.None);

        Assert.Equal(ChannelState.Abandoned, scanned.State);
        Assert.False(string.IsNullOrEmpty(scanned.Reason));
        Assert.Null(scanned.WriterProcessId);
        Assert.Equal(ChannelState.Abandoned, unseen.State);
        Assert.Contains("longer than its timeout", unseen.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_view_of_writers_a_recently_changed_channel_is_live()
    {
        string file = Create(6, close: false, "x");

        ChannelInspection inspection = Inspect(file, ChannelWriters.None);

        Assert.False(ChannelWriters.None.IsSupported);
        Assert.Equal(ChannelState.Live, inspection.State);
        Assert.Null(inspection.WriterProcessId);
    }

    [Fact]
    public void A_full_channel_is_full_closed_or_not()
    {
        var writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 7, 16384, 100, 60_000, TickUnit.Millis));
        _writers.Add(writer);
        while (!writer.IsFull)
        {
            writer.Write(new byte[Math.Min(100, writer.Available - RecordLayout.HeaderLength)]);
        }

        ChannelInspection open = Inspect(writer.Path);
        writer.Dispose();
        ChannelInspection closed = Inspect(writer.Path);

        Assert.Equal(ChannelState.Full, open.State);
        Assert.False(open.IsClosed);
        Assert.Equal(ChannelState.Full, closed.State);
        Assert.True(closed.IsClosed);
        Assert.True(closed.Available <= RecordLayout.HeaderLength);
    }

    [Fact]
    public void Damaged_data_is_corrupted_with_the_position_and_the_failure_in_the_reason()
    {
        string file = Create(8, close: true, "aaaa", "bbbb", "cccc");
        BinaryPrimitives.WriteUInt64LittleEndian(Span(file, 1024 + 16, out byte[] bytes), 0xDEAD_BEEF);
        File.WriteAllBytes(file, bytes);

        ChannelInspection inspection = Inspect(file);

        Assert.Equal(ChannelState.Corrupted, inspection.State);
        Assert.Equal(ReadFailure.UnknownMarker, inspection.Failure);
        Assert.Equal(1, inspection.RecordCount);
        Assert.Equal(16, inspection.BytesUsed);
        Assert.Equal("damaged at position 16 (file offset 1040): " + ChannelInspection.Describe(ReadFailure.UnknownMarker) + " (UnknownMarker)", inspection.Reason);
        Assert.False(inspection.IsHealthy);
    }

    [Fact]
    public void A_file_that_cannot_be_opened_gives_an_inspection_that_says_why()
    {
        string garbage = Path.Combine(_root.Path, "garbage.kekbit");
        File.WriteAllBytes(garbage, Enumerable.Repeat((byte)'x', 2048).ToArray());

        ChannelInspection corrupted = Inspect(garbage);
        ChannelInspection missing = Inspect(_root.Path, 99);

        Assert.Equal((ChannelState.Corrupted, ChannelError.InvalidSignature), (corrupted.State, corrupted.OpenError));
        Assert.Null(corrupted.Metadata);
        Assert.Equal(2048, corrupted.FileLength);
        Assert.EndsWith("(InvalidSignature)", corrupted.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(garbage, corrupted.Reason, StringComparison.Ordinal);
        Assert.Equal((ChannelState.Unreadable, ChannelError.StorageNotFound), (missing.State, missing.OpenError));
        Assert.False(missing.IsHealthy);
    }

    [Fact]
    public void A_channel_moved_to_another_ids_path_is_misplaced()
    {
        string file = Create(9, close: true, "x");
        string moved = StorageLayout.ChannelFile(_root.Path, 10);
        File.Copy(file, moved);

        ChannelInspection inspection = Inspect(moved);

        Assert.True(inspection.IsMisplaced);
        Assert.False(inspection.IsHealthy);
        Assert.Equal(10UL, inspection.PathChannelId);
    }

    [Fact]
    public void A_long_walk_reports_progress_and_stops_when_cancelled()
    {
        var writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 11, 2 << 20, 8, 60_000, TickUnit.Millis));
        _writers.Add(writer);
        while (writer.Write([]).IsSuccess)
        {
        }

        var reported = new List<long>();
        ChannelInspection inspection = ChannelInspection.Inspect(writer.Path, ChannelWriters.None, new InlineProgress(reported.Add), TestContext.Current.CancellationToken);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.True(reported.Count > 1);
        Assert.Equal(inspection.BytesUsed, reported[^1]);
        Assert.Throws<OperationCanceledException>(() => ChannelInspection.Inspect(writer.Path, ChannelWriters.None, cancellationToken: cancelled.Token));
    }

    private static ChannelInspection Inspect(string file, ChannelWriters? writers = null) =>
        ChannelInspection.Inspect(file, writers, cancellationToken: TestContext.Current.CancellationToken);

    private static ChannelInspection Inspect(string root, ulong channelId) =>
        ChannelInspection.Inspect(root, channelId, cancellationToken: TestContext.Current.CancellationToken);

    private static Span<byte> Span(string file, int offset, out byte[] bytes)
    {
        bytes = File.ReadAllBytes(file);
        return bytes.AsSpan(offset);
    }

    private string Create(ulong channelId, bool close, params string[] records)
    {
        var writer = ShmWriter.Create(_root.Path, Metadata.Create(1, channelId, 16384, 100, 60_000, TickUnit.Millis));
        foreach (string record in records)
        {
            Assert.True(writer.Write(System.Text.Encoding.UTF8.GetBytes(record)).IsSuccess);
        }

        if (close)
        {
            writer.Dispose();
        }
        else
        {
            _writers.Add(writer);
        }

        return writer.Path;
    }

    private sealed class InlineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
