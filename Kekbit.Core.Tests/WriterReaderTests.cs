using System.Text;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

public sealed class WriterReaderTests
{
    private static Metadata Small(ulong channelId = 42, int maxHint = 100) => Metadata.Create(1, channelId, 16384, maxHint, 10_000, TickUnit.Millis);

    [Fact]
    public void Records_round_trip_in_order_with_positions_and_sizes()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Small());
        using var reader = ShmReader.Open(root.Path, 42);
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);

        string[] words = ["There", "are", "10", "kinds", "of", "people", ""];
        long expectedPosition = 0;
        foreach (string word in words)
        {
            WriteResult result = writer.Write(Encoding.ASCII.GetBytes(word));
            Assert.Equal(new WriteResult(WriteStatus.Success, (int)RecordLayout.RecordSize(word.Length)), result);
        }

        foreach (string word in words)
        {
            ReadResult record = reader.TryRead();
            Assert.Equal(ReadStatus.Record, record.Status);
            Assert.Equal(expectedPosition, record.Position);
            Assert.Equal(word, Encoding.ASCII.GetString(record.Span));
            expectedPosition += RecordLayout.RecordSize(word.Length);
        }

        Assert.Equal(writer.WriteOffset, reader.Position);
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        Assert.Null(reader.ExhaustedBy);
    }

    [Fact]
    public void Close_is_seen_by_readers_and_stays()
    {
        using var root = new TempRoot();
        var writer = ShmWriter.Create(root.Path, Small());
        using var reader = ShmReader.Open(root.Path, 42);
        writer.Write("a"u8);
        writer.Dispose();
        writer.Dispose(); // Idempotent.
        Assert.True(writer.IsClosed);
        Assert.Equal(WriteStatus.Closed, writer.Write("b"u8).Status);

        Assert.True(reader.TryRead().IsRecord);
        for (int i = 0; i < 3; i++)
        {
            ReadResult end = reader.TryRead();
            Assert.Equal((ReadStatus.Closed, 16L), (end.Status, end.Position));
        }

        Assert.Equal(ReadStatus.Closed, reader.ExhaustedBy);
    }

    [Fact]
    public void Oversize_records_are_refused_and_change_nothing()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Small());
        byte[] before = File.ReadAllBytes(root.ChannelFile(42));
        Assert.Equal(WriteStatus.RecordTooLarge, writer.Write(new byte[113]).Status);
        Assert.Equal(0, writer.WriteOffset);
        Assert.Equal(before, File.ReadAllBytes(root.ChannelFile(42)));
        Assert.Equal(WriteStatus.Success, writer.Write(new byte[112]).Status);
    }

    [Fact]
    public void A_full_channel_refuses_every_later_record_but_keeps_what_it_has()
    {
        using var root = new TempRoot();
        var metadata = Small(maxHint: 112);
        using var writer = ShmWriter.Create(root.Path, metadata);
        byte[] payload = new byte[120];
        int written = 0;
        WriteResult result;
        while ((result = writer.Write(payload)).IsSuccess)
        {
            written++;
        }

        // 16384 / 128 = 128 records exactly: nothing is left, and even an empty record is refused.
        Assert.Equal((WriteStatus.ChannelFull, 128, 0, true), (result.Status, written, writer.Available, writer.IsFull));
        Assert.Equal(WriteStatus.ChannelFull, writer.Write([]).Status);
        writer.Dispose();

        using var reader = ShmReader.Open(root.Path, 42);
        int read = 0;
        foreach (ReadResult record in reader.ReadAvailable())
        {
            Assert.Equal(120, record.Payload.Length);
            read++;
        }

        Assert.Equal((128, ReadStatus.Closed, 16384L), (read, reader.ExhaustedBy, reader.Position));
    }

    [Fact]
    public void Records_that_do_not_fit_the_space_left_do_not_fit_they_are_not_too_large_nor_full()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Small(maxHint: 112));
        while (writer.Available > 100)
        {
            Assert.True(writer.Write(new byte[64]).IsSuccess);
        }

        int room = writer.Available - 8;
        Assert.Equal(WriteStatus.RecordDoesNotFit, writer.Write(new byte[room + 1]).Status);
        Assert.Equal(WriteStatus.RecordDoesNotFit, writer.Write(room + 1, static (length, record) => record.Write(new byte[length])).Status);
        Assert.Equal(WriteStatus.RecordTooLarge, writer.Write(new byte[writer.Metadata.MaxRecordLength + 1]).Status);
        Assert.Equal(WriteStatus.Success, writer.Write(new byte[room]).Status);
        Assert.Equal(WriteStatus.ChannelFull, writer.Write([]).Status);
    }

    [Fact]
    public void Creating_an_existing_channel_fails_and_leaves_it_untouched()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Small());
        writer.Write("keep"u8);
        var e = Assert.Throws<ChannelException>(() => ShmWriter.Create(root.Path, Small()));
        Assert.Equal(ChannelError.StorageAlreadyExists, e.Error);
        Assert.Contains(root.ChannelFile(42), e.Message, StringComparison.Ordinal);
        using var reader = ShmReader.Open(root.Path, 42);
        Assert.Equal("keep", Encoding.ASCII.GetString(reader.TryRead().Span));
        Assert.False(File.Exists(StorageLayout.LockFile(root.Path, 42)));
    }

    [Fact]
    public void Opening_a_missing_channel_or_a_file_root_gives_typed_errors()
    {
        using var root = new TempRoot();
        Assert.Equal(ChannelError.StorageNotFound, Assert.Throws<ChannelException>(() => ShmReader.Open(root.Path, 7)).Error);
        string file = Path.Combine(root.Path, "not-a-folder");
        File.WriteAllText(file, "x");
        Assert.Equal(ChannelError.InvalidRootFolder, Assert.Throws<ChannelException>(() => ShmWriter.Create(file, Small())).Error);
    }

    [Fact]
    public void Readers_refuse_a_channel_whose_creator_still_holds_the_lock_and_report_stale_locks()
    {
        using var root = new TempRoot();
        ShmWriter.Create(root.Path, Small()).Dispose();
        string lockFile = StorageLayout.LockFile(root.Path, 42);

        File.WriteAllText(lockFile, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ChannelError.StorageNotReady, Assert.Throws<ChannelException>(() => ShmReader.Open(root.Path, 42)).Error);

        using (var exited = ChildProcess.Start("true", []))
        {
            exited.WaitForExit(TimeSpan.FromSeconds(30));
            File.WriteAllText(lockFile, exited.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var stale = Assert.Throws<ChannelException>(() => ShmReader.Open(root.Path, 42));
        Assert.Equal(ChannelError.StaleLock, stale.Error);
        Assert.Contains("delete", stale.Message, StringComparison.Ordinal);

        File.Delete(lockFile);
        using var reader = ShmReader.Open(root.Path, 42);
        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
    }

    [Fact]
    public async Task OpenWhenReady_waits_for_a_channel_that_appears_later()
    {
        using var root = new TempRoot();
        Task<ShmReader> opening = Task.Run(() => ShmReader.OpenWhenReady(root.Path, 42, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.False(opening.IsCompleted);
        using var writer = ShmWriter.Create(root.Path, Small());
        writer.Write("hello"u8);
        using ShmReader reader = await opening;
        Assert.Equal("hello", Encoding.ASCII.GetString(reader.TryRead().Span));
    }

    [Fact]
    public void OpenWhenReady_gives_up_after_its_timeout_with_the_last_error()
    {
        using var root = new TempRoot();
        var e = Assert.Throws<ChannelException>(() => ShmReader.OpenWhenReady(root.Path, 42, TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken));
        Assert.Equal(ChannelError.StorageNotFound, e.Error);
    }

    [Fact]
    public void A_reader_resumes_from_a_saved_record_boundary_and_refuses_other_positions()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Small());
        writer.Write("one"u8);
        writer.Write("two-two-two"u8);
        writer.Write("three"u8);
        using var reader = ShmReader.Open(root.Path, 42);
        reader.TryRead();
        long saved = reader.Position;

        using var resumed = ShmReader.Open(root.Path, 42);
        resumed.SeekTo(saved);
        Assert.Equal("two-two-two", Encoding.ASCII.GetString(resumed.TryRead().Span));
        resumed.SeekTo(writer.WriteOffset);
        Assert.Equal(ReadStatus.Nothing, resumed.TryRead().Status);
        resumed.SeekTo(0);
        Assert.Equal("one", Encoding.ASCII.GetString(resumed.TryRead().Span));

        foreach (long bad in new long[] { -8, 4, 24, writer.WriteOffset + 8, 1 << 20 })
        {
            var e = Assert.Throws<ChannelException>(() => resumed.SeekTo(bad));
            Assert.Equal(ChannelError.InvalidPosition, e.Error);
        }

        Assert.Equal(16, resumed.Position);
    }

    [Fact]
    public void Payloads_are_invalid_after_the_reader_is_disposed()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Small());
        writer.Write("x"u8);
        var reader = ShmReader.Open(root.Path, 42);
        ReadResult record = reader.TryRead();
        byte[] copy = record.ToArray();
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => record.Payload.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
        Assert.Equal("x"u8.ToArray(), copy);
    }

    [Fact]
    public void Pre_touched_channels_hold_the_same_bytes_and_work_the_same()
    {
        using var root = new TempRoot();
        using (var plain = ShmWriter.Create(root.Path, Small(1)))
        using (var touched = ShmWriter.Create(root.Path, Small(2), options: new ShmWriterOptions { PreTouch = true }))
        {
            plain.Write("same"u8);
            touched.Write("same"u8);
        }

        byte[] a = File.ReadAllBytes(root.ChannelFile(1));
        byte[] b = File.ReadAllBytes(root.ChannelFile(2));
        Assert.Equal(a.Length, b.Length);
        // The headers differ only in the channel id (bytes 24..32) and the creation time (48..56).
        Assert.Equal(a[..24], b[..24]);
        Assert.Equal(a[32..48], b[32..48]);
        Assert.Equal(a[56..1024], b[56..1024]);
        Assert.Equal(a[1024..], b[1024..]);
    }

    [Fact]
    public void Flushed_records_are_in_the_file()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Small());
        writer.Write("durable"u8);
        writer.Flush();
        byte[] file = File.ReadAllBytes(root.ChannelFile(42));
        Assert.Equal(7UL, BitConverter.ToUInt64(file, 1024));
        Assert.Equal("durable", Encoding.ASCII.GetString(file, 1032, 7));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Channel_files_and_folders_are_owner_only_by_default()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Small());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(root.ChannelFile(42)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(root.ChannelFile(42))!));
        Assert.Throws<ArgumentException>(() => ShmWriter.Create(root.Path, Small(43), options: new ShmWriterOptions { FileMode = UnixFileMode.OtherWrite | UnixFileMode.UserWrite }));
    }
}
