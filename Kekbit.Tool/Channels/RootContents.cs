using Kekbit.Journal;

namespace Kekbit.Tool.Channels;

/// <summary>
/// What a root folder holds, as <c>ls</c> and <c>stat</c> show it: loose channel files, and journals, each named by its
/// folder instead of by its segment files (<c>JOURNAL/xxxx_xxxx/yyyy_yyyy.kekbit</c>, recognised by
/// <see cref="JournalInspection.IsJournal"/>).
/// </summary>
/// <param name="Channels">The channel files that belong to no journal, sorted by path.</param>
/// <param name="Journals">The journal folders (full paths), sorted.</param>
internal sealed record RootContents(List<string> Channels, List<string> Journals)
{
    /// <summary>Walks <paramref name="root"/> (<see cref="ChannelFiles.Find"/>) and sets each journal's segments apart.</summary>
    /// <param name="root">A folder's full path.</param>
    /// <param name="onSkipped">Told each folder that could not be read, and why.</param>
    /// <param name="cancellationToken">Stops a long walk.</param>
    public static RootContents Find(string root, Action<string, string> onSkipped, CancellationToken cancellationToken)
    {
        var channels = new List<string>();
        var journals = new SortedSet<string>(StringComparer.Ordinal);
        var isJournal = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (string file in ChannelFiles.Find(root, onSkipped))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Path.GetDirectoryName(Path.GetDirectoryName(file)) is string candidate)
            {
                if (!isJournal.TryGetValue(candidate, out bool journal))
                {
                    journal = JournalInspection.IsJournal(candidate);
                    isJournal[candidate] = journal;
                }

                if (journal)
                {
                    journals.Add(candidate);
                    continue;
                }
            }

            channels.Add(file);
        }

        return new RootContents(channels, [.. journals]);
    }
}
