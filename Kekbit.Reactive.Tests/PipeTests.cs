using System.Reactive.Linq;
using System.Threading.Channels;
using Kekbit.Core;

namespace Kekbit.Reactive.Tests;

public sealed class PipeTests
{
    private static readonly RecordEncoder<long> Int64 = static (value, output) => output.WriteUInt64LittleEndian((ulong)value);
    [Fact]
    public async Task WriteAllAsync_journals_a_channel_until_it_completes_then_closes_the_journal()
    {
        using var journal = new TestChannel();
        var source = Channel.CreateBounded<long>(100);
        Task<long> piping = source.Reader.WriteAllAsync(journal.Writer, Int64, Gentle.Cancellation);

        for (long i = 0; i < 5000; i++)
        {
            await source.Writer.WriteAsync(i, Gentle.Cancellation);
        }

        source.Writer.Complete();

        Assert.Equal(5000, await piping);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => (long)i), ObserverSinkTests.ReadAll(journal, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    [Fact]
    public async Task WriteAllAsync_flushes_each_drained_batch_when_asked()
    {
        using var journal = new TestChannel();
        var counting = new FlushCountingWriter(journal.Writer);
        var source = Channel.CreateUnbounded<long>();
        for (long i = 0; i < 25; i++)
        {
            source.Writer.TryWrite(i);
        }

        source.Writer.Complete();

        long written = await source.Reader.WriteAllAsync(counting, Int64, new SinkOptions<long> { BatchSize = 10, FlushEachBatch = true }, Gentle.Cancellation);

        Assert.Equal((25L, 3), (written, counting.Flushes));
    }

    [Fact]
    public async Task WriteAllAsync_stops_on_cancellation_and_leaves_the_journal_open()
    {
        using var journal = new TestChannel();
        var source = Channel.CreateUnbounded<long>();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Gentle.Cancellation);
        source.Writer.TryWrite(7);
        Task<long> piping = source.Reader.WriteAllAsync(journal.Writer, Int64, cancellation.Token);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => piping);
        Assert.Equal([7L], ObserverSinkTests.ReadAll(journal, out ReadStatus end));
        Assert.Equal(ReadStatus.Nothing, end);
    }

    [Theory]
    [InlineData(WriteFailurePolicy.Throw, ReadStatus.Nothing)]
    [InlineData(WriteFailurePolicy.Stop, ReadStatus.Closed)]
    public async Task WriteAllAsync_fails_on_a_full_journal_as_the_policy_says(WriteFailurePolicy policy, ReadStatus journalEnd)
    {
        using var journal = new TestChannel(capacity: 16384, maxRecordLength: 64);
        var source = Channel.CreateUnbounded<long>();
        for (long i = 0; i < 1100; i++)
        {
            source.Writer.TryWrite(i);
        }

        var refused = new List<WriteFailure<long>>();
        var error = await Assert.ThrowsAsync<ChannelWriteException>(() =>
            source.Reader.WriteAllAsync(journal.Writer, Int64, new SinkOptions<long> { FailurePolicy = policy, OnFailure = refused.Add }, Gentle.Cancellation));

        Assert.Equal(WriteStatus.ChannelFull, error.Status);
        Assert.Equal([new WriteFailure<long>(1024, WriteStatus.ChannelFull)], refused);
        Assert.Equal(1024, ObserverSinkTests.ReadAll(journal, out ReadStatus end).Count);
        Assert.Equal(journalEnd, end);
    }

    [Fact]
    public async Task WriteAllAsync_reports_and_skips_oversize_items_with_the_report_policy()
    {
        using var journal = new TestChannel(maxRecordLength: 64);
        var source = Channel.CreateUnbounded<byte[]>();
        source.Writer.TryWrite(new byte[8]);
        source.Writer.TryWrite(new byte[500]);
        source.Writer.TryWrite(new byte[8]);
        source.Writer.Complete();
        var refused = new List<WriteFailure<byte[]>>();

        long written = await source.Reader.WriteAllAsync(journal.Writer, RecordEncoders.ByteArray, new SinkOptions<byte[]> { FailurePolicy = WriteFailurePolicy.Report, OnFailure = refused.Add }, Gentle.Cancellation);

        Assert.Equal(2, written);
        Assert.Equal(WriteStatus.RecordTooLarge, Assert.Single(refused).Status);
    }

    [Fact]
    public async Task One_line_of_glue_pipes_a_channel_through_Rx_operators_into_another()
    {
        using var input = new TestChannel();
        using var output = new TestChannel();
        input.WritePattern(0, 1000);
        input.Writer.Dispose();
        ChannelObserver<Record> sink = output.Writer.AsObserver();

        using IDisposable pipe = input.OpenReader().ToObservable(Gentle.Polling).Where(record => TestChannel.IndexOf(record) % 3 == 0).Subscribe(sink);

        await sink.Completion.WaitAsync(RecordingObserver.Patience, Gentle.Cancellation);
        using ShmReader reader = output.OpenReader();
        var indices = new List<long>();
        foreach (ReadResult result in reader.ReadAvailable())
        {
            indices.Add(TestChannel.IndexOf(Record.From(result)));
        }

        Assert.Equal(Enumerable.Range(0, 334).Select(i => 3L * i), indices);
        Assert.Equal(ReadStatus.Closed, reader.ExhaustedBy);
    }
}
