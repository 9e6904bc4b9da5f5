using Microsoft.Reactive.Testing;

namespace Kekbit.Reactive.Tests;

/// <summary>A <see cref="TimeProvider"/> that reads a <see cref="TestScheduler"/>'s virtual clock, so timeouts run in virtual time.</summary>
internal sealed class VirtualClock(TestScheduler scheduler) : TimeProvider
{
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => scheduler.Clock;

    public override DateTimeOffset GetUtcNow() => scheduler.Now;
}
