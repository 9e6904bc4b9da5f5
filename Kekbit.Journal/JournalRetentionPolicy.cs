namespace Kekbit.Journal;

/// <summary>
/// Which old segments <see cref="JournalRetention.Apply"/> deletes: the oldest, while any limit is exceeded. The segment
/// being written (and anything after it) is never deleted, nor, unless <see cref="DeleteSegmentsCursorsNeed"/> says so, a
/// segment a durable cursor has not committed past.
/// </summary>
public sealed class JournalRetentionPolicy
{
    /// <summary>Delete segments whose last record is older than this (a segment ends when the next one starts). Null: no age limit.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>Delete the oldest segments while the segment files take more bytes than this. Null: no size limit.</summary>
    public long? MaxBytes { get; init; }

    /// <summary>Delete the oldest segments while there are more than this many. Null: no count limit.</summary>
    public int? MaxSegments { get; init; }

    /// <summary>
    /// Delete segments that durable cursors still need when a limit says so. Default false: such segments are kept (a
    /// limit may then be exceeded). When true, a cursor behind the deleted segments reports <see cref="JournalError.Gap"/>
    /// when it is opened or reaches the gap; it never skips records silently.
    /// </summary>
    public bool DeleteSegmentsCursorsNeed { get; init; }
}
