using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Kekbit.Core.Internal;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>
/// <see cref="ShmReader.WaitForDataAsync"/>: the contract of <see cref="ShmReader.WaitForData"/>, holding no thread while it
/// waits: the process-wide doorbell waiter (futex_waitv threads) on channels with a doorbell, a shared timer elsewhere.
/// </summary>
/// <remarks>Not run in parallel with other classes: some tests count the waiter's threads and pending waits, which are process-wide.</remarks>
[Collection(nameof(AsyncWaiterUsers))]
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
        var elapsed = Stopwatch.StartNew();
        Assert.False(await reader.WaitForDataAsync(TimeSpan.FromMilliseconds(15), Token));
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(14), $"timed out after {elapsed.Elapsed}");
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
        Assert.Equal(0, DoorbellWaiter.PendingWaits);
    }

    [Fact]
    public async Task A_record_completes_a_pending_wait_through_the_doorbell_waiter()
    {
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel());
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);

        for (int i = 0; i < 20; i++)
        {
            Task<bool> waiting = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
            Assert.False(waiting.IsCompleted);
            if (UsesDoorbellWaiter(reader))
            {
                Assert.Equal(1, DoorbellWaiter.PendingWaits);
                Assert.Equal(1u, WaitersFlag(root));
            }

            Assert.True(writer.Write([(byte)i]).IsSuccess);
            Assert.True(await waiting.WaitAsync(Deadline, Token));
            Assert.Equal(i, reader.TryRead().Span[0]);
        }

        Assert.True(!UsesDoorbellWaiter(reader) || writer.Wakes is > 0 and <= 20);
        Assert.Equal(0, DoorbellWaiter.PendingWaits);
    }

    [Fact]
    public async Task An_async_reader_keeps_up_with_a_writer_on_another_thread()
    {
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel(capacity: 1 << 20));
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);
        const int Records = 20_000;
        var writing = Task.Run(() =>
        {
            byte[] payload = new byte[8];
            for (int i = 0; i < Records; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(payload, i);
                Assert.True(writer.Write(payload).IsSuccess);
                if (i % 64 == 0)
                {
                    // Let the reader catch up and sleep now and then, so waits both complete at once and through the waiter.
                    Thread.Yield();
                }
            }
        }, Token);

        int next = 0;
        while (next < Records)
        {
            Assert.True(await reader.WaitForDataAsync(Deadline, Token), $"no record {next} in time");
            ReadResult result;
            while ((result = reader.TryRead()).IsRecord)
            {
                Assert.Equal(next++, BinaryPrimitives.ReadInt32LittleEndian(result.Span));
            }
        }

        await writing.WaitAsync(Deadline, Token);
        Assert.Equal(0, DoorbellWaiter.PendingWaits);
    }

    [Fact]
    public async Task WaitForDataAsync_observes_cancellation_and_dispose_and_lets_go_of_the_wait_first()
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

        for (int i = 0; i < 3; i++)
        {
            using var cancellation = new CancellationTokenSource();
            Task<bool> waiting = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, cancellation.Token).AsTask();
            Assert.False(waiting.IsCompleted);
            cancellation.Cancel();
            var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Deadline, Token));
            Assert.Equal(cancellation.Token, e.CancellationToken);
            Assert.Equal(0, DoorbellWaiter.PendingWaits);
        }

        // A wait with a timeout ends by cancellation long before it.
        using (var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(5)))
        {
            var elapsed = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.WaitForDataAsync(TimeSpan.FromMinutes(5), cancellation.Token).AsTask().WaitAsync(Deadline, Token));
            Assert.True(elapsed.Elapsed < Deadline);
        }

        Task<bool> pending = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
        Assert.False(pending.IsCompleted);
        reader.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(Deadline, Token));
        Assert.Equal(0, DoorbellWaiter.PendingWaits);
        Assert.Throws<ObjectDisposedException>(() => Start(reader.WaitForDataAsync(TimeSpan.Zero, Token)));
    }

    [Fact]
    public async Task A_second_wait_on_one_reader_while_one_is_pending_is_refused()
    {
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel());
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);
        Task<bool> first = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
        Assert.Throws<InvalidOperationException>(() => Start(reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token)));
        writer.Write([1]);
        Assert.True(await first.WaitAsync(Deadline, Token));
        Assert.True(await reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token));
    }

    [Fact]
    public async Task A_channel_without_the_doorbell_is_polled_on_a_timer()
    {
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel(), options: new ShmWriterOptions { Doorbell = false });
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);
        Assert.False(reader.HasDoorbell);

        var elapsed = Stopwatch.StartNew();
        Assert.False(await reader.WaitForDataAsync(TimeSpan.FromMilliseconds(10), Token));
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(9));
        for (int i = 0; i < 5; i++)
        {
            Task<bool> waiting = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
            Assert.Equal(0, DoorbellWaiter.PendingWaits);
            writer.Write([1, 2, 3]);
            Assert.True(await waiting.WaitAsync(Deadline, Token));
            Assert.True(reader.TryRead().IsRecord);
        }

        using (var cancellation = new CancellationTokenSource())
        {
            Task<bool> waiting = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, cancellation.Token).AsTask();
            cancellation.Cancel();
            var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Deadline, Token));
            Assert.Equal(cancellation.Token, e.CancellationToken);
        }

        Task<bool> pending = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
        reader.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(Deadline, Token));
    }

    [Fact]
    public async Task Three_hundred_waiting_channels_share_three_waiter_threads_and_all_wake()
    {
        Assert.SkipUnless(DoorbellWaiter.IsSupported, "the doorbell waiter needs Linux futex_waitv");
        const int Channels = 300;
        using var root = new TempRoot();
        var writers = new ShmWriter[Channels];
        var readers = new ShmReader[Channels];
        var waits = new Task<bool>[Channels];
        try
        {
            for (int i = 0; i < Channels; i++)
            {
                writers[i] = ShmWriter.Create(root.Path, Metadata.Create(1, (ulong)(1000 + i), 4096, 100, 10_000, TickUnit.Millis));
                readers[i] = ShmReader.Open(root.Path, (ulong)(1000 + i));
                waits[i] = readers[i].WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
            }

            Assert.Equal(Channels, DoorbellWaiter.PendingWaits);
            Assert.Equal((Channels + DoorbellWaiterThread.Capacity - 1) / DoorbellWaiterThread.Capacity, DoorbellWaiter.ThreadCount);
            // The threads carry their name (Linux shows its first 15 characters).
            Assert.Equal(DoorbellWaiter.ThreadCount, WaiterThreadsByName());
            Assert.DoesNotContain(waits, wait => wait.IsCompleted);

            // Every other channel first: the others stay asleep.
            for (int i = 0; i < Channels; i += 2)
            {
                writers[i].Write([(byte)i]);
            }

            for (int i = 0; i < Channels; i += 2)
            {
                Assert.True(await waits[i].WaitAsync(Deadline, Token));
            }

            Assert.All(waits.Where((_, i) => i % 2 == 1), wait => Assert.False(wait.IsCompleted));
            for (int i = 1; i < Channels; i += 2)
            {
                writers[i].Write([(byte)i]);
            }

            Assert.All(await Task.WhenAll(waits).WaitAsync(Deadline, Token), woken => Assert.True(woken));
            Assert.Equal(0, DoorbellWaiter.PendingWaits);
        }
        finally
        {
            foreach (ShmReader reader in readers)
            {
                reader?.Dispose();
            }

            foreach (ShmWriter writer in writers)
            {
                writer?.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_record_wakes_an_async_waiter_in_another_process()
    {
        Assert.SkipUnless(DoorbellWaiter.IsSupported, "the doorbell waiter needs Linux futex_waitv");
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel());
        using ChildProcess sleeper = ChildProcess.StartAgent("sleep", root.Path, ChannelId.ToString(CultureInfo.InvariantCulture), "--async");
        sleeper.WaitForLine(line => line == "WAITING doorbell=True", Deadline);
        await WaitUntilRegistered(root);

        byte[] payload = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, 0xBEEF);
        writer.Write(payload);

        sleeper.WaitForLine(line => line == "WOKEN 48879", Deadline);
        Assert.Equal(0, sleeper.WaitForExit(Deadline));
        Assert.Equal(1, writer.Wakes);
    }

    [Fact]
    public async Task Async_ping_pong_with_another_process_arrives_by_the_doorbell()
    {
        Assert.SkipUnless(DoorbellWaiter.IsSupported, "the doorbell waiter needs Linux futex_waitv");
        const int Rounds = 2_000;
        const ulong Ping = 5101, Pong = 5102;
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, Metadata.Create(1, Ping, (Rounds + 2) * 16, 8, 10_000, TickUnit.Millis));
        using ChildProcess echo = ChildProcess.StartAgent("echo", root.Path, Ping.ToString(CultureInfo.InvariantCulture), Pong.ToString(CultureInfo.InvariantCulture), "--async");
        echo.WaitForLine(line => line == "READY doorbell=True", Deadline);
        using ShmReader reader = await ShmReader.OpenWhenReadyAsync(root.Path, Pong, Deadline, Token);

        byte[] payload = new byte[8];
        var elapsed = Stopwatch.StartNew();
        int slowRounds = 0;
        for (int round = 0; round < Rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            BinaryPrimitives.WriteUInt64LittleEndian(payload, (ulong)round);
            Assert.True(writer.Write(payload).IsSuccess);
            Assert.True(await reader.WaitForDataAsync(Deadline, Token), $"no echo of round {round}");
            ReadResult echoed = reader.TryRead();
            Assert.True(echoed.IsRecord);
            Assert.Equal((ulong)round, BinaryPrimitives.ReadUInt64LittleEndian(echoed.Span));
            if (Stopwatch.GetElapsedTime(start) >= DoorbellWaiterThread.SafetyLook * 0.8)
            {
                slowRounds++;
            }
        }

        elapsed.Stop();
        writer.Dispose();
        string line = echo.WaitForLine(l => l.StartsWith("ECHOED", StringComparison.Ordinal), Deadline);
        Assert.Equal(0, echo.WaitForExit(Deadline));
        string report = string.Create(CultureInfo.InvariantCulture,
            $"async ping-pong: {Rounds} rounds in {elapsed.Elapsed.TotalMilliseconds:F0} ms ({elapsed.Elapsed.TotalMicroseconds / Rounds:F1} us per round trip), {slowRounds} as slow as a safety look; child {line}");
        TestContext.Current.SendDiagnosticMessage(report);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        // A wake-up lost by either side costs its wait a safety look (500 ms): an ordering bug would make most rounds that
        // slow. Scheduling on a shared 2-core machine may cost a few.
        Assert.True(slowRounds <= Rounds / 100, report);
    }

    [Fact]
    public void Waiting_asynchronously_allocates_nothing_in_steady_state()
    {
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel(capacity: 1 << 20));
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);
        using var cancellation = new CancellationTokenSource();
        var state = (writer, reader, cancellation.Token);
        long callerBytes = Allocations.OfSecondRun(state, static s =>
        {
            for (int i = 0; i < 50; i++)
            {
                WaitThenWrite(s.reader, s.writer, i % 2 == 0 ? default : s.Token);
            }
        });
        long waiterBefore = DoorbellWaiter.AllocatedBytes;
        for (int i = 0; i < 50; i++)
        {
            WaitThenWrite(reader, writer, Token);
        }

        Assert.Equal(0, callerBytes);
        // The waiter thread samples its count on each pass; a pass that allocated would show in the later samples.
        var deadline = Stopwatch.StartNew();
        while (DoorbellWaiter.AllocatedBytes != waiterBefore && deadline.Elapsed < TimeSpan.FromSeconds(1))
        {
            Thread.Sleep(1);
        }

        Assert.Equal(waiterBefore, DoorbellWaiter.AllocatedBytes);

        static void WaitThenWrite(ShmReader reader, ShmWriter writer, CancellationToken token)
        {
#pragma warning disable CA2012 // Consumed once below, after it completes (a blocking spin: this measures one thread).
            ValueTask<bool> wait = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, token);
