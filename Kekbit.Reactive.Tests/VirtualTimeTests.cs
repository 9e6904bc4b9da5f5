using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Kekbit.Core;
using Kekbit.Core.Waiting;
using Microsoft.Reactive.Testing;
using static Microsoft.Reactive.Testing.ReactiveTest;

namespace Kekbit.Reactive.Tests;

/// <summary>
/// The Rx layer in virtual time (issue 10, point 11): <see cref="TestScheduler"/> drives polling and the
/// timeout clock; assertions are on <see cref="ITestableObserver{T}.Messages"/> with virtual ticks.
/// Records are mapped to their pattern index inside OnNext, while their payload is valid. TestScheduler runs an
/// action scheduled for "now" one tick later, so the first poll after subscribing, and each poll that follows a
/// batch at once, comes one tick after the action that scheduled it.
/// </summary>
public sealed class VirtualTimeTests
{
    private const long Subscribed = 100;
    private const long FirstPoll = Subscribed + 1;
    private const long Millisecond = TimeSpan.TicksPerMillisecond;

    [Fact]
    public void A_silent_writer_fails_the_subscription_with_a_timeout_one_channel_timeout_after_the_last_record()
    {
        // Channel timeout 10 ms; polls every 1 ms (10,000 ticks) once idle.
        using var channel = new TestChannel(timeoutMillis: 10);
        channel.WritePattern(0, 3);
        var scheduler = new TestScheduler();
        var options = new PollingOptions { Scheduler = scheduler, TimeProvider = new VirtualClock(scheduler), IdleStrategy = () => new SleepingIdleStrategy(TimeSpan.FromMilliseconds(1)) };
        scheduler.ScheduleAbsolute(5 * Millisecond, () => channel.WritePattern(3, 1));

        ITestableObserver<long> observer = scheduler.Start(
            () => KekbitObservable.FromChannel(channel.Root, TestChannel.Id, options).Select(TestChannel.IndexOf),
            created: 0,
            subscribed: Subscribed,
            disposed: 1_000 * Millisecond);

        // The first poll opens the channel and delivers three records; the next (a tick later) starts polling
        // every millisecond. The record written at 5 ms is seen at the poll after it and restarts the idle clock:
        // the timeout falls at the first poll 10 ms after that record, not 10 ms after subscribing.
        const long fourth = FirstPoll + 1 + (5 * Millisecond);
        Assert.Equal(
            [
                OnNext(FirstPoll, 0L),
                OnNext(FirstPoll, 1L),
                OnNext(FirstPoll, 2L),
                OnNext(fourth, 3L),
                OnError<long>(fourth + 1 + (10 * Millisecond), e => e is ChannelTimeoutException),
            ],
            observer.Messages);
        var timeout = Assert.IsType<ChannelTimeoutException>(observer.Messages[^1].Value.Exception);
        Assert.Equal(TimeSpan.FromMilliseconds(10), timeout.Timeout);
    }

    [Fact]
    public void A_timeout_reader_wrapped_by_hand_reports_the_same_timeout_through_ToObservable()
    {
        using var channel = new TestChannel();
        var scheduler = new TestScheduler();
        ShmReader inner = channel.OpenReader();
        var reader = new TimeoutReader(inner, TimeSpan.FromTicks(500), new VirtualClock(scheduler));
        var options = new PollingOptions { IdleStrategy = () => new SleepingIdleStrategy(TimeSpan.FromTicks(100)) };

        ITestableObserver<long> observer = scheduler.Start(() => reader.ToObservable(scheduler, options).Select(TestChannel.IndexOf));

        // Subscribed at 200: idle from the first poll (201), polled every 100 ticks, timed out at the poll 500 ticks later.
        Assert.Equal([OnError<long>(701, e => e is ChannelTimeoutException)], observer.Messages);
        Assert.Throws<ObjectDisposedException>(() => inner.TryRead());
    }

