using System.Runtime.CompilerServices;
using Kekbit.Core;

namespace Kekbit.Reactive.Tests;

/// <summary><c>IAsyncEnumerable&lt;T&gt;.WriteAllAsync</c>: the asynchronous sink. Failure policies are pinned in <see cref="SinkFailurePolicyTests"/>.</summary>
public sealed class AsyncEnumerableSinkTests
{
    private static readonly RecordEncoder<long> Int64 = static (value, output) => output.WriteUInt64LittleEndian((ulong)value);

    [Fact]
    public async Task WriteAllAsync_writes_every_item_in_order_returns_the_count_and_closes_the_channel()
    {
        using var channel = new TestChannel();

        long written = await Range(0, 5000).WriteAllAsync(channel.Writer, Int64, Gentle.Cancellation);

        Assert.Equal(5000, written);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => (long)i), ObserverSinkTests.ReadAll(channel, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    [Fact]
    public async Task WriteAllAsync_flushes_every_batch_and_the_rest_and_can_leave_the_channel_open()
    {
        using var channel = new TestChannel();
        var counting = new FlushCountingWriter(channel.Writer);
        var options = new SinkOptions<long> { BatchSize = 10, FlushEachBatch = true, CloseOnCompletion = false };

        long written = await Range(0, 25).WriteAllAsync(counting, Int64, options, Gentle.Cancellation);

        Assert.Equal((25L, 3), (written, counting.Flushes));
        Assert.False(channel.Writer.IsClosed);
        Assert.Equal(25, ObserverSinkTests.ReadAll(channel, out ReadStatus end).Count);
        Assert.Equal(ReadStatus.Nothing, end);
    }

    [Fact]
    public async Task WriteAllAsync_stops_on_cancellation_and_leaves_the_channel_open_with_what_it_wrote()
    {
        using var channel = new TestChannel();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Gentle.Cancellation);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CancelAfter(3, cancellation, Gentle.Cancellation).WriteAllAsync(channel.Writer, Int64, cancellation.Token));

        Assert.Equal([0L, 1L, 2L], ObserverSinkTests.ReadAll(channel, out ReadStatus end));
        Assert.Equal(ReadStatus.Nothing, end);
    }

    [Fact]
    public async Task WriteAllAsync_passes_a_source_error_on_and_leaves_the_channel_open()
    {
        using var channel = new TestChannel();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Failing(2).WriteAllAsync(channel.Writer, Int64, Gentle.Cancellation));

        Assert.Equal("source failed", error.Message);
        Assert.Equal([0L, 1L], ObserverSinkTests.ReadAll(channel, out ReadStatus end));
        Assert.Equal(ReadStatus.Nothing, end);
    }

    [Fact]
    public async Task WriteAllAsync_allocates_nothing_per_record()
    {
        using var channel = new TestChannel(capacity: 4 << 20);
        await Range(0, 10).WriteAllAsync(channel.Writer, Int64, new SinkOptions<long> { CloseOnCompletion = false }, Gentle.Cancellation);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Task<long> writing = Range(0, 100_000).WriteAllAsync(channel.Writer, Int64, Gentle.Cancellation);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The source never waits, so the whole run is synchronous on this thread: a fixed cost, nothing per record.
        Assert.True(writing.IsCompletedSuccessfully);
        Assert.Equal(100_000, await writing);
        Assert.InRange(allocated, 0, 4096);
    }

    [Fact]
    public async Task WriteAllAsync_checks_its_arguments()
    {
        using var channel = new TestChannel();
        IAsyncEnumerable<long> source = Range(0, 1);

        await Assert.ThrowsAsync<ArgumentNullException>(() => ((IAsyncEnumerable<long>)null!).WriteAllAsync(channel.Writer, Int64, Gentle.Cancellation));
        await Assert.ThrowsAsync<ArgumentNullException>(() => source.WriteAllAsync(null!, Int64, Gentle.Cancellation));
        await Assert.ThrowsAsync<ArgumentNullException>(() => source.WriteAllAsync(channel.Writer, null!, Gentle.Cancellation));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => source.WriteAllAsync(channel.Writer, Int64, new SinkOptions<long> { BatchSize = 0 }, Gentle.Cancellation));
    }

#pragma warning disable CS1998 // Async iterators that never wait: the sink's synchronous path.
    private static async IAsyncEnumerable<long> Range(long start, long count)
    {
        for (long i = start; i < start + count; i++)
        {
            yield return i;
        }
    }

    private static async IAsyncEnumerable<long> CancelAfter(long count, CancellationTokenSource cancellation, [EnumeratorCancellation] CancellationToken token = default)
    {
        for (long i = 0; ; i++)
        {
            if (i == count)
            {
                await cancellation.CancelAsync();
            }

            token.ThrowIfCancellationRequested();
            yield return i;
        }
    }

    private static async IAsyncEnumerable<long> Failing(long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return i;
        }

        throw new InvalidOperationException("source failed");
    }
#pragma warning restore CS1998
}
