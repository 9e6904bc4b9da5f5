using FASTER.core;

namespace Kekbit.Benchmarks.Peers;

/// <summary>
/// FASTER's FasterLog at its fastest documented settings, on the same device as the Kekbit channels (a folder under
/// /dev/shm): the defaults of <see cref="FasterLogSettings"/> (no <c>AutoRefreshSafeTailAddress</c>, no
/// <c>AutoCommit</c>, no checksum, 4 MiB pages), enough log memory to hold a whole run (so scans read memory, never the
/// device), synchronous <c>TryEnqueue</c> in a loop and, when committing, a commit every 5 ms from its own thread, as
/// FasterLogSample does and the docs advise ("commit the log as frequently as you need, e.g., every 5ms"). The log is
/// warmed by a first pass before anything is timed.
/// </summary>
internal sealed unsafe class FasterLogPeer : IDisposable
{
    /// <summary>The settings, said once for the report.</summary>
    public const string Settings = "FasterLogSettings defaults (AutoRefreshSafeTailAddress=false, AutoCommit=false, LogChecksum=None, PageSizeBits=22), MemorySizeBits=29, SegmentSizeBits=30, device: a file on /dev/shm, TryEnqueue(span) spin loop, Commit(true) every 5 ms from a second thread, warm log";

    private readonly string _folder;
    private readonly IDevice _device;
    private readonly FasterLog _log;

    public FasterLogPeer(string parent, int memorySizeBits = 29, int pageSizeBits = 22)
    {
        _folder = Path.Combine(parent, $"fasterlog-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        _device = Devices.CreateLogDevice(Path.Combine(_folder, "log"), preallocateFile: false, deleteOnClose: true);
        // Everything but the memory size is FasterLogSettings' default; 512 MiB of log memory holds a whole run.
        _log = new FasterLog(new FasterLogSettings { LogDevice = _device, LogCommitDir = _folder, MemorySizeBits = memorySizeBits, PageSizeBits = pageSizeBits, SegmentSizeBits = 30 });
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
    public (long Records, long Bytes) Scan(long from)
    {
        long records = 0, bytes = 0;
        using FasterLogScanIterator iterator = _log.Scan(from, _log.CommittedUntilAddress);
        while (iterator.UnsafeGetNext(out byte* _, out int length, out long _, out long _))
        {
            records++;
            bytes += length;
            iterator.UnsafeRelease();
        }

        return (records, bytes);
    }

    public void Dispose()
    {
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
