using System.CommandLine;
using System.Globalization;
using Kekbit.Core;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Output;
using Spectre.Console;

namespace Kekbit.Tool.Commands;

/// <summary><c>kekbit info CHANNEL</c>: every metadata field, the state, records and sizes.</summary>
internal static class InfoCommand
{
    public static Command Create(ToolConsole console)
    {
        var channel = CommonArguments.Channel();
        var json = CommonArguments.Json();
        var command = new Command("info", "Show a channel's metadata (every field, creation time as a date too), state (and why, when abandoned), records, sizes and its writer process; for a journal folder: its id, state, sequence range, writer, segments and cursors with their lag.")
        {
            channel,
            json,
        };
        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
            ChannelLocator.TryResolveJournal(parse.GetValue(channel) ?? [], out string journal)
                ? JournalViews.Info(console, journal, parse.GetValue(json), cancellationToken)
                : Run(console, CommonArguments.ChannelFile(parse, channel), parse.GetValue(json)));
        return command;
    }

    private static int Run(ToolConsole console, string channelFile, bool json)
    {
        ChannelInspection report = ChannelInspection.Inspect(channelFile, ChannelWriters.Scan());
        if (report.OpenError is ChannelError error)
        {
            return CommandRunner.Fail(console, $"{report.Path}: {report.Reason}", CommandRunner.ExitCodeOf(error), json);
        }

        if (json)
        {
            JsonOutput.Write(console.Out, writer => JsonOutput.WriteInspection(writer, report));
            return ExitCodes.Success;
        }

        Metadata metadata = report.Metadata!;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        void Row(string name, string value) => grid.AddRow(Markup.Escape(name), Markup.Escape(value));
        string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

        Row("path", report.Path);
        grid.AddRow("state", LsCommand.StateMarkup(report.State) + (report.IsClosed && report.State == ChannelState.Full ? " (and closed)" : string.Empty) + (report.State == ChannelState.Abandoned && report.Reason is not null ? Markup.Escape($": {report.Reason}") : string.Empty));
        Row("format version", metadata.VersionText);
        Row("writer id", Inv($"{metadata.WriterId} ({Names.Hex(metadata.WriterId)})"));
        Row("channel id", Inv($"{metadata.ChannelId} ({Names.Hex(metadata.ChannelId)})"));
        if (report.IsMisplaced)
        {
            Row("path's channel id", Inv($"{Names.Hex(report.PathChannelId!.Value)}: differs from the metadata's"));
        }

        Row("capacity", Inv($"{metadata.Capacity} bytes ({Names.Bytes(metadata.Capacity)})"));
        Row("max record length", Inv($"{metadata.MaxRecordLength} bytes"));
        Row("timeout", Inv($"{metadata.Timeout} {Names.Of(metadata.TickUnit)} ({metadata.TimeoutSpan})"));
        Row("tick unit", Inv($"{Names.Of(metadata.TickUnit)} (id {(byte)metadata.TickUnit})"));
        Row("creation time", Inv($"{metadata.CreationTime} {Names.Of(metadata.TickUnit)} since the Unix epoch = {metadata.CreatedAt:yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'}"));
        Row("records", Names.Count(report.RecordCount));
        Row("bytes used", Inv($"{report.BytesUsed} of {metadata.Capacity} ({Names.Percent(report.FillPercent)})"));
        Row("available", Inv($"{report.Available} bytes"));
        Row("end of data", EndText(report));
        Row("last record at", report.LastRecordPosition < 0 ? "none" : Inv($"position {report.LastRecordPosition}"));
        Row("file length", Inv($"{report.FileLength} bytes (this format: {metadata.FileLength})") + (report.IsFileTruncated ? ", truncated as kekbit 0.3.5 writes it" : string.Empty));
        Row("last modified", Inv($"{report.LastWriteTime:yyyy-MM-dd'T'HH:mm:ss'Z'}"));
        Row("writer process", report.WriterProcessId is int pid ? Inv($"{pid}") : "none found on this host");
        console.Write(grid);
        return ExitCodes.Success;
    }

    private static string EndText(ChannelInspection report) => report.End switch
    {
        ReadStatus.Closed => string.Create(CultureInfo.InvariantCulture, $"CLOSE marker at position {report.BytesUsed}"),
        ReadStatus.Nothing => string.Create(CultureInfo.InvariantCulture, $"nothing yet at position {report.BytesUsed} (not closed)"),
        _ => report.Reason ?? string.Empty,
    };
}
