namespace Kekbit.Core.Diagnostics;

/// <summary>
/// The names of Kekbit's <see cref="System.Diagnostics.Metrics.Meter"/>, its instruments and their tags, for
/// <c>AddMeter(KekbitMetrics.MeterName)</c> in OpenTelemetry, <c>dotnet-counters monitor --counters Kekbit</c>, or a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/>.
/// </summary>
/// <remarks>
/// <para>
/// Every instrument is observable: it is read when a listener collects, from positions and counters the writers and
/// readers keep anyway, so writing and reading a record do no metric work at all, listened to or not. Record counts
/// are found by walking the records published since the last collection, on the collecting thread, through a
/// read-only mapping of the channel.
/// </para>
/// <para>
/// Only writers and readers created while some listener is enabled on one of these instruments are observed:
/// start listening before opening channels. Counters of a writer or reader that is disposed keep their last value,
/// so that sums stay monotonic; its gauges disappear. Ten minutes after the last writer or reader of a channel in this
/// process closed, the channel's series end. Instruments carry <see cref="ChannelIdTag"/> and
/// <see cref="ChannelPathTag"/>, one series per channel file; several readers of one channel in one process add up
/// (counters) or report the slowest of them (lag).
/// </para>
/// </remarks>
public static class KekbitMetrics
{
    /// <summary>The meter's name, <c>"Kekbit"</c>.</summary>
    public const string MeterName = "Kekbit";

    /// <summary>Records published by writers of this process (counter, <c>{record}</c>).</summary>
    public const string WriterRecords = "kekbit.writer.records";

    /// <summary>Bytes of the data area taken by published records, length slots and padding included (counter, <c>By</c>).</summary>
    public const string WriterBytes = "kekbit.writer.bytes";

    /// <summary>Writes refused, by <see cref="WriteStatusTag"/> (counter, <c>{record}</c>).</summary>
    public const string WriterRefusals = "kekbit.writer.refusals";

    /// <summary>Doorbell rings: futex wake calls made by writers because a reader slept (counter, <c>{wake}</c>).</summary>
    public const string WriterDoorbellWakes = "kekbit.writer.doorbell.wakes";

    /// <summary>Records read: the records before each reader's position, summed over the channel's readers (counter, <c>{record}</c>).</summary>
    public const string ReaderRecords = "kekbit.reader.records";

    /// <summary>Bytes of the data area read: each reader's position, summed over the channel's readers (counter, <c>By</c>).</summary>
    public const string ReaderBytes = "kekbit.reader.bytes";

    /// <summary>Records published but not yet read by the channel's slowest reader (gauge, <c>{record}</c>).</summary>
    public const string ReaderLagRecords = "kekbit.reader.lag.records";

    /// <summary>Data-area bytes published but not yet read by the channel's slowest reader (gauge, <c>By</c>).</summary>
    public const string ReaderLagBytes = "kekbit.reader.lag.bytes";

    /// <summary>Futex sleeps begun by readers waiting for data with the doorbell (counter, <c>{sleep}</c>).</summary>
    public const string ReaderDoorbellSleeps = "kekbit.reader.doorbell.sleeps";

    /// <summary>Doorbell sleeps that ended by their timeout although data was there: wake-ups the writer did not deliver (counter, <c>{wakeup}</c>).</summary>
    public const string ReaderDoorbellTimeouts = "kekbit.reader.doorbell.timeouts";

    /// <summary>The channel's fill ratio, 0 to 1: data-area bytes published over its capacity (gauge, <c>1</c>).</summary>
    public const string ChannelUtilization = "kekbit.channel.utilization";

    /// <summary>The tag naming a channel's id, in hex (<c>0x2a</c>).</summary>
    public const string ChannelIdTag = "kekbit.channel.id";

    /// <summary>The tag naming a channel's file, as a full path.</summary>
    public const string ChannelPathTag = "kekbit.channel.path";

    /// <summary>The tag of <see cref="WriterRefusals"/>: <c>channel_full</c>, <c>record_too_large</c> or <c>closed</c>.</summary>
    public const string WriteStatusTag = "kekbit.write.status";

    // ---- Journals (Kekbit.Journal): segments, rolls and durable cursors' lag of the journals this process writes ----

    /// <summary>
    /// Segment files a journal written by this process holds, the one created ahead of the writer included (gauge,
    /// <c>{segment}</c>, tag <see cref="JournalPathTag"/>). Reported while the journal's writer is open.
    /// </summary>
    public const string JournalSegments = "kekbit.journal.segments";

    /// <summary>
    /// Rolls to a new segment made by this process's writers of a journal (counter, <c>{roll}</c>, tag
    /// <see cref="JournalPathTag"/>); read from the writer's own count, so a roll does no metric work.
    /// </summary>
    public const string JournalRolls = "kekbit.journal.rolls";

    /// <summary>
    /// Records a durable cursor of a journal written by this process is behind the writer: the records after its last
    /// commit (gauge, <c>{record}</c>, tags <see cref="JournalPathTag"/> and <see cref="JournalCursorTag"/>). A cursor
    /// that never committed, or whose commit does not know its sequence, is not reported. Reported while the writer is open.
    /// </summary>
    public const string JournalCursorLag = "kekbit.journal.cursor.lag";

    /// <summary>The tag naming a journal's folder, as a full path.</summary>
    public const string JournalPathTag = "kekbit.journal.path";

    /// <summary>The tag naming a journal's durable cursor.</summary>
    public const string JournalCursorTag = "kekbit.journal.cursor";

    // ---- Replication (Kekbit.Replication.Nats): lag of the push replicators and mirrors this process runs ----

    /// <summary>
    /// Records a replicator of this process has not replicated yet (gauge, <c>{record}</c>, tags
    /// <see cref="ReplicationKindTag"/>, <see cref="ReplicationStreamTag"/> and <see cref="JournalPathTag"/>, naming the
    /// local journal: the origin of a push, the mirror journal of a mirror): for a push, the journal's records the stream
    /// has not acknowledged; for a mirror, the stream's messages not yet in the mirror journal. Reported while the
    /// replicator runs.
    /// </summary>
    public const string ReplicationLag = "kekbit.replication.lag";

    /// <summary>
    /// How long a replicator of this process has been behind: the time since it last had nothing left to replicate, zero
    /// when caught up (gauge, <c>s</c>, the tags of <see cref="ReplicationLag"/>). Reported while the replicator runs.
    /// </summary>
    public const string ReplicationLagTime = "kekbit.replication.lag.time";

    /// <summary>The tag naming a replicator's kind: <c>push</c> or <c>mirror</c>.</summary>
    public const string ReplicationKindTag = "kekbit.replication.kind";

    /// <summary>The tag naming a replicator's JetStream stream.</summary>
    public const string ReplicationStreamTag = "kekbit.replication.stream";
}
