using System.Runtime.CompilerServices;
using Kekbit.Core.Internal;

namespace Kekbit.Core;

/// <summary>
/// The single writer of a channel: creates the channel's file and appends records to it through a
/// read-write memory mapping. Not thread-safe; share it between threads through a <see cref="RetryWriter"/>.
/// </summary>
/// <remarks>
/// Write protocol: the payload is copied after the record's length slot, WATERMARK is stored in the next
/// record's slot (release), then the length is stored in this record's slot (release), which publishes
/// the record. <see cref="Dispose"/> stores CLOSE at the write offset and flushes the file.
/// </remarks>
public sealed unsafe class ShmWriter : IWriter
{
    private readonly MappedFile _file;
    private readonly MappedMemory _memory;
    private readonly byte* _data;
    private readonly int _capacity;
    private readonly int _maxRecordLength;
    private readonly IHandler? _handler;
    private readonly RecordBuffer _record;
    private int _writeOffset;
    private bool _closed;

    private ShmWriter(MappedFile file, Metadata metadata, string path, IHandler? handler)
    {
        _file = file;
        Metadata = metadata;
        Path = path;
        _capacity = metadata.Capacity;
        _maxRecordLength = metadata.MaxRecordLength;
        // The encoder handler adds nothing: skip the chain entirely.
        _handler = handler is EncoderHandler ? null : handler;
        // Safe: the mapping is 1024 + capacity + 32 bytes, so the data area and its footer lie inside it.
        _data = file.Base + ChannelFormat.DataOffset;
        _memory = new MappedMemory(_data, _capacity + ChannelFormat.FooterLength);
        _record = new RecordBuffer(_data, _memory);
    }

    /// <inheritdoc/>
    public Metadata Metadata { get; }

    /// <summary>The channel file.</summary>
    public string Path { get; }

    /// <summary>The data-area offset where the next record goes: the bytes used so far.</summary>
    public int WriteOffset => _writeOffset;

    /// <summary>Bytes still available for records, headers and padding included: (capacity - write offset) rounded down to 8.</summary>
    public int Available => (int)RecordLayout.Available(_capacity, _writeOffset);

    /// <summary>Whether the channel can take no further record (<see cref="Available"/> is 8 or less).</summary>
    public bool IsFull => RecordLayout.IsFull(_capacity, _writeOffset);

    /// <summary>Whether the writer was disposed (and the channel closed).</summary>
    public bool IsClosed => _closed;

    /// <summary>
    /// Creates channel <see cref="Metadata.ChannelId"/> under <paramref name="root"/> and returns its writer.
    /// Creates missing folders, holds the <c>.lock</c> file while it initialises the file, reserves the file's
    /// whole length on disk up front (so a full disk fails here, not later), and never overwrites a channel.
    /// </summary>
    /// <param name="root">The root folder that holds channels; created if missing.</param>
    /// <param name="metadata">The channel's structure (<see cref="Metadata.Create"/>).</param>
    /// <param name="handler">The handler chain every record passes through; none (the payload only) when null.</param>
    /// <param name="options">File and folder permissions; <see cref="ShmWriterOptions.Default"/> when null.</param>
    /// <exception cref="ChannelException">The channel exists or is being created, the root is not a folder,
    /// the disk is full, or the storage cannot be accessed. Nothing is left behind.</exception>
    public static ShmWriter Create(string root, Metadata metadata, IHandler? handler = null, ShmWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(metadata);
        options ??= ShmWriterOptions.Default;
        options.Validate();

        string channelFile = System.IO.Path.GetFullPath(StorageLayout.ChannelFile(root, metadata.ChannelId));
        CreateFolders(root, System.IO.Path.GetDirectoryName(channelFile)!, options.FolderMode);
        // The lock is checked before the file: a lock left by a crashed creator usually sits beside its
        // incomplete channel file, and must be reported as StaleLock (with its recovery), not as "already exists".
        CreationLock.ThrowIfHeld(channelFile, creating: true);
        ThrowIfExists(channelFile);
        string lockFile = CreationLock.Acquire(channelFile, options.FileMode);
        try
        {
            // Checked again under the lock: another creator may have finished in between.
            ThrowIfExists(channelFile);
            MappedFile file = CreateFile(channelFile, metadata, options);
            var writer = new ShmWriter(file, metadata, channelFile, handler);
            CreationLock.Release(lockFile);
            return writer;
        }
        catch
        {
            TryDelete(lockFile);
            throw;
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public WriteResult Write(ReadOnlySpan<byte> payload)
    {
        if (_handler is not null)
        {
            return WriteThroughHandlers(payload);
        }

        // The fast path: no handler chain, so no record buffer to prepare.
        if (!CanTakeRecord(out int limit, out WriteResult refusal))
        {
            return refusal;
        }

        if (payload.Length > limit)
        {
            return WriteResult.Of(WriteStatus.RecordTooLarge);
        }

        // Safe: payload.Length <= limit <= available - 8, so the copy ends inside the data area.
        payload.CopyTo(new Span<byte>(_data + _writeOffset + ChannelFormat.RecordHeaderLength, payload.Length));
        return Publish(payload.Length);
    }

    /// <inheritdoc/>
    public WriteResult Write<T>(T value, RecordEncoder<T> encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (!TryBegin(out WriteResult refusal))
        {
            return refusal;
        }

        RecordBuffer record = _record;
        try
        {
            _handler?.Incoming(record);
            encoder(value, record);
            _handler?.Outgoing(record);
        }
        catch
        {
            record.Discard();
            throw;
        }

        return Complete(record);
    }

    /// <inheritdoc/>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        _file.Flush();
    }

    /// <summary>Closes the channel: stores CLOSE at the write offset, flushes the file and releases the mapping. Idempotent.</summary>
    /// <exception cref="IOException">Flushing failed; the CLOSE marker is still visible to readers on this host.</exception>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        try
        {
            // Safe: the write offset is at most the capacity and the footer leaves 32 bytes after it.
            Volatile.Write(ref *(ulong*)(_data + _writeOffset), ChannelFormat.Close);
            _file.Flush();
        }
        finally
        {
            _memory.Invalidate();
            _file.Dispose();
        }
    }

