using Kekbit.Core;
using Kekbit.Journal.Internal;

namespace Kekbit.Journal;

/// <summary>Deletes a journal's old segments by age, total size or count (<see cref="JournalRetentionPolicy"/>).</summary>
public static class JournalRetention
{
    /// <summary>
    /// Deletes the oldest segments of the journal in <paramref name="folder"/> while <paramref name="policy"/>'s limits are
    /// exceeded, oldest first, never the segment being written or one a durable cursor needs (unless the policy says so).
    /// Safe while a writer and readers run: a reader in a deleted segment keeps reading its mapping.
    /// </summary>
    /// <param name="folder">The journal's folder.</param>
    /// <param name="policy">The limits.</param>
    /// <param name="timeProvider">The clock for <see cref="JournalRetentionPolicy.MaxAge"/>; <see cref="TimeProvider.System"/> when null.</param>
    /// <returns>The numbers of the segments deleted, oldest first.</returns>
    public static IReadOnlyList<long> Apply(string folder, JournalRetentionPolicy policy, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(policy);
        folder = Path.GetFullPath(folder);
        List<long> segments = Segments.List(folder);
        var starts = new DateTimeOffset?[segments.Count];
        int lastHeaded = -1;
        for (int i = 0; i < segments.Count; i++)
        {
            using ShmReader? reader = Segments.TryOpen(folder, segments[i], out SegmentHeader? header);
            if (reader is not null && header is SegmentHeader h)
            {
                starts[i] = reader.Metadata.TickUnit.ToDateTimeOffset(h.StartTime);
                lastHeaded = i;
            }
        }

        long protectedFrom = policy.DeleteSegmentsCursorsNeed ? long.MaxValue : OldestSegmentCursorsNeed(folder);
        long totalBytes = 0;
        var sizes = new long[segments.Count];
        for (int i = 0; i < segments.Count; i++)
        {
            sizes[i] = SizeOf(Segments.PathOf(folder, segments[i]));
            totalBytes += sizes[i];
        }

        DateTimeOffset now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        var deleted = new List<long>();
        int count = segments.Count;
        for (int i = 0; i < lastHeaded; i++)
        {
            if (segments[i] >= protectedFrom)
            {
                break;
            }

            bool overCount = policy.MaxSegments is int maxSegments && count > maxSegments;
            bool overSize = policy.MaxBytes is long maxBytes && totalBytes > maxBytes;
            bool tooOld = policy.MaxAge is TimeSpan maxAge && EndOf(starts, i) is DateTimeOffset end && now - end > maxAge;
            if (!(overCount || overSize || tooOld))
            {
                break;
            }

            string path = Segments.PathOf(folder, segments[i]);
            try
            {
                File.Delete(path);
                File.Delete(SegmentIndex.PathOfSegmentFile(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new JournalException(JournalError.CouldNotAccessStorage, path, $"cannot delete segment {segments[i]}: {e.Message}", e);
            }

            deleted.Add(segments[i]);
            count--;
            totalBytes -= sizes[i];
        }

        return deleted;
    }

    /// <summary>The oldest segment a durable cursor of the journal has not committed past; <see cref="long.MaxValue"/> if none.</summary>
    internal static long OldestSegmentCursorsNeed(string folder)
    {
        string cursors = Path.Combine(folder, CursorFile.FolderName);
        long oldest = long.MaxValue;
        if (!Directory.Exists(cursors))
        {
            return oldest;
        }

        foreach (string file in Directory.EnumerateFiles(cursors, "*" + CursorFile.Extension))
        {
            if (CursorFile.Peek(file) is CursorFile.Slot slot)
            {
                oldest = Math.Min(oldest, Segments.SegmentOf(slot.Position));
            }
        }

        return oldest;
    }

    /// <summary>When segment <paramref name="i"/> ended: when the next segment with a header started.</summary>
    private static DateTimeOffset? EndOf(DateTimeOffset?[] starts, int i)
    {
        for (int j = i + 1; j < starts.Length; j++)
        {
            if (starts[j] is DateTimeOffset start)
            {
                return start;
            }
        }

        return null;
    }

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
