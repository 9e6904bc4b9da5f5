namespace Kekbit.Journal.Internal;

/// <summary>
/// An exclusive advisory lock on a file (flock on Unix, a share-none handle on Windows), held while this object lives.
/// The kernel releases it when the process dies, however it dies, so a killed holder never leaves a stale lock.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock, or returns null when another handle (in this process or another) holds it.</summary>
    /// <exception cref="JournalException">The lock file cannot be created.</exception>
    public static FileLock? TryAcquire(string path, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        try
        {
            return new FileLock(new FileStream(path, options));
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException) && File.Exists(path))
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JournalException(JournalError.CouldNotAccessStorage, path, $"cannot create the lock file: {e.Message}", e);
        }
    }

    public void Dispose() => _stream.Dispose();
}
