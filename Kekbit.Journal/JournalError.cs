namespace Kekbit.Journal;

/// <summary>Why a journal operation failed (<see cref="JournalException.Error"/>, <see cref="JournalFault.Error"/>).</summary>
public enum JournalError
{
    /// <summary>Another writer (in this process or another) holds the journal: a journal has one writer at a time.</summary>
    WriterActive,

    /// <summary>The file system has no room for the next segment. Nothing written was lost; writing can go on once space is freed.</summary>
    InsufficientSpace,

    /// <summary>A segment could not be created, opened or sealed (permissions, I/O error); the message names it.</summary>
    CouldNotAccessStorage,

    /// <summary>A segment's data is damaged: the fault names the segment and the data offset.</summary>
    SegmentDamaged,

    /// <summary>A segment's first record is not a valid journal segment header, or belongs to another journal.</summary>
    InvalidSegmentHeader,

    /// <summary>
    /// Records the reader needs were deleted (by retention told to delete segments durable cursors still need, or by
    /// hand): the next available record's sequence is higher than the one the reader expected. Never skipped silently.
    /// </summary>
    Gap,

    /// <summary>A start position, sequence or time lies outside the journal (past its end, or before its first record).</summary>
    InvalidStart,

    /// <summary>Another reader (in this process or another) has the durable cursor open.</summary>
    CursorInUse,

    /// <summary>The options or names given are not valid.</summary>
    InvalidConfiguration,
}
