using System.Diagnostics;
using System.Reactive.Concurrency;
using Kekbit.Core;
using Kekbit.Core.Waiting;

namespace Kekbit.Reactive.Tests;

/// <summary>
/// Issue 10, point 7: disposing a subscription or cancelling a token ends an idle park at once, whatever its
/// length; park lengths a wait cannot take are refused when the options are validated.
/// </summary>
public sealed class IdleInterruptTests
{
    /// <summary>A park far longer than the bound asserted: a park waited out fails the test (after 30 s, not an hour).</summary>
    private static readonly TimeSpan LongPark = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The bound asserted. The requirement is 50 ms (measured: a few ms); the assertion leaves room for a
    /// loaded 2-core machine, and is still 30 times shorter than the park.
    /// </summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(1);

    public static TheoryData<string> LoopKinds => ["dedicated thread", "NewThreadScheduler", "TaskPoolScheduler"];

    [Theory]
    [MemberData(nameof(LoopKinds))]
    public void Disposing_a_subscription_ends_a_long_park_at_once(string loop)
    {
        using var channel = new TestChannel();
        var parking = new ParkSignal(new SleepingIdleStrategy(LongPark));
        var options = new PollingOptions
        {
            IdleStrategy = () => parking,
            Scheduler = loop switch
            {
                "NewThreadScheduler" => NewThreadScheduler.Default,
                "TaskPoolScheduler" => TaskPoolScheduler.Default,
                _ => null,
            },
        };
        ShmReader reader = channel.OpenReader();
        IDisposable subscription = reader.ToObservable(options).Subscribe(new RecordingObserver());
        parking.WaitUntilParked();

        var clock = Stopwatch.StartNew();
        subscription.Dispose();
        clock.Stop();

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, Prompt);
        // Dispose returned after the loop exited: the reader is released.
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
    }

    [Fact]
    public void Disposing_a_backoff_subscription_parked_at_its_longest_period_returns_at_once()
    {
        using var channel = new TestChannel();
        var parking = new ParkSignal(new BackoffIdleStrategy(0, 0, LongPark, LongPark));
        IDisposable subscription = channel.OpenReader().ToObservable(new PollingOptions { IdleStrategy = () => parking }).Subscribe(new RecordingObserver());
        parking.WaitUntilParked();

        var clock = Stopwatch.StartNew();
        subscription.Dispose();

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, Prompt);
    }

    [Fact]
    public async Task Cancelling_an_async_enumeration_ends_a_long_park_at_once()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        using var cancel = new CancellationTokenSource();
        var parking = new ParkSignal(new SleepingIdleStrategy(LongPark));
        var options = new PollingOptions { IdleStrategy = () => parking };
        Task enumeration = Task.Run(async () =>
        {
            await foreach (Record record in reader.ReadAllAsync(options, cancel.Token))
            {
            }
        }, Gentle.Cancellation);
        parking.WaitUntilParked();

        var clock = Stopwatch.StartNew();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => enumeration.WaitAsync(Prompt * 10, Gentle.Cancellation));

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, Prompt);
    }

    [Fact]
    public void Cancelling_the_token_of_a_poll_ends_its_park_at_once()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        var parking = new ParkSignal(new SleepingIdleStrategy(LongPark));
        var poller = new ReaderPoller(reader, parking);
        using var cancel = new CancellationTokenSource();
        var polling = new Thread(() => poller.Poll(static (_, _) => { }, 0, cancel.Token));
        polling.Start();
        parking.WaitUntilParked();

        var clock = Stopwatch.StartNew();
        cancel.Cancel();

        Assert.True(polling.Join(Prompt));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, Prompt);
    }

    [Fact]
    public void A_strategy_that_implements_only_the_blocking_idle_still_parks_interruptibly()
    {
        IIdleStrategy custom = new ReturnsPeriod(LongPark);
        using var cancel = new CancellationTokenSource();
        var parked = new Thread(() => custom.Idle(cancel.Token));
        parked.Start();
        // The default Idle(token) parks on the token: cancel whenever, it returns promptly either way.
        cancel.Cancel();
        Assert.True(parked.Join(Prompt));
    }

    [Fact]
    public void Park_lengths_a_wait_cannot_take_are_refused_when_options_are_validated()
    {
        TimeSpan tooLong = TimeSpan.FromMilliseconds(int.MaxValue) + TimeSpan.FromMilliseconds(1);
        TimeSpan longest = TimeSpan.FromMilliseconds(int.MaxValue);
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();

        Assert.Throws<ArgumentOutOfRangeException>(() => new SleepingIdleStrategy(tooLong));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SleepingIdleStrategy(TimeSpan.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffIdleStrategy(maxParkPeriod: tooLong));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ToObservable(new PollingOptions { IdleStrategy = () => new SleepingIdleStrategy(tooLong) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadAllAsync(new PollingOptions { IdleStrategy = () => new BackoffIdleStrategy(minParkPeriod: tooLong, maxParkPeriod: tooLong) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KekbitObservable.FromChannel(channel.Root, TestChannel.Id, new PollingOptions { IdleStrategy = () => new SleepingIdleStrategy(tooLong) }));

        // The longest accepted period works.
        Assert.Equal(longest, new SleepingIdleStrategy(longest).Period);
        Assert.Equal(longest, new BackoffIdleStrategy(maxParkPeriod: longest).MaxParkPeriod);
    }

    [Fact]
    public void A_custom_strategy_returning_an_endless_period_is_capped_not_a_crash()
    {
        using var channel = new TestChannel();
        var scheduler = new HistoricalScheduler();
        var observer = new RecordingObserver();
        ShmReader reader = channel.OpenReader();
        IDisposable subscription = reader.ToObservable(scheduler, new PollingOptions { IdleStrategy = () => new ReturnsPeriod(TimeSpan.MaxValue) }).Subscribe(observer);

        // The step schedules its next poll at the cap (int.MaxValue ms), which a scheduler's timer accepts.
        scheduler.AdvanceBy(TimeSpan.FromTicks(1));
        channel.WritePattern(0, 1);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(int.MaxValue));
        observer.AssertSequence(0, 1);
        subscription.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
    }

    [Fact]
    public void Interruptible_parks_allocate_nothing()
    {
        using var cancel = new CancellationTokenSource();
        var strategy = new SleepingIdleStrategy(TimeSpan.FromMilliseconds(1));
        strategy.Idle(cancel.Token); // creates the token's wait handle, once

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            strategy.Idle(cancel.Token);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>A strategy that signals when its poller starts a park, then parks as <paramref name="inner"/> does.</summary>
    private sealed class ParkSignal(IIdleStrategy inner) : IIdleStrategy
    {
        private readonly TaskCompletionSource _parked = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void WaitUntilParked() => Assert.True(_parked.Task.Wait(RecordingObserver.Patience, Gentle.Cancellation), "the poller never parked");

        public void Idle()
        {
            _parked.TrySetResult();
            inner.Idle();
        }

        public void Idle(CancellationToken cancellationToken)
        {
            _parked.TrySetResult();
            inner.Idle(cancellationToken);
        }

        public TimeSpan IdleWithoutBlocking()
        {
            _parked.TrySetResult();
            return inner.IdleWithoutBlocking();
        }

        public void Reset() => inner.Reset();
    }

    /// <summary>A custom strategy implementing only the required members: it always asks for one period.</summary>
    private sealed class ReturnsPeriod(TimeSpan period) : IIdleStrategy
    {
        public void Idle() => Thread.Sleep(period);

        public TimeSpan IdleWithoutBlocking() => period;

        public void Reset()
        {
        }
    }
}
