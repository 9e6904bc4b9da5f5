using System.Diagnostics;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// <see cref="ShmReader.WaitForDataAsync"/>: the same contract as <see cref="ShmReader.WaitForData"/>, holding no thread.
/// </summary>
public sealed class AsyncDoorbellTests
{
    private const ulong ChannelId = 4545;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WaitForDataAsync_returns_at_once_for_a_record_or_the_end_and_false_after_its_timeout()
    {
        using var root = new TempRoot();
        var writer = ShmWriter.Create(root.Path, SmallChannel());
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);

        Assert.False(await reader.WaitForDataAsync(TimeSpan.Zero, Token));
        Assert.False(await reader.WaitForDataAsync(TimeSpan.FromMilliseconds(15), Token));
        writer.Write([7]);
        Task<bool> ready = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
        Assert.True(ready.IsCompletedSuccessfully);
        Assert.True(await ready);
        Assert.True(reader.TryRead().IsRecord);
        writer.Dispose();
        Assert.True(await reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token));
        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
        Assert.True(await reader.WaitForDataAsync(TimeSpan.Zero, Token));
        Assert.Throws<ArgumentOutOfRangeException>(() => Start(reader.WaitForDataAsync(TimeSpan.FromMilliseconds(-2), Token)));
    }

    [Fact]
    public async Task A_record_completes_a_pending_wait()
    {
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel());
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);

        for (int i = 0; i < 20; i++)
        {
            Task<bool> waiting = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
            Assert.True(writer.Write([(byte)i]).IsSuccess);
            Assert.True(await waiting.WaitAsync(Deadline, Token));
            Assert.Equal(i, reader.TryRead().Span[0]);
        }
    }

    [Fact]
    public async Task WaitForDataAsync_observes_cancellation_and_dispose()
    {
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel());
        var reader = ShmReader.Open(root.Path, ChannelId);
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, cancelled.Token).AsTask());
            Assert.Equal(cancelled.Token, e.CancellationToken);
        }

        using (var cancellation = new CancellationTokenSource())
        {
            Task<bool> waiting = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, cancellation.Token).AsTask();
            Assert.False(waiting.IsCompleted);
            cancellation.Cancel();
            var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Deadline, Token));
            Assert.Equal(cancellation.Token, e.CancellationToken);
        }

        Task<bool> pending = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
        Assert.False(pending.IsCompleted);
        reader.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(Deadline, Token));
        Assert.Throws<ObjectDisposedException>(() => Start(reader.WaitForDataAsync(TimeSpan.Zero, Token)));
    }

    [Fact]
    public async Task A_channel_without_the_doorbell_is_polled()
    {
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel(), options: new ShmWriterOptions { Doorbell = false });
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);
        Assert.False(reader.HasDoorbell);

        var elapsed = Stopwatch.StartNew();
        Assert.False(await reader.WaitForDataAsync(TimeSpan.FromMilliseconds(10), Token));
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(9));
        Task<bool> waiting = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
        writer.Write([1, 2, 3]);
        Assert.True(await waiting.WaitAsync(Deadline, Token));
        Assert.True(reader.TryRead().IsRecord);
    }

    /// <summary>For checking what a call throws synchronously, before any wait.</summary>
    private static void Start(ValueTask<bool> wait) => _ = wait.AsTask();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Metadata SmallChannel(int capacity = 16384) => Metadata.Create(1, ChannelId, capacity, 100, 10_000, TickUnit.Millis);
}
