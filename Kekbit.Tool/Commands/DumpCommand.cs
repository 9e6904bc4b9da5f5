using System.CommandLine;
using System.Globalization;
using Kekbit.Core;
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
        var command = new Command("dump", "Print every record as '<length> <hex>' and a last line 'END <Closed|Nothing|Failed> position=<bytes>'. Exit code 1 when the data is damaged.")
        {
            channel,
            text,
            from,
            count,
        };
        CommandRunner.SetBody(command, console, (parse, _) =>
            Run(console, CommonArguments.ChannelFile(parse, channel), parse.GetValue(text), parse.GetValue(from), parse.GetValue(count)));
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
