using FASTER.core;

namespace Kekbit.Benchmarks.Peers;

/// <summary>
/// FASTER's FasterLog at its fastest documented settings, on the same device as the Kekbit channels (a folder under
/// /dev/shm): the defaults of <see cref="FasterLogSettings"/> (no <c>AutoRefreshSafeTailAddress</c>, no
/// <c>AutoCommit</c>, no checksum, 4 MiB pages), synchronous <c>TryEnqueue</c> in a loop and, when committing, a commit
/// every 5 ms from its own thread, as FasterLogSample does and the docs advise ("commit the log as frequently as you
/// need, e.g., every 5ms"). The log memory is chosen per use (<see cref="RingMemorySizeBits"/>,
/// <see cref="LargeMemorySizeBits"/>); the harness warms the log by a first pass before anything is timed. A reader that is
/// not the writing instance (another process) scans through <see cref="OpenReadOnly"/>.
/// </summary>
internal sealed unsafe class FasterLogPeer : IDisposable
{
    /// <summary>The settings, said once for the report.</summary>
    public const string Settings = "FasterLogSettings defaults (AutoRefreshSafeTailAddress=false, AutoCommit=false, LogChecksum=None, PageSizeBits=22), SegmentSizeBits=30, device: a file in the run's folder; a warm-up pass before anything is timed; TryEnqueue(span) in a spin loop, with no commit or with Commit(true) every 5 ms from a second thread (timed to the last commit); MemorySizeBits=26 (a 64 MiB ring the warm-up wraps: steady state) or 30 (1 GiB, more than the passes write: a burst that never waits for the device); scan: the 1 GiB log's memory after an untimed scan, UnsafeGetNext (zero copy), reading each payload; read-only instance (what another process uses, as FASTER's FasterLogPubSub sample): a second FasterLog with ReadOnlyMode=true on its own device over the same log file (not deleted on close) and the shared commit folder, the writer's PageSizeBits=22 and SegmentSizeBits=30, opened and RecoverReadOnly() untimed, a new instance per attempt; it holds no log memory (read-only mode forces MemorySizeBits=0: every 4 MiB page is read from the device, the same tmpfs file) and FasterLog forces ScanBufferingMode.SinglePageBuffering on it; the same UnsafeGetNext scan is timed (FasterLog 2.6.5 allocates on this path: the iterator's one-page frame, and 80 B per record, the closures of ScanIteratorBase.BufferAndLoad, which a scan from the device calls for every record)";

    private readonly string _folder;
    private readonly string _logPath;
    private readonly int _pageSizeBits;
    private readonly IDevice _device;
    private readonly FasterLog _log;

    // The read-only instances still open over this log: Dispose closes them before the device deletes the file they read.
    private readonly List<FasterLogReadOnlyReader> _readOnlyReaders = [];

    /// <summary>A 64 MiB memory ring, which a warm-up pass wraps, so timed passes allocate no pages and wait for the device as the ring turns.</summary>
    public const int RingMemorySizeBits = 26;

    /// <summary>1 GiB of log memory (allocated as used), more than three passes of a harness run write: enqueues never wait for the device, and scans read memory only.</summary>
    public const int LargeMemorySizeBits = 30;

    /// <summary>The segment size of the log files (FasterLogSettings' default), which a read-only instance must share.</summary>
    private const int SegmentSizeBits = 30;

