using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Kekbit.Core.Diagnostics;

/// <summary>
/// Owns the <c>Kekbit</c> meter and its instruments (names in <see cref="KekbitMetrics"/>), and the list of writers
/// and readers they observe.
/// </summary>
/// <remarks>
/// <para>
/// No cost on the record paths: every instrument is observable, read on collection from what writers and readers
/// keep anyway (positions, refusal and doorbell counters). A writer or reader joins the list when it is created,
/// only while some listener has enabled one of the instruments (<see cref="IsListened"/>, a few field loads): one
/// interlocked push of a node that holds it weakly. Collections (callbacks of the instruments, on the listener's
/// thread) take a lock among themselves, walk the records published since the last one, and unlink the nodes of
/// departed objects; they never touch an object's own fields but to read them.
/// </para>
/// <para>
/// The list is a lock-free stack: pushers only publish a new head (compare-exchange); collectors, one at a time,
/// unlink dead nodes behind the head they saw. A pusher never writes an existing node, so unlinking cannot lose one.
/// </para>
/// </remarks>
internal static class ChannelMeter
{
    /// <summary>The <c>Kekbit</c> meter: the one every Kekbit instrument is created on (journal and replication ones too).</summary>
    public static Meter Meter { get; } = new(KekbitMetrics.MeterName, typeof(ChannelMeter).Assembly.GetName().Version?.ToString(3));
    private static readonly Lock Gate = new();
    private static readonly ConcurrentDictionary<string, ChannelTally> Channels = new(StringComparer.Ordinal);
    private static readonly Instrument[] Instruments = CreateInstruments();
    private static Observation? _head;

    // Set (interlocked) by Departed; cleared by the refresh that handles it, under the gate.
    private static int _refreshPending;

    /// <summary>Whether some listener has enabled one of the instruments: only then are new writers and readers observed.</summary>
    public static bool IsListened => AnyEnabled(Instruments);

