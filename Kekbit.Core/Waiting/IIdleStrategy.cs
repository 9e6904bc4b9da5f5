namespace Kekbit.Core.Waiting;

/// <summary>
/// Decides what a poller does after a poll that found no record: spin, yield the processor, park the
/// thread, sleep on the channel's doorbell (<see cref="DoorbellIdleStrategy"/>), or nothing. The strategy trades
/// latency against CPU. A strategy keeps state (how long the poller has been idle): give each poller its own
/// instance. Not thread-safe. <see cref="ReaderPoller"/> is the loop that applies it, blocking or asynchronously.
/// </summary>
public interface IIdleStrategy
{
    /// <summary>Waits after a poll that found nothing, blocking the calling thread for at most the strategy's longest park period.</summary>
    void Idle();

    /// <summary>
    /// <see cref="Idle()"/>, interruptible: a park ends as soon as <paramref name="cancellationToken"/> is
    /// cancelled, whatever its length, and the call then returns normally (it does not throw), leaving the caller
    /// to see the cancellation. The polling loops of the reactive sources idle through this method, so disposing
    /// a subscription never waits out a park.
    /// </summary>
    /// <remarks>
    /// The default implementation takes the step <see cref="IdleWithoutBlocking"/> describes and parks for the
    /// period it returns (capped at <see cref="int.MaxValue"/> milliseconds), waking on cancellation. Implement it
    /// only to wait differently; a strategy that implements <see cref="Idle()"/> alone still parks interruptibly.
    /// </remarks>
    /// <param name="cancellationToken">Ends a park early.</param>
    void Idle(CancellationToken cancellationToken)
    {
        TimeSpan park = IdleWithoutBlocking();
        if (park > TimeSpan.Zero)
        {
            Parking.Park(park, cancellationToken);
        }
    }

    /// <summary>
    /// Takes one idle step for a poller that must not block a thread (async enumeration, a scheduler):
    /// spins and yields happen inside the call, which then returns <see cref="TimeSpan.Zero"/>; where
    /// <see cref="Idle()"/> would park, nothing happens and the park period is returned, for the caller to wait
    /// without holding a thread (a timer, <c>Task.Delay</c>, a scheduler's due time) before polling again.
    /// </summary>
    TimeSpan IdleWithoutBlocking();

    /// <summary>
    /// The asynchronous idle step, for a poller that must not hold a thread (<see cref="ReaderPoller.ReadAsync"/>):
    /// completes at once after a spin or yield, and otherwise when it is worth polling again.
    /// </summary>
    /// <remarks>
    /// The default implementation takes the step <see cref="IdleWithoutBlocking"/> describes and waits for the period it
    /// returns (capped at <see cref="int.MaxValue"/> milliseconds) on a timer of <paramref name="timeProvider"/>.
    /// <see cref="DoorbellIdleStrategy"/> waits on the reader's doorbell instead.
    /// </remarks>
    /// <param name="timeProvider">The clock of timer waits (tests pass a fake one).</param>
    /// <param name="cancellationToken">Ends the wait: the task is then cancelled with this token.</param>
    ValueTask IdleAsync(TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        TimeSpan park = IdleWithoutBlocking();
        return park > TimeSpan.Zero ? new ValueTask(Task.Delay(Parking.Bounded(park), timeProvider, cancellationToken)) : default;
    }

    /// <summary>Tells the strategy a poll found data: the next idle period starts again from its shortest wait.</summary>
    void Reset();
}
