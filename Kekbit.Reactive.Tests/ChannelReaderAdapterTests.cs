using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Core.Waiting;
using Kekbit.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Kekbit.Reactive.Tests;

/// <summary>
/// What <see cref="ReaderAsyncExtensions.AsChannelReader"/> does beyond the shared contract
/// (<see cref="AsChannelReaderContractTests"/>): ends of a kekbit channel, the watch that completes it on its own,
/// several consumers, and the channel's own clock.
/// </summary>
public sealed class ChannelReaderAdapterTests
{
    /// <summary>Parks at once, 1 ms each time: every watch round after the first is one timer of the clock.</summary>
    private static PollingOptions ParkAtOnce(TimeProvider clock) => new()
    {
        IdleStrategy = () => new BackoffIdleStrategy(maxSpins: 0, maxYields: 0, minParkPeriod: TimeSpan.FromMilliseconds(1), maxParkPeriod: TimeSpan.FromMilliseconds(1)),
        TimeProvider = clock,
    };

    [Fact]
    public async Task Reads_peeks_and_completes_like_a_channel()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 2);
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(Gentle.Polling);

        Assert.True(records.CanPeek);
        Assert.True(records.TryPeek(out Record peeked));
        Assert.True(records.TryRead(out Record first));
        Assert.Equal((0L, 0L), (TestChannel.IndexOf(peeked), TestChannel.IndexOf(first)));
        Assert.True(await records.WaitToReadAsync(Gentle.Cancellation));
        Assert.Equal(1, TestChannel.IndexOf(await records.ReadAsync(Gentle.Cancellation)));
        Assert.False(records.TryRead(out _));
        Assert.False(records.Completion.IsCompleted);

        channel.Writer.Dispose();

        Assert.False(await records.WaitToReadAsync(Gentle.Cancellation));
        await records.Completion;
    }

    [Fact]
    public async Task ReadAllAsync_of_the_adapter_drains_until_close()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 500);
        channel.Writer.Dispose();
        using ShmReader reader = channel.OpenReader();
        long expected = 0;

        await foreach (Record record in reader.AsChannelReader(Gentle.Polling).ReadAllAsync(Gentle.Cancellation))
        {
            Assert.Equal(expected++, TestChannel.IndexOf(record));
        }

        Assert.Equal(500, expected);
    }

    [Fact]
    public async Task Concurrent_consumers_share_the_records_each_going_to_exactly_one()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(Gentle.Polling);
        async Task<List<long>> Consume()
        {
            var indices = new List<long>();
            await foreach (Record record in records.ReadAllAsync(Gentle.Cancellation))
            {
                indices.Add(TestChannel.IndexOf(record));
            }

            return indices;
        }

        Task<List<long>>[] consumers = [Task.Run(Consume, Gentle.Cancellation), Task.Run(Consume, Gentle.Cancellation)];
        channel.WritePattern(0, 2000);
        channel.Writer.Dispose();
        List<long>[] shares = await Task.WhenAll(consumers);

        Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), shares.SelectMany(share => share).Order());
        Assert.All(shares, share => Assert.Equal(share.Order(), share));
    }

    [Fact]
    public async Task Separate_readers_of_one_channel_each_see_every_record()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 100);
        channel.Writer.Dispose();
        using ShmReader first = channel.OpenReader();
        using ShmReader second = channel.OpenReader();

        long[] a = await Indices(first.AsChannelReader(Gentle.Polling));
        long[] b = await Indices(second.AsChannelReader(Gentle.Polling));

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), a);
        Assert.Equal(a, b);

        static async Task<long[]> Indices(ChannelReader<Record> records)
        {
            var indices = new List<long>();
            await foreach (Record record in records.ReadAllAsync(Gentle.Cancellation))
            {
                indices.Add(TestChannel.IndexOf(record));
            }

            return [.. indices];
        }
    }

    [Fact]
    public async Task A_damaged_channel_faults_the_completion_on_its_own_right_after_the_last_good_record()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 1);
        channel.CloseAndCorrupt();
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(Gentle.Polling);

        Assert.True(records.TryRead(out _));

        Assert.True(records.Completion.IsFaulted);
        await Assert.ThrowsAsync<ChannelCorruptedException>(() => records.Completion);
        await Assert.ThrowsAsync<ChannelCorruptedException>(async () => await records.WaitToReadAsync(Gentle.Cancellation));
        var closed = await Assert.ThrowsAsync<ChannelClosedException>(async () => await records.ReadAsync(Gentle.Cancellation));
        Assert.IsType<ChannelCorruptedException>(closed.InnerException);
        Assert.False(records.TryRead(out _));
    }

    [Fact]
    public async Task A_damaged_channel_fails_pending_waits_and_reads()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(Gentle.Polling);
        ValueTask<bool> waiting = records.WaitToReadAsync(Gentle.Cancellation);
        ValueTask<Record> reading = records.ReadAsync(Gentle.Cancellation);

        channel.Corrupt();

        await Assert.ThrowsAsync<ChannelCorruptedException>(async () => await waiting);
        var closed = await Assert.ThrowsAsync<ChannelClosedException>(async () => await reading);
        Assert.IsType<ChannelCorruptedException>(closed.InnerException);
        await Assert.ThrowsAsync<ChannelCorruptedException>(() => records.Completion);
    }

    [Fact]
    public async Task An_abandoned_writer_faults_the_completion_with_ChannelTimeoutException_with_nobody_reading()
    {
        using var channel = new TestChannel(timeoutMillis: 1_000);
        var clock = new FakeTimeProvider();
        using var reader = new TimeoutReader(channel.OpenReader(), clock);
        ChannelReader<Record> records = reader.AsChannelReader(ParkAtOnce(clock));
        Task completion = records.Completion;
        Assert.False(completion.IsCompleted);

        // The watch polls on the fake clock's timer: moving the clock past the timeout fires it, and the reader
        // reports the timeout. The watch's first round runs on the thread pool and may poll before a move and arm
        // its timer after it, so the clock moves again (firing any timer armed meanwhile) until the fault comes.
        long deadline = Environment.TickCount64 + 30_000;
        do
        {
            clock.Advance(TimeSpan.FromSeconds(2));
        }
        while (!((IAsyncResult)completion).AsyncWaitHandle.WaitOne(10) && Environment.TickCount64 < deadline);

        var error = await Assert.ThrowsAsync<ChannelTimeoutException>(() => completion.WaitAsync(TimeSpan.FromSeconds(1), Gentle.Cancellation));
        Assert.Equal(TestChannel.Id, error.ChannelId);
    }

    [Fact]
    public async Task The_watch_completes_the_channel_from_its_timer_after_the_writer_closes()
    {
        using var channel = new TestChannel();
        using var clock = new ManualTimeProvider();
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(ParkAtOnce(clock));

        Task completion = records.Completion; // polls once, then the watch's first round polls and parks
        clock.WaitScheduled(TimeSpan.FromSeconds(30));
        Assert.False(completion.IsCompleted);
        clock.Fire(); // nothing yet: the round parks again
        clock.WaitScheduled(TimeSpan.FromSeconds(30));
        channel.Writer.Dispose();
        Assert.False(completion.IsCompleted);

        clock.Fire(); // the park ends; the next round, on the thread pool, sees the end

        await completion.WaitAsync(TimeSpan.FromSeconds(30), Gentle.Cancellation);
        Assert.Equal(2, clock.Armed);
    }

    [Fact]
    public async Task A_reader_disposed_under_the_adapter_faults_it_with_ObjectDisposedException()
    {
        using var channel = new TestChannel();
        using var clock = new ManualTimeProvider();
        ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(ParkAtOnce(clock));
        ValueTask<bool> waiting = records.WaitToReadAsync(Gentle.Cancellation);
        clock.WaitScheduled(TimeSpan.FromSeconds(30));

        reader.Dispose();
        clock.Fire();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await waiting);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => records.Completion);
        Assert.False(records.TryRead(out _));
    }

    [Fact]
    public async Task A_wake_completes_a_pending_wait_without_the_watch()
    {
        using var channel = new TestChannel();
        using var clock = new ManualTimeProvider();
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(ParkAtOnce(clock));
        ValueTask<Record> reading = records.ReadAsync(Gentle.Cancellation);
        clock.WaitScheduled(TimeSpan.FromSeconds(30)); // the watch parked: only its timer would poll again

        channel.WritePattern(0, 1);
        ((Kekbit.Reactive.Internal.ReaderChannel)records).Wake(); // what a doorbell does

        Assert.Equal(0, TestChannel.IndexOf(await reading));
        Assert.Equal(1, clock.Armed);
    }

    [Fact]
    public void The_watch_allocates_nothing_per_wait_once_warm()
    {
        using var channel = new TestChannel();
        using var clock = new ManualTimeProvider();
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(ParkAtOnce(clock));
        // A semaphore, not a ManualResetEventSlim: that one allocates its lock object the first time it blocks.
        using var completed = new SemaphoreSlim(0);
        Action signal = () => completed.Release();
        Span<byte> payload = stackalloc byte[TestChannel.RecordSize];

        // Each wait: the watch's first round (a pool thread) polls and arms the timer; the record is written; the
        // timer's round runs here, finds it and completes the wait, whose continuation runs on the pool.
        long before = 0;
        for (int i = 0; i < 300; i++)
        {
            if (i == 50)
            {
                before = GC.GetAllocatedBytesForCurrentThread();
            }

#pragma warning disable CA2012 // the awaiter is consumed once, below, after the continuation ran
            ValueTaskAwaiter<bool> waiting = records.WaitToReadAsync(CancellationToken.None).GetAwaiter();
#pragma warning restore CA2012
            waiting.UnsafeOnCompleted(signal);
            clock.WaitScheduled(TimeSpan.FromSeconds(30));
            RecordPattern.Fill(payload, (ulong)i);
            Assert.True(channel.Writer.Write(payload).IsSuccess);
            clock.Fire();
#pragma warning disable xUnit1051, xUnit1031 // measured: a token registration is not what this test is about; the wait is complete here
            Assert.True(completed.Wait(TimeSpan.FromSeconds(30)));
            Assert.True(waiting.GetResult());
#pragma warning restore xUnit1051, xUnit1031
            Assert.True(records.TryRead(out _));
        }

        // Less than a byte per wait (250 measured): see the contract's allocation test for why not exactly zero.
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 250, $"{allocated} bytes allocated by 250 waits");
    }

    [Fact]
    public async Task A_strategy_that_never_parks_still_completes_waits_and_the_end()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(new PollingOptions { IdleStrategy = () => new YieldingIdleStrategy() });

        ValueTask<Record> reading = records.ReadAsync(Gentle.Cancellation);
        channel.WritePattern(0, 1);
        Assert.Equal(0, TestChannel.IndexOf(await reading));

        Task completion = records.Completion;
        channel.Writer.Dispose();
        await completion.WaitAsync(TimeSpan.FromSeconds(30), Gentle.Cancellation);
    }

    [Fact]
    public async Task A_throwing_idle_strategy_faults_the_channel_instead_of_the_process()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        var failure = new InvalidOperationException("strategy broke");
        ChannelReader<Record> records = reader.AsChannelReader(new PollingOptions { IdleStrategy = () => new ThrowingIdleStrategy(failure) });

        ValueTask<bool> waiting = records.WaitToReadAsync(Gentle.Cancellation);

        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(async () => await waiting));
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => records.Completion));
    }

    private sealed class ThrowingIdleStrategy(Exception failure) : IIdleStrategy
    {
        public void Idle() => throw failure;

        public TimeSpan IdleWithoutBlocking() => throw failure;

        public void Reset()
        {
        }
    }
}
