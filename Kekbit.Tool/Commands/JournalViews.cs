using System.Globalization;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Tool.Output;
using Spectre.Console;

namespace Kekbit.Tool.Commands;

/// <summary>
/// What <c>info</c>, <c>verify</c> and <c>ls</c> print for a journal folder, from <see cref="JournalInspection"/> (read-only:
/// no writer lock, no cursor lock, no doorbell).
/// </summary>
internal static class JournalViews
{
    /// <summary><c>kekbit info JOURNAL</c>: id, state, sequence range, writer, segments and cursors with their lag.</summary>
    public static int Info(ToolConsole console, string folder, bool json, CancellationToken cancellationToken)
    {
        JournalInspection journal = JournalInspection.Inspect(folder, ChannelWriters.Scan(), cancellationToken);
        if (json)
        {
            JsonOutput.Write(console.Out, writer => JsonOutput.WriteJournal(writer, journal));
            return ExitCodes.Success;
        }

        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        void Row(string name, string value) => grid.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("path", journal.Folder);
        grid.AddRow("kind", "journal");
        grid.AddRow("state", StateMarkup(journal.State));
        Row("journal id", journal.JournalId?.ToString() ?? "none yet");
        Row("sequences", SequenceRange(journal));
        Row("records", Names.Count(journal.RecordCount));
        Row("size", Inv($"{journal.TotalBytes} bytes ({Names.Bytes(journal.TotalBytes)}) in {journal.Segments.Count} segment{(journal.Segments.Count == 1 ? "" : "s")}"));
        Row("writer", journal.HasWriter ? (journal.WriterProcessId is int pid ? Inv($"live (process {pid})") : "live") : "none");
        console.Write(grid);
        console.Out.WriteLine();

        var segments = new Table().Border(TableBorder.None).HideRowSeparators();
        segments.AddColumns("SEGMENT", "FIRST SEQ", "LAST SEQ", "RECORDS", "STATE", "SIZE", "STARTED");
        foreach (int column in new[] { 0, 1, 2, 3, 5 })
        {
            segments.Columns[column].RightAligned();
        }

        foreach (JournalSegmentInspection segment in journal.Segments)
        {
            segments.AddRow(
                Names.Decimal((ulong)segment.Number),
                segment.FirstSequence is long first ? Names.Decimal((ulong)first) : "-",
                segment.LastSequence is long last ? Names.Decimal((ulong)last) : "-",
                Names.Count(segment.RecordCount),
                LsCommand.StateMarkup(segment.Channel.State),
                Markup.Escape(Names.Bytes(segment.Channel.FileLength)),
                segment.StartedAt is DateTimeOffset started ? Inv($"{started:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}") : "-");
        }

        console.Write(segments);
        console.Out.WriteLine();
        if (journal.Cursors.Count == 0)
        {
            console.Out.WriteLine("cursors: none");
        }
        else
        {
            var cursors = new Table().Border(TableBorder.None).HideRowSeparators();
            cursors.AddColumns("CURSOR", "NEXT SEQ", "LAG", "COMMITTED");
            cursors.Columns[1].RightAligned();
            cursors.Columns[2].RightAligned();
            foreach (JournalCursorInspection cursor in journal.Cursors)
            {
                cursors.AddRow(
                    Markup.Escape(cursor.Name),
                    cursor.NextSequence is long next ? Names.Decimal((ulong)next) : "-",
                    cursor.Lag is long lag ? Names.Count(lag) : "-",
                    cursor.CommittedAt is DateTimeOffset at ? Inv($"{at:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}") : "never");
            }

            console.Write(cursors);
        }

        console.Out.Flush();
        foreach (JournalFault fault in journal.Faults)
        {
            console.Error.WriteLine($"kekbit: {Describe(fault)}");
        }

        return ExitCodes.Success;
    }

    /// <summary><c>kekbit verify JOURNAL</c>: every segment walked, sequences checked dense; exit 0 healthy, 1 damaged.</summary>
    public static int Verify(ToolConsole console, string folder, bool json, CancellationToken cancellationToken)
    {
        JournalInspection journal = JournalInspection.Inspect(folder, ChannelWriters.Scan(), cancellationToken);
        if (json)
        {
            JsonOutput.Write(console.Out, writer => JsonOutput.WriteJournal(writer, journal));
        }
        else if (journal.IsHealthy)
        {
            console.Out.WriteLine(Inv($"{journal.Folder}: healthy journal, {Names.Of(journal.State)}: {Names.Count(journal.RecordCount)} record{(journal.RecordCount == 1 ? "" : "s")}, sequences {SequenceRange(journal)}, {journal.Segments.Count} segment{(journal.Segments.Count == 1 ? "" : "s")}"));
        }
        else
        {
            foreach (JournalFault fault in journal.Faults)
            {
                console.Out.WriteLine(Describe(fault));
            }
        }

        return journal.IsHealthy ? ExitCodes.Success : ExitCodes.Damaged;
    }

    /// <summary>One line for a fault: the segment file, the data and file offsets, and what is wrong.</summary>
    public static string Describe(JournalFault fault) =>
        Inv($"{fault.SegmentPath}: {Names.Of(fault.Error)} at position {fault.Offset} (file offset {ChannelInspection.FileOffsetOf(fault.Offset)}): {fault.Message}");

    /// <summary>The journal's state, coloured when a person is watching.</summary>
    public static string StateMarkup(JournalState state) => state switch
    {
        JournalState.Live => "[green]live[/]",
        JournalState.Closed => "closed",
        JournalState.Empty => "empty",
        JournalState.Abandoned => "[yellow]abandoned[/]",
        _ => $"[red]{Names.Of(state)}[/]",
    };

    /// <summary><c>0..999</c>, or <c>none</c> when nothing was written.</summary>
    public static string SequenceRange(JournalInspection journal) => SequenceRange(journal.FirstSequence, journal.LastSequence);

    /// <summary><c>0..999</c> from the oldest and newest sequences, or <c>none</c> when nothing was written.</summary>
    public static string SequenceRange(long? firstSequence, long lastSequence) =>
        firstSequence is long first && lastSequence >= first ? Inv($"{first}..{lastSequence}") : "none";

    /// <summary>The durable cursors with their lag in records, <c>billing (1,500), audit (0)</c>; <c>-</c> when there is none.</summary>
    public static string CursorLags(IReadOnlyList<JournalCursorInspection> cursors) =>
        cursors.Count == 0 ? "-" : string.Join(", ", cursors.Select(cursor => cursor.Lag is long lag ? $"{cursor.Name} ({Names.Count(lag)})" : $"{cursor.Name} (-)"));

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
