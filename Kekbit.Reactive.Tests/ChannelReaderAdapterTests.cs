using System.Threading.Channels;
using Kekbit.Core;

namespace Kekbit.Reactive.Tests;

public sealed class ChannelReaderAdapterTests
{
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
    public async Task WaitToReadAsync_waits_for_a_record_written_later()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(Gentle.Polling);

        ValueTask<bool> waiting = records.WaitToReadAsync(Gentle.Cancellation);
        channel.WritePattern(0, 1);

        Assert.True(await waiting);
        Assert.True(records.TryRead(out Record record));
        Assert.Equal(0, TestChannel.IndexOf(record));
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
    public async Task A_damaged_channel_faults_the_completion_and_WaitToReadAsync_throws()
    {
        using var channel = new TestChannel();
        channel.WritePattern(0, 1);
        channel.CloseAndCorrupt();
        using ShmReader reader = channel.OpenReader();
        ChannelReader<Record> records = reader.AsChannelReader(Gentle.Polling);

        Assert.True(records.TryRead(out _));
        await Assert.ThrowsAsync<ChannelCorruptedException>(async () => await records.WaitToReadAsync(Gentle.Cancellation));
        await Assert.ThrowsAsync<ChannelCorruptedException>(() => records.Completion);
    }

    [Fact]
    public async Task Cancellation_stops_a_waiting_WaitToReadAsync()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Gentle.Cancellation);
        ValueTask<bool> waiting = reader.AsChannelReader(Gentle.Polling).WaitToReadAsync(cancellation.Token);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
    }
}
