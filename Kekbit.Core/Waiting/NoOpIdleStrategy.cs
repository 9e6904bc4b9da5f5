namespace Kekbit.Core.Waiting;

/// <summary>
/// Does nothing when idle: the poller polls again at once. For pollers driven from outside (a caller that
/// polls in its own loop with its own waiting), or for measuring raw polling cost.
/// </summary>
public sealed class NoOpIdleStrategy : IIdleStrategy
{
    /// <inheritdoc/>
    public void Idle()
    {
    }

    /// <inheritdoc/>
    public TimeSpan IdleWithoutBlocking() => TimeSpan.Zero;

    /// <inheritdoc/>
    public void Reset()
    {
    }
}
