using System.Globalization;

namespace Kekbit.Tool.Channels;

/// <summary>
/// Which processes on this host map channel files writable, i.e. which channels have a live writer. Read
/// from <c>/proc/*/maps</c> on Linux, where a writer's mapping shows as shared and writable (<c>rw-s</c>);
/// unknown elsewhere. Processes of other users or other PID namespaces may be invisible.
/// </summary>
internal sealed class WriterProcesses
{
    private readonly Dictionary<string, int>? _writerByPath;

    private WriterProcesses(Dictionary<string, int>? writerByPath)
    {
        _writerByPath = writerByPath;
    }

    /// <summary>Whether this host lets the tool see writers at all.</summary>
    public bool IsKnown => _writerByPath is not null;

    /// <summary>Takes a snapshot of the writable mappings of channel files.</summary>
    public static WriterProcesses Scan()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc"))
        {
            return new WriterProcesses(null);
        }

        var writers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                foreach (string line in File.ReadLines(Path.Combine(folder, "maps")))
                {
                    if (line.EndsWith(Kekbit.Core.StorageLayout.ChannelExtension, StringComparison.Ordinal) && TryParseWritableShared(line, out string? path))
                    {
                        writers[path] = pid;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to inspect.
            }
        }

        return new WriterProcesses(writers);
    }

    /// <summary>The process that maps <paramref name="channelFile"/> writable, if any is visible.</summary>
    public int? WriterOf(string channelFile) =>
        _writerByPath is not null && _writerByPath.TryGetValue(Path.GetFullPath(channelFile), out int pid) ? pid : null;

    /// <summary>Parses a maps line: <c>address perms offset dev inode path</c>.</summary>
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
