using System.Diagnostics;
using System.Runtime.InteropServices;
using Kekbit.Core;
using Kekbit.Reactive.Idle;

namespace Kekbit.Reactive.Tests;

public sealed partial class IdleStrategyTests
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

    [Fact]
    public void An_idle_backoff_poller_uses_under_2_percent_of_a_core_or_no_more_than_bare_1ms_sleeps()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "thread CPU time is read with clock_gettime");
        using var channel = new TestChannel();
        using ShmReader reader = channel.OpenReader();
        var poller = new RecordPoller(reader, new BackoffIdleStrategy());
        (TimeSpan Cpu, TimeSpan Wall, int Wakeups) idle = default, baseline = default;
        var thread = new Thread(() =>
        {
            // Warm up first (JIT, tiering, reaching the longest park), then measure the steady idle state,
            // and, as a reference, what the unavoidable part costs on this machine now: a bare 1 ms sleep loop.
            Measure(() => poller.Poll(static (_, _) => { }, 0), TimeSpan.FromMilliseconds(200));
            idle = Measure(() => poller.Poll(static (_, _) => { }, 0), TimeSpan.FromSeconds(1));
            baseline = Measure(() => Thread.Sleep(1), TimeSpan.FromSeconds(1));
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(20)));

        string report = $"idle poller: {idle.Cpu.TotalMilliseconds:F1} ms CPU, {idle.Wakeups} polls in {idle.Wall.TotalMilliseconds:F0} ms; bare 1 ms sleeps: {baseline.Cpu.TotalMilliseconds:F1} ms CPU";
        TestContext.Current.SendDiagnosticMessage(report);
        // At most one poll per longest park period (1 ms): the poller really parks.
        Assert.True(idle.Wakeups <= idle.Wall.TotalMilliseconds * 1.05, report);
        // Under 2% of a core; on a loaded machine, where a mere wake-up costs more, no more than bare sleeps.
        Assert.True(idle.Cpu < idle.Wall * 0.02 || idle.Cpu < baseline.Cpu * 1.5, report);
    }

    private static (TimeSpan Cpu, TimeSpan Wall, int Wakeups) Measure(Action step, TimeSpan duration)
    {
        TimeSpan start = ThreadCpuTime();
        var stopwatch = Stopwatch.StartNew();
        int count = 0;
        while (stopwatch.Elapsed < duration)
        {
            step();
            count++;
        }

        return (ThreadCpuTime() - start, stopwatch.Elapsed, count);
    }

    private static TimeSpan ThreadCpuTime()
    {
        const int ClockThreadCpuTimeId = 3;
        Assert.Equal(0, ClockGetTime(ClockThreadCpuTimeId, out TimeSpec time));
        return TimeSpan.FromTicks((time.Seconds * 1_000_000_000 + time.Nanoseconds) / 100);
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
