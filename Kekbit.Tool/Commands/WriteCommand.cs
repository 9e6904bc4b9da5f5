using System.CommandLine;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Tool.Input;
using Kekbit.Tool.Output;

namespace Kekbit.Tool.Commands;

/// <summary>
/// <c>kekbit write ROOT WRITER_ID CHANNEL_ID</c>: creates a channel and writes each stdin line (or binary frame)
/// as a record, closing it at the end of the input unless <c>--no-close</c>.
/// </summary>
internal static class WriteCommand
{
    public static Command Create(ToolConsole console)
    {
        var root = CommonArguments.Folder("root", "The root folder to create the channel under (created if missing).");
        var writerId = CommonArguments.Id("writer id", "The writer's id (decimal or 0x hex).");
        var channelId = CommonArguments.Id("channel id", "The channel's id (decimal or 0x hex); it decides the file's path under ROOT.");
        writerId.HelpName = "WRITER_ID";
        channelId.HelpName = "CHANNEL_ID";
        var capacity = CommonArguments.Number("--capacity", null, 0, Metadata.MaxCapacity, 1 << 20, "Data area size in bytes (at least 16384, rounded up to 8).");
        var maxLength = CommonArguments.Number("--max-length", null, 0, Metadata.MaxCapacity, 1024, "The largest record you intend to write, in bytes (the channel's limit is this + 8, rounded up to 8, at most capacity/128 - 8).");
        var timeout = CommonArguments.Number("--timeout", null, 0UL, ulong.MaxValue, 10_000UL, "How long readers wait for a record before they consider the writer gone, in --tick units.");
        var tick = CommonArguments.TickUnitOption("--tick", TickUnit.Millis, "The channel's time unit.");
        capacity.HelpName = maxLength.HelpName = "BYTES";
        timeout.HelpName = "TICKS";
        var frames = new Option<bool>("--frames") { Description = "Read length-prefixed binary frames (u32 little-endian length, then the bytes) instead of lines." };
        var noClose = new Option<bool>("--no-close") { Description = "Leave the channel open at the end of the input (readers then wait, and time out)." };
        var json = CommonArguments.Json();
        var command = new Command("write", "Create a channel and write each line of standard input as a record (or binary frames with --frames); close it at the end of the input. On SIGINT or SIGTERM, stop reading, keep the records written so far, close the channel and exit 130 or 143.")
        {
            root, writerId, channelId, capacity, maxLength, timeout, tick, frames, noClose, json,
        };
        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
        {
            var metadata = Metadata.Create(parse.GetValue(writerId), parse.GetValue(channelId), parse.GetValue(capacity), parse.GetValue(maxLength), parse.GetValue(timeout), parse.GetValue(tick));
            return Run(console, parse.GetValue(root)!, metadata, parse.GetValue(frames), !parse.GetValue(noClose), parse.GetValue(json), cancellationToken);
        });
        return command;
    }

    private static int Run(ToolConsole console, string root, Metadata metadata, bool frames, bool close, bool json, CancellationToken cancellationToken)
    {
        // A signal interrupts a read that waits for input; records read before it are written before the channel closes.
        var input = new InterruptibleInput(console.In, cancellationToken);
        IRecordSource source = frames
            ? new FrameRecordSource(input, metadata.MaxRecordLength)
            : new LineRecordSource(input, metadata.MaxRecordLength);
        ShmWriter writer = ShmWriter.Create(root, metadata);
        long records = 0;
        string? error = null;
        int exitCode = ExitCodes.Success;
        try
        {
            while (source.TryRead(out ReadOnlyMemory<byte> record))
            {
                WriteResult result = writer.Write(record.Span);
                if (!result.IsSuccess)
                {
                    error = Refusal(result.Status, records + 1, record.Length, writer);
                    exitCode = ExitCodes.Refused;
                    break;
                }

                records++;
            }
        }
        catch (ToolException e)
        {
            (error, exitCode) = (e.Message, e.ExitCode);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            (error, exitCode) = ($"interrupted by {console.Interruption.SignalName}", console.Interruption.ExitCode);
        }
        finally
        {
            // A refused or malformed record ends the input, not the channel: what was written stays readable.
            if (close)
            {
                writer.Dispose();
            }
            else
            {
                // Left open on purpose; the process exit unmaps it. Flushed so the records reach the file.
                writer.Flush();
            }
        }

        Summarize(console, writer, metadata, records, close, json, error, exitCode);
        return error is null ? ExitCodes.Success : CommandRunner.Fail(console, $"{writer.Path}: {error}", exitCode);
    }

    private static void Summarize(ToolConsole console, ShmWriter writer, Metadata metadata, long records, bool closed, bool json, string? error, int exitCode)
    {
        if (json)
        {
            JsonOutput.Write(console.Out, output =>
            {
                output.WriteStartObject();
                output.WriteString("path", writer.Path);
                output.WriteNumber("records", records);
                output.WriteNumber("bytesUsed", writer.WriteOffset);
                output.WriteNumber("capacity", metadata.Capacity);
                output.WriteNumber("maxRecordLength", metadata.MaxRecordLength);
                output.WriteBoolean("closed", closed);
                if (error is null)
                {
                    output.WriteNull("error");
                }
                else
                {
                    output.WriteString("error", error);
                }

                output.WriteNumber("exitCode", exitCode);

                output.WriteEndObject();
            });
            return;
        }

        console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"kekbit: wrote {records} record{(records == 1 ? "" : "s")} to {writer.Path}: {writer.WriteOffset} of {metadata.Capacity} bytes used ({Names.Percent(100.0 * writer.WriteOffset / metadata.Capacity)}), {(closed ? "closed" : "left open")}"));
    }

    private static string Refusal(WriteStatus status, long recordNumber, int length, ShmWriter writer) => status switch
    {
        WriteStatus.RecordTooLarge when length > writer.Metadata.MaxRecordLength => string.Create(CultureInfo.InvariantCulture,
            $"record {recordNumber} holds {length} bytes, more than the channel's max record length of {writer.Metadata.MaxRecordLength}"),
        WriteStatus.RecordTooLarge or WriteStatus.RecordDoesNotFit or WriteStatus.ChannelFull => string.Create(CultureInfo.InvariantCulture,
            $"the channel is full: record {recordNumber} ({length} bytes) does not fit in the {writer.Available} bytes left"),
        _ => $"record {recordNumber} was refused ({status})",
    };
}
