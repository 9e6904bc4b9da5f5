using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Kekbit.Core;

namespace Kekbit.Reactive.Tests;

/// <summary>
/// Tearing down the observer sink while its producer runs on another thread never crashes, and the channel ends
/// with CLOSE right after the last complete record; writes from inside the sink's encoder are refused.
/// </summary>
public sealed class SinkLifetimeTests
{
    private const int Rounds = 200;

    private static readonly RecordEncoder<long> Int64 = static (value, output) => output.WriteUInt64LittleEndian((ulong)value);

    // A full channel must not throw on the producer's thread: report it and go on until the sink is disposed.
    private static readonly SinkOptions<long> IgnoreFull = new() { FailurePolicy = WriteFailurePolicy.Report, OnFailure = static _ => { } };

    [Fact]
    public void Rx_teardown_disposing_the_subscription_then_the_sink_while_NewThreadScheduler_produces_is_safe()
    {
        for (int round = 0; round < Rounds; round++)
        {
            using var channel = new TestChannel(capacity: 256 << 10);
            ChannelObserver<long> sink = channel.Writer.AsObserver(Int64, IgnoreFull);
            using var first = new ManualResetEventSlim();
            IDisposable subscription = Observable.Generate(0L, _ => true, i => i + 1, i => i, NewThreadScheduler.Default)
                .Do(i =>
                {
                    // Item 0 has gone through the sink once item 1 comes.
                    if (i == 1)
                    {
                        first.Set();
                    }
                })
                .Subscribe(sink);
            Assert.True(first.Wait(TimeSpan.FromSeconds(10), Gentle.Cancellation));

            subscription.Dispose();
            sink.Dispose();

            AssertConsecutiveThenClosed(channel, sink);
        }
    }

    [Fact]
    public void A_producer_thread_racing_sink_Dispose_is_safe_and_OnNext_after_Dispose_is_ignored()
    {
        for (int round = 0; round < Rounds; round++)
        {
            using var channel = new TestChannel(capacity: 256 << 10);
            ChannelObserver<long> sink = channel.Writer.AsObserver(Int64, IgnoreFull);
            using var first = new ManualResetEventSlim();
            Exception? escaped = null;
            var producer = new Thread(() =>
            {
                try
                {
                    for (long i = 0; !sink.IsTerminated; i++)
                    {
                        sink.OnNext(i);
                        first.Set();
                    }

                    sink.OnNext(-1);
                }
                catch (Exception e)
                {
                    escaped = e;
                    first.Set();
                }
            })
            { IsBackground = true };
            producer.Start();
            Assert.True(first.Wait(TimeSpan.FromSeconds(10), Gentle.Cancellation));

            sink.Dispose();

            Assert.True(producer.Join(TimeSpan.FromSeconds(10)));
            Assert.Null(escaped);
            Assert.True(sink.Completion.IsCompletedSuccessfully);
            AssertConsecutiveThenClosed(channel, sink);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OnNext_from_inside_the_sinks_encoder_throws_and_the_outer_record_is_not_published(bool shared)
    {
        using var channel = new TestChannel();
        IWriter writer = shared ? new RetryWriter(channel.Writer) : channel.Writer;
        ChannelObserver<long>? sink = null;
        sink = writer.AsObserver<long>((value, output) =>
        {
            output.WriteUInt64LittleEndian((ulong)value);
            if (value == 1)
            {
                sink!.OnNext(100);
            }
        });
        sink.OnNext(0);

        Assert.Throws<InvalidOperationException>(() => sink.OnNext(1));
        sink.OnNext(2);
        sink.OnCompleted();

        Assert.Equal(2, sink.Written);
        Assert.Equal([0L, 2L], ObserverSinkTests.ReadAll(channel, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    [Fact]
    public void Disposing_the_sink_from_inside_its_encoder_closes_the_channel_right_after_that_record()
    {
        using var channel = new TestChannel();
        ChannelObserver<long>? sink = null;
        sink = channel.Writer.AsObserver<long>((value, output) =>
        {
            output.WriteUInt64LittleEndian((ulong)value);
            if (value == 2)
            {
                sink!.Dispose();
            }
        });

        for (long i = 0; i < 5; i++)
        {
            sink.OnNext(i);
        }

        Assert.True(sink.IsTerminated);
        Assert.True(sink.Completion.IsCompletedSuccessfully);
        Assert.Equal(3, sink.Written);
        Assert.Equal([0L, 1L, 2L], ObserverSinkTests.ReadAll(channel, out ReadStatus end));
        Assert.Equal(ReadStatus.Closed, end);
    }

    /// <summary>The channel holds 0, 1, 2... n - 1 then CLOSE, and the sink counts n once its last write returned.</summary>
    private static void AssertConsecutiveThenClosed(TestChannel channel, ChannelObserver<long> sink)
    {
        List<long> values = ObserverSinkTests.ReadAll(channel, out ReadStatus end);
        Assert.Equal(ReadStatus.Closed, end);
        for (int i = 0; i < values.Count; i++)
        {
            Assert.Equal(i, values[i]);
        }

        // The write in flight at Dispose is published before CLOSE; the sink counts it when its Write returns.
        Assert.True(SpinWait.SpinUntil(() => sink.Written == values.Count, TimeSpan.FromSeconds(10)), $"{sink.Written} written, {values.Count} read");
        Assert.True(values.Count > 0);
    }
}
