using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Kekbit.Replication.Nats.Internal;

/// <summary>Reads what a stream holds at a sequence, through the stream leader (coherent after a write).</summary>
internal static class StreamTail
{
    /// <summary>The stream's state now.</summary>
    public static async Task<StreamState> StateAsync(INatsJSContext js, string stream, CancellationToken cancellationToken)
    {
        INatsJSStream info = await js.GetStreamAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        return info.Info.State;
    }

    /// <summary>The Kekbit headers of the message at stream sequence <paramref name="sequence"/>; a message without them is <see cref="ReplicationError.ForeignMessages"/>.</summary>
    public static async Task<ReplicatedMessage> ReadAsync(INatsJSContext js, string stream, ulong sequence, CancellationToken cancellationToken)
    {
        INatsJSStream handle = await js.GetStreamAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        StreamMsgGetResponse response = await handle.GetAsync(new StreamMsgGetRequest { Seq = sequence }, cancellationToken).ConfigureAwait(false);
        byte[] raw = response.Message.Hdrs is { Length: > 0 } hdrs ? Convert.FromBase64String(hdrs) : [];
        if (!ReplicatedMessage.TryParse(raw, out ReplicatedMessage message))
        {
            throw new ReplicationException(ReplicationError.ForeignMessages,
                $"Stream '{stream}' holds a message at sequence {sequence} (subject '{response.Message.Subject}') that Kekbit replication did not write.");
        }

        return message;
    }
}
