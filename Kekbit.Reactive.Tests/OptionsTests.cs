using Kekbit.Core;
using Kekbit.Core.Waiting;

namespace Kekbit.Reactive.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Sources_reject_invalid_polling_options_when_created()
    {
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();

        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ToObservable(new PollingOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KekbitObservable.FromChannel(channel.Root, TestChannel.Id, new PollingOptions { StartPosition = -8 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadAllAsync(new PollingOptions { OpenTimeout = TimeSpan.FromSeconds(-1) }, Gentle.Cancellation));
        Assert.Throws<ArgumentOutOfRangeException>(() => KekbitObservable.FromChannel(channel.Root, TestChannel.Id, new PollingOptions { OpenTimeout = TimeSpan.MinValue }));
        _ = KekbitObservable.FromChannel(channel.Root, TestChannel.Id, new PollingOptions { OpenTimeout = Timeout.InfiniteTimeSpan });
        Assert.Throws<ArgumentNullException>(() => ((IReader)null!).ToObservable());
    }

    [Fact]
    public void Sinks_reject_invalid_options_when_created()
    {
        using var channel = new TestChannel();

        Assert.Throws<ArgumentOutOfRangeException>(() => channel.Writer.AsObserver(RecordEncoders.Bytes, new SinkOptions<ReadOnlyMemory<byte>> { BatchSize = 0 }));
        Assert.Throws<ArgumentNullException>(() => channel.Writer.AsObserver<long>(null!));
    }

    [Fact]
    public void Each_poller_gets_its_own_idle_strategy_and_the_default_is_the_doorbell_of_a_channel_with_one()
    {
        int created = 0;
        var options = new PollingOptions { IdleStrategy = () => { created++; return new SleepingIdleStrategy(); } };
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();

        Assert.Equal(reader.HasDoorbell, PollingOptions.Default.CreateIdleStrategy(reader) is DoorbellIdleStrategy);
        Assert.NotSame(options.CreateIdleStrategy(reader), options.CreateIdleStrategy(reader));
        Assert.Equal(2, created);
    }
}
