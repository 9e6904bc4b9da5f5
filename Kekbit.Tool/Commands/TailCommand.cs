using System.CommandLine;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Output;

namespace Kekbit.Tool.Commands;

/// <summary><c>kekbit tail CHANNEL [-f]</c>: the last records as text (or hex), and with <c>-f</c> the ones that follow.</summary>
internal static class TailCommand
{
    public static Command Create(ToolConsole console)
    {
        var channel = CommonArguments.Channel();
        var lines = new Option<int>("--lines", "-n") { Description = "How many of the last records to print first.", HelpName = "N", DefaultValueFactory = _ => 10 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new records until the channel closes, times out (exit code 5) or is damaged." };
        var hex = new Option<bool>("--hex", "-x") { Description = "Print records as '<length> <hex>' (the dump format) instead of text." };
        lines.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--lines must not be negative.");
            }
        });
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
        channel.SeekTo(StartOfLast(channel, lines));
        using IReader reader = follow ? new TimeoutReader(channel) : channel;
        TextWriter output = console.Out;
        var backoff = default(PollBackoff);
        ReadResult result;
        while (true)
        {
            result = reader.TryRead();
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

                backoff.Reset();
                continue;
            }

            if (result.Status != ReadStatus.Nothing || !follow)
            {
                break;
            }

            // Show what arrived before idling: a person or a pipe is waiting for it.
            output.Flush();
            backoff.Wait(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return result.Status switch
        {
            ReadStatus.Failed => DumpCommand.ReportDamage(console, channelFile, result),
            ReadStatus.Timeout => CommandRunner.Fail(console, string.Create(CultureInfo.InvariantCulture,
                $"{channelFile}: no record for {reader.Metadata.TimeoutSpan} (the channel's timeout): its writer is considered gone"), ExitCodes.TimedOut),
            _ => ExitCodes.Success,
        };
    }

    /// <summary>Walks the channel once and returns the position of the first of its last <paramref name="count"/> records.</summary>
    private static long StartOfLast(ShmReader channel, int count)
    {
        // A ring of the last `count` record positions: the oldest one is where printing starts.
        long[] ring = new long[Math.Max(count, 1)];
        long seen = 0;
        ReadResult result;
        while ((result = channel.TryRead()).IsRecord)
        {
            ring[seen % ring.Length] = result.Position;
            seen++;
        }

        if (count == 0 || seen == 0)
        {
            return result.Position;
        }

        return seen <= count ? ring[0] : ring[seen % count];
    }
}