#pragma warning restore CA2012
            writer.Write([1, 2, 3, 4]);
            var spin = default(SpinWait);
            while (!wait.IsCompleted)
            {
                spin.SpinOnce();
            }

            Assert.True(wait.GetAwaiter().GetResult());
            Assert.True(reader.TryRead().IsRecord);
        }
    }

    [Fact]
    public async Task A_waiter_thread_with_no_waits_stays_parked_then_exits()
    {
        Assert.SkipUnless(DoorbellWaiter.IsSupported, "the doorbell waiter needs Linux futex_waitv");
        (TimeSpan linger, TimeSpan detachAfter) = (DoorbellWaiterThread.Linger, DoorbellWaiterThread.DetachAfter);
        (DoorbellWaiterThread.Linger, DoorbellWaiterThread.DetachAfter) = (TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50));
        try
        {
            await WaiterThreadsExitWhenUnused();
        }
        finally
        {
            (DoorbellWaiterThread.Linger, DoorbellWaiterThread.DetachAfter) = (linger, detachAfter);
        }
    }

    private static async Task WaiterThreadsExitWhenUnused()
    {
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel());
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);
        // A wait that went through a thread, which keeps the reader's slot (idle) for a while, then lets go of it, then exits.
        Assert.False(await reader.WaitForDataAsync(TimeSpan.FromMilliseconds(1), Token));
        Assert.Equal(0, DoorbellWaiter.PendingWaits);
        DoorbellWaiter.PokeAll();
        var deadline = Stopwatch.StartNew();
        while (DoorbellWaiter.ThreadCount > 0)
        {
            Assert.True(deadline.Elapsed < DoorbellWaiterThread.Linger + Deadline, "an unused waiter thread did not exit");
            await Task.Delay(50, Token);
        }

        // And one is started again when needed.
        Task<bool> waiting = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
        Assert.Equal(1, DoorbellWaiter.ThreadCount);
        writer.Write([1]);
        Assert.True(await waiting.WaitAsync(Deadline, Token));
    }

    [Fact]
    public void Safety_looks_back_off_while_they_find_nothing_and_come_back_after_a_lost_wake_up()
    {
        long shortest = DoorbellWaiterThread.ToTimestamp(DoorbellWaiterThread.SafetyLook);
        long longest = DoorbellWaiterThread.ToTimestamp(DoorbellWaiterThread.MaxSafetyLook);
        long period = shortest;
        var periods = new List<long>();
        for (int look = 0; look < 6; look++)
        {
            period = DoorbellWaiterThread.NextSafetyPeriod(period, foundByLook: false, safetyLook: true);
            periods.Add(period);
        }

        Assert.Equal([2 * shortest, 4 * shortest, Math.Min(8 * shortest, longest), longest, longest, longest], periods);
        Assert.Equal(longest, DoorbellWaiterThread.NextSafetyPeriod(longest, foundByLook: false, safetyLook: false));
        Assert.Equal(shortest, DoorbellWaiterThread.NextSafetyPeriod(longest, foundByLook: true, safetyLook: true));
        Assert.Equal(shortest, DoorbellWaiterThread.NextSafetyPeriod(longest, foundByLook: true, safetyLook: false));
    }

    [Fact]
    public async Task A_record_published_without_a_ring_is_found_by_a_safety_look()
    {
        Assert.SkipUnless(DoorbellWaiter.IsSupported, "the doorbell waiter needs Linux futex_waitv");
        using var root = new TempRoot();
        using ShmWriter writer = ShmWriter.Create(root.Path, SmallChannel());
        using ShmReader reader = ShmReader.Open(root.Path, ChannelId);
        long byLookBefore = DoorbellWaiterThread.WakeupsByLook;

        Task<bool> waiting = reader.WaitForDataAsync(Timeout.InfiniteTimeSpan, Token).AsTask();
        await WaitUntilRegistered(root);
        // A lost wake-up, as when a writer dies between publishing and ringing: the flag is cleared behind the reader's
        // back, so the writer publishes and sees no one waiting.
        using (var file = File.OpenHandle(root.ChannelFile(ChannelId), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            RandomAccess.Write(file, new byte[4], ChannelFormat.WaitersOffset);
        }

        var elapsed = Stopwatch.StartNew();
        Assert.True(writer.Write([5]).IsSuccess);
        Assert.True(await waiting.WaitAsync(Deadline, Token));
        Assert.Equal(0, writer.Wakes);
        Assert.True(DoorbellWaiterThread.WakeupsByLook > byLookBefore, "the wait did not complete by a safety look");
        // At most one look period (SafetyLook, backed off to MaxSafetyLook at most), with room for a busy machine.
        Assert.True(elapsed.Elapsed < DoorbellWaiterThread.MaxSafetyLook + TimeSpan.FromSeconds(5), $"found after {elapsed.Elapsed}");
    }

    /// <summary>For checking what a call throws synchronously, before any wait.</summary>
    private static void Start(ValueTask<bool> wait) => _ = wait.AsTask();

    private static bool UsesDoorbellWaiter(ShmReader reader) => reader.HasDoorbell && DoorbellWaiter.IsSupported;

    private static int WaiterThreadsByName() =>
        Directory.GetDirectories("/proc/self/task").Count(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == "Kekbit doorbell waiter"[..15]);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Metadata SmallChannel(int capacity = 16384) => Metadata.Create(1, ChannelId, capacity, 100, 10_000, TickUnit.Millis);

    /// <summary>The waiters flag, read through the file (the page cache the mappings share), not through a mapping.</summary>
    private static uint WaitersFlag(TempRoot root)
    {
        byte[] flag = new byte[4];
        using var file = File.OpenHandle(root.ChannelFile(ChannelId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Assert.Equal(4, RandomAccess.Read(file, flag, ChannelFormat.WaitersOffset));
        return BinaryPrimitives.ReadUInt32LittleEndian(flag);
    }

    private static async Task WaitUntilRegistered(TempRoot root)
    {
        var deadline = Stopwatch.StartNew();
        while (WaitersFlag(root) == 0)
        {
            Assert.True(deadline.Elapsed < Deadline, "no reader registered on the doorbell");
            await Task.Delay(1, Token);
        }
    }
}

/// <summary>The tests that use the process-wide async waiter run alone: some count its threads and pending waits.</summary>
[CollectionDefinition(nameof(AsyncWaiterUsers), DisableParallelization = true)]
public sealed class AsyncWaiterUsers;
