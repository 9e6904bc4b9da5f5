using Microsoft.Win32.SafeHandles;

namespace Kekbit.Core.Internal;

/// <summary>
/// How a reader registers as waiting on a channel's doorbell: it stores 1 in the header's waiters flag through a
/// read-write file handle (pwrite), never through a writable mapping. A reader's only mapping stays read-only, so a
/// stray write through it still faults, and the reader never looks like a writer to <see cref="ChannelWriters"/>
/// (which recognises writers by their writable mappings). pwrite stores into the page cache page that every mapping of
/// the file shares, so the writer's mapped load sees it; the caller fences after it.
/// </summary>
internal sealed class DoorbellRegistration : IDisposable
{
    // The flag's little-endian bytes. Only the low byte ever changes (the writer stores 0, readers 1), so however the
    // kernel copies these four bytes, the flag reads 0 or 1.
    private static readonly byte[] Registered = [1, 0, 0, 0];

    private readonly SafeFileHandle _file;

    private DoorbellRegistration(SafeFileHandle file)
    {
        _file = file;
    }

    /// <summary>
    /// Opens <paramref name="channelFile"/> read-write for registering, if the platform has futexes, this process may
    /// write the file, and the file is still the one mapped (its metadata equals <paramref name="mappedMetadata"/>, the
    /// creation time included); null otherwise (the reader then polls).
    /// </summary>
    public static DoorbellRegistration? TryOpen(string channelFile, ReadOnlySpan<byte> mappedMetadata)
    {
        if (!Futex.IsSupported)
        {
            return null;
        }

        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(channelFile, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        try
        {
            Span<byte> metadata = stackalloc byte[ChannelFormat.MetadataLength];
            if (RandomAccess.Read(file, metadata, 0) == metadata.Length && metadata.SequenceEqual(mappedMetadata))
            {
                return new DoorbellRegistration(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        file.Dispose();
        return null;
    }

    /// <summary>Stores 1 in the waiters flag; false if that failed (disposed meanwhile, an I/O error): the wait is then bounded by its timeout only.</summary>
    public bool TryRegister()
    {
        try
        {
            RandomAccess.Write(_file, Registered, ChannelFormat.WaitersOffset);
            return true;
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Closes the handle; a registration racing this fails cleanly (the handle is reference-counted).</summary>
    public void Dispose() => _file.Dispose();
}
