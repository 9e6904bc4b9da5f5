using System.CommandLine;
using Kekbit.Core;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Output;
using Spectre.Console;

namespace Kekbit.Tool.Commands;

/// <summary><c>kekbit ls ROOT</c>: every channel under a root folder, with its state and fill.</summary>
internal static class LsCommand
{
    public static Command Create(ToolConsole console)
    {
        var root = new Argument<string>("root") { HelpName = "ROOT", Description = "The root folder that holds channels." };
        var json = CommonArguments.Json();
        var command = new Command("ls", "List every channel under a root folder: id, writer id, state (open, closed, full, abandoned, corrupted), records, bytes used and fill.")
        {
            root,
            json,
        };
        CommandRunner.SetBody(command, console, (parse, _) => Run(console, parse.GetValue(root)!, parse.GetValue(json)));
        return command;
    }

    private static int Run(ToolConsole console, string root, bool json)
    {
        if (!Directory.Exists(root))
        {
            throw new ToolException(ExitCodes.Unavailable, $"{root}: no such folder");
        }

        string fullRoot = Path.GetFullPath(root);
        string[] files = Directory.GetFiles(fullRoot, "*" + StorageLayout.ChannelExtension, SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        WriterProcesses writers = WriterProcesses.Scan();
        var reports = files.Select(file => ChannelInspector.InspectOrDescribe(file, writers)).ToList();
        if (json)
        {
            JsonOutput.Write(console.Out, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("root", fullRoot);
                writer.WriteStartArray("channels");
                foreach (ChannelReport report in reports)
                {
                    JsonOutput.WriteReport(writer, report);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            });
            return ExitCodes.Success;
        }

        if (reports.Count == 0)
        {
            console.Error.WriteLine($"kekbit: no channels under {fullRoot}");
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        table.AddColumns("CHANNEL", "WRITER", "STATE", "RECORDS", "USED", "FILL", "PATH");
        foreach (int column in new[] { 1, 3, 4, 5 })
        {
            table.Columns[column].RightAligned();
        }

        foreach (ChannelReport report in reports)
        {
            Metadata? metadata = report.Metadata;
            table.AddRow(
                Markup.Escape(metadata is null ? "?" : Names.Hex(metadata.ChannelId)),
                metadata is null ? "?" : Names.Decimal(metadata.WriterId),
                StateMarkup(report.State),
                Markup.Escape(Names.Count(report.Records)),
                Markup.Escape(Names.Bytes(report.BytesUsed)),
                Markup.Escape(Names.Percent(report.FillPercent)),
                Markup.Escape(Path.GetRelativePath(fullRoot, report.Path)));
        }

        console.Write(table);
        return ExitCodes.Success;
    }

    /// <summary>The state, coloured when a person is watching.</summary>
    public static string StateMarkup(ChannelState state) => state switch
    {
        ChannelState.Open => "[green]open[/]",
        ChannelState.Closed => "closed",
        ChannelState.Full => "[yellow]full[/]",
        ChannelState.Abandoned => "[yellow]abandoned[/]",
        ChannelState.Creating => "[blue]creating[/]",
        _ => $"[red]{Names.Of(state)}[/]",
    };
}
