using System.Buffers.Binary;
using Kekbit.Core.Internal;

namespace Kekbit.Core;

/// <summary>
/// The structure of a channel, fixed by its writer at creation: ids, capacity, max record length,
/// timeout and tick unit. Stored in the first 128 bytes of the channel file, little endian, as kekbit 0.3.5 stores it.
/// Instances are immutable and always valid: <see cref="Create"/> derives them from hints and
/// <see cref="Read"/> validates a stored header.
/// </summary>
public sealed record Metadata
{
    private Metadata(ulong writerId, ulong channelId, int capacity, int maxRecordLength, ulong timeout, ulong creationTime, TickUnit tickUnit, ulong version)
    {
        WriterId = writerId;
        ChannelId = channelId;
        Capacity = capacity;
        MaxRecordLength = maxRecordLength;
        Timeout = timeout;
        CreationTime = creationTime;
        TickUnit = tickUnit;
        Version = version;
    }

    /// <summary>The smallest capacity of a channel, in bytes.</summary>
    public const int MinCapacity = ChannelFormat.MinCapacity;

    /// <summary>The largest capacity this implementation creates or opens, in bytes (just under 2 GiB).</summary>
    public const int MaxCapacity = ChannelFormat.MaxCapacity;

    /// <summary>The id of the writer that created the channel.</summary>
    public ulong WriterId { get; }

    /// <summary>The channel id; it decides the channel's storage path (<see cref="StorageLayout"/>).</summary>
    public ulong ChannelId { get; }

    /// <summary>Bytes in the data area: at least <see cref="MinCapacity"/>, a multiple of 8.</summary>
    public int Capacity { get; }

    /// <summary>The largest payload, in bytes, that one record may carry. A multiple of 8.</summary>
    public int MaxRecordLength { get; }

    /// <summary>How long, in <see cref="TickUnit"/> ticks, readers wait without new data before they consider the writer gone.</summary>
    public ulong Timeout { get; }

    /// <summary>When the channel was created, as Unix time in <see cref="TickUnit"/> ticks.</summary>
    public ulong CreationTime { get; }

    /// <summary>The unit of <see cref="Timeout"/>, <see cref="CreationTime"/> and of timestamps written by <see cref="TimestampHandler"/>.</summary>
    public TickUnit TickUnit { get; }

    /// <summary>The format version stored in the file: major &lt;&lt; 48 | minor &lt;&lt; 32 | patch.</summary>
    public ulong Version { get; }

    /// <summary>The format version as text, for example <c>1.0.0</c>.</summary>
    public string VersionText => $"{Version >> 48}.{(Version >> 32) & 0xFFFF}.{Version & 0xFFFF_FFFF}";

    /// <summary><see cref="Timeout"/> as a <see cref="TimeSpan"/> (saturating at <see cref="TimeSpan.MaxValue"/>).</summary>
    public TimeSpan TimeoutSpan => TickUnit.ToTimeSpan(Timeout);

    /// <summary><see cref="CreationTime"/> as a UTC date and time.</summary>
    public DateTimeOffset CreatedAt => TickUnit.ToDateTimeOffset(CreationTime);

    /// <summary>The length of the file this implementation creates for the channel: 1024 + <see cref="Capacity"/> + 32 bytes.</summary>
    public long FileLength => ChannelFormat.FileLength(Capacity);

