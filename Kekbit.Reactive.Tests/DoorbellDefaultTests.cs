using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reactive.Tests;

/// <summary>
/// The sources with no arguments (<c>ToObservable()</c>, <c>ReadAllAsync()</c>, <c>AsChannelReader()</c>) sleep on the
/// channel's doorbell, are woken by a writer in another process, and still stop promptly when disposed or cancelled.
/// </summary>
public sealed class DoorbellDefaultTests
{
    private const ulong Input = 71;
    private const ulong Output = 72;
    private static readonly TimeSpan Patience = RecordingObserver.Patience;

    [Fact]
    public void A_default_subscription_sleeps_on_the_doorbell_and_a_writer_in_another_process_wakes_it()
    {
        using var echo = new EchoProcess();
        using ShmReader reader = echo.OpenOutput();
        Assert.SkipUnless(reader.HasDoorbell, "no doorbell on this platform");
        var observer = new RecordingObserver();

        using (reader.ToObservable().Subscribe(observer))
        {
            WaitUntil(() => reader.DoorbellSleeps > 0, "the subscription never slept on the doorbell");
            long sleeps = reader.DoorbellSleeps;
            echo.Send(5);
            observer.WaitForCount(1);
            Assert.True(reader.DoorbellSleeps >= sleeps);
        }

        observer.AssertSequence(5, 1);
    }

    [Fact]
    public async Task A_default_enumeration_waits_on_the_doorbell_and_a_writer_in_another_process_wakes_it()
    {
        using var echo = new EchoProcess();
        using ShmReader reader = echo.OpenOutput();
        Assert.SkipUnless(reader.HasDoorbell, "no doorbell on this platform");
        await using IAsyncEnumerator<Record> records = reader.ReadAllAsync(Gentle.Cancellation).GetAsyncEnumerator(Gentle.Cancellation);

        ValueTask<bool> next = records.MoveNextAsync();
        Assert.False(next.IsCompleted, "nothing was written yet");
        echo.Send(9);

        Assert.True(await next.AsTask().WaitAsync(Patience, Gentle.Cancellation));
        Assert.Equal(9, TestChannel.IndexOf(records.Current));
    }

    [Fact]
    public async Task A_default_channel_reader_waits_on_the_doorbell_and_a_writer_in_another_process_wakes_it()
    {
        using var echo = new EchoProcess();
        using ShmReader reader = echo.OpenOutput();
        ChannelReader<Record> records = reader.AsChannelReader();

        ValueTask<Record> read = records.ReadAsync(Gentle.Cancellation);
        echo.Send(11);

        Assert.Equal(11, TestChannel.IndexOf(await read.AsTask().WaitAsync(Patience, Gentle.Cancellation)));
    }

    [Fact]
    public void Disposing_a_default_subscription_asleep_on_the_doorbell_returns_promptly()
    {
        using var channel = new TestChannel();
        using ShmReader probe = channel.OpenReader();
        ShmReader reader = channel.OpenReader();
        var observer = new RecordingObserver();
        IDisposable subscription = reader.ToObservable().Subscribe(observer);
        WaitUntil(() => !reader.HasDoorbell || reader.DoorbellSleeps > 0, "the subscription never slept on the doorbell");

        var clock = Stopwatch.StartNew();
        subscription.Dispose();

        // Bounded by one futex sleep at most (the reader's cap), far below what a hang would be.
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.False(observer.HasEnded);
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead());
    }

    [Fact]
    public async Task Cancelling_a_default_enumeration_waiting_on_the_doorbell_ends_it()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Gentle.Cancellation);
        await using IAsyncEnumerator<Record> records = reader.ReadAllAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        ValueTask<bool> next = records.MoveNextAsync();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.AsTask().WaitAsync(Patience, Gentle.Cancellation));
    }

    [Fact]
    public void A_default_subscription_over_a_timeout_reader_fails_with_a_timeout_while_asleep_on_the_doorbell()
    {
        using var channel = new TestChannel();
        using ShmReader inner = channel.OpenReader();
        var observer = new RecordingObserver();

        using (new TimeoutReader(inner, TimeSpan.FromMilliseconds(200)).ToObservable().Subscribe(observer))
        {
            observer.WaitForEnd();
        }

        Assert.IsType<ChannelTimeoutException>(observer.Error);
        Assert.True(!inner.HasDoorbell || inner.DoorbellSleeps > 0, "the subscription polled instead of sleeping on the doorbell");
    }

    private static void WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            Thread.Sleep(1);
        }
    }

    /// <summary>
    /// A writer in another process: the test agent's <c>echo</c> copies each record of channel <see cref="Input"/>,
    /// written here, into channel <see cref="Output"/>, which it creates and this process reads.
    /// </summary>
    private sealed class EchoProcess : IDisposable
    {
        private readonly TempRoot _root = new("kekbit-doorbell-default");
        private readonly ShmWriter _input;
        private readonly ChildProcess _echo;

        public EchoProcess()
        {
            _input = ShmWriter.Create(_root.Path, Metadata.Create(1, Input, 1 << 16, 64, 60_000, TickUnit.Millis));
            _echo = ChildProcess.StartAgent("echo", _root.Path, Input.ToString(CultureInfo.InvariantCulture), Output.ToString(CultureInfo.InvariantCulture));
            _echo.WaitForLine(line => line.StartsWith("READY", StringComparison.Ordinal), Patience);
        }

        public ShmReader OpenOutput() => ShmReader.OpenWhenReady(_root.Path, Output, Patience, Gentle.Cancellation);

        /// <summary>Writes pattern record <paramref name="index"/> to the echo's input.</summary>
        public void Send(long index)
        {
            Span<byte> payload = stackalloc byte[TestChannel.RecordSize];
            RecordPattern.Fill(payload, (ulong)index);
            Assert.True(_input.Write(payload).IsSuccess);
        }

        public void Dispose()
        {
            _input.Dispose(); // The echo closes its output and exits once its input closes.
            _echo.WaitForExit(Patience);
            _echo.Dispose();
            _root.Dispose();
        }
    }
}
