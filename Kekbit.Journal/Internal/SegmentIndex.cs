using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Kekbit.Journal.Internal;

/// <summary>
/// A segment's sparse index (docs/FORMAT.md, "Journal"): a sidecar file next to the segment, <c>xxxx_xxxx.kjindex</c>,
/// holding one 24-byte entry for every K-th record the writer published (sequence, data offset, checksum). The writer
/// appends an entry only after the record is published, so the index may lag the segment (a killed writer) but never
/// leads it; a reader that finds it missing, short or damaged walks the records instead. Plain channel readers ignore it.
/// </summary>
internal static class SegmentIndex
{
    /// <summary>The sidecar's file extension.</summary>
    public const string Extension = ".kjindex";

    /// <summary>The length of one entry.</summary>
    public const int EntryLength = 24;

    /// <summary>One index entry: the record with journal sequence <see cref="Sequence"/> starts at data offset <see cref="Offset"/>.</summary>
    public readonly record struct Entry(long Sequence, long Offset);

    public static string PathOf(string folder, long segment) => PathOfSegmentFile(Segments.PathOf(folder, segment));

    public static string PathOfSegmentFile(string segmentPath) => Path.ChangeExtension(segmentPath, Extension);

    /// <summary>Writes the entry for (<paramref name="sequence"/>, <paramref name="offset"/>) of segment <paramref name="segment"/> of journal <paramref name="journalId"/>.</summary>
    public static void Encode(Span<byte> destination, Guid journalId, long segment, long sequence, long offset)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], Checksum(journalId, segment, destination[..16]));
    }

    /// <summary>
    /// FNV-1a-64 over the journal id's 16 bytes, the segment number (i64 LE) and the entry's first 16 bytes: an entry of
    /// another journal or segment, or a torn or damaged one, fails it.
    /// </summary>
    private static ulong Checksum(Guid journalId, long segment, ReadOnlySpan<byte> entry)
    {
        Span<byte> prefix = stackalloc byte[24];
        journalId.TryWriteBytes(prefix);
        BinaryPrimitives.WriteInt64LittleEndian(prefix[16..], segment);
        ulong hash = 0xCBF2_9CE4_8422_2325;
        foreach (byte b in prefix)
        {
            hash = (hash ^ b) * 0x0000_0100_0000_01B3;
        }

        foreach (byte b in entry)
        {
            hash = (hash ^ b) * 0x0000_0100_0000_01B3;
        }

        return hash;
    }

    /// <summary>
    /// Binary search over the index of <paramref name="segment"/> for the last entry that satisfies
    /// <paramref name="atOrBefore"/> (true for a prefix of the entries, false after; null when the entry cannot be used,
    /// which gives up on the index). False when there is no usable index or no entry satisfies it: the caller walks from
    /// the segment's first record. Reads O(log entries) entries, each with one <c>pread</c>.
    /// </summary>
    public static bool TryFindLast(string folder, long segment, Guid journalId, long firstSequence, Func<Entry, bool?> atOrBefore, out Entry found)
    {
        found = default;
        SafeFileHandle file;
        long count;
        try
        {
            file = File.OpenHandle(PathOf(folder, segment), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            count = RandomAccess.GetLength(file) / EntryLength; // a torn last entry is not counted
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        using (file)
        {
            long lo = 0, hi = count - 1;
            bool any = false;
            Span<byte> bytes = stackalloc byte[EntryLength];
            while (lo <= hi)
            {
                long mid = lo + ((hi - lo) / 2);
                if (!TryRead(file, mid, journalId, segment, firstSequence, bytes, out Entry entry))
                {
                    return false;
                }

                switch (atOrBefore(entry))
                {
                    case true:
                        found = entry;
                        any = true;
                        lo = mid + 1;
                        break;
                    case false:
                        hi = mid - 1;
                        break;
                    default:
                        return false;
                }
            }

            return any;
        }
    }

    private static bool TryRead(SafeFileHandle file, long index, Guid journalId, long segment, long firstSequence, Span<byte> bytes, out Entry entry)
    {
        entry = default;
        try
        {
            if (RandomAccess.Read(file, bytes, index * EntryLength) != EntryLength)
            {
                return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        long sequence = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        long offset = BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
        if (BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]) != Checksum(journalId, segment, bytes[..16]) ||
            sequence < firstSequence || offset <= 0 || offset % 8 != 0)
        {
            return false;
        }

        entry = new Entry(sequence, offset);
        return true;
    }
}