    /// <summary>
    /// Derives a channel's metadata from a writer's hints, as kekbit 0.3.5 does:
    /// capacity = max(16384, align8(<paramref name="capacityHint"/>)) and
    /// max record length = align8(min(<paramref name="maxRecordLengthHint"/> + 8, capacity / 128 - 8)),
    /// so a hint of 100 gives 112. The creation time is now, read from <paramref name="timeProvider"/>.
    /// </summary>
    /// <param name="writerId">The id of the writer.</param>
    /// <param name="channelId">The channel id; decides the storage path.</param>
    /// <param name="capacityHint">The wanted data-area size in bytes, at most <see cref="MaxCapacity"/>.</param>
    /// <param name="maxRecordLengthHint">The largest payload the writer intends to write.</param>
    /// <param name="timeout">Readers' patience, in <paramref name="tickUnit"/> ticks.</param>
    /// <param name="tickUnit">The channel's time unit.</param>
    /// <param name="timeProvider">The clock for the creation time; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hint is negative, the capacity hint exceeds <see cref="MaxCapacity"/>, or the tick unit is unknown.</exception>
    public static Metadata Create(ulong writerId, ulong channelId, int capacityHint, int maxRecordLengthHint, ulong timeout, TickUnit tickUnit, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityHint);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacityHint, MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRecordLengthHint);
        if (!TickUnitExtensions.IsKnownTickUnitId((byte)tickUnit))
        {
            throw new ArgumentOutOfRangeException(nameof(tickUnit), tickUnit, "Unknown tick unit.");
        }

        long capacity = Math.Max(MinCapacity, RecordLayout.AlignUp(capacityHint));
        long maxRecordLength = Math.Min(RecordLayout.AlignUp((long)maxRecordLengthHint + RecordLayout.HeaderLength), ChannelFormat.MaxRecordLengthLimit(capacity));
        return new Metadata(writerId, channelId, (int)capacity, (int)maxRecordLength, timeout, tickUnit.UnixNow(timeProvider), tickUnit, ChannelFormat.Version);
    }

    /// <summary>
    /// Reads and validates the metadata at the start of <paramref name="header"/>. Rejects a wrong signature,
    /// a newer version, a capacity below 16384, not 8-aligned or above <see cref="MaxCapacity"/>, a max record
    /// length not 8-aligned or above align8(capacity / 128 - 8), an unknown tick unit id, and a header shorter than 128 bytes.
    /// </summary>
    /// <param name="header">The first bytes of a channel file (at least 128).</param>
    /// <param name="path">The file the bytes come from, named in errors.</param>
    /// <exception cref="ChannelException">The header is invalid; <see cref="ChannelException.Error"/> says how.</exception>
    public static Metadata Read(ReadOnlySpan<byte> header, string path)
    {
        if (header.Length < ChannelFormat.MetadataLength)
        {
            throw new ChannelException(ChannelError.FileTooShort, path, $"the file holds {header.Length} bytes, fewer than the {ChannelFormat.MetadataLength} bytes of metadata");
        }

        ulong signature = BinaryPrimitives.ReadUInt64LittleEndian(header[ChannelFormat.SignatureOffset..]);
        if (signature != ChannelFormat.Signature)
        {
            string detail = signature == 0
                ? "the signature is zero: the header was never completed (its creator may have crashed)"
                : $"signature 0x{signature:X16} is not the kekbit signature 0x{ChannelFormat.Signature:X16}: not a kekbit channel";
            throw new ChannelException(ChannelError.InvalidSignature, path, detail);
        }

        ulong version = BinaryPrimitives.ReadUInt64LittleEndian(header[ChannelFormat.VersionOffset..]);
        if (version > ChannelFormat.Version)
        {
            throw new ChannelException(ChannelError.IncompatibleVersion, path, $"format version {version >> 48}.{(version >> 32) & 0xFFFF}.{version & 0xFFFF_FFFF} is newer than the supported 1.0.0");
        }

        uint capacity = BinaryPrimitives.ReadUInt32LittleEndian(header[ChannelFormat.CapacityOffset..]);
        if (capacity < MinCapacity || capacity % RecordLayout.Alignment != 0 || capacity > MaxCapacity)
        {
            throw new ChannelException(ChannelError.InvalidCapacity, path, $"capacity {capacity} must be a multiple of 8 between {MinCapacity} and {MaxCapacity}");
        }

        uint maxRecordLength = BinaryPrimitives.ReadUInt32LittleEndian(header[ChannelFormat.MaxRecordLengthOffset..]);
        long limit = ChannelFormat.MaxRecordLengthLimit(capacity);
        if (maxRecordLength % RecordLayout.Alignment != 0 || maxRecordLength > limit)
        {
            throw new ChannelException(ChannelError.InvalidMaxRecordLength, path, $"max record length {maxRecordLength} must be a multiple of 8 and at most {limit} for capacity {capacity}");
        }

        byte tickUnitId = header[ChannelFormat.TickUnitOffset];
        if (!TickUnitExtensions.IsKnownTickUnitId(tickUnitId))
        {
            throw new ChannelException(ChannelError.InvalidTickUnit, path, $"tick unit id {tickUnitId} is not one of 0 (secs), 3 (millis), 6 (micros), 9 (nanos)");
        }

        return new Metadata(
            BinaryPrimitives.ReadUInt64LittleEndian(header[ChannelFormat.WriterIdOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[ChannelFormat.ChannelIdOffset..]),
            (int)capacity,
            (int)maxRecordLength,
            BinaryPrimitives.ReadUInt64LittleEndian(header[ChannelFormat.TimeoutOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[ChannelFormat.CreationTimeOffset..]),
            (TickUnit)tickUnitId,
            version);
    }

    /// <summary>
    /// Writes the 128 bytes of metadata into <paramref name="header"/>, all but the signature, which the
    /// caller stores last (with release semantics) so that a reader never accepts a half-written header.
    /// </summary>
    internal void WriteWithoutSignature(Span<byte> header)
    {
        header[..ChannelFormat.MetadataLength].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(header[ChannelFormat.VersionOffset..], Version);
        BinaryPrimitives.WriteUInt64LittleEndian(header[ChannelFormat.WriterIdOffset..], WriterId);
        BinaryPrimitives.WriteUInt64LittleEndian(header[ChannelFormat.ChannelIdOffset..], ChannelId);
        BinaryPrimitives.WriteUInt32LittleEndian(header[ChannelFormat.CapacityOffset..], (uint)Capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(header[ChannelFormat.MaxRecordLengthOffset..], (uint)MaxRecordLength);
        BinaryPrimitives.WriteUInt64LittleEndian(header[ChannelFormat.TimeoutOffset..], Timeout);
        BinaryPrimitives.WriteUInt64LittleEndian(header[ChannelFormat.CreationTimeOffset..], CreationTime);
        header[ChannelFormat.TickUnitOffset] = (byte)TickUnit;
    }

    /// <summary>Writes the complete 128 bytes of metadata, signature included, into <paramref name="header"/>.</summary>
    /// <param name="header">At least 128 bytes.</param>
    public void WriteTo(Span<byte> header)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(header.Length, ChannelFormat.MetadataLength, nameof(header));
        WriteWithoutSignature(header);
        BinaryPrimitives.WriteUInt64LittleEndian(header, ChannelFormat.Signature);
    }
}
