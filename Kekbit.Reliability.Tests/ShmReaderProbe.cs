using Kekbit.Core;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Opens a channel file with the real <see cref="ShmReader"/> and reads it to its first non-record, the way a
/// consumer would, checking as it goes that the reader cannot loop forever (a bounded number of reads) and
/// that records only move forward on 8-byte boundaries. Any exception but <see cref="ChannelException"/> escapes.
/// </summary>
internal static class ShmReaderProbe
{
    /// <summary>Reads <paramref name="file"/> to its end, then resumes at <paramref name="seekTo"/>, which may only succeed or be refused as <see cref="ChannelError.InvalidPosition"/>.</summary>
    public static ChannelOutcome Read(string file, long seekTo)
    {
        ShmReader reader;
        try
        {
            reader = ShmReader.Open(file);
        }
        catch (ChannelException e)
        {
            return ChannelOutcome.OpenFailed(e.Error);
        }

        using (reader)
        {
            // Every record takes at least 8 bytes of the data area: more reads than that would be a loop.
            long maxReads = (reader.Metadata.Capacity / 8) + 2;
            var records = new List<(long, byte[])>();
            long previous = -1;
            for (long reads = 0; reads < maxReads; reads++)
            {
                ReadResult result = reader.TryRead();
                if (!result.IsRecord)
                {
                    ReadResult again = reader.TryRead();
                    if (again.Status != result.Status || again.Position != result.Position)
                    {
                        throw new InvalidOperationException($"a second read after the end changed it: {result} then {again}");
                    }

                    Resume(reader, seekTo);
                    return ChannelOutcome.Ended(records, result.Status, result.Failure, result.Position);
                }

                if (result.Position <= previous || result.Position % RecordLayout.Alignment != 0)
                {
                    throw new InvalidOperationException($"record positions went from {previous} to {result.Position}");
                }

                previous = result.Position;
                records.Add((result.Position, result.ToArray()));
            }

            throw new InvalidOperationException($"the reader returned more than {maxReads} records: it loops");
        }
    }

    private static void Resume(ShmReader reader, long position)
    {
        try
        {
            reader.SeekTo(position);
            _ = reader.TryRead();
        }
        catch (ChannelException e) when (e.Error == ChannelError.InvalidPosition)
        {
        }
    }
}
