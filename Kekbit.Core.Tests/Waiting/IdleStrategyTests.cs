using Kekbit.Core.Waiting;

namespace Kekbit.Core.Tests.Waiting;

public sealed class IdleStrategyTests
{
    [Fact]
    public void Backoff_spins_ten_times_yields_five_times_then_parks_from_1us_doubling_to_1ms()
    {
        var backoff = new BackoffIdleStrategy();
        var phases = new List<BackoffPhase>();
        var parks = new List<TimeSpan>();
        for (int step = 0; step < 30; step++)
        {
            phases.Add(backoff.Phase);
            TimeSpan park = backoff.IdleWithoutBlocking();
            if (park > TimeSpan.Zero)
            {
                parks.Add(park);
            }
        }

        Assert.Equal(Enumerable.Repeat(BackoffPhase.Spinning, 10), phases.Take(10));
        Assert.Equal(Enumerable.Repeat(BackoffPhase.Yielding, 5), phases.Skip(10).Take(5));
        Assert.All(phases.Skip(15), phase => Assert.Equal(BackoffPhase.Parking, phase));
        long[] expectedMicros = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000, 1000, 1000, 1000];
        Assert.Equal(expectedMicros, parks.Select(p => (long)p.TotalMicroseconds));
    }

    [Fact]
    public void Backoff_starts_over_with_spinning_when_reset()
    {
        var backoff = new BackoffIdleStrategy(maxSpins: 2, maxYields: 1, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(4));
        TimeSpan[] steps = [.. Enumerable.Range(0, 6).Select(_ => backoff.IdleWithoutBlocking())];
        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(4)], steps);

        backoff.Reset();

        Assert.Equal((BackoffPhase.Spinning, TimeSpan.FromMilliseconds(1)), (backoff.Phase, backoff.ParkPeriod));
    }

    [Fact]
    public void Backoff_rejects_inconsistent_settings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffIdleStrategy(maxSpins: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffIdleStrategy(minParkPeriod: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffIdleStrategy(minParkPeriod: TimeSpan.FromMilliseconds(2), maxParkPeriod: TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public void Simple_strategies_wait_as_named_without_blocking_callers_that_cannot_block()
    {
        var sleeping = new SleepingIdleStrategy(TimeSpan.FromMilliseconds(3));
        Assert.Equal(TimeSpan.FromMilliseconds(3), sleeping.IdleWithoutBlocking());
        Assert.Equal(TimeSpan.Zero, new BusySpinIdleStrategy().IdleWithoutBlocking());
        Assert.Equal(TimeSpan.Zero, new YieldingIdleStrategy().IdleWithoutBlocking());
        Assert.Equal(TimeSpan.Zero, new NoOpIdleStrategy().IdleWithoutBlocking());
        new BusySpinIdleStrategy().Idle();
        new YieldingIdleStrategy().Idle();
        new NoOpIdleStrategy().Idle();
        Assert.Throws<ArgumentOutOfRangeException>(() => new SleepingIdleStrategy(TimeSpan.Zero));
    }
}
