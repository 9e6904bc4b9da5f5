using System.Runtime.CompilerServices;
using System.Threading.Channels;

// The contract includes what happens when value tasks are misused or consumed synchronously: these tests do it on purpose.
#pragma warning disable CA2012 // ValueTask consumed more than once or before completion
#pragma warning disable xUnit1031 // blocking on a task: synchronous completion is what is asserted

namespace Kekbit.Reactive.Tests;

/// <summary>
/// The <see cref="ChannelReader{T}"/> contract every reader we offer keeps, learnt from dotnet/runtime's own channel
/// tests: one derived class per reader, plus a control class running the same tests on .NET's unbounded channel, so
/// that a test which .NET's channel fails is a wrong test. Items are identified by an index: the hooks write item
/// <c>i</c>, and <see cref="IndexOf"/> reads it back.
/// </summary>
/// <remarks>
/// Writers may be other processes, so an item written does not complete a waiter synchronously: tests await with a
/// deadline (<see cref="Deadline"/>) and never assert that a pending operation completed before they awaited it.
/// </remarks>
/// <typeparam name="T">The reader's item type.</typeparam>
public abstract class ChannelReaderContractTests<T>
{
    /// <summary>How long any single wait may take before the test fails instead of hanging.</summary>
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Creates the reader under test, over a new empty channel; called once per test.</summary>
    protected abstract ChannelReader<T> CreateReader();

    /// <summary>Writes item <paramref name="index"/> to the channel of the reader created last. Must not allocate once warm.</summary>
    protected abstract void WriteItem(long index);

    /// <summary>Completes the channel's writer (a normal end: no error).</summary>
    protected abstract void CompleteWriter();

    /// <summary>The index of an item read.</summary>
    protected abstract long IndexOf(T item);

    /// <summary>Whether waits with a cancellable token are pooled too (ours are); when false, only waits without one must not allocate.</summary>
    protected virtual bool PoolsCancellableWaits => true;

    private static CancellationToken TestCancellation => TestContext.Current.CancellationToken;

    // ---- Completion ----

    [Fact]
    public async Task Completion_completes_on_its_own_when_an_empty_channel_is_completed_with_nobody_reading()
    {
        ChannelReader<T> reader = CreateReader();
        Task completion = reader.Completion;
        Assert.False(completion.IsCompleted);

        CompleteWriter();

        await completion.WaitAsync(Deadline, TestCancellation);
        Assert.Equal(TaskStatus.RanToCompletion, completion.Status);
    }

    [Fact]
    public async Task Completion_requested_only_after_the_writer_completed_an_empty_channel_completes()
    {
        ChannelReader<T> reader = CreateReader();
        CompleteWriter();

        await reader.Completion.WaitAsync(Deadline, TestCancellation);
    }

    [Fact]
    public void Completion_waits_for_the_items_left_and_completes_right_after_the_last_is_read()
    {
        ChannelReader<T> reader = CreateReader();
        WriteItem(0);
        WriteItem(1);
        CompleteWriter();

        Assert.True(reader.TryRead(out T? first));
        Assert.Equal(0, IndexOf(first!));
        Assert.False(reader.Completion.IsCompleted);
        Assert.True(reader.TryRead(out T? last));
        Assert.Equal(1, IndexOf(last!));

        Assert.True(reader.Completion.IsCompleted);
    }

    [Fact]
    public async Task Completion_after_ReadAsync_takes_the_last_item()
    {
        ChannelReader<T> reader = CreateReader();
        WriteItem(0);
        CompleteWriter();

        Assert.Equal(0, IndexOf(await reader.ReadAsync(TestCancellation)));

        await reader.Completion.WaitAsync(Deadline, TestCancellation);
    }

    [Fact]
    public async Task Completion_ends_pending_waits_with_false_and_pending_reads_with_ChannelClosedException()
    {
        ChannelReader<T> reader = CreateReader();
        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);
        ValueTask<T> reading = reader.ReadAsync(TestCancellation);

        CompleteWriter();

