using System.Buffers;
using System.Text.Json;
using NATS.Client.Core;

namespace Kekbit.Replication.Nats.Internal;

/// <summary>
/// The parts of a JetStream publish acknowledgement the push replicator uses: the stream sequence, whether the server
/// dropped the message as a duplicate, and the API error if it refused it. Parsed straight from the reply's bytes
/// (no string but an error's description), because one arrives for every replicated record.
/// </summary>
internal readonly record struct PubAck(ulong Sequence, bool Duplicate, int ErrorCode, string? ErrorDescription)
{
    /// <summary>Whether the server refused the message (<see cref="ErrorCode"/> and <see cref="ErrorDescription"/> say why).</summary>
    public bool IsError => ErrorCode != 0 || ErrorDescription is not null;

    /// <summary>Parses <c>{"stream":..,"seq":n,"duplicate":b}</c> or <c>{"error":{"code":..,"err_code":..,"description":..}}</c>; an empty or malformed body is an error ack.</summary>
    public static PubAck Parse(in ReadOnlySequence<byte> json)
    {
        if (json.IsEmpty)
        {
            return new PubAck(0, false, 0, "empty acknowledgement");
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            ulong sequence = 0;
            bool duplicate = false;
            int errorCode = 0;
            string? description = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new PubAck(0, false, 0, "malformed acknowledgement");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    sequence = reader.GetUInt64();
                }
                else if (reader.ValueTextEquals("duplicate"u8))
                {
                    reader.Read();
                    duplicate = reader.TokenType == JsonTokenType.True;
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    (errorCode, description) = ParseError(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return new PubAck(sequence, duplicate, errorCode, description);
        }
        catch (JsonException e)
        {
            return new PubAck(0, false, 0, "malformed acknowledgement: " + e.Message);
        }
        catch (FormatException e)
        {
            return new PubAck(0, false, 0, "malformed acknowledgement: " + e.Message);
        }
        catch (InvalidOperationException e)
        {
            return new PubAck(0, false, 0, "malformed acknowledgement: " + e.Message);
        }
    }

    private static (int ErrorCode, string Description) ParseError(ref Utf8JsonReader reader)
    {
        int errorCode = 0, code = 0;
        string? description = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return (0, "malformed error");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("err_code"u8))
            {
                reader.Read();
                errorCode = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("description"u8))
            {
                reader.Read();
                description = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (errorCode, description ?? $"error {code}");
    }
}

/// <summary>Deserializes acknowledgements for the shared ack subscription (called on NATS.Net's socket reader).</summary>
internal sealed class PubAckDeserializer : INatsDeserialize<PubAck>
{
    public static readonly PubAckDeserializer Instance = new();

    public PubAck Deserialize(in ReadOnlySequence<byte> buffer) => PubAck.Parse(buffer);
}
