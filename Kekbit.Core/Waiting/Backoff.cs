namespace Kekbit.Core.Waiting;

/// <summary>
/// The one backoff schedule of the library (Agrona's): <c>maxSpins</c> spin steps, then <c>maxYields</c> yield steps,
/// then parks that start at the shortest period and double up to the longest. A mutable struct, so that a caller on a
/// hot path (a contended <see cref="RetryWriter"/> write) backs off without allocating; <see cref="BackoffIdleStrategy"/>
/// and <see cref="DoorbellIdleStrategy"/> wrap it for pollers, <see cref="Internal.OpenRetry"/> paces its attempts with it.
/// Never copy one in use: it holds the progress of one waiter.
/// </summary>
internal struct Backoff
{
    private readonly int _maxSpins;
    private readonly int _maxYields;
    private readonly TimeSpan _minPark;
    private readonly TimeSpan _maxPark;
    private int _steps;
    private TimeSpan _park;

    /// <summary>Starts a schedule; the arguments are validated by the public types that expose them.</summary>
    public Backoff(int maxSpins, int maxYields, TimeSpan minPark, TimeSpan maxPark)
    {
        _maxSpins = maxSpins;
        _maxYields = maxYields;
        _minPark = minPark;
        _maxPark = maxPark;
        _steps = 0;
        _park = minPark;
    }

    /// <summary>What the next step does.</summary>
    public readonly BackoffPhase Phase =>
        _steps < _maxSpins ? BackoffPhase.Spinning
        // Subtracted rather than added: maxSpins + maxYields may not fit an int.
        : _steps - _maxSpins < _maxYields ? BackoffPhase.Yielding
        : BackoffPhase.Parking;

    /// <summary>How long the next parking step parks.</summary>
    public readonly TimeSpan ParkPeriod => _park;

    /// <summary>
    /// Takes one step without blocking: spins and yields happen here and return <see cref="TimeSpan.Zero"/>; a parking
    /// step returns its period (and doubles the next one) for the caller to wait as it can.
    /// </summary>
    public TimeSpan Step()
    {
        switch (Phase)
        {
            case BackoffPhase.Spinning:
                _steps++;
                Thread.SpinWait(1);
                return TimeSpan.Zero;
            case BackoffPhase.Yielding:
                _steps++;
                Thread.Yield();
                return TimeSpan.Zero;
            default:
                TimeSpan park = _park;
                // Doubling saturates at the maximum; the comparison first avoids overflowing TimeSpan.
                _park = park.Ticks > _maxPark.Ticks / 2 ? _maxPark : park * 2;
                return park;
        }
    }

    /// <summary>Starts over with spinning and the shortest park.</summary>
    public void Reset()
    {
        _steps = 0;
        _park = _minPark;
    }
}
