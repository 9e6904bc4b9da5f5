using System.Globalization;

namespace Kekbit.Core.Diagnostics;

/// <summary>
/// What <see cref="ChannelMeter"/> knows of one channel file: the published records (walked by a private read-only
/// reader), the counters of its writer and readers in this process, and those of readers already gone (retired, so
/// that sums never go down). Mutated only under the collection lock, except <see cref="Observers"/>.
/// </summary>
internal sealed class ChannelTally
{
    private readonly long _capacity;
    private ShmReader? _head;
    private int _observers;
    private long _lastSeenAt = Environment.TickCount64;
    private long _retiredRecords;
    private long _retiredBytes;
    private long _retiredSleeps;
    private long _retiredTimeouts;

    public ChannelTally(string path, Metadata metadata)
    {
        Path = path;
        _capacity = metadata.Capacity;
        Tags =
        [
            new(KekbitMetrics.ChannelIdTag, string.Create(CultureInfo.InvariantCulture, $"0x{metadata.ChannelId:x}")),
            new(KekbitMetrics.ChannelPathTag, path),
        ];
    }

    /// <summary>The channel file.</summary>
    public string Path { get; }

    /// <summary>The tags of every measurement of this channel.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>Observations of this channel still in the list (changed by observing threads, hence interlocked).</summary>
    public int Observers => Volatile.Read(ref _observers);

    /// <summary>Whether a writer of this process was ever observed on it.</summary>
    public bool HasWriter { get; set; }

    /// <summary>Whether a reader of this process was ever observed on it.</summary>
    public bool HasReaders { get; set; }

    /// <summary>Records published, as of the last walk.</summary>
    public long HeadRecords { get; private set; }

    /// <summary>Data-area bytes published, as of the last walk.</summary>
    public long HeadPosition { get; private set; }

    /// <summary>The writer's refused writes, indexed by <see cref="WriteStatus"/>.</summary>
    public long[] Refusals { get; } = new long[WriteStatuses.Count];

    public long DoorbellWakes { get; set; }

    /// <summary>Records read by every reader of this process, live and gone.</summary>
    public long ReaderRecords { get; private set; }

    /// <summary>Bytes read by every reader of this process, live and gone.</summary>
    public long ReaderBytes { get; private set; }

    public long ReaderSleeps { get; private set; }

    public long ReaderTimeouts { get; private set; }

    /// <summary>The slowest live reader's lag in records, or -1 with no live reader.</summary>
    public long LagRecords { get; private set; } = -1;

    /// <summary>The slowest live reader's lag in bytes, or -1 with no live reader.</summary>
    public long LagBytes { get; private set; } = -1;

    /// <summary>Published bytes over capacity, while some writer or reader of this process has the channel open.</summary>
    public double Utilization => (double)HeadPosition / _capacity;

    public void AddObserver() => Interlocked.Increment(ref _observers);

    public void RemoveObserver() => Interlocked.Decrement(ref _observers);

    /// <summary>Starts a collection: walks the records published since the last one and resets the per-collection sums.</summary>
    public void BeginRefresh()
    {
        ReaderRecords = _retiredRecords;
        ReaderBytes = _retiredBytes;
        ReaderSleeps = _retiredSleeps;
        ReaderTimeouts = _retiredTimeouts;
        LagRecords = -1;
        LagBytes = -1;
        if (Observers > 0)
        {
            WalkHead();
        }
    }

    /// <summary>
    /// Whether the channel's series are still reported: while something observes it, and for <see cref="ReportedAfterLastClose"/>
    /// after the last writer or reader closed, so that the final values reach every exporter and then the series end
    /// (a process that opens many short-lived channels does not export them forever).
    /// </summary>
    public bool IsReported => Observers > 0 || Environment.TickCount64 - _lastSeenAt < (long)ReportedAfterLastClose.TotalMilliseconds;

    /// <summary>How long a channel's series outlive its last observed writer or reader.</summary>
    public static TimeSpan ReportedAfterLastClose { get; } = TimeSpan.FromMinutes(10);

    /// <summary>Ends a refresh: with nothing left observing the channel, releases the private mapping (the counts stay).</summary>
    public void EndRefresh()
    {
        if (Observers > 0)
        {
            _lastSeenAt = Environment.TickCount64;
        }
        else if (_head is not null)
        {
            _head.Dispose();
            _head = null;
        }
    }

    /// <summary>Adds a live reader's counters and its lag.</summary>
    public void AddReader(long records, long position, long sleeps, long timeouts)
    {
        ReaderRecords += records;
        ReaderBytes += position;
        ReaderSleeps += sleeps;
        ReaderTimeouts += timeouts;
        LagRecords = Math.Max(LagRecords, Math.Max(0, HeadRecords - records));
        LagBytes = Math.Max(LagBytes, Math.Max(0, HeadPosition - position));
    }

    /// <summary>Keeps a departed reader's final counters in the sums for good.</summary>
    public void RetireReader(long records, long position, long sleeps, long timeouts)
    {
        _retiredRecords += records;
        _retiredBytes += position;
        _retiredSleeps += sleeps;
        _retiredTimeouts += timeouts;
        ReaderRecords += records;
        ReaderBytes += position;
        ReaderSleeps += sleeps;
        ReaderTimeouts += timeouts;
    }

    private void WalkHead()
    {
        try
        {
            if (_head is null)
            {
                _head = ShmReader.OpenUnobserved(Path);
                HeadRecords = 0;
            }

            long records = HeadRecords;
            while (_head.TryRead().IsRecord)
            {
                records++;
            }

            HeadRecords = records;
            HeadPosition = _head.Position;
        }
        catch (ChannelException)
        {
            // The file was deleted or replaced: the counts stay where they were.
        }
    }
}
