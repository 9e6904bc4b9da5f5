namespace Kekbit.Core.Internal;

/// <summary>The constants of the kekbit 0.3.5 file format (see docs/FORMAT.md).</summary>
internal static class ChannelFormat
{
    /// <summary>"*KEKBIT*" read as a little-endian u64.</summary>
    public const ulong Signature = 0x2A54_4942_4B45_4B2A;

    /// <summary>The format version this implementation writes and the newest it reads: 1.0.0.</summary>
    public const ulong Version = 1UL << 48;

    /// <summary>Bytes of metadata a file must hold to be opened at all.</summary>
    public const int MetadataLength = 128;

    /// <summary>File offset of the data area. kekbit 0.3.5 puts it 128 u64 words after the file start.</summary>
    public const int DataOffset = 1024;

    /// <summary>Bytes after the data area, room for the final WATERMARK or CLOSE marker.</summary>
    public const int FooterLength = 32;

    /// <summary>Bytes of the length slot that starts each record (<see cref="RecordLayout.HeaderLength"/>).</summary>
    public const int RecordHeaderLength = RecordLayout.HeaderLength;

    /// <summary>Stored in a length slot: nothing written here yet.</summary>
    public const ulong Watermark = 0xFFFF_FFFF_1111_1111;

    /// <summary>Stored in a length slot: the writer closed the channel.</summary>
    public const ulong Close = 0xFFFF_FFFF_FFFF_FFFF;

    /// <summary>The smallest capacity a channel may have.</summary>
    public const int MinCapacity = 16384;

    /// <summary>
    /// The largest capacity this implementation maps: the whole file must fit an <see cref="int"/>-sized
    /// view, so that records can be handed out as <see cref="ReadOnlyMemory{T}"/>.
    /// </summary>
    public const int MaxCapacity = (int.MaxValue - DataOffset - FooterLength) & ~(RecordLayout.Alignment - 1);

    /// <summary>Byte offsets of the metadata fields.</summary>
    public const int SignatureOffset = 0, VersionOffset = 8, WriterIdOffset = 16, ChannelIdOffset = 24,
        CapacityOffset = 32, MaxRecordLengthOffset = 36, TimeoutOffset = 40, CreationTimeOffset = 48, TickUnitOffset = 56;

    /// <summary>
    /// File offset of the doorbell: one 64-byte cache line in the header bytes kekbit 0.3.5 leaves zero and never reads,
    /// away from the metadata and from the data area the writer stores to per record (docs/FORMAT.md, "The doorbell").
    /// </summary>
    public const int DoorbellOffset = 512;

    /// <summary>Bytes of the doorbell line.</summary>
    public const int DoorbellLength = 64;

    /// <summary>"DOORBELL" read as a little-endian u64: the doorbell's presence mark, at <see cref="DoorbellOffset"/>.</summary>
    public const ulong DoorbellMark = 0x4C4C_4542_524F_4F44;

    /// <summary>The doorbell layout version, a u32 after the mark.</summary>
    public const uint DoorbellVersion = 1;

    /// <summary>File offsets of the doorbell's fields: the mark (u64), its version (u32), the wake sequence (u32, the futex word) and the waiters flag (u32).</summary>
    public const int DoorbellVersionOffset = DoorbellOffset + 8, WakeSequenceOffset = DoorbellOffset + 16, WaitersOffset = DoorbellOffset + 20;

    /// <summary>The largest max record length a channel of <paramref name="capacity"/> bytes may declare.</summary>
    public static long MaxRecordLengthLimit(long capacity) => RecordLayout.AlignUp((capacity / 128) - RecordLayout.HeaderLength);

    /// <summary>The length of a file we create for a channel of <paramref name="capacity"/> bytes.</summary>
    public static long FileLength(long capacity) => DataOffset + capacity + FooterLength;
}