        Assert.False(await waiting.AsTask().WaitAsync(Deadline, TestCancellation));
        await Assert.ThrowsAsync<ChannelClosedException>(() => reading.AsTask().WaitAsync(Deadline, TestCancellation));
        await reader.Completion.WaitAsync(Deadline, TestCancellation);
    }

    [Fact]
    public async Task Completion_is_one_task()
    {
        ChannelReader<T> reader = CreateReader();
        Task completion = reader.Completion;
        Assert.Same(completion, reader.Completion);

        CompleteWriter();
        await completion.WaitAsync(Deadline, TestCancellation);

        Assert.Same(completion, reader.Completion);
    }

    // ---- WaitToReadAsync, ReadAsync, TryRead, TryPeek, ReadAllAsync ----

    [Fact]
    public void WaitToReadAsync_completes_synchronously_with_true_when_an_item_is_there()
    {
        ChannelReader<T> reader = CreateReader();
        WriteItem(0);

        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);

        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.True(waiting.Result);
        Assert.True(reader.TryRead(out T? item));
        Assert.Equal(0, IndexOf(item!));
    }

    [Fact]
    public async Task WaitToReadAsync_waits_for_an_item_written_later_and_consumes_nothing()
    {
        ChannelReader<T> reader = CreateReader();
        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);
        Assert.False(waiting.IsCompleted);

        WriteItem(0);

        Assert.True(await waiting.AsTask().WaitAsync(Deadline, TestCancellation));
        Assert.True(reader.TryRead(out T? item));
        Assert.Equal(0, IndexOf(item!));
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public async Task WaitToReadAsync_succeeds_many_times_in_a_row()
    {
        ChannelReader<T> reader = CreateReader();
        for (int i = 0; i < 20; i++)
        {
            ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);
            WriteItem(i);
            Assert.True(await waiting.AsTask().WaitAsync(Deadline, TestCancellation));
            Assert.True(reader.TryRead(out T? item));
            Assert.Equal(i, IndexOf(item!));
        }
    }

    [Fact]
    public void WaitToReadAsync_after_completion_returns_false_synchronously()
    {
        ChannelReader<T> reader = CreateReader();
        CompleteWriter();

        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);

        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.False(waiting.Result);
    }

    [Fact]
    public void ReadAsync_returns_an_item_that_is_there_synchronously()
    {
        ChannelReader<T> reader = CreateReader();
        WriteItem(0);

        ValueTask<T> reading = reader.ReadAsync(TestCancellation);

        Assert.True(reading.IsCompletedSuccessfully);
        Assert.Equal(0, IndexOf(reading.Result));
    }

    [Fact]
    public async Task ReadAsync_waits_for_items_in_order_and_each_goes_to_one_read()
    {
        ChannelReader<T> reader = CreateReader();
        for (int i = 0; i < 20; i++)
        {
            ValueTask<T> reading = reader.ReadAsync(TestCancellation);
            WriteItem(i);
            Assert.Equal(i, IndexOf(await reading.AsTask().WaitAsync(Deadline, TestCancellation)));
        }

        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public async Task Concurrent_ReadAsync_calls_share_the_items_each_going_to_exactly_one()
    {
        ChannelReader<T> reader = CreateReader();
        Task<T>[] reads = [.. Enumerable.Range(0, 10).Select(_ => reader.ReadAsync(TestCancellation).AsTask())];

        for (int i = 0; i < 10; i++)
        {
            WriteItem(i);
        }

        T[] items = await Task.WhenAll(reads).WaitAsync(Deadline, TestCancellation);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), items.Select(IndexOf).Order());
    }

    [Fact]
    public async Task ReadAsync_after_completion_throws_ChannelClosedException()
    {
        ChannelReader<T> reader = CreateReader();
        CompleteWriter();

        await Assert.ThrowsAsync<ChannelClosedException>(async () => await reader.ReadAsync(TestCancellation));
    }

    [Fact]
    public void TryRead_returns_items_in_order_then_false_and_false_after_completion()
    {
        ChannelReader<T> reader = CreateReader();
        Assert.False(reader.TryRead(out _));
        for (int i = 0; i < 5; i++)
        {
            WriteItem(i);
        }

        for (int i = 0; i < 5; i++)
        {
            Assert.True(reader.TryRead(out T? item));
            Assert.Equal(i, IndexOf(item!));
        }

        Assert.False(reader.TryRead(out _));
        CompleteWriter();
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void TryPeek_shows_the_next_item_without_taking_it()
    {
        ChannelReader<T> reader = CreateReader();
        Assert.True(reader.CanPeek);
        Assert.False(reader.TryPeek(out _));

        for (int i = 0; i < 3; i++)
        {
            WriteItem(i);
            Assert.True(reader.TryPeek(out T? peeked));
            Assert.True(reader.TryPeek(out T? again));
            Assert.True(reader.TryRead(out T? read));
            Assert.Equal((i, i, i), (IndexOf(peeked!), IndexOf(again!), IndexOf(read!)));
            Assert.False(reader.TryPeek(out _));
        }

        WriteItem(3);
        CompleteWriter();
        Assert.True(reader.TryPeek(out T? last));
        Assert.Equal(3, IndexOf(last!));
        Assert.False(reader.Completion.IsCompleted);
        Assert.True(reader.TryRead(out _));
        Assert.False(reader.TryPeek(out _));
    }

    [Fact]
    public async Task ReadAllAsync_yields_every_item_in_order_written_before_and_after_it_starts_then_ends()
    {
        ChannelReader<T> reader = CreateReader();
        WriteItem(0);
        WriteItem(1);
        var seen = new List<long>();

        Task consume = Task.Run(
            async () =>
            {
                await foreach (T item in reader.ReadAllAsync(TestCancellation))
                {
                    seen.Add(IndexOf(item));
                }
            },
            TestCancellation);
        for (int i = 2; i < 100; i++)
        {
            WriteItem(i);
        }

        CompleteWriter();
        await consume.WaitAsync(Deadline, TestCancellation);

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), seen);
        Assert.True(reader.Completion.IsCompleted);
    }

    // ---- Cancellation ----

    [Fact]
    public async Task Cancellation_before_a_wait_cancels_at_once_with_the_callers_token_even_with_an_item_there()
    {
        ChannelReader<T> reader = CreateReader();
        using var source = new CancellationTokenSource();
        await source.CancelAsync();

        foreach (bool itemThere in new[] { false, true })
        {
            if (itemThere)
            {
                WriteItem(0);
            }

            ValueTask<bool> waiting = reader.WaitToReadAsync(source.Token);
            ValueTask<T> reading = reader.ReadAsync(source.Token);

            Assert.True(waiting.IsCanceled);
            Assert.True(reading.IsCanceled);
            Assert.Equal(source.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting)).CancellationToken);
            Assert.Equal(source.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reading)).CancellationToken);
        }

        Assert.True(reader.TryRead(out T? item));
        Assert.Equal(0, IndexOf(item!));
    }

    [Fact]
    public async Task Cancellation_during_a_WaitToReadAsync_throws_OperationCanceledException_with_the_callers_token()
    {
        ChannelReader<T> reader = CreateReader();
        using var source = new CancellationTokenSource();
        ValueTask<bool> waiting = reader.WaitToReadAsync(source.Token);
        Assert.False(waiting.IsCompleted);

        await source.CancelAsync();

        var error = await Assert.ThrowsAsync<OperationCanceledException>(() => waiting.AsTask().WaitAsync(Deadline, TestCancellation));
        Assert.Equal(source.Token, error.CancellationToken);
        await AssertStillReadsNextItem(reader);
    }

    [Fact]
    public async Task Cancellation_during_a_ReadAsync_throws_with_the_callers_token_and_loses_no_item()
    {
        ChannelReader<T> reader = CreateReader();
        using var source = new CancellationTokenSource();
        ValueTask<T> reading = reader.ReadAsync(source.Token);
        Assert.False(reading.IsCompleted);

        await source.CancelAsync();

        var error = await Assert.ThrowsAsync<OperationCanceledException>(() => reading.AsTask().WaitAsync(Deadline, TestCancellation));
        Assert.Equal(source.Token, error.CancellationToken);
        await AssertStillReadsNextItem(reader);
    }

    [Fact]
    public async Task Cancelling_one_of_several_waits_leaves_the_others_waiting()
    {
        ChannelReader<T> reader = CreateReader();
        using var source = new CancellationTokenSource();
        ValueTask<T> cancelled = reader.ReadAsync(source.Token);
        ValueTask<T> kept = reader.ReadAsync(TestCancellation);
        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);

        await source.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(() => cancelled.AsTask().WaitAsync(Deadline, TestCancellation));
        WriteItem(0);

        Assert.Equal(0, IndexOf(await kept.AsTask().WaitAsync(Deadline, TestCancellation)));
        WriteItem(1);
        Assert.True(await waiting.AsTask().WaitAsync(Deadline, TestCancellation));
        Assert.True(reader.TryRead(out T? item));
        Assert.Equal(1, IndexOf(item!));
    }

    [Fact]
    public async Task Cancellation_racing_an_item_either_delivers_it_or_leaves_it_for_the_next_read()
    {
        ChannelReader<T> reader = CreateReader();
        long next = 0;
        for (int round = 0; round < 200; round++)
        {
            using var source = new CancellationTokenSource();
            ValueTask<T> reading = reader.ReadAsync(source.Token);
            long written = round;
            Task write = Task.Run(() => WriteItem(written), TestCancellation);
            await source.CancelAsync();
            await write;
            try
            {
                Assert.Equal(next, IndexOf(await reading.AsTask().WaitAsync(Deadline, TestCancellation)));
                next++;
            }
            catch (OperationCanceledException error) when (error.CancellationToken == source.Token)
            {
                // Cancelled first: the item must still be there for the next read.
            }

            while (next <= round)
            {
                Assert.Equal(next, IndexOf(await reader.ReadAsync(TestCancellation).AsTask().WaitAsync(Deadline, TestCancellation)));
                next++;
            }
        }

        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public async Task Concurrent_consumers_cancelled_at_random_lose_and_duplicate_no_item()
    {
        const int Items = 2000;
        ChannelReader<T> reader = CreateReader();
        var tokens = new CancellationTokenSource?[2];
        async Task<List<long>> Consume(int consumer)
        {
            var received = new List<long>();
            while (true)
            {
                using var source = new CancellationTokenSource();
                Volatile.Write(ref tokens[consumer], source);
                try
                {
                    received.Add(IndexOf(await reader.ReadAsync(source.Token)));
                }
                catch (OperationCanceledException error) when (error.CancellationToken == source.Token)
                {
                }
                catch (ChannelClosedException)
                {
                    return received;
                }
                finally
                {
                    Interlocked.CompareExchange(ref tokens[consumer], null, source);
                }
            }
        }

        Task<List<long>>[] consumers = [Task.Run(() => Consume(0), TestCancellation), Task.Run(() => Consume(1), TestCancellation)];
        var random = new Random(16);
        for (int i = 0; i < Items; i++)
        {
            WriteItem(i);
            if (random.Next(4) == 0 && Volatile.Read(ref tokens[random.Next(2)]) is CancellationTokenSource victim)
            {
                try
                {
                    victim.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // Its read ended meanwhile.
                }
            }
        }

        CompleteWriter();
        List<long>[] shares = await Task.WhenAll(consumers).WaitAsync(Deadline, TestCancellation);

        Assert.Equal(Enumerable.Range(0, Items).Select(i => (long)i), shares.SelectMany(share => share).Order());
        Assert.All(shares, share => Assert.Equal(share.Order(), share));
    }

    [Fact]
    public async Task A_continuation_runs_in_the_synchronization_context_the_await_captured()
    {
        ChannelReader<T> reader = CreateReader();
        var context = new CountingContext();
        var ran = new TaskCompletionSource<SynchronizationContext?>(TaskCreationOptions.RunContinuationsAsynchronously);
        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);
        SynchronizationContext? previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            waiting.GetAwaiter().OnCompleted(() => ran.SetResult(SynchronizationContext.Current));
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        WriteItem(0);

        Assert.Same(context, await ran.Task.WaitAsync(Deadline, TestCancellation));
        Assert.Equal(1, context.Posts);
        Assert.True(waiting.GetAwaiter().GetResult());
    }

    // ---- Value tasks are single-use ----

    [Fact]
    public void GetResult_before_completion_throws_InvalidOperationException()
    {
        ChannelReader<T> reader = CreateReader();
        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);
        ValueTask<T> reading = reader.ReadAsync(TestCancellation);

        Assert.Throws<InvalidOperationException>(() => waiting.GetAwaiter().GetResult());
        Assert.Throws<InvalidOperationException>(() => reading.GetAwaiter().GetResult());
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void A_second_continuation_on_a_pending_operation_throws_InvalidOperationException(bool flowContext, bool? continueOnCapturedContext)
    {
        ChannelReader<T> reader = CreateReader();
        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);
        ValueTask<T> reading = reader.ReadAsync(TestCancellation);

        AssertSecondContinuationThrows(waiting, flowContext, continueOnCapturedContext);
        AssertSecondContinuationThrows(reading, flowContext, continueOnCapturedContext);
    }

    [Fact]
    public async Task A_completed_operation_cannot_be_awaited_or_read_again()
    {
        ChannelReader<T> reader = CreateReader();
        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);
        WriteItem(0);
        Assert.True(await waiting);
        Assert.True(reader.TryRead(out _));
        ValueTask<T> reading = reader.ReadAsync(TestCancellation);
        WriteItem(1);
        Assert.Equal(1, IndexOf(await reading));

        Assert.Throws<InvalidOperationException>(() => waiting.GetAwaiter().IsCompleted);
        Assert.Throws<InvalidOperationException>(() => waiting.GetAwaiter().OnCompleted(() => { }));
        Assert.Throws<InvalidOperationException>(() => waiting.GetAwaiter().GetResult());
        Assert.Throws<InvalidOperationException>(() => reading.GetAwaiter().IsCompleted);
        Assert.Throws<InvalidOperationException>(() => reading.GetAwaiter().OnCompleted(() => { }));
        Assert.Throws<InvalidOperationException>(() => reading.GetAwaiter().GetResult());
    }

    // ---- Continuations ----

    [Fact]
    public async Task Continuations_never_run_inside_a_call_of_the_reader_or_writer()
    {
        ChannelReader<T> reader = CreateReader();
        var probe = new InlineProbe();
        ValueTask<bool> waiting = reader.WaitToReadAsync(TestCancellation);
        waiting.GetAwaiter().UnsafeOnCompleted(probe.Record);

        probe.Run(() =>
        {
            WriteItem(0);
            reader.TryPeek(out _); // our readers poll here: they may complete the waiter inside this call
        });
        await probe.Ran.WaitAsync(Deadline, TestCancellation);
        Assert.False(probe.RanInline, "a WaitToReadAsync continuation ran inside a call");
        Assert.True(waiting.GetAwaiter().GetResult());

        var completionProbe = new InlineProbe();
        CompleteWriter();
        Task continuation = reader.Completion.ContinueWith(_ => completionProbe.Record(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        completionProbe.Run(() => reader.TryRead(out _)); // takes the last item: the reader completes inside this call
        await continuation.WaitAsync(Deadline, TestCancellation);
        Assert.False(completionProbe.RanInline, "a Completion continuation ran inside a call");
    }

    // ---- Allocation ----

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Sequential_waits_allocate_nothing_on_the_callers_thread_once_warm(bool read, bool cancellable)
    {
        Assert.SkipWhen(cancellable && !PoolsCancellableWaits, "this reader allocates an operation per wait with a cancellable token");
        ChannelReader<T> reader = CreateReader();
        // A semaphore, not a ManualResetEventSlim: that one allocates its lock object the first time it blocks.
        using var completed = new SemaphoreSlim(0);
        using var source = new CancellationTokenSource();
        CancellationToken token = cancellable ? source.Token : CancellationToken.None;
        Action signal = () => completed.Release();
        long index = 0;
        void Wait()
        {
            if (read)
            {
                ValueTask<T> reading = reader.ReadAsync(token);
                ValueTaskAwaiter<T> awaiter = reading.GetAwaiter();
                awaiter.UnsafeOnCompleted(signal);
                WriteItem(index);
                Assert.True(completed.Wait(Deadline));
                Assert.True(IndexOf(awaiter.GetResult()) == index); // Assert.Equal may allocate
            }
            else
            {
                ValueTask<bool> waiting = reader.WaitToReadAsync(token);
                ValueTaskAwaiter<bool> awaiter = waiting.GetAwaiter();
                awaiter.UnsafeOnCompleted(signal);
                WriteItem(index);
                Assert.True(completed.Wait(Deadline));
                Assert.True(awaiter.GetResult());
                Assert.True(reader.TryRead(out T? item));
                Assert.True(IndexOf(item!) == index);
            }

            index++;
        }

        for (int i = 0; i < 50; i++)
        {
            Wait();
        }

        const int Waits = 500;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Waits; i++)
        {
            Wait();
        }

        // Less than a byte per wait, so any allocation per wait (24 bytes at the least) fails. Not exactly zero: when
        // this thread queues work, the thread pool may start a worker on it now and then (a Thread and its delegate).
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < Waits, $"{allocated} bytes allocated by {Waits} waits");
    }

    private async Task AssertStillReadsNextItem(ChannelReader<T> reader)
    {
        WriteItem(0);
        Assert.Equal(0, IndexOf(await reader.ReadAsync(TestCancellation).AsTask().WaitAsync(Deadline, TestCancellation)));
    }

    private static void AssertSecondContinuationThrows<TResult>(ValueTask<TResult> task, bool flowContext, bool? continueOnCapturedContext)
    {
        Action first = () => { };
        if (continueOnCapturedContext is bool captured)
        {
            ConfiguredValueTaskAwaitable<TResult>.ConfiguredValueTaskAwaiter awaiter = task.ConfigureAwait(captured).GetAwaiter();
            Attach(awaiter.OnCompleted, awaiter.UnsafeOnCompleted);
            Assert.Throws<InvalidOperationException>(() => Attach(awaiter.OnCompleted, awaiter.UnsafeOnCompleted));
        }
        else
        {
            ValueTaskAwaiter<TResult> awaiter = task.GetAwaiter();
            Attach(awaiter.OnCompleted, awaiter.UnsafeOnCompleted);
            Assert.Throws<InvalidOperationException>(() => Attach(awaiter.OnCompleted, awaiter.UnsafeOnCompleted));
        }

        void Attach(Action<Action> onCompleted, Action<Action> unsafeOnCompleted)
        {
            if (flowContext)
            {
                onCompleted(first);
            }
            else
            {
                unsafeOnCompleted(first);
            }
        }
    }

    /// <summary>Runs posted callbacks on the thread pool, as itself, and counts them.</summary>
    private sealed class CountingContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            ThreadPool.QueueUserWorkItem(_ =>
            {
                SetSynchronizationContext(this);
                d(state);
            });
        }
    }

    /// <summary>Tells whether a continuation ran on the thread running <see cref="Run"/>, while it ran.</summary>
    private sealed class InlineProbe
    {
        private readonly TaskCompletionSource _ran = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile int _insideThread = -1;

        public Task Ran => _ran.Task;

        public bool RanInline { get; private set; }

        public void Run(Action action)
        {
            _insideThread = Environment.CurrentManagedThreadId;
            try
            {
                action();
            }
            finally
            {
                _insideThread = -1;
            }
        }

        public void Record()
        {
            RanInline = _insideThread == Environment.CurrentManagedThreadId;
            _ran.TrySetResult();
        }
    }
}