    private WriteResult WriteThroughHandlers(ReadOnlySpan<byte> payload)
    {
        if (!TryBegin(out WriteResult refusal))
        {
            return refusal;
        }

        RecordBuffer record = _record;
        try
        {
            _handler!.Incoming(record);
            record.Write(payload);
            _handler.Outgoing(record);
        }
        catch
        {
            record.Discard();
            throw;
        }

        return Complete(record);
    }

    /// <summary>Checks the writer can take a record and prepares the record buffer for it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryBegin(out WriteResult refusal)
    {
        if (!CanTakeRecord(out int limit, out refusal))
        {
            return false;
        }

        _record.Reset(_writeOffset + ChannelFormat.RecordHeaderLength, limit);
        return true;
    }

    /// <summary>Checks the writer is open and the channel not full; gives the most payload bytes the next record may have.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool CanTakeRecord(out int limit, out WriteResult refusal)
    {
        if (_closed)
        {
            (limit, refusal) = (0, WriteResult.Of(WriteStatus.Closed));
            return false;
        }

        int available = Available;
        if (available <= ChannelFormat.RecordHeaderLength)
        {
            (limit, refusal) = (0, WriteResult.Of(WriteStatus.ChannelFull));
            return false;
        }

        limit = Math.Min(_maxRecordLength, available - ChannelFormat.RecordHeaderLength);
        refusal = default;
        return true;
    }

