using NATS.Client.Core;

namespace Kekbit.Replication.Nats.Internal;

/// <summary>Connecting a replicator's (or a status query's) connection: the one place connection failures become typed errors.</summary>
internal static class NatsConnect
{
    /// <summary>
    /// Connects <paramref name="nats"/>, retrying an unreachable server up to <paramref name="retries"/> times with
    /// exponential backoff (never refused credentials: retrying cannot fix them).
    /// </summary>
    /// <exception cref="ReplicationException"><see cref="ReplicationError.ServerUnreachable"/> once the retries are spent, or
    /// <see cref="ReplicationError.AuthenticationFailed"/>.</exception>
    public static async Task OpenAsync(NatsConnection nats, NatsConnectionOptions connection, CancellationToken cancellationToken, int retries = 0, TimeSpan initialBackoff = default, TimeSpan maxBackoff = default)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await nats.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NatsException e) when (!NatsFailures.IsAuthentication(e) && attempt < retries)
            {
                await Task.Delay(Backoff.Delay(initialBackoff, maxBackoff, attempt + 1), cancellationToken).ConfigureAwait(false);
            }
            catch (NatsException e)
            {
                throw NatsFailures.Connect(e, connection.DisplayUrl);
            }
        }
    }
}
