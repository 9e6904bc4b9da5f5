using System.Buffers;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reactive.Tests;

/// <summary>
/// Issue 10, point 6: a record outlives nothing it points into. Raw records handed past their subscription
/// throw or read zeros, never crash; <see cref="RecordObservableExtensions.CopyPayloads"/> makes them safe to keep.
/// </summary>
public sealed class RecordLifetimeTests
{
    [Fact]
    public void Raw_records_kept_past_the_subscription_throw_when_read_never_crash()
    {
        // The report: ToList then ObserveOn delivers the list after the reader is disposed.
        using var channel = new TestChannel();
        channel.WritePattern(0, 2_000);
        channel.Writer.Dispose();
        using var loop = new EventLoopScheduler();

        IList<Record> kept = channel.OpenReader().ToObservable(Gentle.Polling).ToList().ObserveOn(loop).Wait();

        Assert.Equal(2_000, kept.Count);
        Assert.All(kept, record => Assert.Throws<ObjectDisposedException>(() => record.Span.Length));
    }

    [Fact]
    public async Task CopyPayloads_makes_records_safe_to_hand_to_another_thread_with_ObserveOn()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 2_000);
        channel.Writer.Dispose();
        var pool = new CountingPool();
        var indices = new List<long>();
        var done = new TaskCompletionSource();

        // The README's example (Lifetime rules), on a channel closed after 2,000 records: every payload intact
        // on the other thread, in order, and every buffer back in the pool.
        using IDisposable subscription = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, Gentle.Polling)
            .CopyPayloads(pool)
            .ObserveOn(TaskPoolScheduler.Default)
            .Subscribe(
                record =>
                {
                    using (record)
                    {
                        indices.Add(RecordPattern.IsIntact(record.Span, out ulong index) ? (long)index : -1);
                    }
                },
                error => done.TrySetException(error),
                () => done.TrySetResult());

        await done.Task.WaitAsync(RecordingObserver.Patience, Gentle.Cancellation);
        Assert.Equal(Enumerable.Range(0, 2_000).Select(i => (long)i), indices);
        Assert.Equal(2_000, pool.Rented);
        Assert.Equal(2_000, pool.Returned);
    }

    [Fact]
    public void Copies_kept_in_a_list_stay_intact_after_the_reader_is_gone()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 500);
        channel.Writer.Dispose();
        ShmReader reader = channel.OpenReader();

        IList<OwnedRecord> kept = reader.ToObservable(Gentle.Polling).CopyPayloads().ToList().Wait();

        Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), kept.Select(r => TestChannel.IndexOf(r.AsRecord())));
        Assert.Equal(kept[1].Position, kept[0].NextPosition);
        foreach (OwnedRecord record in kept)
        {
            record.Dispose();
        }
    }

    [Fact]
    public void An_owned_record_refuses_use_after_dispose_and_returns_its_buffer_once()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 1);
        using ShmReader reader = channel.OpenReader();
        var pool = new CountingPool();
        Record record = Record.From(reader.TryRead());

        OwnedRecord copy = record.Copy(pool);
        Assert.Equal(record.ToArray(), copy.ToArray());
        Assert.Equal(record.Position, copy.Position);
        Assert.Equal(record.NextPosition, copy.NextPosition);
        Parallel.For(0, 8, _ => copy.Dispose());

        Assert.Equal(1, pool.Returned);
        Assert.Throws<ObjectDisposedException>(() => copy.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => copy.Payload);
        Assert.Equal(TestChannel.RecordSize, copy.Length);
    }

    [Fact]
    public void Copying_a_record_whose_reader_is_gone_throws_and_rents_nothing()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 1);
        ShmReader reader = channel.OpenReader();
        Record record = Record.From(reader.TryRead());
        reader.Dispose();
        var pool = new CountingPool();

        Assert.Throws<ObjectDisposedException>(() => record.Copy(pool));
        Assert.Equal(0, pool.Rented);
    }

    [Fact]
    public async Task Raw_records_read_on_another_thread_while_the_subscription_ends_never_crash()
    {
        // 200 rounds: records cross to an event loop without copying while the subscription ends (the channel
        // closes, or this thread disposes it). Each read sees the intact record, zeros or ObjectDisposedException.
        using var channel = new TestChannel();
        channel.WritePattern(0, 200);
        channel.Writer.Dispose();
        using var loop = new EventLoopScheduler();
        for (int round = 0; round < 200; round++)
        {
            int intact = 0, zeros = 0, refused = 0, torn = 0;
            var drained = new TaskCompletionSource();
            IDisposable subscription = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, Gentle.Polling)
                .ObserveOn(loop)
                .Finally(() => drained.TrySetResult())
                .Subscribe(record =>
                {
                    try
                    {
                        ReadOnlySpan<byte> span = record.Span;
                        if (RecordPattern.IsIntact(span, out _))
                        {
                            intact++;
                        }
                        else if (span.IndexOfAnyExcept((byte)0) < 0)
                        {
                            zeros++;
                        }
                        else
                        {
                            torn++;
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        refused++;
                    }
                });
            if (round % 2 == 0)
            {
                subscription.Dispose();
            }

            await drained.Task.WaitAsync(RecordingObserver.Patience, Gentle.Cancellation);
            subscription.Dispose();
            // The loop runs the observer: read the counts there, after anything it was still running.
            int[] seen = await Observable.Start(() => new[] { intact, zeros, refused, torn }, loop);
            Assert.Equal(0, seen[3]);
            Assert.InRange(seen[0] + seen[1] + seen[2], 0, 200);
        }
    }

    /// <summary>An array pool that counts rents and returns.</summary>
    private sealed class CountingPool : ArrayPool<byte>
    {
        private int _rented;
        private int _returned;

        public int Rented => Volatile.Read(ref _rented);

        public int Returned => Volatile.Read(ref _returned);

        public override byte[] Rent(int minimumLength)
        {
            Interlocked.Increment(ref _rented);
            return Shared.Rent(minimumLength);
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            Interlocked.Increment(ref _returned);
            Shared.Return(array, clearArray);
        }
    }
}
