using System.Buffers;
using System.Text;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.Tool.Channels;

namespace Kekbit.Tool.Output;

/// <summary>Writes JSON documents for <c>--json</c> output: camelCase names, enum values as lowercase strings, one document per command.</summary>
internal static class JsonOutput
{
    private static readonly JsonWriterOptions Options = new() { Indented = true };

    /// <summary>Builds a document with <paramref name="write"/> and prints it on <paramref name="output"/>, followed by a newline.</summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            write(json);
        }

        output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        output.Write('\n');
    }

    /// <summary>Writes <paramref name="report"/> as a JSON object.</summary>
    public static void WriteReport(Utf8JsonWriter json, ChannelReport report)
    {
        json.WriteStartObject();
        json.WriteString("path", report.Path);
        json.WriteString("state", Names.Of(report.State));
        json.WriteBoolean("healthy", report.IsHealthy);
        json.WriteBoolean("closed", report.IsClosed);
        json.WriteNumber("records", report.Records);
        json.WriteNumber("bytesUsed", report.BytesUsed);
        json.WriteNumber("available", report.Available);
        json.WriteNumber("fillPercent", Math.Round(report.FillPercent, 2));
        json.WriteString("end", report.End.ToString());
        WriteNullableString(json, "failure", report.End == ReadStatus.Failed && report.Failure != ReadFailure.None ? report.Failure.ToString() : null);
        json.WriteNumber("lastRecordPosition", report.LastRecordPosition);
        json.WriteNumber("fileLength", report.FileLength);
        json.WriteBoolean("fileTruncated", report.IsFileTruncated);
        WriteNullableNumber(json, "writerProcessId", report.WriterProcessId);
        WriteNullableString(json, "error", report.Error);
        if (report.IsMisplaced)
        {
            json.WriteString("pathChannelId", Names.Hex(report.PathChannelId!.Value));
        }

        if (report.Metadata is Metadata metadata)
        {
            json.WritePropertyName("metadata");
            WriteMetadata(json, metadata);
        }
        else
        {
            json.WriteNull("metadata");
        }

        json.WriteEndObject();
    }

    /// <summary>Writes every metadata field, with the timeout and creation time also as seconds and a date.</summary>
    public static void WriteMetadata(Utf8JsonWriter json, Metadata metadata)
    {
        json.WriteStartObject();
        json.WriteString("version", metadata.VersionText);
        json.WriteNumber("writerId", metadata.WriterId);
        json.WriteNumber("channelId", metadata.ChannelId);
        json.WriteString("channelIdHex", Names.Hex(metadata.ChannelId));
        json.WriteNumber("capacity", metadata.Capacity);
        json.WriteNumber("maxRecordLength", metadata.MaxRecordLength);
        json.WriteNumber("timeout", metadata.Timeout);
        json.WriteString("tickUnit", Names.Of(metadata.TickUnit));
        json.WriteNumber("timeoutSeconds", metadata.TimeoutSpan.TotalSeconds);
        json.WriteNumber("creationTime", metadata.CreationTime);
        json.WriteString("createdAt", metadata.CreatedAt);
        json.WriteNumber("fileLength", metadata.FileLength);
        json.WriteEndObject();
    }

    private static void WriteNullableString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteNullableNumber(Utf8JsonWriter json, string name, int? value)
    {
        if (value is int number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
