using Kekbit.Core;

namespace Kekbit.Tool.Stat;

/// <summary>
/// One line of <c>kekbit stat</c>: what one sample saw of a channel or of a whole journal, with the writer's rate taken
/// from this sample and the one before it.
/// </summary>
internal sealed record StatRow
{
    /// <summary>What the row shows: <c>channel</c> or <c>journal</c> (then <see cref="Journal"/> is set).</summary>
    public required string Kind { get; init; }

    /// <summary>The file (or folder) watched, as a full path.</summary>
    public required string Path { get; init; }

    /// <summary>The channel id, when its header could be read.</summary>
    public ulong? ChannelId { get; init; }

    /// <summary>The state, judged as <c>kekbit ls</c> judges it; for a journal, its current segment's (<see cref="JournalStat.State"/> is the journal's).</summary>
    public required ChannelState State { get; init; }

    /// <summary>Why the state is not a healthy one, in words.</summary>
    public string? Reason { get; init; }

    /// <summary>Records published (a journal's: held, segment headers not counted).</summary>
    public long Records { get; init; }

    /// <summary>Data-area bytes published (length slots and padding included): the writer's position.</summary>
    public long BytesUsed { get; init; }

    /// <summary>The data area's capacity in bytes (0 when unknown); a journal's current segment's.</summary>
    public long Capacity { get; init; }

    /// <summary>Published bytes as a percentage of the capacity; a journal's current segment's.</summary>
    public double FillPercent { get; init; }

    /// <summary>Records per second between the previous sample and this one; null on a first sample.</summary>
    public double? RecordsPerSecond { get; init; }

    /// <summary>Data-area bytes per second between the previous sample and this one; null on a first sample.</summary>
    public double? BytesPerSecond { get; init; }

    /// <summary>When the writer last published, as closely as stat can tell (the file's modification time, or a sample that saw the position move).</summary>
    public DateTimeOffset? LastWrite { get; init; }

    /// <summary>The writer's process on this host, when visible.</summary>
    public int? WriterProcessId { get; init; }

    /// <summary>What only a journal has (segments, sequences, cursors); null for a channel.</summary>
    public JournalStat? Journal { get; init; }
}
