using System.CommandLine;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Tool.Channels;
using Kekbit.Tool.Output;
using Spectre.Console;

namespace Kekbit.Tool.Commands;

/// <summary><c>kekbit ls ROOT</c>: every channel under a root folder, with its state and fill.</summary>
internal static class LsCommand
{
    public static Command Create(ToolConsole console)
    {
        var root = CommonArguments.Folder("root", "The root folder that holds channels.");
        var json = CommonArguments.Json();
        var command = new Command("ls", "List every channel and journal under a root folder (a journal is one row: state, segments, sequence range, records, size, cursors with their lag). Channels: id, writer id, state (live, closed, full, abandoned, corrupted, creating, unreadable), records, bytes used and fill. Folders that cannot be read are skipped with a warning; why a channel is corrupted or unreadable is said on stderr.")
        {
            root,
            json,
        };
        CommandRunner.SetBody(command, console, (parse, cancellationToken) => Run(console, parse.GetValue(root)!, parse.GetValue(json), cancellationToken));
        return command;
    }

    private static int Run(ToolConsole console, string root, bool json, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root))
        {
            throw new ToolException(ExitCodes.Unavailable, $"{root}: no such folder");
        }

        string fullRoot = Path.GetFullPath(root);
        var skipped = new List<(string Folder, string Reason)>();
        RootContents contents = RootContents.Find(fullRoot, (folder, reason) => skipped.Add((folder, reason)), cancellationToken);
        ChannelWriters writers = ChannelWriters.Scan();
        var inspections = new List<ChannelInspection>(contents.Channels.Count);
        foreach (string file in contents.Channels)
        {
            cancellationToken.ThrowIfCancellationRequested();
            inspections.Add(ChannelInspection.Inspect(file, writers, cancellationToken: cancellationToken));
        }

        var journals = new List<JournalInspection>(contents.Journals.Count);
        foreach (string folder in contents.Journals)
        {
            journals.Add(JournalInspection.Inspect(folder, writers, cancellationToken));
        }

        foreach ((string folder, string reason) in skipped)
        {
            console.Error.WriteLine($"kekbit: warning: skipped {folder}: {reason}");
        }

        if (json)
        {
            JsonOutput.Write(console.Out, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("root", fullRoot);
                writer.WriteStartArray("channels");
                foreach (ChannelInspection inspection in inspections)
                {
                    JsonOutput.WriteInspection(writer, inspection);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("journals");
                foreach (JournalInspection journal in journals)
                {
                    JsonOutput.WriteJournal(writer, journal, segmentDetails: false);
                }

                writer.WriteEndArray();
                JsonOutput.WriteSkipped(writer, skipped);
                writer.WriteEndObject();
            });
            return ExitCodes.Success;
        }

        if (inspections.Count == 0 && journals.Count == 0)
        {
            console.Error.WriteLine($"kekbit: no channels under {fullRoot}");
            return ExitCodes.Success;
        }

        if (inspections.Count == 0)
        {
            WriteJournals(console, fullRoot, journals);
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        table.AddColumns("CHANNEL", "WRITER", "STATE", "RECORDS", "USED", "FILL", "PATH");
        foreach (int column in new[] { 1, 3, 4, 5 })
        {
            table.Columns[column].RightAligned();
        }

        foreach (ChannelInspection inspection in inspections)
        {
            Metadata? metadata = inspection.Metadata;
            table.AddRow(
                Markup.Escape(metadata is null ? "?" : Names.Hex(metadata.ChannelId)),
                metadata is null ? "?" : Names.Decimal(metadata.WriterId),
                StateMarkup(inspection.State),
                Markup.Escape(Names.Count(inspection.RecordCount)),
                Markup.Escape(Names.Bytes(inspection.BytesUsed)),
                Markup.Escape(Names.Percent(inspection.FillPercent)),
                Markup.Escape(Path.GetRelativePath(fullRoot, inspection.Path)));
        }

        console.Write(table);
        if (journals.Count > 0)
        {
            console.Out.WriteLine();
            WriteJournals(console, fullRoot, journals);
        }

        console.Out.Flush();
        foreach (ChannelInspection inspection in inspections)
        {
            if (inspection.State is ChannelState.Corrupted or ChannelState.Unreadable or ChannelState.Creating)
            {
                console.Error.WriteLine($"kekbit: {Path.GetRelativePath(fullRoot, inspection.Path)} is {Names.Of(inspection.State)}: {inspection.Reason}");
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>One row per journal: segments, sequence range, size, state and cursors with their lag; faults on stderr.</summary>
    private static void WriteJournals(ToolConsole console, string fullRoot, List<JournalInspection> journals)
    {
        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        table.AddColumns("JOURNAL", "STATE", "SEGMENTS", "SEQUENCES", "RECORDS", "SIZE", "CURSORS (LAG)");
        foreach (int column in new[] { 2, 4, 5 })
        {
            table.Columns[column].RightAligned();
        }

        foreach (JournalInspection journal in journals)
        {
            table.AddRow(
                Markup.Escape(Path.GetRelativePath(fullRoot, journal.Folder)),
                JournalViews.StateMarkup(journal.State),
                Names.Count(journal.Segments.Count),
                Markup.Escape(JournalViews.SequenceRange(journal)),
                Names.Count(journal.RecordCount),
                Markup.Escape(Names.Bytes(journal.TotalBytes)),
                Markup.Escape(JournalViews.CursorLags(journal.Cursors)));
        }

        console.Write(table);
        console.Out.Flush();
        foreach (JournalInspection journal in journals)
        {
            if (journal.Fault is JournalFault fault)
            {
                console.Error.WriteLine($"kekbit: {JournalViews.Describe(fault)}");
            }
        }
    }

    /// <summary>The state, coloured when a person is watching.</summary>
    public static string StateMarkup(ChannelState state) => state switch
    {
        ChannelState.Live => "[green]live[/]",
        ChannelState.Closed => "closed",
        ChannelState.Full => "[yellow]full[/]",
        ChannelState.Abandoned => "[yellow]abandoned[/]",
        ChannelState.Creating => "[blue]creating[/]",
        _ => $"[red]{Names.Of(state)}[/]",
    };
}
