using Kekbit.Journal;

namespace Kekbit.Tool.Stat;

/// <summary>What a <c>kekbit stat</c> row of a journal adds to a channel's: the journal's state, segments, sequences and cursors.</summary>
internal sealed record JournalStat
{
    /// <summary>The journal's state (live, closed, abandoned, damaged, empty), judged from its newest segment as <c>kekbit ls</c> judges it.</summary>
    public required JournalState State { get; init; }

    /// <summary>The journal id, once a segment has a header.</summary>
    public Guid? JournalId { get; init; }

    /// <summary>The segment files present (a segment created ahead of the writer included).</summary>
    public int Segments { get; init; }

    /// <summary>The number of the segment being written (the newest with a header); null before the first record.</summary>
    public long? CurrentSegment { get; init; }

    /// <summary>The oldest sequence held; null before the first segment header.</summary>
    public long? FirstSequence { get; init; }

    /// <summary>The newest sequence; -1 before the first record.</summary>
    public long LastSequence { get; init; } = -1;

    /// <summary>The segment files' total length in bytes.</summary>
    public long TotalBytes { get; init; }

    /// <summary>The durable cursors with their committed position and lag (records behind <see cref="LastSequence"/>).</summary>
    public IReadOnlyList<JournalCursorInspection> Cursors { get; init; } = [];
}
