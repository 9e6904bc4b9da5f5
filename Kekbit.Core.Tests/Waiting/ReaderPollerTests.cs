using Kekbit.Core.Internal;
using Kekbit.Core.Waiting;
using Kekbit.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Kekbit.Core.Tests.Waiting;

/// <summary>The one poll loop: batches, idling, exhaustion, its blocking and asynchronous reads, and its default strategy (the doorbell).</summary>
public sealed class ReaderPollerTests
{
    private static readonly ReadHandler<List<long>> Collect = static (list, record) => list.Add(PollChannel.IndexOf(record));
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void Each_poll_drains_at_most_a_batch_in_order()
    {
        using var channel = new PollChannel();
        channel.WritePattern(0, 25);
        using ShmReader reader = channel.OpenReader();
        var poller = new ReaderPoller(reader, new NoOpIdleStrategy(), batchSize: 10);
        var seen = new List<long>();

        int[] batches = [poller.Poll(Collect, seen), poller.Poll(Collect, seen), poller.Poll(Collect, seen), poller.Poll(Collect, seen)];

        Assert.Equal([10, 10, 5, 0], batches);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), seen);
        Assert.False(poller.IsExhausted);
    }

    [Fact]
    public void Idles_only_when_a_poll_finds_nothing_and_resets_when_data_comes()
    {
        using var channel = new PollChannel();
        using ShmReader reader = channel.OpenReader();
        var backoff = new BackoffIdleStrategy(maxSpins: 3);
        var poller = new ReaderPoller(reader, backoff);
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
        using var channel = new PollChannel();
        channel.WritePattern(0, 3);
        channel.Writer.Dispose();
        using ShmReader reader = channel.OpenReader();
        var backoff = new BackoffIdleStrategy();
        var poller = new ReaderPoller(reader, backoff);
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
        using var channel = new PollChannel(capacity: 4 << 20);
        channel.WritePattern(0, 50_000);
        using ShmReader reader = channel.OpenReader();
        var poller = new ReaderPoller(reader, new NoOpIdleStrategy(), batchSize: 100);
        var box = new Box();

        long allocated = Allocations.OfSecondRun((poller, box), static state =>
        {
            for (int i = 0; i < 100 && state.poller.Poll(static (box, record) => box.Value += record.Payload.Length, state.box) > 0; i++)
            {
            }
        });

        Assert.Equal(200L * 100 * PollChannel.RecordSize, box.Value);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Rejects_invalid_arguments()
    {
        using var channel = new PollChannel();
        using ShmReader reader = channel.OpenReader();
        Assert.Throws<ArgumentNullException>(() => new ReaderPoller(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReaderPoller(reader, batchSize: 0));
        Assert.Throws<ArgumentNullException>(() => ReaderPoller.CreateDefaultIdleStrategy(null!));
        Assert.Throws<ArgumentNullException>(() => new DoorbellIdleStrategy(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DoorbellIdleStrategy(reader, maxSpins: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DoorbellIdleStrategy(reader, maxSleep: TimeSpan.Zero));
    }

    [Fact]
    public void The_default_strategy_sleeps_on_the_doorbell_when_the_channel_has_one_and_backs_off_otherwise()
    {
        using var withBell = new PollChannel();
        using ShmReader bell = withBell.OpenReader();
        using var timeout = new TimeoutReader(withBell.OpenReader());
        using var withoutBell = new PollChannel(doorbell: false);
        using ShmReader plain = withoutBell.OpenReader();

        Assert.Equal(bell.HasDoorbell, ReaderPoller.CreateDefaultIdleStrategy(bell) is DoorbellIdleStrategy);
        Assert.Equal(bell.HasDoorbell, new ReaderPoller(timeout).IdleStrategy is DoorbellIdleStrategy);
        Assert.IsType<BackoffIdleStrategy>(ReaderPoller.CreateDefaultIdleStrategy(plain));
        Assert.IsType<BackoffIdleStrategy>(ReaderPoller.CreateDefaultIdleStrategy(new PlainReader(plain)));
    }

    [Fact]
    public async Task A_blocking_read_sleeps_on_the_doorbell_until_a_record_from_another_thread()
    {
        using var channel = new PollChannel();
        using ShmReader reader = channel.OpenReader();
        Assert.SkipUnless(reader.HasDoorbell, "no doorbell on this platform");
        var poller = new ReaderPoller(reader);
        Task<long> read = Task.Factory.StartNew(() => PollChannel.IndexOf(poller.Read(Token)), Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        WaitUntil(() => reader.DoorbellSleeps > 0, "the poller never slept on the doorbell");
        channel.WritePattern(7, 1);

        Assert.Equal(7, await read.WaitAsync(Patience, Token));
    }

    [Fact]
    public async Task An_asynchronous_read_completes_on_a_record_published_later()
    {
        using var channel = new PollChannel();
        using ShmReader reader = channel.OpenReader();
        var poller = new ReaderPoller(reader);

        ValueTask<ReadResult> read = poller.ReadAsync(Token);
        Assert.False(read.IsCompleted);
        channel.WritePattern(3, 1);

        Assert.Equal(3, PollChannel.IndexOf(await read.AsTask().WaitAsync(Patience, Token)));
        channel.Writer.Dispose();
        Assert.Equal(ReadStatus.Closed, (await poller.ReadAsync(Token)).Status);
    }

    [Fact]
    public void Reads_that_find_records_allocate_nothing_blocking_or_asynchronous()
    {
        using var channel = new PollChannel(capacity: 4 << 20);
        channel.WritePattern(0, 1_000);
        using ShmReader reader = channel.OpenReader();
        var poller = new ReaderPoller(reader);

        long allocated = Allocations.OfSecondRun(poller, static poller =>
        {
            for (int i = 0; i < 250; i++)
            {
                Assert.True(poller.Read().IsRecord);
                ValueTask<ReadResult> next = poller.ReadAsync();
                Assert.True(next.IsCompletedSuccessfully && next.Result.IsRecord);
            }
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task Cancellation_ends_a_blocking_read_asleep_on_the_doorbell()
    {
        using var channel = new PollChannel();
        using ShmReader reader = channel.OpenReader();
        var poller = new ReaderPoller(reader);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        Task read = Task.Factory.StartNew(() => poller.Read(cancel.Token), Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitUntil(() => !reader.HasDoorbell || reader.DoorbellSleeps > 0, "the poller never slept on the doorbell");

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Patience, Token));
    }

    [Fact]
    public async Task Cancellation_ends_an_asynchronous_read()
    {
        using var channel = new PollChannel();
        using ShmReader reader = channel.OpenReader();
        var poller = new ReaderPoller(reader);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);

        ValueTask<ReadResult> read = poller.ReadAsync(cancel.Token);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read.AsTask().WaitAsync(Patience, Token));
    }

    [Fact]
    public void A_timeout_reader_asleep_on_the_doorbell_times_out_when_the_writer_stays_silent()
    {
        using var channel = new PollChannel(timeoutMillis: 60_000);
        using ShmReader inner = channel.OpenReader();
        // 1 s, not less: the poller spins and yields before it sleeps, and on a loaded 2-core machine that phase alone
        // has outlasted 150 ms (the timeout then came before any doorbell sleep).
        using var reader = new TimeoutReader(inner, TimeSpan.FromSeconds(1));
        var poller = new ReaderPoller(reader);

        ReadResult result = poller.Read(Token);

        Assert.Equal(ReadStatus.Timeout, result.Status);
        Assert.True(!inner.HasDoorbell || inner.DoorbellSleeps > 0, "the timeout came from polling, not from a doorbell sleep");
    }

    [Fact]
    public async Task A_timeout_reader_waiting_asynchronously_times_out_when_the_writer_stays_silent()
    {
        using var channel = new PollChannel();
        using ShmReader inner = channel.OpenReader();
        using var reader = new TimeoutReader(inner, TimeSpan.FromMilliseconds(150));
        var poller = new ReaderPoller(reader);

        ReadResult result = await poller.ReadAsync(Token).AsTask().WaitAsync(Patience, Token);

        Assert.Equal(ReadStatus.Timeout, result.Status);
    }

    [Fact]
    public void A_timeout_reader_never_waits_past_its_timeout_and_passes_records_through()
    {
        var clock = new FakeTimeProvider();
        using var channel = new PollChannel();
        using var reader = new TimeoutReader(channel.OpenReader(), TimeSpan.FromSeconds(10), clock);

        Assert.False(reader.WaitForData(TimeSpan.Zero, Token));
        Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(reader.WaitForData(Timeout.InfiniteTimeSpan, Token), "the silence lasted the timeout: the next read reports it");
        Assert.Equal(ReadStatus.Timeout, reader.TryRead().Status);
        Assert.True(reader.WaitForData(TimeSpan.Zero, Token));

        using var fresh = new TimeoutReader(channel.OpenReader(), TimeSpan.FromSeconds(10), clock);
        channel.WritePattern(1, 1);
        Assert.True(fresh.WaitForData(Timeout.InfiniteTimeSpan, Token));
        Assert.True(fresh.TryRead().IsRecord);
        Assert.Throws<ArgumentOutOfRangeException>(() => fresh.WaitForData(TimeSpan.FromMilliseconds(-2), Token));
    }

    [Fact]
    public void OpenWhenReady_paces_its_attempts_with_the_one_backoff_within_its_deadline()
    {
        var retry = new OpenRetry(Timeout.InfiniteTimeSpan);
        var pauses = new List<TimeSpan>();
        for (int i = 0; i < 8; i++)
        {
            Assert.True(retry.TryNext(out TimeSpan pause));
            pauses.Add(pause);
        }

        Assert.Equal([1, 2, 4, 8, 16, 32, 50, 50], pauses.Select(p => (int)p.TotalMilliseconds));
        var expired = new OpenRetry(TimeSpan.Zero);
        Assert.False(expired.TryNext(out _));
    }

    private static void WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            Thread.Sleep(1);
        }
    }

    private sealed class Box
    {
        public long Value;
    }

    /// <summary>A reader that is not an <see cref="IWaitableReader"/>.</summary>
    private sealed class PlainReader(IReader inner) : IReader
    {
        public Metadata Metadata => inner.Metadata;

        public long Position => inner.Position;

        public ReadStatus? ExhaustedBy => inner.ExhaustedBy;

        public ReadFailure Failure => inner.Failure;

        public ReadResult TryRead() => inner.TryRead();

        public void Dispose() => inner.Dispose();
    }
}
