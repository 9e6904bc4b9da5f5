namespace Kekbit.Core.Waiting;

/// <summary>What the next idle step of a <see cref="BackoffIdleStrategy"/> does.</summary>
public enum BackoffPhase
{
    /// <summary>Spin: a processor hint, the thread keeps running.</summary>
    Spinning,

    /// <summary>Yield the rest of the time slice.</summary>
    Yielding,

    /// <summary>Park the thread for <see cref="BackoffIdleStrategy.ParkPeriod"/>.</summary>
    Parking,
}
