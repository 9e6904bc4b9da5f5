using Kekbit.Core;

namespace Kekbit.Journal.Internal;

/// <summary>Where a journal's segments live and how to find and probe them: segment n is channel n under the journal folder.</summary>
internal static class Segments
{
    /// <summary>The data area's offset in a channel file (docs/FORMAT.md).</summary>
    public const long DataOffset = 1024;

    /// <summary>Bits of a journal position that hold the data offset in its segment; the segment number is above them.</summary>
    public const int OffsetBits = 32;

    /// <summary>The largest segment number a position can carry.</summary>
    public const long MaxSegment = int.MaxValue;

    public static string PathOf(string folder, long segment) => StorageLayout.ChannelFile(folder, (ulong)segment);

    public static long PositionOf(long segment, long offset) => (segment << OffsetBits) | offset;

    public static long SegmentOf(long position) => position >> OffsetBits;

    public static long OffsetOf(long position) => position & ((1L << OffsetBits) - 1);

    /// <summary>
    /// How long after a folder's last change a listing of it may be cached: file times come from the kernel's coarse clock
    /// (one tick, at most 10 ms at HZ=100, 4 ms by default), so a change within the same tick as the listing might leave
    /// the folder's time as it was. A listing taken later than this after the last change is safe: any later change
    /// moves the folder's time.
    /// </summary>
    private static readonly TimeSpan ListingSettle = TimeSpan.FromMilliseconds(50);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Listing> Listings = new(StringComparer.Ordinal);

    /// <summary>A cached listing: the segments and the change times of the journal folder and its segment folder it was taken at.</summary>
    private sealed record Listing(DateTime FolderTime, DateTime SegmentFolderTime, long[] Segments);

    /// <summary>
    /// The segment numbers present in <paramref name="folder"/>, in order. A seek lists the folder (1-3 ms for 1,000
    /// segments): the listing is cached per folder and reused while neither the journal folder nor its segment folder
    /// changed (two <c>stat</c>s), see <see cref="ListingSettle"/>.
    /// </summary>
    public static List<long> List(string folder)
    {
        // Segment numbers are at most int.MaxValue: all of them live in the storage layout's first folder.
        string segmentFolder = Path.GetDirectoryName(PathOf(folder, 0))!;
        DateTime folderTime, segmentFolderTime;
        try
        {
            folderTime = Directory.GetLastWriteTimeUtc(folder);
            segmentFolderTime = Directory.GetLastWriteTimeUtc(segmentFolder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ListNow(folder);
        }

        if (Listings.TryGetValue(folder, out Listing? cached) && cached.FolderTime == folderTime && cached.SegmentFolderTime == segmentFolderTime)
        {
            return [.. cached.Segments];
        }

        DateTime listedAt = DateTime.UtcNow;
        List<long> segments = ListNow(folder);
        if (listedAt - (folderTime > segmentFolderTime ? folderTime : segmentFolderTime) > ListingSettle)
        {
            if (Listings.Count >= 256)
            {
                Listings.Clear(); // a process that opens many journals: keep the cache small, it refills on use
            }

            Listings[folder] = new Listing(folderTime, segmentFolderTime, [.. segments]);
        }
        else
        {
            Listings.TryRemove(folder, out _);
        }

        return segments;
    }

    private static List<long> ListNow(string folder)
    {
        var segments = new List<long>();
        if (!Directory.Exists(folder))
        {
            return segments;
        }

        foreach (string sub in SegmentFolders(folder))
        {
            foreach (string file in Directory.EnumerateFiles(sub, "*" + StorageLayout.ChannelExtension))
            {
                if (StorageLayout.TryParseChannelId(file, out ulong id) && id <= MaxSegment)
                {
                    segments.Add((long)id);
                }
            }
        }

        segments.Sort();
        return segments;
    }

    /// <summary>The creation locks left in <paramref name="folder"/>'s segment folders.</summary>
    public static List<string> CreationLocks(string folder)
    {
        var locks = new List<string>();
        if (!Directory.Exists(folder))
        {
            return locks;
        }

        foreach (string sub in SegmentFolders(folder))
        {
            locks.AddRange(Directory.EnumerateFiles(sub, "*" + StorageLayout.LockExtension));
        }

        return locks;
    }

    /// <summary>The folders of the storage layout (<c>xxxx_xxxx</c>) in the journal folder: not <c>cursors</c>, nor anything else.</summary>
    private static IEnumerable<string> SegmentFolders(string folder) =>
        Directory.EnumerateDirectories(folder, "????_????").Where(sub => Path.GetFileName(sub) is string name && name[4] == '_' &&
            name.Remove(4, 1).All(char.IsAsciiHexDigitLower));

    /// <summary>
    /// Opens a segment and reads its header. Returns the open reader, positioned after the header (or at 0 when the segment
    /// has none yet: a segment created ahead, or one sealed empty); null if the segment is missing or still being created.
    /// </summary>
    /// <exception cref="JournalException">The segment cannot be read, or its first record is not a header of this journal layout.</exception>
    public static ShmReader? TryOpen(string folder, long segment, out SegmentHeader? header)
    {
        header = null;
        string path = PathOf(folder, segment);
        ShmReader reader;
        try
        {
            reader = ShmReader.Open(path);
        }
        catch (ChannelException e) when (e.Error is ChannelError.StorageNotFound or ChannelError.StorageNotReady or ChannelError.StaleLock)
        {
            return null;
        }
        catch (ChannelException e)
        {
            throw new JournalException(JournalError.CouldNotAccessStorage, path, $"segment {segment} cannot be opened: {e.Message}", e);
        }

        ReadResult first = reader.TryRead();
        if (first.IsRecord)
        {
            if (!SegmentHeader.TryRead(first.Span, out SegmentHeader parsed) || parsed.Segment != segment)
            {
                reader.Dispose();
                throw new JournalException(JournalError.InvalidSegmentHeader, path, $"the first record of segment {segment} is not a journal segment header for this segment");
            }

            header = parsed;
        }
        else if (first.Status == ReadStatus.Failed)
        {
            reader.Dispose();
            throw new JournalException(JournalError.SegmentDamaged, path, $"segment {segment} is damaged at data offset {first.Position} ({ChannelInspection.Describe(first.Failure)})");
        }

        return reader;
    }

    /// <summary>
    /// The header of segment <paramref name="segment"/>, or null when it has none (yet), is missing or is being created.
    /// Reads the 64 bytes of the first record's slot and payload with one read, without mapping the file (a seek probes
    /// about log2(segments) of them).
    /// </summary>
    /// <exception cref="JournalException">The segment's first record is not a header for it.</exception>
    public static SegmentHeader? TryReadHeader(string folder, long segment)
    {
        string path = PathOf(folder, segment);
        if (File.Exists(StorageLayout.LockFileOf(path)))
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[(int)DataOffset + sizeof(ulong) + SegmentHeader.Length];
        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (RandomAccess.Read(file, bytes, 0) < bytes.Length || System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes) != 0x2A54_4942_4B45_4B2A)
            {
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        ulong length = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[(int)DataOffset..]);
        if (length == SegmentHeader.Length && SegmentHeader.TryRead(bytes[((int)DataOffset + sizeof(ulong))..], out SegmentHeader header) && header.Segment == segment)
        {
            return header;
        }

        if (length is 0xFFFF_FFFF_1111_1111 or ulong.MaxValue)
        {
            return null; // WATERMARK (not started) or CLOSE (sealed empty)
        }

        throw new JournalException(JournalError.InvalidSegmentHeader, path, $"the first record of segment {segment} is not a journal segment header for this segment");
    }
}
