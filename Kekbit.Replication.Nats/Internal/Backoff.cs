namespace Kekbit.Replication.Nats.Internal;

/// <summary>Exponential backoff with jitter: the first wait, doubled per attempt, capped.</summary>
internal static class Backoff
{
    public static TimeSpan Delay(TimeSpan initial, TimeSpan max, int attempt)
    {
        double factor = Math.Pow(2, Math.Min(attempt - 1, 20));
        double ms = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * factor);
#pragma warning disable CA5394 // jitter, not security
        return TimeSpan.FromMilliseconds(ms * (0.75 + Random.Shared.NextDouble() * 0.25));
#pragma warning restore CA5394
    }
}