    /// <summary>Whether some listener has enabled one of <paramref name="instruments"/> (a few field loads, no allocation).</summary>
    public static bool AnyEnabled(Instrument[] instruments)
    {
        foreach (Instrument instrument in instruments)
        {
            if (instrument.Enabled)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Observes <paramref name="writer"/> if someone listens; otherwise does nothing.</summary>
    /// <returns>Whether the writer is observed: it must then call <see cref="Departed"/> once closed.</returns>
    public static bool Observe(ShmWriter writer)
    {
        if (!IsListened)
        {
            return false;
        }

        ChannelTally tally = TallyOf(writer.Path, writer.Metadata);
        tally.HasWriter = true;
        Push(new WriterObservation(writer, tally));
        return true;
    }

    /// <summary>Observes <paramref name="reader"/> if someone listens; otherwise does nothing.</summary>
    /// <returns>Whether the reader is observed: it must then call <see cref="Departed"/> once disposed.</returns>
    public static bool Observe(ShmReader reader)
    {
        if (!IsListened)
        {
            return false;
        }

        ChannelTally tally = TallyOf(reader.Path, reader.Metadata);
        tally.HasReaders = true;
        Push(new ReaderObservation(reader, tally));
        return true;
    }

    /// <summary>
    /// Told by an observed writer or reader that it closed: its last values are taken and the meter's private mappings of
    /// its channel released now, not at the next collection, which may never come (a listener that stopped). Never waits:
    /// if a collection runs, that collection does it before it returns (the pending flag, checked after every release).
    /// </summary>
    public static void Departed()
    {
        Interlocked.Exchange(ref _refreshPending, 1);
        RefreshIfPending();
    }

    /// <summary>
    /// Adds <paramref name="observation"/> (of something that is not a channel's writer or reader: a journal, a replicator)
    /// to the list every collection refreshes. The caller checks first that one of its instruments is listened to, and
    /// calls <see cref="Departed"/> when the observed object closes.
    /// </summary>
    public static void Observe(Observation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        Push(observation);
    }

    /// <summary>
    /// Runs a collection for an instrument created on <see cref="Meter"/> outside this class: under the collection lock,
    /// every observation is refreshed (<see cref="Observation.Update"/>), then <paramref name="measure"/> adds the
    /// measurements. The callback of an observable instrument returns what this returns.
    /// </summary>
    public static List<Measurement<T>> Collect<T>(Action<List<Measurement<T>>> measure)
        where T : struct
    {
        var measurements = new List<Measurement<T>>();
        lock (Gate)
        {
            Interlocked.Exchange(ref _refreshPending, 0);
            Refresh();
            measure(measurements);
        }

        // A departure announced while this collection held the gate, after its refresh.
        RefreshIfPending();
        return measurements;
    }

    private static ChannelTally TallyOf(string path, Metadata metadata) =>
        Channels.GetOrAdd(System.IO.Path.GetFullPath(path), static (key, metadata) => new ChannelTally(key, metadata), metadata);

    private static void Push(Observation observation)
    {
        observation.Joined();
        Observation? head;
        do
        {
            head = Volatile.Read(ref _head);
            observation.Next = head;
        }
        while (Interlocked.CompareExchange(ref _head, observation, head) != head);
    }

    private static Instrument[] CreateInstruments() =>
    [
        Counter(KekbitMetrics.WriterRecords, "{record}", "Records published by writers of this process.", static tally => tally.HasWriter, static tally => tally.HeadRecords),
        Counter(KekbitMetrics.WriterBytes, "By", "Data-area bytes taken by published records, length slots and padding included.", static tally => tally.HasWriter, static tally => tally.HeadPosition),
        Meter.CreateObservableCounter(KekbitMetrics.WriterRefusals, static () => Collect<long>(static (tally, measurements) =>
        {
            if (tally.HasWriter)
            {
                foreach (WriteStatus status in WriteStatuses.Refusals)
                {
                    measurements.Add(new(tally.Refusals[(int)status], [.. tally.Tags, new(KekbitMetrics.WriteStatusTag, WriteStatuses.TagOf(status))]));
                }
            }
        }), "{record}", "Writes refused, by status: channel_full, record_too_large, closed."),
        Counter(KekbitMetrics.WriterDoorbellWakes, "{wake}", "Futex wake calls made by writers because a reader slept on the doorbell.", static tally => tally.HasWriter, static tally => tally.DoorbellWakes),
        Counter(KekbitMetrics.ReaderRecords, "{record}", "Records before each reader's position, summed over the channel's readers in this process.", static tally => tally.HasReaders, static tally => tally.ReaderRecords),
        Counter(KekbitMetrics.ReaderBytes, "By", "Data-area bytes before each reader's position, summed over the channel's readers in this process.", static tally => tally.HasReaders, static tally => tally.ReaderBytes),
        Gauge(KekbitMetrics.ReaderLagRecords, "{record}", "Records published and not yet read by the channel's slowest reader in this process.", static tally => tally.LagRecords),
        Gauge(KekbitMetrics.ReaderLagBytes, "By", "Data-area bytes published and not yet read by the channel's slowest reader in this process.", static tally => tally.LagBytes),
        Counter(KekbitMetrics.ReaderDoorbellSleeps, "{sleep}", "Futex sleeps begun by readers waiting on the doorbell.", static tally => tally.HasReaders, static tally => tally.ReaderSleeps),
        Counter(KekbitMetrics.ReaderDoorbellTimeouts, "{wakeup}", "Doorbell sleeps ended by their timeout although data was there.", static tally => tally.HasReaders, static tally => tally.ReaderTimeouts),
        Meter.CreateObservableGauge(KekbitMetrics.ChannelUtilization, static () => Collect<double>(static (tally, measurements) =>
        {
            if (tally.Observers > 0)
            {
                measurements.Add(new(tally.Utilization, tally.Tags));
            }
        }), "1", "Data-area bytes published over the channel's capacity, 0 to 1."),
    ];

    private static ObservableCounter<long> Counter(string name, string unit, string description, Func<ChannelTally, bool> applies, Func<ChannelTally, long> value) =>
        Meter.CreateObservableCounter(name, () => Collect<long>((tally, measurements) =>
        {
            if (applies(tally))
            {
                measurements.Add(new(value(tally), tally.Tags));
            }
        }), unit, description);

    private static ObservableGauge<long> Gauge(string name, string unit, string description, Func<ChannelTally, long> value) =>
        Meter.CreateObservableGauge(name, () => Collect<long>((tally, measurements) =>
        {
            // Negative: no live reader of this channel, nothing to report.
            if (value(tally) is long lag and >= 0)
            {
                measurements.Add(new(lag, tally.Tags));
            }
        }), unit, description);

    /// <summary>Refreshes every tally, then turns each into measurements with <paramref name="measure"/>.</summary>
    private static List<Measurement<T>> Collect<T>(Action<ChannelTally, List<Measurement<T>>> measure)
        where T : struct =>
        Collect<T>(measurements =>
        {
            foreach (ChannelTally tally in Channels.Values)
            {
                if (tally.IsReported)
                {
                    measure(tally, measurements);
                }
            }
        });

    /// <summary>
    /// Refreshes while a departure is pending and the gate is free. Whoever sets the flag and finds the gate taken leaves
    /// the work to the holder, which checks the flag again after releasing it: set-then-try on one side, release-then-check
    /// on the other (both full fences), so a pending departure is never left behind.
    /// </summary>
    private static void RefreshIfPending()
    {
        while (Volatile.Read(ref _refreshPending) != 0 && Gate.TryEnter())
        {
            try
            {
                while (Interlocked.Exchange(ref _refreshPending, 0) != 0)
                {
                    Refresh();
                }
            }
            finally
            {
                Gate.Exit();
            }
        }
    }

    /// <summary>Reads every observed object into its tally and unlinks the departed ones. Runs under <see cref="Gate"/>.</summary>
    private static void Refresh()
    {
        // Tallies of observations pushed after this snapshot are walked too: harmless, their nodes are seen next time.
        Observation? head = Volatile.Read(ref _head);
        foreach (ChannelTally tally in Channels.Values)
        {
            tally.BeginRefresh();
        }

        Observation? previous = null;
        for (Observation? node = head; node is not null; node = node.Next)
        {
            if (node.Update() || previous is null)
            {
                // Alive, or the head this collection saw (a pusher may be linking to it right now): kept.
                previous = node;
                continue;
            }

            previous.Next = node.Next;
        }

        foreach (ChannelTally tally in Channels.Values)
        {
            tally.EndRefresh();
        }
    }
}
