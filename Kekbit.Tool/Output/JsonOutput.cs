using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.Journal;

namespace Kekbit.Tool.Output;

/// <summary>Writes JSON documents for <c>--json</c> output: camelCase names, enum values as lowercase strings, one document per command.</summary>
internal static class JsonOutput
{
    // Relaxed escaping: the output is read by scripts and people, never embedded in HTML; 'quotes' stay readable.
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions LineOptions = Options with { Indented = false };

    /// <summary>Builds a document with <paramref name="write"/> and prints it on <paramref name="output"/>, followed by a newline.</summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter> write) => Write(output, write, Options);

    /// <summary>Builds a document with <paramref name="write"/> and prints it on one line (JSON Lines), for a stream of documents.</summary>
    public static void WriteLine(TextWriter output, Action<Utf8JsonWriter> write) => Write(output, write, LineOptions);

    private static void Write(TextWriter output, Action<Utf8JsonWriter> write, JsonWriterOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            write(json);
        }

        output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        output.Write('\n');
    }

    /// <summary>Prints an error as a JSON object, <c>{"error": message, "exitCode": code}</c>, for scripts that read stdout.</summary>
    /// <param name="output">Where to print.</param>
    /// <param name="message">The error.</param>
    /// <param name="exitCode">The exit code that goes with it.</param>
    /// <param name="oneLine">Print on one line, to end a stream of JSON Lines.</param>
    public static void WriteError(TextWriter output, string message, int exitCode, bool oneLine = false) => Write(output, json =>
    {
        json.WriteStartObject();
        json.WriteString("error", message);
        json.WriteNumber("exitCode", exitCode);
        json.WriteEndObject();
    }, oneLine ? LineOptions : Options);

    /// <summary>Writes <paramref name="inspection"/> as a JSON object.</summary>
    public static void WriteInspection(Utf8JsonWriter json, ChannelInspection inspection)
    {
        json.WriteStartObject();
        json.WriteString("path", inspection.Path);
        json.WriteString("state", Names.Of(inspection.State));
        WriteNullableString(json, "reason", inspection.Reason);
        json.WriteBoolean("healthy", inspection.IsHealthy);
        json.WriteBoolean("closed", inspection.IsClosed);
        json.WriteNumber("records", inspection.RecordCount);
        json.WriteNumber("bytesUsed", inspection.BytesUsed);
        json.WriteNumber("available", inspection.Available);
        json.WriteNumber("fillPercent", Math.Round(inspection.FillPercent, 2));
        json.WriteString("end", inspection.End.ToString());
        WriteNullableString(json, "failure", inspection.End == ReadStatus.Failed && inspection.Failure != ReadFailure.None ? inspection.Failure.ToString() : null);
        WriteNullableString(json, "openError", inspection.OpenError?.ToString());
        json.WriteNumber("lastRecordPosition", inspection.LastRecordPosition);
        json.WriteNumber("fileLength", inspection.FileLength);
        json.WriteBoolean("fileTruncated", inspection.IsFileTruncated);
        WriteNullableNumber(json, "writerProcessId", inspection.WriterProcessId);
        if (inspection.IsMisplaced)
        {
            json.WriteString("pathChannelId", Names.Hex(inspection.PathChannelId!.Value));
        }

        if (inspection.Metadata is Metadata metadata)
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

    /// <summary>Writes a journal's report as a JSON object: its state, sequence range, writer, segments, cursors with their lag, and faults.</summary>
    /// <param name="json">Where to write.</param>
    /// <param name="journal">The report.</param>
    /// <param name="segmentDetails">Also write each segment's channel inspection (for <c>info</c> and <c>verify</c>; <c>ls</c> keeps it short).</param>
    public static void WriteJournal(Utf8JsonWriter json, JournalInspection journal, bool segmentDetails = true)
    {
        json.WriteStartObject();
        json.WriteString("kind", "journal");
        json.WriteString("path", journal.Folder);
        WriteNullableString(json, "journalId", journal.JournalId?.ToString());
        json.WriteString("state", Names.Of(journal.State));
        json.WriteBoolean("healthy", journal.IsHealthy);
        WriteNullableNumber(json, "firstSequence", journal.FirstSequence);
        json.WriteNumber("lastSequence", journal.LastSequence);
        json.WriteNumber("records", journal.RecordCount);
        json.WriteNumber("bytes", journal.TotalBytes);
        json.WriteBoolean("writer", journal.HasWriter);
        WriteNullableNumber(json, "writerProcessId", journal.WriterProcessId);
        json.WriteNumber("segmentCount", journal.Segments.Count);
        json.WriteStartArray("segments");
        foreach (JournalSegmentInspection segment in journal.Segments)
        {
            json.WriteStartObject();
            json.WriteNumber("number", segment.Number);
            json.WriteString("path", segment.Path);
            WriteNullableNumber(json, "firstSequence", segment.FirstSequence);
            WriteNullableNumber(json, "lastSequence", segment.LastSequence);
            json.WriteNumber("records", segment.RecordCount);
            json.WriteString("state", Names.Of(segment.Channel.State));
            json.WriteNumber("fileLength", segment.Channel.FileLength);
            if (segment.StartedAt is DateTimeOffset started)
            {
                json.WriteString("startedAt", started);
            }
            else
            {
                json.WriteNull("startedAt");
            }

            if (segmentDetails)
            {
                json.WritePropertyName("channel");
                WriteInspection(json, segment.Channel);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        WriteCursors(json, journal.Cursors);
        json.WriteStartArray("faults");
        foreach (JournalFault fault in journal.Faults)
        {
            json.WriteStartObject();
            json.WriteString("error", fault.Error.ToString());
            json.WriteString("segmentPath", fault.SegmentPath);
            json.WriteNumber("offset", fault.Offset);
            json.WriteNumber("fileOffset", ChannelInspection.FileOffsetOf(fault.Offset));
            WriteNullableString(json, "failure", fault.Failure == ReadFailure.None ? null : fault.Failure.ToString());
            json.WriteString("message", fault.Message);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>
    /// Writes <c>"cursors": [...]</c>: each durable cursor's <c>name</c>, committed <c>position</c>, <c>nextSequence</c>,
    /// <c>lag</c> (records behind the journal's last) and <c>committedAt</c>; nulls where nothing was committed.
    /// </summary>
    public static void WriteCursors(Utf8JsonWriter json, IReadOnlyList<JournalCursorInspection> cursors)
    {
        json.WriteStartArray("cursors");
        foreach (JournalCursorInspection cursor in cursors)
        {
            json.WriteStartObject();
            json.WriteString("name", cursor.Name);
            WriteNullableNumber(json, "position", cursor.Position);
            WriteNullableNumber(json, "nextSequence", cursor.NextSequence);
            WriteNullableNumber(json, "lag", cursor.Lag);
            if (cursor.CommittedAt is DateTimeOffset committed)
            {
                json.WriteString("committedAt", committed);
            }
            else
            {
                json.WriteNull("committedAt");
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>Writes the folders a walk under a root skipped, as <c>"skipped": [{"folder", "reason"}]</c>.</summary>
    public static void WriteSkipped(Utf8JsonWriter json, IEnumerable<(string Folder, string Reason)> skipped)
    {
        json.WriteStartArray("skipped");
        foreach ((string folder, string reason) in skipped)
        {
            json.WriteStartObject();
            json.WriteString("folder", folder);
            json.WriteString("reason", reason);
            json.WriteEndObject();
        }

        json.WriteEndArray();
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

    public static void WriteNullableString(Utf8JsonWriter json, string name, string? value)
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

    public static void WriteNullableNumber(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    public static void WriteNullableNumber(Utf8JsonWriter json, string name, long? value)
    {
        if (value is long number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    public static void WriteNullableNumber(Utf8JsonWriter json, string name, int? value)
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
