using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Kekbit.Core.Internal;

/// <summary>
/// The <c>.lock</c> file that exists beside a channel file while its writer creates it. It holds the
/// creator's process id, so that a lock left behind by a crashed creator can be told from a live one.
/// </summary>
internal static class CreationLock
{
    /// <summary>Creates the lock for <paramref name="channelFile"/>, failing if it exists.</summary>
    /// <exception cref="ChannelException">The lock exists (another creator, or a stale lock), or cannot be created.</exception>
    public static string Acquire(string channelFile, UnixFileMode fileMode)
    {
        string lockFile = StorageLayout.LockFileOf(channelFile);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = fileMode;
        }

        try
        {
            using var stream = new FileStream(lockFile, options);
            stream.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException) && (File.Exists(lockFile) || File.Exists(channelFile)))
        {
            ThrowIfHeld(channelFile, creating: true);
            // The rival's lock vanished between our failure and the check: it has just finished (or abandoned)
            // creating this channel. Report the race as the typed error, never as a raw IOException.
            throw new ChannelException(ChannelError.StorageAlreadyExists, channelFile, "another process created this channel at the same moment; a channel has one writer", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChannelException(ChannelError.CouldNotAccessStorage, lockFile, $"cannot create the lock file: {e.Message}", e);
        }

        return lockFile;
    }

    /// <summary>Deletes a lock created by <see cref="Acquire"/>.</summary>
    public static void Release(string lockFile) => File.Delete(lockFile);

    /// <summary>
    /// Throws when <paramref name="channelFile"/>'s lock exists: <see cref="ChannelError.StaleLock"/> when its creator is
    /// no longer running; otherwise <see cref="ChannelError.StorageNotReady"/> for a reader, or
    /// <see cref="ChannelError.StorageAlreadyExists"/> for a would-be creator (<paramref name="creating"/>).
    /// </summary>
    /// <exception cref="ChannelException">The lock exists.</exception>
    public static void ThrowIfHeld(string channelFile, bool creating = false)
    {
        string lockFile = StorageLayout.LockFileOf(channelFile);
        if (!File.Exists(lockFile))
        {
            return;
        }

        int? creator = ReadCreator(lockFile);
        if (creator is int pid && !IsRunning(pid))
        {
            // The creator may have finished, removed its lock and exited between our reading the lock and checking
            // on the process (a race the creation-race test caught): only a lock still there, still naming it, is stale.
            if (!File.Exists(lockFile))
            {
                return;
            }

            if (ReadCreator(lockFile) != pid)
            {
                ThrowIfHeld(channelFile, creating); // Another creator took the lock meanwhile: judge the new lock.
                return;
            }

            throw new ChannelException(ChannelError.StaleLock, lockFile,
                $"the lock file was left by process {pid}, which is no longer running, while it created the channel; " +
                $"delete '{lockFile}' and, if the channel file is incomplete, '{channelFile}' to recover");
        }

        string who = creator is int live ? $"process {live}" : "another process";
        if (creating)
        {
            throw new ChannelException(ChannelError.StorageAlreadyExists, channelFile, $"{who} is creating this channel right now (its lock file '{lockFile}' exists); a channel has one writer");
        }

        throw new ChannelException(ChannelError.StorageNotReady, channelFile, $"{who} is still creating the channel (its lock file '{lockFile}' exists); try again shortly");
    }

    private static int? ReadCreator(string lockFile)
    {
        try
        {
            // A process id takes a few bytes. Anything else is not read: a FIFO planted here reports no size and
            // reading it would block forever, hanging the reader or writer that only wanted to check the lock.
            if (new FileInfo(lockFile).Length is 0 or > 32)
            {
                return null;
            }

            string text = File.ReadAllText(lockFile, Encoding.ASCII).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // Vanished or unreadable: treat its creator as unknown (and alive).
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
