namespace Kekbit.TestSupport;

/// <summary>Locates the repository and the kekbit 0.3.5 fixtures it carries (tests/fixtures/kekbit-0.3.5).</summary>
public static class Fixtures
{
    private static readonly Lazy<string> RepoRootLazy = new(FindRepoRoot);

    /// <summary>The folder holding Kekbit.Reactive.sln.</summary>
    public static string RepoRoot => RepoRootLazy.Value;

    /// <summary>tests/fixtures/kekbit-0.3.5 inside the repository: the channels written by the Rust crate.</summary>
    public static string Kekbit035 => Path.Combine(RepoRoot, "tests", "fixtures", "kekbit-0.3.5");

    /// <summary>The root folder of one fixture, e.g. "01_small_closed" or "03_full_closed/raw".</summary>
    public static string Root(string name) => Path.Combine(Kekbit035, name);

    /// <summary>The single .kekbit file under a fixture root.</summary>
    public static string ChannelFile(string rootName) =>
        Directory.GetFiles(Root(rootName), "*.kekbit", SearchOption.AllDirectories).Single();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kekbit.Reactive.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Kekbit.Reactive.sln not found above {AppContext.BaseDirectory}");
    }
}