    public FasterLogPeer(string parent, int memorySizeBits, int pageSizeBits = 22)
    {
        _folder = Path.Combine(parent, $"fasterlog-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        _logPath = Path.Combine(_folder, "log");
        _pageSizeBits = pageSizeBits;
        _device = Devices.CreateLogDevice(_logPath, preallocateFile: false, deleteOnClose: true);
        // Everything but the memory size is FasterLogSettings' default.
        _log = new FasterLog(new FasterLogSettings { LogDevice = _device, LogCommitDir = _folder, MemorySizeBits = memorySizeBits, PageSizeBits = pageSizeBits, SegmentSizeBits = SegmentSizeBits });
    }

    /// <summary>The address the next record gets.</summary>
    public long TailAddress => _log.TailAddress;

    /// <summary>Appends <paramref name="records"/> copies of <paramref name="payload"/>, spinning while the log has no room (FasterLogSample's writer).</summary>
    public void EnqueueAll(ReadOnlySpan<byte> payload, long records)
    {
        for (long i = 0; i < records; i++)
        {
            while (!_log.TryEnqueue(payload, out _))
            {
            }
        }
    }

    /// <summary>
    /// <see cref="EnqueueAll"/> while a second thread commits every 5 ms (group commit), then one last commit that
    /// waits: returns when every record is committed.
    /// </summary>
    public void EnqueueAllCommitting(ReadOnlySpan<byte> payload, long records)
    {
        using var stop = new ManualResetEventSlim();
        var committer = new Thread(() =>
        {
            while (!stop.Wait(5))
            {
                _log.Commit(spinWait: true);
            }
        }) { IsBackground = true, Name = "FasterLog commit" };
        committer.Start();
        EnqueueAll(payload, records);
        stop.Set();
        committer.Join();
        Commit();
    }

    /// <summary>Commits everything enqueued and waits for it.</summary>
    public void Commit() => _log.Commit(spinWait: true);

    /// <summary>Scans the committed records from <paramref name="from"/> with the zero-copy iterator; returns the records and bytes seen.</summary>
    public (long Records, long Bytes) Scan(long from) => ScanCommitted(_log, from, ScanBufferingMode.DoublePageBuffering);

    /// <summary>
    /// Opens a read-only FasterLog over this log's file and commit folder, recovered to the latest commit: see
    /// <see cref="FasterLogReadOnlyReader"/>. Only what was committed before the call is visible to it. It stays valid
    /// until it or this peer is disposed (this peer closes it first).
    /// </summary>
    public FasterLogReadOnlyReader OpenReadOnly()
    {
        var reader = new FasterLogReadOnlyReader(this, _logPath, _folder, _pageSizeBits, SegmentSizeBits);
        lock (_readOnlyReaders)
        {
            _readOnlyReaders.Add(reader);
        }

        return reader;
    }

    /// <summary>Called by a read-only instance once it is closed.</summary>
    internal void Forget(FasterLogReadOnlyReader reader)
    {
        lock (_readOnlyReaders)
        {
            _readOnlyReaders.Remove(reader);
        }
    }

    /// <summary>
    /// The one scan loop both instances time: <paramref name="log"/> from <paramref name="from"/> to its committed end
    /// with <c>UnsafeGetNext</c> (zero copy), each payload read in full by <see cref="Harness.PayloadSink"/>; returns
    /// the records and bytes seen.
    /// </summary>
    internal static (long Records, long Bytes) ScanCommitted(FasterLog log, long from, ScanBufferingMode buffering)
    {
        long records = 0, bytes = 0;
        using FasterLogScanIterator iterator = log.Scan(from, log.CommittedUntilAddress, scanBufferingMode: buffering);
        long sink = 0;
        while (iterator.UnsafeGetNext(out byte* entry, out int length, out long _, out long _))
        {
            sink += Harness.PayloadSink.Consume(new ReadOnlySpan<byte>(entry, length));
            records++;
            bytes += length;
            iterator.UnsafeRelease();
        }

        Harness.PayloadSink.Keep(sink);
        return (records, bytes);
    }

    /// <summary>
    /// Closes the read-only instances still open (they read the file the device deletes), then the log, its device (which
    /// deletes the log file) and the folder with its commits.
    /// </summary>
    public void Dispose()
    {
        FasterLogReadOnlyReader[] open;
        lock (_readOnlyReaders)
        {
            open = [.. _readOnlyReaders];
        }

        foreach (FasterLogReadOnlyReader reader in open)
        {
            reader.Dispose();
        }

        _log.Dispose();
        _device.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
