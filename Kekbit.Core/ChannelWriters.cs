using System.Globalization;

namespace Kekbit.Core;

/// <summary>
/// A snapshot of which processes on this host hold channel files mapped writable, that is, which channels have a
/// live writer. On Linux it is read from <c>/proc/*/maps</c>, where a writer's mapping shows as shared and writable
/// (<c>rw-s</c>) under the file's real path; elsewhere writers cannot be seen (<see cref="IsSupported"/> is false).
/// </summary>
/// <remarks>
/// A process of another user whose maps this one may not read (when not running as root) is invisible:
/// <see cref="IsComplete"/> is then false, and <see cref="ChannelInspection"/> judges a channel with no visible
/// writer by the readers' rule instead (live while the file changed within the channel's timeout). Take one snapshot
/// for many inspections: a scan reads every process's maps. Readers in a writer's own process read through the writer's
/// mapping, which stays while any of them is open: after such a writer closed its channel, its process still shows here
/// until those readers are disposed (the channel's CLOSE marker, not this snapshot, says the channel is closed).
/// </remarks>
public sealed class ChannelWriters
{
    private readonly Dictionary<string, int>? _writerByPath;

    private ChannelWriters(Dictionary<string, int>? writerByPath, bool isComplete)
    {
        _writerByPath = writerByPath;
        IsComplete = isComplete;
    }

    /// <summary>A snapshot that sees no writer: for hosts without <c>/proc</c>, and for inspections that must not scan.</summary>
    public static ChannelWriters None { get; } = new(null, isComplete: false);

    /// <summary>Whether this host lets writers be seen at all (Linux with <c>/proc</c> mounted).</summary>
    public bool IsSupported => _writerByPath is not null;

    /// <summary>Whether every process that could be a writer was examined; false when other users' processes could not be.</summary>
    public bool IsComplete { get; }

    /// <summary>Takes a snapshot of the writable shared mappings of channel files on this host.</summary>
    public static ChannelWriters Scan()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self"))
        {
            return None;
        }

        var writers = new Dictionary<string, int>(StringComparer.Ordinal);
        string? ownUser = UserOf("/proc/self");
        bool complete = true;
        foreach (string folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                foreach (string line in File.ReadLines(System.IO.Path.Combine(folder, "maps")))
                {
                    if (line.EndsWith(StorageLayout.ChannelExtension, StringComparison.Ordinal) && TryParseWritableShared(line, out string? path))
                    {
                        writers[path] = pid;
                    }
                }
            }
            catch (UnauthorizedAccessException)
            {
                // Another user's process (not ours to inspect): its writers, if any, are invisible. A process of our
                // own user that hides its maps (not dumpable, like an init process or a setuid program) is no
                // channel writer, or we could not tell channels apart at all.
                if (ownUser is null || UserOf(folder) != ownUser)
                {
                    complete = false;
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return new ChannelWriters(writers, complete);
    }

    /// <summary>
    /// The process that maps <paramref name="channelFile"/> writable, if one is visible. The file is matched by its
    /// real path, so a path through symbolic links (a linked root folder, a linked channel folder) finds its writer.
    /// </summary>
    /// <param name="channelFile">A channel file's path.</param>
    public int? WriterOf(string channelFile)
    {
        ArgumentNullException.ThrowIfNull(channelFile);
        if (_writerByPath is null || _writerByPath.Count == 0)
        {
            return null;
        }

        return _writerByPath.TryGetValue(RealPathOf(channelFile), out int pid) ? pid : null;
    }

    /// <summary>
    /// The path the kernel reports for the file (the one <c>/proc/*/maps</c> shows): read from this process's own
    /// descriptor of it, which resolves every link on the way. The full path when the file cannot be opened.
    /// </summary>
    private static string RealPathOf(string channelFile)
    {
        string fullPath = System.IO.Path.GetFullPath(channelFile);
        try
        {
            using var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            string descriptor = string.Create(CultureInfo.InvariantCulture, $"/proc/self/fd/{handle.DangerousGetHandle()}");
            return new FileInfo(descriptor).LinkTarget ?? fullPath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return fullPath;
        }
    }

    /// <summary>The real user id of process folder <paramref name="process"/>, from its world-readable <c>status</c>; null when unknown.</summary>
    private static string? UserOf(string process)
    {
        try
        {
            foreach (string line in File.ReadLines(System.IO.Path.Combine(process, "status")))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    return line.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended while we looked.
        }

        return null;
    }

    /// <summary>Parses a maps line, <c>address perms offset dev inode path</c>, keeping shared writable file mappings.</summary>
    private static bool TryParseWritableShared(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? path)
    {
        path = null;
        string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 6 || fields[1].Length < 4 || fields[1][1] != 'w' || fields[1][3] != 's')
        {
            return false;
        }

        path = fields[5].Trim();
        return true;
    }
}
