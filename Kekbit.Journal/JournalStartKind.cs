namespace Kekbit.Journal;

/// <summary>The kinds of <see cref="JournalStart"/>.</summary>
public enum JournalStartKind
{
    /// <summary>The oldest record still in the journal.</summary>
    Beginning,

    /// <summary>After the last record published.</summary>
    End,

    /// <summary>A sequence number.</summary>
    Sequence,

    /// <summary>A time (records stamped by the journal writer).</summary>
    Time,

    /// <summary>A saved journal position.</summary>
    Position,
}