    private WriteResult Complete(RecordBuffer record)
    {
        if (record.IsOverflowed)
        {
            record.Discard();
            return WriteResult.Of(WriteStatus.RecordTooLarge);
        }

        return Publish(record.WrittenCount);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private WriteResult Publish(int length)
    {
        int size = (int)RecordLayout.RecordSize(length);
        byte* slot = _data + _writeOffset;
        // Safe: size <= available, so the next slot is at most at the capacity, and the footer holds it.
        // Order matters: the next slot must read WATERMARK before this record's length makes it reachable.
        Volatile.Write(ref *(ulong*)(slot + size), ChannelFormat.Watermark);
        Volatile.Write(ref *(ulong*)slot, (ulong)length);
        _writeOffset += size;
        return new WriteResult(WriteStatus.Success, size);
    }

    private static void CreateFolders(string root, string folder, UnixFileMode folderMode)
    {
        if (File.Exists(root))
        {
            throw new ChannelException(ChannelError.InvalidRootFolder, root, "the root exists but is a file, not a folder");
        }

        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                List<string> missing = MissingFolders(folder);
                Directory.CreateDirectory(folder, folderMode);
                // mkdir applies the process umask to the mode: set it again so that a mode configured for a
                // group of cooperating processes (0750, say) holds under a restrictive umask too.
                foreach (string created in missing)
                {
                    File.SetUnixFileMode(created, folderMode);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChannelException(ChannelError.CouldNotAccessStorage, folder, $"cannot create the channel's folder: {e.Message}", e);
        }
    }

    /// <summary>The folders from <paramref name="folder"/> up that do not exist yet: the ones this writer creates.</summary>
    private static List<string> MissingFolders(string folder)
    {
        var missing = new List<string>();
        for (string? current = System.IO.Path.GetFullPath(folder); current is not null && !Directory.Exists(current); current = System.IO.Path.GetDirectoryName(current))
        {
            missing.Add(current);
        }

        return missing;
    }

    private static void ThrowIfExists(string channelFile)
    {
        if (File.Exists(channelFile))
        {
            throw new ChannelException(ChannelError.StorageAlreadyExists, channelFile, "a channel already exists here; channels are never overwritten");
        }
    }

    private static MappedFile CreateFile(string channelFile, Metadata metadata, ShmWriterOptions options)
    {
        UnixFileMode fileMode = options.FileMode;
        long length = metadata.FileLength;
        var streamOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read,
            // Reserve every block now: writing into a sparse page of a full file system kills the process (SIGBUS).
            PreallocationSize = length,
        };
        if (!OperatingSystem.IsWindows())
        {
            streamOptions.UnixCreateMode = fileMode;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(channelFile, streamOptions);
        }
        catch (IOException e) when (!File.Exists(channelFile) && IsDiskFull(e))
        {
            throw new ChannelException(ChannelError.InsufficientSpace, channelFile, $"the file system has no room for the {length}-byte channel file", e);
        }
        catch (IOException e) when (File.Exists(channelFile) && e is not ChannelException)
        {
            throw new ChannelException(ChannelError.StorageAlreadyExists, channelFile, "a channel file appeared here while this writer created it", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChannelException(ChannelError.CouldNotAccessStorage, channelFile, $"cannot create the channel file: {e.Message}", e);
        }

        MappedFile? file = null;
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                // As for folders: the umask must not narrow a mode configured for a group of readers.
                File.SetUnixFileMode(stream.SafeFileHandle, fileMode);
            }

            stream.SetLength(length);
            file = MappedFile.Map(stream, length, writable: true);
            if (options.PreTouch)
            {
                PreTouch(file);
            }

            // Safe: the mapping is `length` bytes, more than the metadata and the first data slot.
            metadata.WriteWithoutSignature(new Span<byte>(file.Base, ChannelFormat.MetadataLength));
            Volatile.Write(ref *(ulong*)(file.Base + ChannelFormat.DataOffset), ChannelFormat.Watermark);
            // The signature goes last: a header with a signature is complete.
            Volatile.Write(ref *(ulong*)file.Base, ChannelFormat.Signature);
            file.Flush();
            return file;
        }
        catch (Exception e)
        {
            if (file is null)
            {
                stream.Dispose();
            }
            else
            {
                file.Dispose();
            }

            TryDelete(channelFile);
            if (e is IOException or UnauthorizedAccessException)
            {
                throw new ChannelException(IsDiskFull(e) ? ChannelError.InsufficientSpace : ChannelError.CouldNotAccessStorage, channelFile, $"cannot initialise the channel file: {e.Message}", e);
            }

            throw;
        }
    }

    /// <summary>
    /// Stores a zero in every page of a new mapping, so its page faults happen now rather than in <see cref="Write(ReadOnlySpan{byte})"/>.
    /// Safe and harmless: the file was just created, is all zeros, and no reader can open it while its lock exists.
    /// </summary>
    private static void PreTouch(MappedFile file)
    {
        int page = Environment.SystemPageSize;
        for (long offset = 0; offset < file.Length; offset += page)
        {
            // Safe: offset < file.Length, inside the mapping. A plain store: the JIT never drops stores through pointers.
            file.Base[offset] = 0;
        }
    }

    private static bool IsDiskFull(Exception e)
    {
        // ENOSPC is 28 on Linux and macOS; ERROR_DISK_FULL is 112 and ERROR_HANDLE_DISK_FULL 39 on Windows.
        int code = e.HResult & 0xFFFF;
        return code is 28 or 39 or 112 || e.Message.Contains("disk was full", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort while already failing: the original error is the one to report.
        }
    }
}
