namespace Kekbit.Journal;

/// <summary>How a durable cursor (<see cref="JournalReader.OpenCursor"/>) commits and what it does about a gap.</summary>
public sealed class JournalCursorOptions
{
    /// <summary>The default options: commits survive a process kill, not a power loss; a gap is an error.</summary>
    public static JournalCursorOptions Default { get; } = new();

    /// <summary>
    /// Sync every commit to the disk (fsync) before <see cref="JournalReader.Commit()"/> returns, so that it survives a
    /// power loss; costs a disk sync per commit. Default false: a commit is a single small write into the page cache,
    /// which survives the process being killed (the kernel writes it back), not a power loss.
    /// </summary>
    public bool FlushToDisk { get; init; }

    /// <summary>
    /// When the committed position lies in a segment retention deleted, start at the oldest record left instead of
    /// failing with <see cref="JournalError.Gap"/>. Default false: records are never skipped silently.
    /// </summary>
    public bool AcceptGap { get; init; }
}
