using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kekbit.Core.Diagnostics;
using Kekbit.Journal.Internal;

namespace Kekbit.Journal.Diagnostics;

/// <summary>
/// The journal instruments of the <c>Kekbit</c> meter (names in <see cref="KekbitMetrics"/>): segments, rolls and durable
/// cursors' lag of the journals this process writes. Created on <see cref="ChannelMeter.Meter"/>; writers are observed
/// through <see cref="ChannelMeter"/>'s list (<see cref="Observation"/>) and collected under its lock.
/// </summary>
/// <remarks>
/// No cost on the write path: a writer joins the list when it opens, only while one of these instruments is enabled (three
/// field loads otherwise), and every instrument is observable, read on collection from the writer's roll count and next
/// sequence. The segment count lists the journal's folder (cached while it does not change) and the cursor lag reads each
/// cursor file's committed slot, both on the collecting thread and only while some listener collects.
/// </remarks>
internal static class JournalMeter
{
    private static readonly ConcurrentDictionary<string, JournalTally> Journals = new(StringComparer.Ordinal);

    private static readonly Instrument[] Instruments =
    [
        ChannelMeter.Meter.CreateObservableGauge(KekbitMetrics.JournalSegments, static () => ChannelMeter.Collect<long>(static measurements =>
        {
            foreach (JournalTally tally in Journals.Values)
            {
                if (tally.Observers > 0)
                {
                    measurements.Add(new(SegmentCount(tally.Folder), tally.Tags));
                }
            }
        }), "{segment}", "Segment files a journal written by this process holds, the one created ahead included."),
        ChannelMeter.Meter.CreateObservableCounter(KekbitMetrics.JournalRolls, static () => ChannelMeter.Collect<long>(static measurements =>
        {
            foreach (JournalTally tally in Journals.Values)
            {
                if (tally.IsReported)
                {
                    measurements.Add(new(tally.Rolls, tally.Tags));
                }
            }
        }), "{roll}", "Rolls to a new segment made by this process's writers of a journal."),
        ChannelMeter.Meter.CreateObservableGauge(KekbitMetrics.JournalCursorLag, static () => ChannelMeter.Collect<long>(static measurements =>
        {
            foreach (JournalTally tally in Journals.Values)
            {
                if (tally.Observers > 0)
                {
                    AddCursorLags(tally, measurements);
                }
            }
        }), "{record}", "Records a durable cursor of a journal written by this process is behind the writer (after its last commit)."),
    ];

    /// <summary>Whether some listener has enabled one of the journal instruments: only then are new writers observed.</summary>
    public static bool IsListened => ChannelMeter.AnyEnabled(Instruments);

    /// <summary>Observes <paramref name="writer"/> if someone listens; otherwise does nothing.</summary>
    /// <returns>Whether the writer is observed: it must then call <see cref="ChannelMeter.Departed"/> once closed.</returns>
    public static bool Observe(JournalWriter writer)
    {
        if (!IsListened)
        {
            return false;
        }

        JournalTally tally = Journals.GetOrAdd(writer.Folder, static folder => new JournalTally(folder));
        // Its values reach the tally at the start of every collection (under the collection lock), before any measurement.
        tally.AddObserver();
        ChannelMeter.Observe(new JournalWriterObservation(writer, tally));
        return true;
    }

    private static long SegmentCount(string folder)
    {
        try
        {
            return Segments.List(folder).Count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0; // the folder cannot be listed right now; the next collection tries again
        }
    }

    private static void AddCursorLags(JournalTally tally, List<Measurement<long>> measurements)
    {
        string folder = Path.Combine(tally.Folder, CursorFile.FolderName);
        IEnumerable<string> files;
        try
        {
            if (!Directory.Exists(folder))
            {
                return;
            }

            files = Directory.GetFiles(folder, "*" + CursorFile.Extension);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string file in files)
        {
            if (CursorFile.Peek(file) is CursorFile.Slot slot && slot.NextSequence >= 0)
            {
                measurements.Add(new(Math.Max(0, tally.NextSequence - slot.NextSequence),
                [
                    tally.Tags[0],
                    new(KekbitMetrics.JournalCursorTag, Path.GetFileNameWithoutExtension(file)),
                ]));
            }
        }
    }
}
