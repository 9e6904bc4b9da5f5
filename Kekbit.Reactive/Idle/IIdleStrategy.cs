namespace Kekbit.Reactive.Idle;

/// <summary>
/// Decides what a poller does after a poll that found no record: spin, yield the processor, park the
/// thread, or nothing. Readers learn of new records only by polling (the writer may be another process),
/// so the strategy trades latency against CPU. A strategy keeps state (how long the poller has been idle):
/// give each poller its own instance. Not thread-safe.
/// </summary>
public interface IIdleStrategy
{
    /// <summary>Waits after a poll that found nothing, blocking the calling thread for at most the strategy's longest park period.</summary>
    void Idle();

    /// <summary>
    /// Takes one idle step for a poller that must not block a thread (async enumeration, a scheduler):
    /// spins and yields happen inside the call, which then returns <see cref="TimeSpan.Zero"/>; where
    /// <see cref="Idle"/> would park, nothing happens and the park period is returned, for the caller to wait
    /// without holding a thread (a timer, <c>Task.Delay</c>, a scheduler's due time) before polling again.
    /// </summary>
    TimeSpan IdleWithoutBlocking();

    /// <summary>Tells the strategy a poll found data: the next idle period starts again from its shortest wait.</summary>
    void Reset();
}
