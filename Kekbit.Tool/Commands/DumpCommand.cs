using System.CommandLine;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Output;

namespace Kekbit.Tool.Commands;

/// <summary>
/// <c>kekbit dump CHANNEL</c>: one line per record, <c>&lt;length&gt; &lt;lowercase hex&gt;</c>, then
/// <c>END &lt;status&gt; position=&lt;position&gt;</c>, the format of the kekbit 0.3.5 fixtures' expected.txt
/// (written by <see cref="ChannelDump"/>).
/// </summary>
internal static class DumpCommand
{
    public static Command Create(ToolConsole console)
    {
        var channel = CommonArguments.Channel();
        var text = new Option<bool>("--text", "-t") { Description = "Print payloads as UTF-8 text (control characters and invalid bytes escaped) instead of hex." };
        var from = CommonArguments.Number("--from", null, 0L, long.MaxValue, 0L, "Skip the first N records.");
        var count = CommonArguments.OptionalNumber("--count", "-n", 0L, long.MaxValue, "Print at most N records; END then tells what follows (Record: more records at that position). 0 prints nothing.");
        var fromSequence = CommonArguments.OptionalNumber("--from-seq", null, 0L, long.MaxValue, "For a journal: start at the record with this sequence number (it must still be held).");
        var command = new Command("dump", "Print every record as '<length> <hex>' and a last line 'END <Closed|Nothing|Failed> position=<bytes>'; for a journal folder, each line starts with the record's sequence. Exit code 1 when the data is damaged.")
        {
            channel,
            text,
            from,
            count,
            fromSequence,
        };
        CommandRunner.SetBody(command, console, (parse, _) =>
        {
            if (ChannelLocator.TryResolveJournal(parse.GetValue(channel) ?? [], out string journal))
            {
                return RunJournal(console, journal, parse.GetValue(text), parse.GetValue(from), parse.GetValue(count), parse.GetValue(fromSequence));
            }

            if (parse.GetValue(fromSequence) is not null)
            {
                throw new ToolException(ExitCodes.Usage, "--from-seq is for journals: a channel's records have no sequence numbers (use --from)");
            }

            return Run(console, CommonArguments.ChannelFile(parse, channel), parse.GetValue(text), parse.GetValue(from), parse.GetValue(count));
        });
        return command;
    }

    private static int Run(ToolConsole console, string channelFile, bool text, long from, long? count)
    {
        if (count == 0)
        {
            // Nothing asked for: nothing printed, as head -n 0. The channel is still opened, so a bad one is reported.
            using ShmReader _ = ShmReader.Open(channelFile);
            return ExitCodes.Success;
        }

        using ShmReader reader = ShmReader.Open(channelFile);
        ReadResult end;
        if (!text && from == 0 && count is null)
        {
            end = ChannelDump.Write(reader, console.Out); // Writes the END line too.
        }
        else
        {
            end = WriteRange(reader, console.Out, text, from, count ?? long.MaxValue);
            ChannelDump.WriteEnd(end, console.Out);
        }

        return end.Status == ReadStatus.Failed ? ReportDamage(console, channelFile, end) : ExitCodes.Success;
    }

    /// <summary>
    /// <c>kekbit dump JOURNAL</c>: <c>&lt;sequence&gt; &lt;length&gt; &lt;hex|text&gt;</c> per record across segments, then
    /// <c>END &lt;status&gt; position=&lt;journal position&gt;</c>. Reads with a plain <see cref="JournalReader"/> (no cursor,
    /// no lock, no doorbell): a live writer is not disturbed, and the dump ends at what was written when it got there.
    /// </summary>
    private static int RunJournal(ToolConsole console, string folder, bool text, long from, long? count, long? fromSequence)
    {
        using JournalReader reader = JournalReader.Open(folder, fromSequence is long sequence ? JournalStart.AtSequence(sequence) : JournalStart.Beginning);
        if (count == 0)
        {
            return ExitCodes.Success;
        }

        long index = 0;
        long printed = 0;
        long limit = count ?? long.MaxValue;
        TextWriter output = console.Out;
        Span<char> digits = stackalloc char[20];
        ReadResult result;
        while ((result = reader.TryRead()).IsRecord)
        {
            if (index++ < from)
            {
                continue;
            }

            reader.LastSequence.TryFormat(digits, out int written, provider: CultureInfo.InvariantCulture);
            output.Write(digits[..written]);
            output.Write(' ');
            if (text)
            {
                WriteTextRecord(result.Span, output);
            }
            else
            {
                ChannelDump.WriteRecord(result.Span, output);
            }

            if (++printed == limit)
            {
                // One more read tells the END line what follows: another record (at this position), the end, or damage.
                long next = reader.Position;
                result = reader.TryRead();
                if (result.IsRecord)
                {
                    output.Write(string.Create(CultureInfo.InvariantCulture, $"END Record position={next}\n"));
                    return ExitCodes.Success;
                }

                break;
            }
        }

        output.Write(string.Create(CultureInfo.InvariantCulture, $"END {result.Status} position={reader.Position}\n"));
        if (result.Status == ReadStatus.Failed && reader.Fault is JournalFault fault)
        {
            return CommandRunner.Fail(console, JournalViews.Describe(fault), ExitCodes.Damaged);
        }

        return ExitCodes.Success;
    }

    /// <summary>Reports damage in the data area as one line on stderr; exit code <see cref="ExitCodes.Damaged"/>.</summary>
    public static int ReportDamage(ToolConsole console, string channelFile, ReadResult end) =>
        CommandRunner.Fail(console, string.Create(CultureInfo.InvariantCulture, $"{channelFile}: damaged at position {end.Position}: {ChannelInspection.Describe(end.Failure)} ({end.Failure})"), ExitCodes.Damaged);

    private static ReadResult WriteRange(ShmReader reader, TextWriter output, bool text, long from, long count)
    {
        long index = 0;
        long printed = 0;
        ReadResult result;
        while ((result = reader.TryRead()).IsRecord)
        {
            if (index++ < from)
            {
                continue;
            }

            if (text)
            {
                WriteTextRecord(result.Span, output);
            }
            else
            {
                ChannelDump.WriteRecord(result.Span, output);
            }

            if (++printed == count)
            {
                // One more read tells the END line what follows: another record, the end, or damage.
                return reader.TryRead();
            }
        }

        return result;
    }

    /// <summary>Writes <c>&lt;length&gt; &lt;text&gt;</c> (just the length for an empty record).</summary>
    private static void WriteTextRecord(ReadOnlySpan<byte> payload, TextWriter output)
    {
        Span<char> digits = stackalloc char[11];
        payload.Length.TryFormat(digits, out int written, provider: CultureInfo.InvariantCulture);
        output.Write(digits[..written]);
        if (!payload.IsEmpty)
        {
            output.Write(' ');
            PayloadText.Write(payload, output);
        }

        output.Write('\n');
    }
}
