using System.Globalization;
using Kekbit.Core;
using Kekbit.Journal;

namespace Kekbit.Tool.Channels;

/// <summary>
/// Turns the words that name a channel on the command line into its file: either <c>ROOT CHANNEL_ID</c>
/// (the id in decimal or <c>0x</c> hex) or the path of a <c>.kekbit</c> file.
/// </summary>
internal static class ChannelLocator
{
    /// <summary>How the channel argument appears in help.</summary>
    public const string HelpName = "ROOT CHANNEL_ID | FILE";

    /// <summary>
    /// Whether the words name a journal: one word, a folder that <see cref="JournalInspection.IsJournal"/> recognises.
    /// Commands that understand journals ask this before <see cref="Resolve"/>.
    /// </summary>
    public static bool TryResolveJournal(IReadOnlyList<string> words, out string folder)
    {
        folder = words.Count == 1 ? Path.GetFullPath(words[0]) : string.Empty;
        return words.Count == 1 && JournalInspection.IsJournal(folder);
    }

    /// <summary>Resolves one or two words to a channel file path.</summary>
    /// <exception cref="ToolException">The words name no channel (usage error).</exception>
    public static string Resolve(IReadOnlyList<string> words)
    {
        switch (words.Count)
        {
            case 1 when Directory.Exists(words[0]):
                throw new ToolException(ExitCodes.Usage, $"'{words[0]}' is a folder but not a journal: name a channel as ROOT CHANNEL_ID or as the path of its .kekbit file, or a journal as its folder");
            case 1:
                return Path.GetFullPath(words[0]);
            case 2 when File.Exists(words[0]):
                throw new ToolException(ExitCodes.Usage, $"'{words[0]}' is a file, not a root folder: name a channel as ROOT CHANNEL_ID or as the path of its .kekbit file");
            case 2:
                return Path.GetFullPath(StorageLayout.ChannelFile(words[0], ParseId(words[1], "channel id")));
            default:
                throw new ToolException(ExitCodes.Usage, "name a channel as ROOT CHANNEL_ID or as the path of its .kekbit file");
        }
    }

    /// <summary>Parses an id written in decimal or as <c>0x</c> hex.</summary>
    /// <param name="text">The id as typed.</param>
    /// <param name="what">What the id is, for the error message.</param>
    /// <exception cref="ToolException">The text is not an unsigned 64-bit number (usage error).</exception>
    public static ulong ParseId(string text, string what)
    {
        if (TryParseId(text, out ulong id))
        {
            return id;
        }

        throw new ToolException(ExitCodes.Usage, $"'{text}' is not a valid {what}: use a decimal number or 0x hex, up to 64 bits");
    }

    /// <summary>Parses an id written in decimal or as <c>0x</c> hex; false when it is neither.</summary>
    public static bool TryParseId(string text, out ulong id)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
    }
}