    [Fact]
    public void Backoff_parks_double_from_the_shortest_to_the_longest_period_and_start_over_after_a_record()
    {
        // No spins or yields: parks of 1,000, 2,000, 4,000, then 8,000 ticks; each record resets the backoff.
        using var channel = new TestChannel();
        var scheduler = new TestScheduler();
        var options = new PollingOptions { IdleStrategy = () => new BackoffIdleStrategy(0, 0, TimeSpan.FromTicks(1_000), TimeSpan.FromTicks(8_000)) };
        scheduler.ScheduleAbsolute(Subscribed + 5_000, () => channel.WritePattern(0, 1));
        scheduler.ScheduleAbsolute(Subscribed + 8_100, () => channel.WritePattern(1, 1));
        scheduler.ScheduleAbsolute(Subscribed + 20_000, () => channel.Writer.Dispose());

        ITestableObserver<long> observer = scheduler.Start(
            () => channel.OpenReader().ToObservable(scheduler, options).Select(TestChannel.IndexOf),
            created: 0,
            subscribed: Subscribed,
            disposed: 1_000_000);

        // Polls at FirstPoll +0, +1,000, +3,000, +7,000 (record 0); one tick later the backoff starts over: +0,
        // +1,000, +3,000 (record 1, written at +8,100 before it); then +0, +1,000, +3,000, +7,000, +15,000 (the
        // close marker, written at +20,000, seen once the parks have reached their 8,000-tick maximum).
        const long first = FirstPoll + 7_000;
        const long second = first + 1 + 3_000;
        Assert.Equal(
            [
                OnNext(first, 0L),
                OnNext(second, 1L),
                OnCompleted<long>(second + 1 + 15_000),
            ],
            observer.Messages);
    }

    [Fact]
    public void Disposing_stops_polling_at_once_and_releases_the_reader_without_another_poll()
    {
        using var channel = new TestChannel();
        var scheduler = new TestScheduler();
        var log = new List<string>();
        var reader = new LoggingReader(channel.OpenReader(), scheduler, log);
        var options = new PollingOptions { IdleStrategy = () => new SleepingIdleStrategy(TimeSpan.FromTicks(300)) };

        // Created at 100, subscribed at 200, disposed at 1000 (TestScheduler.Start's defaults).
        ITestableObserver<long> observer = scheduler.Start(() => reader.ToObservable(scheduler, options).Select(TestChannel.IndexOf));
        scheduler.AdvanceBy(10_000);

        Assert.Empty(observer.Messages);
        Assert.Equal(["read@201", "read@501", "read@801", "dispose@1000"], log);
    }

    [Fact]
    public void On_close_the_observer_completes_before_the_reader_is_released_so_ToList_can_read_payloads()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 3);
        channel.Writer.Dispose();
        var scheduler = new TestScheduler();
        var log = new List<string>();
        var reader = new LoggingReader(channel.OpenReader(), scheduler, log);

        ITestableObserver<string> observer = scheduler.Start(() => reader.ToObservable(scheduler)
            .Do(r => log.Add($"next@{scheduler.Clock}"), () => log.Add($"completed@{scheduler.Clock}"))
            .ToList()
            .Select(records => string.Join(",", records.Select(TestChannel.IndexOf))));

        // Three records and the close marker in one batch; the next step, a tick later, finds the reader
        // exhausted and completes, and only then releases the reader.
        Assert.Equal([OnNext(202, "0,1,2"), OnCompleted<string>(202)], observer.Messages);
        Assert.Equal(["read@201", "next@201", "read@201", "next@201", "read@201", "next@201", "read@201", "read@202", "completed@202", "dispose@202"], log);
    }

    [Fact]
    public void On_a_timeout_the_observer_gets_the_error_before_the_reader_is_released()
    {
        using var channel = new TestChannel();
        var scheduler = new TestScheduler();
        var log = new List<string>();
        var reader = new LoggingReader(new TimeoutReader(channel.OpenReader(), TimeSpan.FromTicks(100), new VirtualClock(scheduler)), scheduler, log);
        var options = new PollingOptions { IdleStrategy = () => new SleepingIdleStrategy(TimeSpan.FromTicks(100)) };

        ITestableObserver<long> observer = scheduler.Start(() => reader.ToObservable(scheduler, options)
            .Select(TestChannel.IndexOf)
            .Do(_ => { }, e => log.Add($"error@{scheduler.Clock}")));

        Assert.Equal([OnError<long>(301, e => e is ChannelTimeoutException)], observer.Messages);
        Assert.Equal(["read@201", "read@301", "error@301", "dispose@301"], log);
    }

    /// <summary>A reader that logs each read and its disposal with the virtual time.</summary>
    private sealed class LoggingReader(IReader inner, TestScheduler scheduler, List<string> log) : IReader
    {
        public Metadata Metadata => inner.Metadata;

        public long Position => inner.Position;

        public ReadStatus? ExhaustedBy => inner.ExhaustedBy;

        public ReadFailure Failure => inner.Failure;

        public ReadResult TryRead()
        {
            log.Add($"read@{scheduler.Clock}");
            return inner.TryRead();
        }

        public void Dispose()
        {
            log.Add($"dispose@{scheduler.Clock}");
            inner.Dispose();
        }
    }
}
