using Kekbit.Core;

namespace Kekbit.Tool.Channels;

/// <summary>The result of inspecting one channel file: its metadata, state and how much of it is used.</summary>
internal sealed record ChannelReport
{
    /// <summary>The channel file.</summary>
    public required string Path { get; init; }

    /// <summary>The metadata, or null when the header could not be read (see <see cref="Error"/>).</summary>
    public Metadata? Metadata { get; init; }

    public required ChannelState State { get; init; }

    /// <summary>Records read before the walk ended.</summary>
    public long Records { get; init; }

    /// <summary>Bytes of the data area the records take (headers and padding included): where the walk ended.</summary>
    public long BytesUsed { get; init; }

    /// <summary>How the walk ended: Closed, Nothing (the writer may add more) or Failed.</summary>
    public ReadStatus End { get; init; }

    /// <summary>Why the walk failed, when <see cref="End"/> is Failed.</summary>
    public ReadFailure Failure { get; init; }

    /// <summary>The data-area offset of the last intact record, or -1 when there is none.</summary>
    public long LastRecordPosition { get; init; } = -1;

    /// <summary>The file's length in bytes.</summary>
    public long FileLength { get; init; }

    /// <summary>Whether the file is shorter than 1024 + capacity + 32 bytes (kekbit 0.3.5 writes them 896 bytes short).</summary>
    public bool IsFileTruncated { get; init; }

    /// <summary>The process that maps the channel writable, when one is found on this host.</summary>
    public int? WriterProcessId { get; init; }

    /// <summary>When the file was last modified.</summary>
    public DateTimeOffset LastWriteTime { get; init; }

    /// <summary>Why the channel could not be opened, for <see cref="ChannelState.Corrupted"/> headers, <see cref="ChannelState.Creating"/> and <see cref="ChannelState.Unreadable"/>.</summary>
    public string? Error { get; init; }

    /// <summary>The channel id the storage path implies, when the path follows the layout.</summary>
    public ulong? PathChannelId { get; init; }

    /// <summary>Whether the writer closed the channel (a full channel may be closed too).</summary>
    public bool IsClosed => End == ReadStatus.Closed;

    /// <summary>Bytes still available for records: (capacity - used) rounded down to 8.</summary>
    public long Available => Metadata is null ? 0 : (Metadata.Capacity - BytesUsed) & ~7L;

    /// <summary>Used bytes as a percentage of the capacity.</summary>
    public double FillPercent => Metadata is null ? 0 : 100.0 * BytesUsed / Metadata.Capacity;

    /// <summary>Whether the metadata's channel id differs from the one its storage path implies.</summary>
    public bool IsMisplaced => Metadata is not null && PathChannelId is ulong id && id != Metadata.ChannelId;

    /// <summary>Whether the channel is healthy: readable to its end with no damage and in the right place.</summary>
    public bool IsHealthy => State is not (ChannelState.Corrupted or ChannelState.Unreadable or ChannelState.Creating) && !IsMisplaced;
}
