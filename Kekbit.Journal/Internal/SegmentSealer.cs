using System.Buffers.Binary;
using Kekbit.Core;

namespace Kekbit.Journal.Internal;

/// <summary>
/// Finds where a segment's published records end and, for a segment whose writer died without closing it, stores CLOSE
/// right after its last complete record (a partial record's bytes stay behind it, unreachable), so that readers move on.
/// Called only by a journal writer that holds the journal's writer lock: nobody else writes the segment.
/// </summary>
internal static class SegmentSealer
{
    /// <summary>The outcome of a scan: the header (null for a segment without one), the records after it, and where they end.</summary>
    public readonly record struct Scan(SegmentHeader? Header, long Records, long End, bool WasClosed);

    /// <summary>Scans segment <paramref name="segment"/> and seals it if it was left open.</summary>
    /// <exception cref="JournalException">The segment is damaged or cannot be written.</exception>
    public static Scan SealIfOpen(string folder, long segment)
    {
        string path = Segments.PathOf(folder, segment);
        long records = 0;
        SegmentHeader? header;
        ReadResult last;
        using (ShmReader reader = Segments.TryOpen(folder, segment, out header)
            ?? throw new JournalException(JournalError.CouldNotAccessStorage, path, $"segment {segment} vanished while the writer recovered the journal"))
        {
            while ((last = reader.TryRead()).IsRecord)
            {
                records++;
            }
        }

        if (last.Status == ReadStatus.Failed)
        {
            throw new JournalException(JournalError.SegmentDamaged, path,
                $"segment {segment} is damaged at data offset {last.Position} ({ChannelInspection.Describe(last.Failure)}); the journal cannot continue after it. Move the segment away to start a new journal, or repair it");
        }

        if (last.Status == ReadStatus.Closed)
        {
            return new Scan(header, records, last.Position, WasClosed: true);
        }

        Seal(path, last.Position);
        return new Scan(header, records, last.Position, WasClosed: false);
    }

    /// <summary>Stores CLOSE at data offset <paramref name="offset"/> (a WATERMARK slot) through the file, and syncs it.</summary>
    private static void Seal(string path, long offset)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> close = stackalloc byte[sizeof(ulong)];
            BinaryPrimitives.WriteUInt64LittleEndian(close, ulong.MaxValue);
            // pwrite goes to the page cache that every mapping of the file shares: readers see CLOSE at once.
            RandomAccess.Write(stream.SafeFileHandle, close, Segments.DataOffset + offset);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JournalException(JournalError.CouldNotAccessStorage, path, $"cannot seal the abandoned segment: {e.Message}", e);
        }
    }
}
