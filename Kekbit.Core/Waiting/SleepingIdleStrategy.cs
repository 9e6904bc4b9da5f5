namespace Kekbit.Core.Waiting;

/// <summary>
/// Parks for a fixed period at each idle step. Cheap on CPU, with a latency of up to the period.
/// </summary>
public sealed class SleepingIdleStrategy : IIdleStrategy
{
    /// <summary>The default park period: 1 ms.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromMilliseconds(1);

    /// <summary>Creates a strategy that parks for <paramref name="period"/> (<see cref="DefaultPeriod"/> when null).</summary>
    /// <param name="period">How long to park; positive, at most <see cref="int.MaxValue"/> milliseconds.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is not positive or longer than <see cref="int.MaxValue"/> milliseconds.</exception>
    public SleepingIdleStrategy(TimeSpan? period = null)
    {
        Period = period ?? DefaultPeriod;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Period, TimeSpan.Zero, nameof(period));
        Parking.ThrowIfTooLong(Period, nameof(period));
    }

    /// <summary>How long each idle step parks.</summary>
    public TimeSpan Period { get; }

    /// <inheritdoc/>
    public void Idle() => Parking.Park(Period);

    /// <inheritdoc/>
    public void Idle(CancellationToken cancellationToken) => Parking.Park(Period, cancellationToken);

    /// <inheritdoc/>
    public TimeSpan IdleWithoutBlocking() => Period;

    /// <inheritdoc/>
    public void Reset()
    {
    }
}
