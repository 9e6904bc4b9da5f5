namespace Kekbit.Journal;

/// <summary>A durable cursor as <see cref="JournalInspection"/> found it in <c>cursors/NAME.cursor</c>, read without taking it.</summary>
public sealed class JournalCursorInspection
{
    internal JournalCursorInspection(string name, string path, long? position, long? nextSequence, DateTimeOffset? committedAt, long? lag)
    {
        Name = name;
        Path = path;
        Position = position;
        NextSequence = nextSequence;
        CommittedAt = committedAt;
        Lag = lag;
    }

    /// <summary>The cursor's name.</summary>
    public string Name { get; }

    /// <summary>The cursor file.</summary>
    public string Path { get; }

    /// <summary>The committed journal position (<c>segment &lt;&lt; 32 | data offset</c>); null when nothing valid was committed yet.</summary>
    public long? Position { get; }

    /// <summary>The sequence of the next record the cursor's reader will read; null when nothing was committed or it is unknown.</summary>
    public long? NextSequence { get; }

    /// <summary>When the last commit was made; null when nothing was committed yet.</summary>
    public DateTimeOffset? CommittedAt { get; }

    /// <summary>
    /// How many records the cursor is behind the journal's last record (<see cref="JournalInspection.LastSequence"/> + 1 -
    /// <see cref="NextSequence"/>, never below 0); null when <see cref="NextSequence"/> is unknown.
    /// </summary>
    public long? Lag { get; }
}
