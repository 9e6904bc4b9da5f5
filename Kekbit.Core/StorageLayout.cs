using System.Globalization;

namespace Kekbit.Core;

/// <summary>
/// Where a channel lives under a root folder. For channel id <c>c</c> the file is
/// <c>root/{c&gt;&gt;48:x4}_{(c&gt;&gt;32)&amp;0xffff:x4}/{(c&gt;&gt;16)&amp;0xffff:x4}_{c&amp;0xffff:x4}.kekbit</c>
/// (id 4242 is <c>0000_0000/0000_1092.kekbit</c>), and while the writer creates it a sibling
/// <c>.lock</c> file exists. The channel id decides the path and nothing else does.
/// </summary>
public static class StorageLayout
{
    /// <summary>The extension of channel files.</summary>
    public const string ChannelExtension = ".kekbit";

    /// <summary>The extension of the file that exists while a writer creates a channel.</summary>
    public const string LockExtension = ".lock";

    /// <summary>The path of channel <paramref name="channelId"/>'s file under <paramref name="root"/>.</summary>
    /// <param name="root">The root folder that holds channels.</param>
    /// <param name="channelId">The channel id.</param>
    public static string ChannelFile(string root, ulong channelId) =>
        System.IO.Path.Combine(root, FolderName(channelId), FileStem(channelId) + ChannelExtension);

    /// <summary>The path of the lock file that exists while channel <paramref name="channelId"/> is being created.</summary>
    /// <param name="root">The root folder that holds channels.</param>
    /// <param name="channelId">The channel id.</param>
    public static string LockFile(string root, ulong channelId) =>
        System.IO.Path.Combine(root, FolderName(channelId), FileStem(channelId) + LockExtension);

    /// <summary>The lock file that belongs beside the channel file <paramref name="channelFile"/>.</summary>
    /// <param name="channelFile">A channel file's path.</param>
    public static string LockFileOf(string channelFile) => System.IO.Path.ChangeExtension(channelFile, LockExtension);

    /// <summary>
    /// Recovers the channel id from a channel file path laid out by <see cref="ChannelFile"/>; returns false
    /// when the last folder and the file name do not follow the layout.
    /// </summary>
    /// <param name="channelFile">A path ending in <c>xxxx_xxxx/xxxx_xxxx.kekbit</c>.</param>
    /// <param name="channelId">The channel id, when the path follows the layout.</param>
    public static bool TryParseChannelId(string channelFile, out ulong channelId)
    {
        channelId = 0;
        ArgumentNullException.ThrowIfNull(channelFile);
        string fullPath = System.IO.Path.GetFullPath(channelFile);
        if (!fullPath.EndsWith(ChannelExtension, StringComparison.Ordinal))
        {
            return false;
        }

        string? folder = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(fullPath));
        string stem = System.IO.Path.GetFileNameWithoutExtension(fullPath);
        if (folder is null || !TryParseHalf(folder, out uint high) || !TryParseHalf(stem, out uint low))
        {
            return false;
        }

        channelId = ((ulong)high << 32) | low;
        return true;
    }

    private static string FolderName(ulong channelId) => Half((uint)(channelId >> 32));

    private static string FileStem(ulong channelId) => Half((uint)channelId);

    private static string Half(uint value) =>
        string.Create(CultureInfo.InvariantCulture, $"{value >> 16:x4}_{value & 0xFFFF:x4}");

    private static bool TryParseHalf(string text, out uint value)
    {
        value = 0;
        if (text.Length != 9 || text[4] != '_')
        {
            return false;
        }

        if (!ushort.TryParse(text.AsSpan(0, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort high) ||
            !ushort.TryParse(text.AsSpan(5, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort low))
        {
            return false;
        }

        value = ((uint)high << 16) | low;
        return true;
    }
}
