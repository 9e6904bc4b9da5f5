using Kekbit.Core.Waiting;

namespace Kekbit.Reactive.Tests;

/// <summary>Settings shared by the tests.</summary>
internal static class Gentle
{
    /// <summary>Polling that backs off quickly: tests share two cores with other work.</summary>
    public static readonly PollingOptions Polling = new() { IdleStrategy = () => new BackoffIdleStrategy(maxSpins: 2, maxYields: 2) };

    /// <summary>Cancelled when the test run is aborted.</summary>
    public static CancellationToken Cancellation => TestContext.Current.CancellationToken;
}
