using System.CommandLine;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Core.Waiting;
using Kekbit.Journal;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Output;

namespace Kekbit.Tool.Commands;

/// <summary>
/// <c>kekbit tail CHANNEL|JOURNAL [-f]</c>: the last records as text (or hex), and with <c>-f</c> the ones that follow. A
/// journal is followed across its segments; it is read with a plain <see cref="JournalReader"/>, never a durable cursor,
/// so tailing creates, takes and commits nothing.
/// </summary>
internal static class TailCommand
{
    public static Command Create(ToolConsole console)
    {
        var channel = CommonArguments.Channel();
        channel.HelpName = ChannelLocator.HelpName + " | JOURNAL_FOLDER";
        channel.Description = "The channel (its root folder and id, or the path of its .kekbit file), or a journal's folder.";
        var lines = CommonArguments.Number("--lines", "-n", 0, int.MaxValue, 10, "How many of the last records to print first.");
        var fromStart = new Option<bool>("--from-start") { Description = "Print every record from the first one held, instead of the last N." };
        var fromSequence = CommonArguments.OptionalNumber("--from-seq", null, 0L, long.MaxValue, "For a journal: start at the record with this sequence number (it must still be held).");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new records: a channel until it closes, times out (exit code 5) or is damaged; a journal across its segments until interrupted (it never ends) or damaged." };
        var hex = new Option<bool>("--hex", "-x") { Description = "Print records as '<length> <hex>' (the dump format) instead of text." };
        var command = new Command("tail", "Print the last records of a channel or journal as text, one per line (newlines and control characters escaped); with -f keep following it. Reads only: a journal's cursors are neither created nor moved.")
        {
            channel,
            lines,
            fromStart,
            fromSequence,
            follow,
            hex,
        };
        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
        {
            bool linesGiven = parse.GetResult(lines) is { Implicit: false };
            long? sequence = parse.GetValue(fromSequence);
            bool start = parse.GetValue(fromStart);
            if ((linesGiven ? 1 : 0) + (start ? 1 : 0) + (sequence is null ? 0 : 1) > 1)
            {
                throw new ToolException(ExitCodes.Usage, "--lines, --from-start and --from-seq each say where to start: give one of them");
            }

            if (ChannelLocator.TryResolveJournal(parse.GetValue(channel) ?? [], out string journal))
            {
                JournalStart? at = start ? JournalStart.Beginning : sequence is long s ? JournalStart.AtSequence(s) : null;
                return RunJournal(console, journal, at, parse.GetValue(lines), parse.GetValue(follow), parse.GetValue(hex), cancellationToken);
            }

            if (sequence is not null)
            {
                throw new ToolException(ExitCodes.Usage, "--from-seq is for journals: a channel's records have no sequence numbers (use --from-start or --lines)");
            }

            return Run(console, CommonArguments.ChannelFile(parse, channel), start ? null : parse.GetValue(lines), parse.GetValue(follow), parse.GetValue(hex), cancellationToken);
        });
        return command;
    }

    /// <summary>Tails a channel: its last <paramref name="lines"/> records (every record when null), then what follows with <paramref name="follow"/>.</summary>
    private static int Run(ToolConsole console, string channelFile, int? lines, bool follow, bool hex, CancellationToken cancellationToken)
    {
        using ShmReader channel = ShmReader.Open(channelFile);
        channel.SeekTo(lines is int count ? StartOfLast(channel, count, cancellationToken) : 0);
        // The timeout reader ends the poll loop's doorbell sleep when the writer has been silent for the channel's timeout.
        using IReader reader = follow ? new TimeoutReader(channel) : channel;
        ReadResult result = Print(reader, console.Out, follow, hex, cancellationToken);
        return result.Status switch
        {
            ReadStatus.Failed => DumpCommand.ReportDamage(console, channelFile, result),
            ReadStatus.Timeout => CommandRunner.Fail(console, string.Create(CultureInfo.InvariantCulture,
                $"{channelFile}: no record for {reader.Metadata.TimeoutSpan} (the channel's timeout): its writer is considered gone"), ExitCodes.TimedOut),
            _ => ExitCodes.Success,
        };
    }

    /// <summary>
    /// Tails a journal from <paramref name="start"/>, or its last <paramref name="lines"/> records when null; with
    /// <paramref name="follow"/>, across segment rolls and writer restarts until interrupted (a journal has no end).
    /// </summary>
    private static int RunJournal(ToolConsole console, string folder, JournalStart? start, int lines, bool follow, bool hex, CancellationToken cancellationToken)
    {
        using JournalReader reader = start is null ? OpenAtLast(folder, lines) : JournalReader.Open(folder, start);
        ReadResult result = Print(reader, console.Out, follow, hex, cancellationToken);
        return result.Status == ReadStatus.Failed && reader.Fault is JournalFault fault
            ? CommandRunner.Fail(console, JournalViews.Describe(fault), ExitCodes.Damaged)
            : ExitCodes.Success;
    }

    /// <summary>
    /// A reader of the journal's last <paramref name="count"/> records: the end's sequence comes from a reader opened at
    /// the end (the segment index bounds its walk), then a reader starts that many sequences before it; from the oldest
    /// record held when fewer are left (retention, or a journal that starts past 0).
    /// </summary>
    private static JournalReader OpenAtLast(string folder, int count)
    {
        JournalReader atEnd = JournalReader.Open(folder, JournalStart.End);
        long end = atEnd.NextSequence; // -1 while no segment has a header: nothing written yet
        if (count == 0 || end <= 0)
        {
            return atEnd; // what follows the end (the first records, for an empty journal)
        }

        atEnd.Dispose();
        try
        {
            return JournalReader.Open(folder, JournalStart.AtSequence(Math.Max(0, end - count)));
        }
        catch (JournalException e) when (e.Error == JournalError.Gap)
        {
            return JournalReader.Open(folder, JournalStart.Beginning);
        }
    }

    /// <summary>
    /// Prints the records <paramref name="reader"/> has, then, with <paramref name="follow"/>, waits for more through the
    /// library's poll loop (the doorbell of the segment or channel being read). Returns what ended it: Nothing (all printed,
    /// not following), Closed, Timeout or Failed.
    /// </summary>
    private static ReadResult Print(IReader reader, TextWriter output, bool follow, bool hex, CancellationToken cancellationToken)
    {
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

            if (!result.IsRecord)
            {
                return result;
            }

            if (hex)
            {
                ChannelDump.WriteRecord(result.Span, output);
            }
            else
            {
                PayloadText.Write(result.Span, output);
                output.Write('\n');
            }
        }
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
