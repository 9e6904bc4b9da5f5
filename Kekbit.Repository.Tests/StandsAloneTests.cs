using Kekbit.TestSupport;

namespace Kekbit.Repository.Tests;

/// <summary>A clone stands alone: nothing in it reads files from beside it.</summary>
public sealed class StandsAloneTests
{
    // Built from parts, so that this file does not match itself. Case matters: samples/Shared is the repository's own.
    private static readonly string[] Forbidden = ["../" + "shared", "..\\" + "shared", "/work/" + "shared", "\"..\", \"" + "shared\""];

    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { ".git", "bin", "obj", "TestResults", "artifacts", "nupkg", "BenchmarkDotNet.Artifacts", "fixtures" };

    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".cs", ".csproj", ".props", ".targets", ".sln", ".slnx", ".json", ".md", ".sh", ".yml", ".yaml", ".txt", ".editorconfig", ".gitignore", "",
    };

    [Fact]
    public void Nothing_in_the_repository_refers_to_a_shared_folder_beside_it()
    {
        var offenders = new List<string>();
        foreach (string file in RepositoryFiles(Fixtures.RepoRoot))
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (Forbidden.Any(f => lines[i].Contains(f, StringComparison.Ordinal)))
                {
                    offenders.Add($"{Path.GetRelativePath(Fixtures.RepoRoot, file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(offenders.Count == 0, "Nothing may read the shared folder beside a clone (the fixtures live in tests/fixtures):\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void The_fixtures_and_the_format_contract_are_in_the_repository()
    {
        Assert.True(File.Exists(Path.Combine(Fixtures.RepoRoot, "docs", "FORMAT.md")));
        Assert.True(File.Exists(Path.Combine(Fixtures.Kekbit035, "README.md")));
        Assert.StartsWith(Fixtures.RepoRoot, Path.GetFullPath(Fixtures.Kekbit035), StringComparison.Ordinal);
        for (int i = 1; i <= 7; i++)
        {
            string folder = Assert.Single(Directory.GetDirectories(Fixtures.Kekbit035, $"0{i}_*"));
            Assert.True(File.Exists(Path.Combine(folder, "expected.txt")), folder);
            Assert.NotEmpty(Directory.GetFiles(folder, "*.kekbit", SearchOption.AllDirectories));
        }
    }

    private static IEnumerable<string> RepositoryFiles(string folder)
    {
        foreach (string file in Directory.EnumerateFiles(folder))
        {
            string name = Path.GetFileName(file);
            if (TextExtensions.Contains(Path.GetExtension(file)) || name is ".editorconfig" or ".gitignore" or ".gitattributes")
            {
                yield return file;
            }
        }

        foreach (string sub in Directory.EnumerateDirectories(folder))
        {
            if (!SkippedFolders.Contains(Path.GetFileName(sub)) && (new DirectoryInfo(sub).Attributes & FileAttributes.ReparsePoint) == 0)
            {
                foreach (string file in RepositoryFiles(sub))
                {
                    yield return file;
                }
            }
        }
    }
}
