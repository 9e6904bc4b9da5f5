namespace Kekbit.Core.Waiting;

/// <summary>
/// Yields the rest of the time slice to another ready thread at each idle step. Low latency; still a full
/// core when nothing else wants to run.
/// </summary>
public sealed class YieldingIdleStrategy : IIdleStrategy
{
    /// <inheritdoc/>
    public void Idle() => Thread.Yield();

    /// <inheritdoc/>
    public TimeSpan IdleWithoutBlocking()
    {
        Thread.Yield();
        return TimeSpan.Zero;
    }

    /// <inheritdoc/>
    public void Reset()
    {
    }
}
