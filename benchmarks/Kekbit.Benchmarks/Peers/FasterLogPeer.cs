using FASTER.core;

namespace Kekbit.Benchmarks.Peers;

/// <summary>FASTER's FasterLog on /dev/shm: enqueue, commit, and a zero-copy scan of the same payloads.</summary>
internal sealed unsafe class FasterLogPeer : IDisposable
{
    private readonly string _folder;
    private readonly IDevice _device;
    private readonly FasterLog _log;

    public FasterLogPeer(string parent)
    {
        _folder = Path.Combine(parent, $"fasterlog-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        _device = Devices.CreateLogDevice(Path.Combine(_folder, "log"), preallocateFile: false, deleteOnClose: true);
        _log = new FasterLog(new FasterLogSettings { LogDevice = _device, LogCommitDir = _folder, PageSizeBits = 22, MemorySizeBits = 26, SegmentSizeBits = 30, AutoRefreshSafeTailAddress = true });
    }

    public void Enqueue(ReadOnlySpan<byte> payload) => _log.Enqueue(payload);

    public void Commit() => _log.Commit(spinWait: true);

    /// <summary>Scans every committed record; returns the records and bytes seen.</summary>
    public (long Records, long Bytes) ScanAll()
    {
        long records = 0, bytes = 0;
        using FasterLogScanIterator iterator = _log.Scan(_log.BeginAddress, _log.TailAddress);
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
