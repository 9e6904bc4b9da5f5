using FASTER.core;

namespace Kekbit.Benchmarks.Peers;

/// <summary>
/// A second FasterLog instance in <see cref="FasterLogSettings.ReadOnlyMode"/> over the log file and commit folder of a
/// <see cref="FasterLogPeer"/>: what a reader in another process uses to follow a log that a live instance writes
/// (FASTER's FasterLogPubSub sample and FasterLogRecoverReadOnlyTests). It holds no page of the log in memory: in
/// read-only mode FasterLog gives its allocator no memory (<c>MemorySizeBits</c> is forced to 0, <c>HeadAddress</c> to
/// <see cref="long.MaxValue"/>), so every scan reads every page from the device into the iterator's frame, as another
/// process would. Open it through <see cref="FasterLogPeer.OpenReadOnly"/>; the peer disposes it before its own device
/// deletes the file.
/// </summary>
internal sealed class FasterLogReadOnlyReader : IDisposable
{
    private readonly FasterLogPeer _owner;
    private readonly IDevice _device;
    private readonly FasterLog _log;
    private int _disposed;

    /// <summary>
    /// Opens its own device on <paramref name="logPath"/> (never deleted on close: the writer's device owns the file) and
    /// recovers to the latest commit in <paramref name="commitFolder"/>. The page and segment sizes must be the writer's:
    /// records never cross a page and a page's unused tail is zeros, so addresses only mean the same thing with the same
    /// page size.
    /// </summary>
    internal FasterLogReadOnlyReader(FasterLogPeer owner, string logPath, string commitFolder, int pageSizeBits, int segmentSizeBits)
    {
        _owner = owner;
        _device = Devices.CreateLogDevice(logPath, preallocateFile: false, deleteOnClose: false);
        try
        {
            // TryRecoverLatest = false: the constructor's recovery swallows every error; RecoverReadOnly reports them.
            _log = new FasterLog(new FasterLogSettings
            {
                LogDevice = _device,
                LogCommitDir = commitFolder,
                ReadOnlyMode = true,
                PageSizeBits = pageSizeBits,
                SegmentSizeBits = segmentSizeBits,
                TryRecoverLatest = false,
            });
            _log.RecoverReadOnly();
        }
        catch
        {
            _log?.Dispose();
            _device.Dispose();
            throw;
        }
    }

    /// <summary>The end of the commit this instance recovered: what its scans can read.</summary>
    public long CommittedUntilAddress => _log.CommittedUntilAddress;

    /// <summary>
    /// Scans the recovered commit from <paramref name="from"/> (an address the writer gave) with the zero-copy iterator,
    /// reading each payload in full; returns the records and bytes seen. FasterLog forces
    /// <see cref="ScanBufferingMode.SinglePageBuffering"/> on a read-only instance: one page is read from the device, then
    /// consumed. FasterLog allocates on this path (the frame, a page, per scan; 80 B per record, the closures of
    /// <c>ScanIteratorBase.BufferAndLoad</c>, which a scan from the device calls for every record): the harness's
    /// allocation column shows it.
    /// </summary>
    public (long Records, long Bytes) Scan(long from)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return FasterLogPeer.ScanCommitted(_log, from, ScanBufferingMode.SinglePageBuffering);
    }

    /// <summary>Closes the instance and its device, leaving the file to the writer's device; idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _log.Dispose();
        _device.Dispose();
        _owner.Forget(this);
    }
}
