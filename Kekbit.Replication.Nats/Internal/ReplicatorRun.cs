using Kekbit.Replication.Nats.Diagnostics;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace Kekbit.Replication.Nats.Internal;

/// <summary>
/// What a push replicator and a mirror share about their run: whether it is running, its connection, its fault, how
/// often it recovered, and the retry budget of consecutive failures (reset when a message gets through). Status is
/// read from other threads, hence the explicit volatile and interlocked accesses. While it runs, the replicator
/// (<paramref name="source"/>, of kind <paramref name="kind"/>) is observed by the lag gauges if someone listens.
/// </summary>
internal sealed class ReplicatorRun(IReplicationLagSource source, string kind, ILogger logger, string journalFolder, string stream, int maxRetries, TimeSpan initialBackoff, TimeSpan maxBackoff)
{
    private int _running;
    private NatsConnection? _connection;
    private ReplicationException? _fault;
    private long _recoveries;
    private int _failures;

    public bool IsRunning => Volatile.Read(ref _running) == 1;

    public bool IsConnected => Volatile.Read(ref _connection)?.ConnectionState == NatsConnectionState.Open;

    public long Recoveries => Interlocked.Read(ref _recoveries);

    public ReplicationException? Fault => Volatile.Read(ref _fault);

    /// <summary>Called when work got through: the next failure starts a fresh budget.</summary>
    public void Progressed() => Volatile.Write(ref _failures, 0);

    /// <summary>Records the connection the run uses, for <see cref="IsConnected"/>.</summary>
    public void Connected(NatsConnection connection) => Volatile.Write(ref _connection, connection);

    /// <summary>Runs <paramref name="run"/> as the service's body: marks running, records a fatal fault, ends quietly on a stop.</summary>
    public async Task ExecuteAsync(Func<CancellationToken, Task> run, CancellationToken stoppingToken)
    {
        Volatile.Write(ref _failures, 0);
        Volatile.Write(ref _running, 1);
        ReplicationObservation? observation = ReplicationMeter.Observe(source, kind, stream, journalFolder);
        try
        {
            await run(stoppingToken).ConfigureAwait(false);
        }
        catch (ReplicationException e)
        {
            Volatile.Write(ref _fault, e);
            Log.Stopped(logger, e, journalFolder, stream, e.Error);
            throw;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            Volatile.Write(ref _running, 0);
            Volatile.Write(ref _connection, null);
            ReplicationMeter.Stopped(observation);
        }
    }

    /// <summary>
    /// After a transient failure <paramref name="error"/>: counts it, throws <see cref="ReplicationError.ServerUnreachable"/>
    /// once more than the budget failed in a row (<paramref name="what"/> names the work, e.g. "Publishing to"), else logs
    /// and waits the backoff.
    /// </summary>
    public Task RetryAfterAsync(Exception error, string what, string displayUrl, CancellationToken cancellationToken)
    {
        int failures = Interlocked.Increment(ref _failures);
        if (failures > maxRetries)
        {
            throw new ReplicationException(ReplicationError.ServerUnreachable,
                $"{what} stream '{stream}' at {displayUrl} failed {failures} times in a row.", error);
        }

        Interlocked.Increment(ref _recoveries);
        TimeSpan wait = Backoff.Delay(initialBackoff, maxBackoff, failures);
        Log.Retrying(logger, stream, error.Message, failures, maxRetries, (long)wait.TotalMilliseconds);
        return Task.Delay(wait, cancellationToken);
    }
}
