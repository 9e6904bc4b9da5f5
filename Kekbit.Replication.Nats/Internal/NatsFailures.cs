using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Kekbit.Replication.Nats.Internal;

/// <summary>Sorts NATS.Net exceptions into what retrying may fix and what it cannot.</summary>
internal static class NatsFailures
{
    /// <summary>JetStream API error: stream not found.</summary>
    public const int StreamNotFound = 10059;

    /// <summary>JetStream API error: wrong last sequence (an Expected-Last-Sequence check failed).</summary>
    public const int WrongLastSequence = 10071;

    public static bool IsAuthentication(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x.Message.Contains("authorization", StringComparison.OrdinalIgnoreCase)
                || x.Message.Contains("authentication", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Failures of the connection or of a request that a later attempt may not see.</summary>
    public static bool IsTransient(Exception e) =>
        e is NatsException or TimeoutException or OperationCanceledException or NatsJSException && !IsAuthentication(e);

    public static ReplicationException Connect(Exception e, string url) => IsAuthentication(e)
        ? new ReplicationException(ReplicationError.AuthenticationFailed, $"The NATS server at {url} refused the credentials.", e)
        : new ReplicationException(ReplicationError.ServerUnreachable, $"The NATS server at {url} could not be reached.", e);
}
