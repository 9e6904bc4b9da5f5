using System.CommandLine;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Output;
using Spectre.Console;

namespace Kekbit.Tool.Commands;

/// <summary><c>kekbit verify CHANNEL</c>: walks every record and reports the first damage with its position; the exit code says healthy or not.</summary>
internal static class VerifyCommand
{
    /// <summary>Channels with more data than this show a progress bar while they are walked (when a person watches).</summary>
    private const long ProgressBarFrom = 64L << 20;

    public static Command Create(ToolConsole console)
    {
        var channel = CommonArguments.Channel();
        var json = CommonArguments.Json();
        var command = new Command("verify", "Walk every record of a channel (or every segment of a journal folder, checking its sequences are dense) and report the damage with its file and position. Exit code 0: healthy; 1: damaged; 3: cannot be opened.")
        {
            channel,
            json,
        };
        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
            ChannelLocator.TryResolveJournal(parse.GetValue(channel) ?? [], out string journal)
                ? JournalViews.Verify(console, journal, parse.GetValue(json), cancellationToken)
                : Run(console, CommonArguments.ChannelFile(parse, channel), parse.GetValue(json), cancellationToken));
        return command;
    }

    private static int Run(ToolConsole console, string channelFile, bool json, CancellationToken cancellationToken)
    {
        ChannelInspection report = Walk(console, channelFile, cancellationToken);
        if (report.OpenError is ChannelError error)
        {
            return CommandRunner.Fail(console, $"{report.Path}: {report.Reason}", CommandRunner.ExitCodeOf(error), json);
        }

        if (json)
        {
            JsonOutput.Write(console.Out, writer => JsonOutput.WriteInspection(writer, report));
        }
        else
        {
            console.Out.WriteLine(Verdict(report));
        }

        return report.IsHealthy ? ExitCodes.Success : ExitCodes.Damaged;
    }

    private static ChannelInspection Walk(ToolConsole console, string channelFile, CancellationToken cancellationToken)
    {
        ChannelWriters writers = ChannelWriters.Scan();
        long fileLength = File.Exists(channelFile) ? new FileInfo(channelFile).Length : 0;
        if (!console.IsInteractive || fileLength < ProgressBarFrom)
        {
            return ChannelInspection.Inspect(channelFile, writers, cancellationToken: cancellationToken);
        }

        return console.RichError.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("verifying", maxValue: fileLength);
                ChannelInspection report = ChannelInspection.Inspect(channelFile, writers, new InlineProgress(walked => task.Value = walked), cancellationToken);
                task.Value = task.MaxValue;
                return report;
            });
    }

    private static string Verdict(ChannelInspection report)
    {
        Metadata metadata = report.Metadata!;
        string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
        string records = Inv($"{report.RecordCount} record{(report.RecordCount == 1 ? "" : "s")}");
        if (report.End == ReadStatus.Failed)
        {
            return Inv($"{report.Path}: corrupted at position {report.BytesUsed} (file offset {ChannelInspection.FileOffsetOf(report.BytesUsed)}): {ChannelInspection.Describe(report.Failure)} ({report.Failure}); {records} intact before it");
        }

        if (report.IsMisplaced)
        {
            return Inv($"{report.Path}: misplaced: its metadata says channel {Names.Hex(metadata.ChannelId)} but its path is channel {Names.Hex(report.PathChannelId!.Value)}'s; {records} intact");
        }

        string state = report.State == ChannelState.Full && report.IsClosed ? "full and closed" : Names.Of(report.State);
        string verdict = Inv($"{report.Path}: healthy, {state}: {records}, {report.BytesUsed} of {metadata.Capacity} bytes used ({Names.Percent(report.FillPercent)})");
        return report.IsFileTruncated
            ? verdict + Inv($"; note: the file is {metadata.FileLength - report.FileLength} bytes short of its data area, as kekbit 0.3.5 writes it")
            : verdict;
    }

    /// <summary>Reports progress on the walking thread itself (<see cref="Progress{T}"/> would post it elsewhere, late).</summary>
    private sealed class InlineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
