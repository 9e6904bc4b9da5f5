namespace Kekbit.Journal;

/// <summary>What a journal looks like from outside, judged by <see cref="JournalInspection"/> from its files and its writer.</summary>
public enum JournalState
{
    /// <summary>The folder holds no segment with a header yet: nothing was ever written (or a writer is creating the first segment).</summary>
    Empty,

    /// <summary>A writer process has the journal open: its newest segment is live.</summary>
    Live,

    /// <summary>No writer: the last writer closed the newest segment when it was disposed.</summary>
    Closed,

    /// <summary>No writer, and the newest segment was not closed: its writer died. The next writer's recovery seals it; nothing written is lost.</summary>
    Abandoned,

    /// <summary>A segment is damaged, has an invalid header, belongs to another journal, or sequences are not dense (<see cref="JournalInspection.Faults"/>).</summary>
    Damaged,
}
