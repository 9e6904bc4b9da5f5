using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Kekbit.Core;
using Microsoft.Extensions.Time.Testing;

namespace Kekbit.Reactive.Tests;

public sealed class ObservableTests
{
    [Fact]
    public void Delivers_every_record_in_order_then_completes_when_the_channel_closes()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 1000);
        channel.Writer.Dispose();
        var observer = new RecordingObserver();

        using (channel.OpenReader().ToObservable(Gentle.Polling).Subscribe(observer))
        {
            observer.WaitForEnd();
        }

        Assert.True(observer.Completed);
        Assert.Null(observer.Error);
        Assert.False(observer.GrammarViolated);
        observer.AssertSequence(0, 1000);
    }

    [Fact]
    public void Follows_a_live_writer_and_completes_on_close()
    {
        using var channel = new TestChannel();
        var observer = new RecordingObserver();
        using IDisposable subscription = channel.OpenReader().ToObservable(Gentle.Polling).Subscribe(observer);

        for (int burst = 0; burst < 10; burst++)
        {
            channel.WritePattern(burst * 100, 100);
            observer.WaitForCount((burst + 1) * 100);
        }

        channel.Writer.Dispose();
        observer.WaitForEnd();
        Assert.True(observer.Completed);
        observer.AssertSequence(0, 1000);
    }

    [Fact]
    public void Fails_with_a_typed_timeout_when_the_writer_goes_silent()
    {
        using var channel = new TestChannel(timeoutMillis: 5000);
        channel.WritePattern(0, 3);
        var clock = new FakeTimeProvider();
        var observer = new RecordingObserver();
        using IDisposable subscription = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, Gentle.Polling with { TimeProvider = clock }).Subscribe(observer);
        observer.WaitForCount(3);

        // The reader starts its idle clock at its first empty poll; keep moving time until it gives up.
        var deadline = DateTime.UtcNow + RecordingObserver.Patience;
        while (!observer.HasEnded && DateTime.UtcNow < deadline)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            Thread.Yield();
        }

        observer.WaitForEnd();
        var timeout = Assert.IsType<ChannelTimeoutException>(observer.Error);
        Assert.Equal((TestChannel.Id, 3L * 40, TimeSpan.FromSeconds(5)), (timeout.ChannelId, timeout.Position, timeout.Timeout));
        observer.AssertSequence(0, 3);
    }

    [Fact]
    public void Fails_with_a_typed_corruption_error_after_the_intact_records()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 5);
        channel.CloseAndCorrupt();
        var observer = new RecordingObserver();

        using (channel.OpenReader().ToObservable(Gentle.Polling).Subscribe(observer))
        {
            observer.WaitForEnd();
        }

        var corrupted = Assert.IsType<ChannelCorruptedException>(observer.Error);
        Assert.Equal((ReadFailure.UnknownMarker, 5L * 40), (corrupted.Failure, corrupted.Position));
        observer.AssertSequence(0, 5);
    }

    [Fact]
    public void Fails_with_the_channel_error_when_the_channel_cannot_be_opened()
    {
        using var root = new Kekbit.TestSupport.TempRoot();
        var observer = new RecordingObserver();

        using (KekbitObservable.FromChannel(root.Path, 7).Subscribe(observer))
        {
            observer.WaitForEnd();
        }

        Assert.Equal(ChannelError.StorageNotFound, Assert.IsType<ChannelException>(observer.Error).Error);
    }

    [Fact]
    public void An_infinite_open_timeout_waits_until_the_channel_exists_and_disposing_stops_the_wait()
    {
        using var root = new Kekbit.TestSupport.TempRoot();
        var stopped = new RecordingObserver();
        IDisposable waiting = KekbitObservable.FromChannel(root.Path, TestChannel.Id, Gentle.Polling with { OpenTimeout = Timeout.InfiniteTimeSpan }).Subscribe(stopped);
        var observer = new RecordingObserver();
        using IDisposable subscription = KekbitObservable.FromChannel(root.Path, TestChannel.Id, Gentle.Polling with { OpenTimeout = Timeout.InfiniteTimeSpan }).Subscribe(observer);

        // Disposing returns once the opening wait has stopped (it waits on the subscription's token).
        waiting.Dispose();
        using (ShmWriter writer = ShmWriter.Create(root.Path, Metadata.Create(1, TestChannel.Id, 1 << 16, 64, 60_000, TickUnit.Millis)))
        {
            Assert.True(writer.Write(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }).IsSuccess);
        }

        observer.WaitForEnd();
        Assert.True(observer.Completed);
        Assert.Equal(1, observer.Count);
        Assert.False(stopped.HasEnded);
        Assert.Equal(0, stopped.Count);
    }

    [Fact]
    public void Waits_for_a_channel_created_after_subscribing_when_given_an_open_timeout()
    {
        using var root = new Kekbit.TestSupport.TempRoot();
        var observer = new RecordingObserver();
        using IDisposable subscription = KekbitObservable.FromChannel(root.Path, TestChannel.Id, Gentle.Polling with { OpenTimeout = RecordingObserver.Patience }).Subscribe(observer);

        using (ShmWriter writer = ShmWriter.Create(root.Path, Metadata.Create(1, TestChannel.Id, 1 << 16, 64, 60_000, TickUnit.Millis)))
        {
            Assert.True(writer.Write(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }).IsSuccess);
        }

        observer.WaitForEnd();
        Assert.True(observer.Completed);
        Assert.Equal(1, observer.Count);
    }

    [Fact]
    public void Disposing_stops_polling_and_releases_the_reader_after_the_loop_exits()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 10);
        ShmReader reader = channel.OpenReader();
        var observer = new RecordingObserver();
        IDisposable subscription = reader.ToObservable(Gentle.Polling).Subscribe(observer);
        observer.WaitForCount(10);

        subscription.Dispose();
        channel.WritePattern(10, 10);

        Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
        Assert.Equal(10, observer.Count);
        Assert.False(observer.HasEnded);
    }

    [Fact]
    public async Task Disposing_during_heavy_traffic_stops_cleanly_with_no_delivery_afterwards()
    {
        using var channel = new TestChannel(capacity: 16 << 20);
        int[] stopAfter = [1, 500, 5_000, 50_000];
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            for (long i = 0; i < 300_000 && !writing.IsCancellationRequested; i += 1000)
            {
                channel.WritePattern(i, 1000);
            }
        }, TestContext.Current.CancellationToken);

        var stopped = new List<(RecordingObserver Observer, int Delivered)>();
        foreach (int count in stopAfter)
        {
            var observer = new RecordingObserver();
            IDisposable subscription = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, Gentle.Polling).Subscribe(observer);
            observer.WaitForCount(count);
            subscription.Dispose();
            int delivered = observer.Count;

            Assert.False(observer.HasEnded);
            Assert.Equal(Enumerable.Range(0, delivered).Select(i => (long)i), observer.Indices);
            stopped.Add((observer, delivered));
        }

        await writing.CancelAsync();
        await writer;
        // Whatever the writer added after each Dispose returned, it reached nobody.
        Assert.All(stopped, s => Assert.Equal(s.Delivered, s.Observer.Count));
    }

    [Fact]
    public void A_subscriber_may_dispose_its_subscription_from_inside_OnNext()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 100);
        IDisposable? subscription = null;
        using var disposed = new ManualResetEventSlim();
        var observer = new RecordingObserver
        {
            OnRecord = record =>
            {
                if (TestChannel.IndexOf(record) == 9)
                {
                    // Records may arrive before Subscribe has returned the subscription to the test.
                    Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref subscription) is not null, RecordingObserver.Patience));
                    Volatile.Read(ref subscription)!.Dispose();
                    disposed.Set();
                }
            },
        };

        Volatile.Write(ref subscription, channel.OpenReader().ToObservable(Gentle.Polling).Subscribe(observer));

        Assert.True(disposed.Wait(RecordingObserver.Patience, TestContext.Current.CancellationToken));
        subscription.Dispose();
        Assert.Equal(10, observer.Count);
    }

    [Fact]
    public void Several_concurrent_subscribers_each_see_every_record()
    {
        using var channel = new TestChannel();
        IObservable<Record> records = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, Gentle.Polling);
        RecordingObserver[] observers = [new(), new(), new()];
        var subscriptions = observers.Select(observer => records.Subscribe(observer)).ToList();

        channel.WritePattern(0, 2000);
        channel.Writer.Dispose();

        foreach (RecordingObserver observer in observers)
        {
            observer.WaitForEnd();
            Assert.True(observer.Completed);
            observer.AssertSequence(0, 2000);
        }

        subscriptions.ForEach(s => s.Dispose());
    }

    [Fact]
    public void Publish_shares_one_poller_among_many_observers()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 500);
        channel.Writer.Dispose();
        var shared = channel.OpenReader().ToObservable(Gentle.Polling).Publish();
        RecordingObserver[] observers = [new(), new()];
        using var first = shared.Subscribe(observers[0]);
        using var second = shared.Subscribe(observers[1]);

        using (shared.Connect())
        {
            foreach (RecordingObserver observer in observers)
            {
                observer.WaitForEnd();
                observer.AssertSequence(0, 500);
            }
        }
    }

    [Fact]
    public void Publish_RefCount_polls_while_observers_remain_and_releases_the_reader_after_the_last_leaves()
    {
        using var channel = new TestChannel();
        ShmReader reader = channel.OpenReader();
        IObservable<Record> shared = reader.ToObservable(Gentle.Polling).Publish().RefCount();
        RecordingObserver[] observers = [new(), new()];
        IDisposable first = shared.Subscribe(observers[0]);
        IDisposable second = shared.Subscribe(observers[1]);

        channel.WritePattern(0, 300);
        observers[0].WaitForCount(300);
        observers[1].WaitForCount(300);
        first.Dispose();
        second.Dispose();

        Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
        observers[1].AssertSequence(0, 300);
    }

    [Fact]
    public void A_reader_observable_accepts_a_single_subscription()
    {
        using var channel = new TestChannel();
        IObservable<Record> records = channel.OpenReader().ToObservable(Gentle.Polling);
        var first = new RecordingObserver();
        var second = new RecordingObserver();
        using IDisposable firstSubscription = records.Subscribe(first);

        using (records.Subscribe(second))
        {
            Assert.IsType<InvalidOperationException>(second.Error);
        }

        Assert.False(first.HasEnded);
    }

    [Fact]
    public void Late_subscribers_replay_from_the_start_or_from_a_saved_position()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 100);
        var early = new RecordingObserver();
        using var earlySubscription = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, Gentle.Polling).Subscribe(early);
        early.WaitForCount(100);
        Record saved = default;
        using (ShmReader probe = channel.OpenReader())
        {
            for (int i = 0; i < 40; i++)
            {
                saved = Record.From(probe.TryRead());
            }
        }

        channel.WritePattern(100, 50);
        channel.Writer.Dispose();
        var fromStart = new RecordingObserver();
        var fromPosition = new RecordingObserver();
        var afterRecord = new RecordingObserver();
        using var a = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, Gentle.Polling).Subscribe(fromStart);
        using var b = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, Gentle.Polling with { StartPosition = saved.Position }).Subscribe(fromPosition);
        ShmReader sought = channel.OpenReader();
        sought.SeekTo(saved.NextPosition);
        using var c = sought.ToObservable(Gentle.Polling).Subscribe(afterRecord);

        foreach (RecordingObserver observer in new[] { early, fromStart, fromPosition, afterRecord })
        {
            observer.WaitForEnd();
        }

        early.AssertSequence(0, 150);
        fromStart.AssertSequence(0, 150);
        fromPosition.AssertSequence(39, 111);
        afterRecord.AssertSequence(40, 110);
    }

    [Fact]
    public void Runs_in_virtual_time_on_a_scheduler_without_long_running_support()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 600);
        var scheduler = new HistoricalScheduler();
        var observer = new RecordingObserver();
        using IDisposable subscription = channel.OpenReader().ToObservable(scheduler).Subscribe(observer);

        Assert.Equal(0, observer.Count);
        scheduler.AdvanceBy(TimeSpan.FromTicks(1));
        observer.AssertSequence(0, 600);

        // Idle: the poller backs off through the scheduler's timer, up to 1 ms between polls.
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1));
        channel.WritePattern(600, 5);
        Assert.Equal(600, observer.Count);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1));
        Assert.Equal(605, observer.Count);

        channel.Writer.Dispose();
        Assert.False(observer.HasEnded);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1));
        Assert.True(observer.Completed);
    }

    [Fact]
    public void A_strategy_that_never_parks_still_lets_virtual_time_advance()
    {
        using var channel = new TestChannel();
        var scheduler = new HistoricalScheduler();
        var observer = new RecordingObserver();
        using IDisposable subscription = channel.OpenReader().ToObservable(scheduler, new PollingOptions { IdleStrategy = () => new Kekbit.Core.Waiting.NoOpIdleStrategy() }).Subscribe(observer);

        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1));
        channel.WritePattern(0, 3);
        scheduler.AdvanceBy(TimeSpan.FromTicks(1));

        observer.AssertSequence(0, 3);
    }

    [Fact]
    public void Stops_in_virtual_time_when_disposed_and_releases_the_reader()
    {
        using var channel = new TestChannel();
        var scheduler = new HistoricalScheduler();
        ShmReader reader = channel.OpenReader();
        var observer = new RecordingObserver();
        IDisposable subscription = reader.ToObservable(scheduler).Subscribe(observer);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10));

        subscription.Dispose();
        channel.WritePattern(0, 5);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10));

        Assert.Equal(0, observer.Count);
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
    }

    [Fact]
    public void Disposing_right_after_subscribing_releases_the_reader_whether_or_not_polling_started()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 100);
        for (int attempt = 0; attempt < 50; attempt++)
        {
            ShmReader reader = channel.OpenReader();
            var observer = new RecordingObserver();
            IDisposable subscription = reader.ToObservable(Gentle.Polling).Subscribe(observer);

            subscription.Dispose();
            int delivered = observer.Count;

            Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
            Assert.Equal(delivered, observer.Count);
            Assert.False(observer.HasEnded);
        }
    }

    [Fact]
    public void An_exception_thrown_by_the_observer_propagates_and_releases_the_reader()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 10);
        var scheduler = new HistoricalScheduler();
        ShmReader reader = channel.OpenReader();
        var observer = new RecordingObserver { OnRecord = record => throw new InvalidOperationException("observer failed") };
        using IDisposable subscription = reader.ToObservable(scheduler).Subscribe(observer);

        Assert.Throws<InvalidOperationException>(() => scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1)));

        Assert.Equal(1, observer.Count);
        Assert.False(observer.HasEnded);
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
    }

    [Fact]
    public void Runs_its_loop_on_a_long_running_scheduler()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 300);
        channel.Writer.Dispose();
        var observer = new RecordingObserver();

        using (channel.OpenReader().ToObservable(NewThreadScheduler.Default, Gentle.Polling).Subscribe(observer))
        {
            observer.WaitForEnd();
        }

        observer.AssertSequence(0, 300);
        Assert.True(observer.Completed);
    }

    [Fact]
    public void Works_with_Rx_operators()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 1000);
        channel.Writer.Dispose();

        long[] evens = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, Gentle.Polling)
            .Select(TestChannel.IndexOf)
            .Where(index => index % 2 == 0)
            .ToArray()
            .Wait();

        Assert.Equal(Enumerable.Range(0, 500).Select(i => 2L * i), evens);
    }

    [Fact]
    public void Delivers_records_without_allocating_on_the_polling_thread()
    {
        using var channel = new TestChannel(capacity: 4 << 20);
        channel.WritePattern(0, 50_000);
        channel.Writer.Dispose();
        long before = 0;
        long after = 0;
        var observer = new RecordingObserver();
        var counting = new AllocationProbe(onRecord: index =>
        {
            if (index == 1_000)
            {
                before = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (index == 49_000)
            {
                after = GC.GetAllocatedBytesForCurrentThread();
            }
        }, observer);

        using (channel.OpenReader().ToObservable(Gentle.Polling).Subscribe(counting))
        {
            observer.WaitForEnd();
        }

        Assert.True(observer.Completed);
        Assert.Equal(0, after - before);
    }

    /// <summary>An observer that does no allocating work per record, so any allocation measured comes from the source.</summary>
    private sealed class AllocationProbe(Action<long> onRecord, IObserver<Record> end) : IObserver<Record>
    {
        private long _index;

        public void OnNext(Record value)
        {
            onRecord(_index++);
        }

        public void OnCompleted() => end.OnCompleted();

        public void OnError(Exception error) => end.OnError(error);
    }
}
