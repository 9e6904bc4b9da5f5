using System.Buffers.Binary;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Kekbit.Core;

namespace Kekbit.Reactive.Tests;

public sealed class ObserverSinkTests
{
    private static readonly RecordEncoder<long> Int64 = static (value, output) => output.WriteUInt64LittleEndian((ulong)value);

    [Fact]
    public void OnNext_writes_records_in_order_and_OnCompleted_closes_the_channel()
    {
        using var channel = new TestChannel();
        ChannelObserver<long> sink = channel.Writer.AsObserver(Int64);

        Observable.Range(0, 100).Select(i => (long)i).Subscribe(sink);

        Assert.True(sink.IsTerminated);
        Assert.Null(sink.Error);
        Assert.True(sink.Completion.IsCompletedSuccessfully);
        Assert.Equal(100, sink.Written);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), ReadAll(channel, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    [Fact]
    public async Task OnError_closes_the_channel_and_keeps_the_error()
    {
        using var channel = new TestChannel();
        ChannelObserver<long> sink = channel.Writer.AsObserver(Int64);
        var failure = new InvalidOperationException("upstream failed");

        Observable.Range(0, 3).Select(i => (long)i).Concat(Observable.Throw<long>(failure)).Subscribe(sink);

        Assert.Same(failure, sink.Error);
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => sink.Completion));
        Assert.Equal([0L, 1L, 2L], ReadAll(channel, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    [Fact]
    public void Calls_after_a_terminal_call_are_ignored()
    {
        using var channel = new TestChannel();
        ChannelObserver<long> sink = channel.Writer.AsObserver(Int64);
        sink.OnNext(1);
        sink.OnCompleted();

        sink.OnNext(2);
        sink.OnError(new InvalidOperationException());
        sink.OnCompleted();

        Assert.Null(sink.Error);
        Assert.Equal(1, sink.Written);
        Assert.Equal([1L], ReadAll(channel, out _));
    }

    [Fact]
    public void Throw_policy_throws_for_an_oversize_record_and_keeps_the_channel_open()
    {
        using var channel = new TestChannel(maxRecordLength: 64);
        ChannelObserver<byte[]> sink = channel.Writer.AsObserver(RecordEncoders.ByteArray);

        var error = Assert.Throws<ChannelWriteException>(() => sink.OnNext(new byte[1000]));
        sink.OnNext(new byte[8]);

        Assert.Equal((WriteStatus.RecordTooLarge, TestChannel.Id), (error.Status, error.ChannelId));
        Assert.False(sink.IsTerminated);
        Assert.Equal(1, sink.Written);
    }

    [Fact]
    public void Report_policy_hands_refused_records_to_the_callback_and_the_failures_stream()
    {
        using var channel = new TestChannel(maxRecordLength: 64);
        var called = new List<WriteFailure<byte[]>>();
        var streamed = new List<WriteFailure<byte[]>>();
        ChannelObserver<byte[]> sink = channel.Writer.AsObserver(RecordEncoders.ByteArray, new SinkOptions<byte[]> { FailurePolicy = WriteFailurePolicy.Report, OnFailure = called.Add });
        using IDisposable failures = sink.Failures.Subscribe(streamed.Add);
        byte[] oversize = new byte[500];

        sink.OnNext(new byte[8]);
        sink.OnNext(oversize);
        sink.OnNext(new byte[16]);

        Assert.Equal(2, sink.Written);
        Assert.Equal([new WriteFailure<byte[]>(oversize, WriteStatus.RecordTooLarge)], called);
        Assert.Equal(called, streamed);
        Assert.False(sink.IsTerminated);
    }

    [Fact]
    public void Report_policy_with_nobody_to_report_to_throws_rather_than_drop_silently()
    {
        using var channel = new TestChannel(maxRecordLength: 64);
        ChannelObserver<byte[]> sink = channel.Writer.AsObserver(RecordEncoders.ByteArray, new SinkOptions<byte[]> { FailurePolicy = WriteFailurePolicy.Report });

        Assert.Throws<ChannelWriteException>(() => sink.OnNext(new byte[500]));
    }

    [Fact]
    public async Task Stop_policy_closes_a_full_channel_and_ignores_later_values()
    {
        using var channel = new TestChannel(capacity: 16384, maxRecordLength: 64);
        ChannelObserver<long> sink = channel.Writer.AsObserver(Int64, new SinkOptions<long> { FailurePolicy = WriteFailurePolicy.Stop });
        var failures = new List<WriteFailure<long>>();
        bool failuresCompleted = false;
        using IDisposable subscription = sink.Failures.Subscribe(failures.Add, () => failuresCompleted = true);

        // 16 bytes a record: 1024 fit, the next one is refused.
        for (long i = 0; i < 1100; i++)
        {
            sink.OnNext(i);
        }

        Assert.True(sink.IsTerminated);
        Assert.Equal(WriteStatus.ChannelFull, Assert.IsType<ChannelWriteException>(sink.Error).Status);
        await Assert.ThrowsAsync<ChannelWriteException>(() => sink.Completion);
        Assert.Equal([new WriteFailure<long>(sink.Written, WriteStatus.ChannelFull)], failures);
        Assert.True(failuresCompleted);
        Assert.Equal(Enumerable.Range(0, (int)sink.Written).Select(i => (long)i), ReadAll(channel, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    [Fact]
    public async Task Synchronize_lets_concurrent_upstreams_share_one_sink()
    {
        using var channel = new TestChannel();
        ChannelObserver<long> sink = channel.Writer.AsObserver(Int64);
        IObservable<long> Producer(long first) => Observable.Range(0, 2000).Select(i => first + i).SubscribeOn(TaskPoolScheduler.Default);

        Producer(0).Merge(Producer(1_000_000)).Synchronize().Subscribe(sink);
        await sink.Completion.WaitAsync(RecordingObserver.Patience, TestContext.Current.CancellationToken);

        List<long> written = ReadAll(channel, out _);
        Assert.Equal(4000, written.Count);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), written.Where(v => v < 1_000_000));
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => 1_000_000L + i), written.Where(v => v >= 1_000_000));
    }

    [Fact]
    public void OnNext_allocates_nothing_per_record()
    {
        using var channel = new TestChannel(capacity: 4 << 20);
        ChannelObserver<long> sink = channel.Writer.AsObserver(Int64);
        sink.OnNext(0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long i = 1; i < 100_000; i++)
        {
            sink.OnNext(i);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(100_000, sink.Written);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Disposing_the_sink_closes_the_channel()
    {
        using var channel = new TestChannel();
        using (ChannelObserver<Record> sink = channel.Writer.AsObserver())
        {
            sink.OnNext(new Record(0, new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 }));
        }

        Assert.Equal([1L], ReadAll(channel, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    /// <summary>The 8-byte values of the channel's records, and how reading ended.</summary>
    internal static List<long> ReadAll(TestChannel channel, out ReadStatus end)
    {
        using ShmReader reader = channel.OpenReader();
        var values = new List<long>();
        foreach (ReadResult result in reader.ReadAvailable())
        {
            values.Add((long)BinaryPrimitives.ReadUInt64LittleEndian(result.Span));
        }

        end = reader.ExhaustedBy ?? ReadStatus.Nothing;
        return values;
    }
}
