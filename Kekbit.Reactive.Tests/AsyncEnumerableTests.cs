using Kekbit.Core;
using Microsoft.Extensions.Time.Testing;

namespace Kekbit.Reactive.Tests;

public sealed class AsyncEnumerableTests
{
    [Fact]
    public async Task Enumerates_every_record_in_order_and_ends_when_the_channel_closes()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 1000);
        channel.Writer.Dispose();
        using ShmReader reader = channel.OpenReader();
        var seen = new List<long>();

        await foreach (Record record in reader.ReadAllAsync(Gentle.Cancellation))
        {
            seen.Add(TestChannel.IndexOf(record));
        }

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), seen);
        Assert.Equal(ReadStatus.Closed, reader.ExhaustedBy);
    }

    [Fact]
    public async Task Follows_a_live_writer_on_another_thread()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        var writer = Task.Run(
            async () =>
            {
                for (int burst = 0; burst < 20; burst++)
                {
                    channel.WritePattern(burst * 50, 50);
                    await Task.Yield();
                }

                channel.Writer.Dispose();
            },
            Gentle.Cancellation);
        long expected = 0;

        await foreach (Record record in reader.ReadAllAsync(Gentle.Polling, Gentle.Cancellation))
        {
            Assert.Equal(expected++, TestChannel.IndexOf(record));
        }

        await writer;
        Assert.Equal(1000, expected);
    }

    [Fact]
    public async Task Waits_without_holding_a_thread_then_resumes_when_a_timer_fires()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        var clock = new FakeTimeProvider();
        await using IAsyncEnumerator<Record> records = reader.ReadAllAsync(Gentle.Polling with { TimeProvider = clock }, Gentle.Cancellation).GetAsyncEnumerator(Gentle.Cancellation);

        // Nothing to read: after its brief spins and yields the enumerator parks on a timer of the fake clock,
        // so MoveNextAsync returns at once, pending, and no thread waits.
        ValueTask<bool> next = records.MoveNextAsync();
        Assert.False(next.IsCompleted);

        channel.WritePattern(0, 1);
        var deadline = DateTime.UtcNow + RecordingObserver.Patience;
        while (!next.IsCompleted && DateTime.UtcNow < deadline)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.True(await next);
        Assert.Equal(0, TestChannel.IndexOf(records.Current));
    }

    [Fact]
    public async Task Cancellation_ends_a_waiting_enumeration()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 3);
        using ShmReader reader = channel.OpenReader();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Gentle.Cancellation);
        int seen = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (Record record in reader.ReadAllAsync(Gentle.Polling, Gentle.Cancellation).WithCancellation(cancellation.Token))
            {
                if (++seen == 3)
                {
                    await cancellation.CancelAsync();
                }
            }
        });

        Assert.Equal(3, seen);
    }

    [Fact]
    public async Task A_silent_writer_ends_the_enumeration_with_a_typed_timeout()
    {
        using var channel = new TestChannel(timeoutMillis: 1000);
        channel.WritePattern(0, 2);
        var clock = new FakeTimeProvider();
        using var reader = new TimeoutReader(channel.OpenReader(), clock);
        int seen = 0;

        var error = await Assert.ThrowsAsync<ChannelTimeoutException>(async () =>
        {
            // The fake clock drives both the timeout and the enumerator's parks: each park moves time on.
            var options = Gentle.Polling with { TimeProvider = clock };
            var enumeration = Task.Run(
                async () =>
                {
                    await foreach (Record record in reader.ReadAllAsync(options, Gentle.Cancellation))
                    {
                        seen++;
                    }
                },
                Gentle.Cancellation);
            var deadline = DateTime.UtcNow + RecordingObserver.Patience;
            while (!enumeration.IsCompleted && DateTime.UtcNow < deadline)
            {
                clock.Advance(TimeSpan.FromMilliseconds(100));
                await Task.Yield();
            }

            await enumeration;
        });

        Assert.Equal((2, 80L), (seen, error.Position));
    }

    [Fact]
    public async Task Corruption_ends_the_enumeration_with_a_typed_error_after_the_intact_records()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 4);
        channel.CloseAndCorrupt();
        using ShmReader reader = channel.OpenReader();
        int seen = 0;

        var error = await Assert.ThrowsAsync<ChannelCorruptedException>(async () =>
        {
            await foreach (Record record in reader.ReadAllAsync(Gentle.Cancellation))
            {
                seen++;
            }
        });

        Assert.Equal((4, ReadFailure.UnknownMarker), (seen, error.Failure));
    }

    [Fact]
    public async Task Several_enumerations_over_their_own_readers_each_see_every_record()
    {
        using var channel = new TestChannel();
        async Task<long> SumIndices()
        {
            using ShmReader reader = channel.OpenReader();
            long sum = 0;
            await foreach (Record record in reader.ReadAllAsync(Gentle.Polling, Gentle.Cancellation))
            {
                sum += TestChannel.IndexOf(record);
            }

            return sum;
        }

        Task<long>[] readers = [Task.Run(SumIndices, Gentle.Cancellation), Task.Run(SumIndices, Gentle.Cancellation), Task.Run(SumIndices, Gentle.Cancellation)];
        channel.WritePattern(0, 3000);
        channel.Writer.Dispose();

        Assert.All(await Task.WhenAll(readers), sum => Assert.Equal(2999L * 3000 / 2, sum));
    }

    [Fact]
    public async Task Enumerating_available_records_allocates_nothing_per_record()
    {
        using var channel = new TestChannel(capacity: 4 << 20);
        channel.WritePattern(0, 50_000);
        channel.Writer.Dispose();
        using ShmReader reader = channel.OpenReader();
        long index = 0;
        long before = 0;
        long after = 0;

        // Records are all available, so every MoveNextAsync completes synchronously on this thread.
        await foreach (Record record in reader.ReadAllAsync(Gentle.Cancellation))
        {
            if (index == 1_000)
            {
                before = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (index == 49_000)
            {
                after = GC.GetAllocatedBytesForCurrentThread();
            }

            index += record.Length > 0 ? 1 : 0;
        }

        Assert.Equal(50_000, index);
        Assert.Equal(0, after - before);
    }
}
