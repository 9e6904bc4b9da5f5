namespace Kekbit.Core.Waiting;

/// <summary>
/// Never gives the processor away: each idle step is one spin-wait hint. The lowest latency, at the cost of
/// a whole core per poller for as long as it runs; use only with a core to spare.
/// </summary>
public sealed class BusySpinIdleStrategy : IIdleStrategy
{
    /// <inheritdoc/>
    public void Idle() => Thread.SpinWait(1);

    /// <inheritdoc/>
    public TimeSpan IdleWithoutBlocking()
    {
        Thread.SpinWait(1);
        return TimeSpan.Zero;
    }

    /// <inheritdoc/>
    public void Reset()
    {
    }
}
