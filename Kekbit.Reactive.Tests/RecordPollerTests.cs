using Kekbit.Core;
using Kekbit.Reactive.Idle;

namespace Kekbit.Reactive.Tests;

public sealed class RecordPollerTests
{
    private static readonly RecordHandler<List<long>> Collect = static (list, record) => list.Add(TestChannel.IndexOf(record));

    [Fact]
    public void Each_poll_drains_at_most_a_batch_in_order()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 25);
        using ShmReader reader = channel.OpenReader();
        var poller = new RecordPoller(reader, new NoOpIdleStrategy(), batchSize: 10);
        var seen = new List<long>();

        int[] batches = [poller.Poll(Collect, seen), poller.Poll(Collect, seen), poller.Poll(Collect, seen), poller.Poll(Collect, seen)];

        Assert.Equal([10, 10, 5, 0], batches);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), seen);
        Assert.False(poller.IsExhausted);
    }

    [Fact]
    public void Idles_only_when_a_poll_finds_nothing_and_resets_when_data_comes()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        var backoff = new BackoffIdleStrategy(maxSpins: 3);
        var poller = new RecordPoller(reader, backoff);
        var seen = new List<long>();

        poller.Poll(Collect, seen);
        poller.Poll(Collect, seen);
        Assert.Equal(BackoffPhase.Spinning, backoff.Phase);
        poller.Poll(Collect, seen);
        Assert.Equal(BackoffPhase.Yielding, backoff.Phase);

        channel.WritePattern(0, 1);
        Assert.Equal(1, poller.Poll(Collect, seen));
        Assert.Equal(BackoffPhase.Spinning, backoff.Phase);
    }

    [Fact]
    public void Reports_exhaustion_once_the_channel_is_closed_and_stops_idling()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 3);
        channel.Writer.Dispose();
        using ShmReader reader = channel.OpenReader();
        var backoff = new BackoffIdleStrategy();
        var poller = new RecordPoller(reader, backoff);
        var seen = new List<long>();

        Assert.Equal(3, poller.Poll(Collect, seen));
        Assert.Equal(0, poller.Poll(Collect, seen));

        Assert.True(poller.IsExhausted);
        Assert.Equal(ReadStatus.Closed, reader.ExhaustedBy);
        Assert.Equal(BackoffPhase.Spinning, backoff.Phase);
    }

    [Fact]
    public void Polling_allocates_nothing_per_record()
    {
        using var channel = new TestChannel(capacity: 4 << 20);
        channel.WritePattern(0, 50_000);
        using ShmReader reader = channel.OpenReader();
        var poller = new RecordPoller(reader, new NoOpIdleStrategy(), batchSize: 100);
        long sum = 0;
        RecordHandler<StrongBox<long>> handler = static (box, record) => box.Value += record.Length;
        var box = new StrongBox<long>();
        poller.Poll(handler, box);

        long before = GC.GetAllocatedBytesForCurrentThread();
        while (poller.Poll(handler, box) > 0)
        {
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        sum = box.Value;
        Assert.Equal(50_000L * TestChannel.RecordSize, sum);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Rejects_invalid_arguments()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        Assert.Throws<ArgumentNullException>(() => new RecordPoller(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecordPoller(reader, batchSize: 0));
    }

    private sealed class StrongBox<T>
    {
        public T? Value;
    }
}
