namespace Kekbit.Tool.Channels;

/// <summary>
/// Finds the channel files under a root folder, as <c>ls</c> lists them. Symbolic links to folders are followed,
/// but a folder reached a second time (a link loop, or a second link to the same folder) is not walked again;
/// a folder that cannot be read is reported and skipped, and the rest is still listed.
/// </summary>
internal static class ChannelFiles
{
    /// <summary>More links than this on one path is a loop (Linux's own limit is 40).</summary>
    private const int MaxLinkHops = 40;

    /// <summary>The channel files under <paramref name="root"/>, sorted by path.</summary>
    /// <param name="root">A folder's full path.</param>
    /// <param name="onSkipped">Told each folder that could not be read, and why.</param>
    public static List<string> Find(string root, Action<string, string> onSkipped)
    {
        var files = new List<string>();
        var walked = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            string folder = pending.Pop();
            if (!walked.Add(RealPath(folder)))
            {
                continue;
            }

            string[] channels;
            string[] subfolders;
            try
            {
                channels = Directory.GetFiles(folder, "*" + Kekbit.Core.StorageLayout.ChannelExtension);
                subfolders = Directory.GetDirectories(folder);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                onSkipped(folder, e.Message);
                continue;
            }

            files.AddRange(channels);
            Array.Sort(subfolders, StringComparer.Ordinal);
            for (int i = subfolders.Length - 1; i >= 0; i--)
            {
                pending.Push(subfolders[i]);
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// <paramref name="folder"/>'s path with every symbolic link on it resolved, so that two ways to one folder give
    /// one path. A path with too many links, or one that cannot be examined, is returned as far as it was resolved.
    /// </summary>
    public static string RealPath(string folder)
    {
        string path = Path.GetFullPath(folder);
        for (int hops = 0; hops < MaxLinkHops; hops++)
        {
            string? resolved = ResolveFirstLink(path);
            if (resolved is null)
            {
                return path;
            }

            path = resolved;
        }

        return path;
    }

    /// <summary>The path with its first symbolic link replaced by the link's target, or null when it holds no link.</summary>
    private static string? ResolveFirstLink(string path)
    {
        string current = Path.GetPathRoot(path) ?? string.Empty;
        string[] parts = path[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Combine(current, parts[i]);
            string? target;
            try
            {
                target = new DirectoryInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                return null;
            }

            if (target is not null)
            {
                string rest = string.Join(Path.DirectorySeparatorChar, parts[(i + 1)..]);
                return Path.GetFullPath(Path.Combine(Path.GetFullPath(target, current), rest));
            }

            current = next;
        }

        return null;
    }
}
