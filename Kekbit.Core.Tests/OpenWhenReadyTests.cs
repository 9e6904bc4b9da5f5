using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>Issue 10, point 8: waiting for a channel without a deadline, refusing negative timeouts, waiting asynchronously.</summary>
public sealed class OpenWhenReadyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken TestCancellation => TestContext.Current.CancellationToken;

    private static Metadata Small(ulong channelId = 42) => Metadata.Create(1, channelId, 16384, 100, 10_000, TickUnit.Millis);

    [Fact]
    public async Task An_infinite_timeout_waits_until_the_channel_exists()
    {
        using var root = new TempRoot();
        Task<ShmReader> opening = Task.Factory.StartNew(() => ShmReader.OpenWhenReady(root.Path, 42, Timeout.InfiniteTimeSpan, TestCancellation), TestCancellation, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // Still waiting once it has certainly tried (and failed) several times: it did not fail at once.
        Assert.NotSame(opening, await Task.WhenAny(opening, Task.Delay(TimeSpan.FromMilliseconds(100), TestCancellation)));
        using var writer = ShmWriter.Create(root.Path, Small());
        writer.Write("hello"u8);

        using ShmReader reader = await opening.WaitAsync(Patience, TestCancellation);
        Assert.True(reader.TryRead().Span.SequenceEqual("hello"u8));
    }

    [Fact]
    public async Task An_infinite_wait_ends_when_cancelled()
    {
        using var root = new TempRoot();
        using var cancel = new CancellationTokenSource();
        Task<ShmReader> opening = Task.Factory.StartNew(() => ShmReader.OpenWhenReady(root.Path, 42, Timeout.InfiniteTimeSpan, cancel.Token), TestCancellation, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => opening.WaitAsync(Patience, TestCancellation));
    }

    public static TheoryData<TimeSpan> NegativeTimeouts => [TimeSpan.MinValue, TimeSpan.FromTicks(-1), TimeSpan.FromMilliseconds(-2), TimeSpan.FromDays(-1)];

    [Theory]
    [MemberData(nameof(NegativeTimeouts))]
    public void Negative_timeouts_other_than_infinite_are_refused(TimeSpan timeout)
    {
        using var root = new TempRoot();
        Assert.Throws<ArgumentOutOfRangeException>(() => ShmReader.OpenWhenReady(root.Path, 42, timeout, TestCancellation));
        // Thrown by the call itself, before any task exists.
        Task<ShmReader>? task = null;
        try
        {
            task = ShmReader.OpenWhenReadyAsync(root.Path, 42, timeout, TestCancellation);
        }
        catch (ArgumentOutOfRangeException)
        {
        }

        Assert.Null(task);
    }

    [Fact]
    public void A_zero_timeout_tries_once()
    {
        using var root = new TempRoot();
        Assert.Equal(ChannelError.StorageNotFound, Assert.Throws<ChannelException>(() => ShmReader.OpenWhenReady(root.Path, 42, TimeSpan.Zero, TestCancellation)).Error);
        using var writer = ShmWriter.Create(root.Path, Small());
        using ShmReader reader = ShmReader.OpenWhenReady(root.Path, 42, TimeSpan.Zero, TestCancellation);
    }

    [Fact]
    public async Task The_async_form_returns_at_once_and_completes_when_the_channel_appears()
    {
        using var root = new TempRoot();
        Task<ShmReader> opening = ShmReader.OpenWhenReadyAsync(root.Path, 42, Timeout.InfiniteTimeSpan, TestCancellation);
        Assert.False(opening.IsCompleted);

        using var writer = ShmWriter.Create(root.Path, Small());
        writer.Write("later"u8);

        using ShmReader reader = await opening.WaitAsync(Patience, TestCancellation);
        Assert.True(reader.TryRead().Span.SequenceEqual("later"u8));
    }

    [Fact]
    public async Task The_async_form_completes_synchronously_when_the_channel_exists()
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Small());
        Task<ShmReader> opening = ShmReader.OpenWhenReadyAsync(root.Path, 42, TimeSpan.FromSeconds(1), TestCancellation);
        Assert.True(opening.IsCompletedSuccessfully);
        (await opening).Dispose();
    }

    [Fact]
    public async Task Many_async_waits_hold_no_thread()
    {
        // 200 waits at once: were each to hold a thread, the pool would need 200 threads (it adds one or two a
        // second once past its minimum), and the thread count below would show it.
        using var root = new TempRoot();
        int threadsBefore = ThreadPool.ThreadCount;
        Task<ShmReader>[] openings = [.. Enumerable.Range(0, 200).Select(_ => ShmReader.OpenWhenReadyAsync(root.Path, 42, Timeout.InfiniteTimeSpan, TestCancellation))];
        await Task.Delay(TimeSpan.FromMilliseconds(100), TestCancellation);
        Assert.All(openings, o => Assert.False(o.IsCompleted));
        Assert.InRange(ThreadPool.ThreadCount, 0, threadsBefore + 50);

        using var writer = ShmWriter.Create(root.Path, Small());
        ShmReader[] readers = await Task.WhenAll(openings).WaitAsync(Patience, TestCancellation);
        foreach (ShmReader reader in readers)
        {
            reader.Dispose();
        }
    }

    [Fact]
    public async Task The_async_form_is_cancelled_by_its_token_and_times_out_with_the_last_error()
    {
        using var root = new TempRoot();
        using var cancel = new CancellationTokenSource();
        Task<ShmReader> opening = ShmReader.OpenWhenReadyAsync(root.Path, 42, Timeout.InfiniteTimeSpan, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => opening.WaitAsync(Patience, TestCancellation));

        var e = await Assert.ThrowsAsync<ChannelException>(() => ShmReader.OpenWhenReadyAsync(root.Path, 42, TimeSpan.FromMilliseconds(20), TestCancellation));
        Assert.Equal(ChannelError.StorageNotFound, e.Error);
    }

    [Fact]
    public async Task Errors_other_than_not_ready_fail_at_once()
    {
        using var root = new TempRoot();
        string file = Path.Combine(root.Path, "a-file");
        await File.WriteAllTextAsync(file, "x", TestCancellation);
        await Assert.ThrowsAsync<ChannelException>(() => ShmReader.OpenWhenReadyAsync(file, 42, Timeout.InfiniteTimeSpan, TestCancellation));
        Assert.Throws<ChannelException>(() => ShmReader.OpenWhenReady(file, 42, Timeout.InfiniteTimeSpan, TestCancellation));
    }
}
