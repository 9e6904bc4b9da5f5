namespace Kekbit.Core.Waiting;

/// <summary>
/// The adaptive strategy (Agrona's backoff): after a poll finds nothing it first spins
/// (<see cref="MaxSpins"/> steps), then yields (<see cref="MaxYields"/> steps), then parks for a period that
/// starts at <see cref="MinParkPeriod"/> and doubles at each step up to <see cref="MaxParkPeriod"/>. The
/// moment a poll finds data (<see cref="Reset"/>), it starts over with spinning. Latency stays low while
/// records flow, and an idle poller costs next to no CPU (one short wake-up per max park period).
/// </summary>
/// <remarks>
/// Defaults: 10 spins, 5 yields, parks from 1 µs to 1 ms. .NET cannot sleep for less than a millisecond,
/// so blocking parks shorter than that yield instead; <see cref="IdleWithoutBlocking"/> returns the exact period.
/// </remarks>
public sealed class BackoffIdleStrategy : IIdleStrategy
{
    /// <summary>The default number of spinning steps: 10.</summary>
    public const int DefaultMaxSpins = 10;

    /// <summary>The default number of yielding steps: 5.</summary>
    public const int DefaultMaxYields = 5;

    /// <summary>The default first park period: 1 µs.</summary>
    public static readonly TimeSpan DefaultMinParkPeriod = TimeSpan.FromMicroseconds(1);

    /// <summary>The default longest park period: 1 ms.</summary>
    public static readonly TimeSpan DefaultMaxParkPeriod = TimeSpan.FromMilliseconds(1);

    private Backoff _backoff;

    /// <summary>Creates a backoff strategy; every argument left out takes its default.</summary>
    /// <param name="maxSpins">Spinning steps before yielding; zero or more.</param>
    /// <param name="maxYields">Yielding steps before parking; zero or more.</param>
    /// <param name="minParkPeriod">The first park period; positive (<see cref="DefaultMinParkPeriod"/> when null).</param>
    /// <param name="maxParkPeriod">The longest park period; at least <paramref name="minParkPeriod"/> and at most <see cref="int.MaxValue"/> milliseconds (<see cref="DefaultMaxParkPeriod"/> when null).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, or a period is not positive, inconsistent or longer than <see cref="int.MaxValue"/> milliseconds.</exception>
    public BackoffIdleStrategy(int maxSpins = DefaultMaxSpins, int maxYields = DefaultMaxYields, TimeSpan? minParkPeriod = null, TimeSpan? maxParkPeriod = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSpins);
        ArgumentOutOfRangeException.ThrowIfNegative(maxYields);
        MaxSpins = maxSpins;
        MaxYields = maxYields;
        MinParkPeriod = minParkPeriod ?? DefaultMinParkPeriod;
        MaxParkPeriod = maxParkPeriod ?? DefaultMaxParkPeriod;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MinParkPeriod, TimeSpan.Zero, nameof(minParkPeriod));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxParkPeriod, MinParkPeriod, nameof(maxParkPeriod));
        Parking.ThrowIfTooLong(MaxParkPeriod, nameof(maxParkPeriod));
        _backoff = new Backoff(maxSpins, maxYields, MinParkPeriod, MaxParkPeriod);
    }

    /// <summary>Spinning steps before yielding.</summary>
    public int MaxSpins { get; }

    /// <summary>Yielding steps before parking.</summary>
    public int MaxYields { get; }

    /// <summary>The first park period.</summary>
    public TimeSpan MinParkPeriod { get; }

    /// <summary>The longest park period.</summary>
    public TimeSpan MaxParkPeriod { get; }

    /// <summary>What the next idle step does.</summary>
    public BackoffPhase Phase => _backoff.Phase;

    /// <summary>How long the next parking step parks.</summary>
    public TimeSpan ParkPeriod => _backoff.ParkPeriod;

    /// <inheritdoc/>
    public void Idle() => Idle(CancellationToken.None);

    /// <inheritdoc/>
    public void Idle(CancellationToken cancellationToken)
    {
        TimeSpan park = IdleWithoutBlocking();
        if (park > TimeSpan.Zero)
        {
            Parking.Park(park, cancellationToken);
        }
    }

    /// <inheritdoc/>
    public TimeSpan IdleWithoutBlocking() => _backoff.Step();

    /// <inheritdoc/>
    public void Reset() => _backoff.Reset();
}
