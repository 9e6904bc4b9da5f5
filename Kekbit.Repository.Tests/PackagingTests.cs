using System.Text.RegularExpressions;
using Kekbit.TestSupport;

namespace Kekbit.Repository.Tests;

/// <summary>What a package needs that lives in the repository: one version, the licence, the changelog, the API files.</summary>
public sealed partial class PackagingTests
{
    private static string Root => Fixtures.RepoRoot;

    [Fact]
    public void Every_package_has_the_one_version_of_Directory_Build_props()
    {
        string props = File.ReadAllText(Path.Combine(Root, "Directory.Build.props"));
        Assert.Matches(VersionElement(), props);

        string[] projectsWithOwnVersion = Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
            .Where(path => VersionElement().IsMatch(File.ReadAllText(path)))
            .Select(path => Path.GetRelativePath(Root, path))
            .ToArray();
        Assert.Empty(projectsWithOwnVersion);
    }

    [Fact]
    public void The_changelog_has_a_section_for_the_version()
    {
        string version = VersionElement().Match(File.ReadAllText(Path.Combine(Root, "Directory.Build.props"))).Groups[1].Value;

        Assert.Contains($"## [{version}]", File.ReadAllText(Path.Combine(Root, "CHANGELOG.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_declared_licence_is_in_the_repository_in_full()
    {
        string license = File.ReadAllText(Path.Combine(Root, "LICENSE"));

        Assert.Contains("Apache License", license, StringComparison.Ordinal);
        Assert.Contains("Version 2.0, January 2004", license, StringComparison.Ordinal);
        Assert.Contains("END OF TERMS AND CONDITIONS", license, StringComparison.Ordinal);
        Assert.Contains("<PackageLicenseExpression>Apache-2.0</PackageLicenseExpression>", File.ReadAllText(Path.Combine(Root, "Directory.Build.props")), StringComparison.Ordinal);
    }

    [Fact]
    public void Packed_packages_are_ignored_by_git()
    {
        Assert.Contains("nupkg/", File.ReadAllLines(Path.Combine(Root, ".gitignore")));
    }

    [Theory]
    [InlineData("Kekbit.Core")]
    [InlineData("Kekbit.Reactive")]
    public void A_library_declares_its_public_API_and_has_a_package_readme(string library)
    {
        foreach (string file in new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" })
        {
            string[] lines = File.ReadAllLines(Path.Combine(Root, library, file));
            Assert.Equal("#nullable enable", lines[0]);
        }

        Assert.NotEmpty(File.ReadAllLines(Path.Combine(Root, library, "PublicAPI.Shipped.txt")).Skip(1));
        Assert.True(File.Exists(Path.Combine(Root, library, "PACKAGE.md")));
    }

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();
}
