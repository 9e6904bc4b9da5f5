using System.CommandLine;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Core.Waiting;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Output;

namespace Kekbit.Tool.Commands;

/// <summary><c>kekbit tail CHANNEL [-f]</c>: the last records as text (or hex), and with <c>-f</c> the ones that follow.</summary>
internal static class TailCommand
{
    public static Command Create(ToolConsole console)
    {
        var channel = CommonArguments.Channel();
        var lines = CommonArguments.Number("--lines", "-n", 0, int.MaxValue, 10, "How many of the last records to print first.");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new records until the channel closes, times out (exit code 5) or is damaged." };
        var hex = new Option<bool>("--hex", "-x") { Description = "Print records as '<length> <hex>' (the dump format) instead of text." };
        var command = new Command("tail", "Print the last records of a channel as text, one per line (newlines and control characters escaped); with -f keep following it.")
        {
            channel,
            lines,
            follow,
            hex,
        };
        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
            Run(console, CommonArguments.ChannelFile(parse, channel), parse.GetValue(lines), parse.GetValue(follow), parse.GetValue(hex), cancellationToken));
        return command;
    }

    private static int Run(ToolConsole console, string channelFile, int lines, bool follow, bool hex, CancellationToken cancellationToken)
    {
        using ShmReader channel = ShmReader.Open(channelFile);
        channel.SeekTo(StartOfLast(channel, lines, cancellationToken));
        using IReader reader = follow ? new TimeoutReader(channel) : channel;
        TextWriter output = console.Out;
        // The library's poll loop: by default it sleeps on the channel's doorbell, and the timeout reader ends that sleep
        // when the writer has been silent for the channel's timeout.
        var poller = new ReaderPoller(reader);
        ReadResult result;
        while (true)
        {
            result = reader.TryRead();
            if (result.Status == ReadStatus.Nothing && follow)
            {
                // Show what arrived before waiting: a person or a pipe is waiting for it.
                output.Flush();
                result = poller.Read(cancellationToken);
            }

            if (result.IsRecord)
            {
                if (hex)
                {
                    ChannelDump.WriteRecord(result.Span, output);
                }
                else
                {
                    PayloadText.Write(result.Span, output);
                    output.Write('\n');
                }

                continue;
            }

            break;
        }

        return result.Status switch
        {
            ReadStatus.Failed => DumpCommand.ReportDamage(console, channelFile, result),
            ReadStatus.Timeout => CommandRunner.Fail(console, string.Create(CultureInfo.InvariantCulture,
                $"{channelFile}: no record for {reader.Metadata.TimeoutSpan} (the channel's timeout): its writer is considered gone"), ExitCodes.TimedOut),
            _ => ExitCodes.Success,
        };
    }

    /// <summary>
    /// Returns the position of the first of the channel's last <paramref name="count"/> records: one walk counts the
    /// records, a second skips all but the last <paramref name="count"/>. No memory grows with the count.
    /// </summary>
    private static long StartOfLast(ShmReader channel, int count, CancellationToken cancellationToken)
    {
        long total = 0;
        ReadResult result;
        while ((result = channel.TryRead()).IsRecord)
        {
            if ((++total & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        long end = result.Position;
        if (total <= count)
        {
            return 0;
        }

        if (count == 0)
        {
            return end;
        }

        channel.SeekTo(0);
        for (long skip = total - count; skip > 0; skip--)
        {
            channel.TryRead();
        }

        return channel.Position;
    }
}
