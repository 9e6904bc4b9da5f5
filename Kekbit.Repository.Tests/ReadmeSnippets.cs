using System.Text.RegularExpressions;

namespace Kekbit.Repository.Tests;

/// <summary>One fenced <c>```csharp</c> block of a Markdown file, with the line its code starts on.</summary>
public sealed partial record ReadmeSnippet(string File, int Line, string Code)
{
    /// <summary>The C# blocks of a Markdown file, in order.</summary>
    public static IReadOnlyList<ReadmeSnippet> Extract(string markdownPath)
    {
        string[] lines = System.IO.File.ReadAllLines(markdownPath);
        var snippets = new List<ReadmeSnippet>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (!CSharpFence().IsMatch(lines[i]))
            {
                continue;
            }

            int start = i + 1;
            int end = start;
            while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                end++;
            }

            if (end == lines.Length)
            {
                throw new InvalidDataException($"{markdownPath}:{i + 1}: the C# block is never closed");
            }

            snippets.Add(new ReadmeSnippet(Path.GetFileName(markdownPath), start + 1, string.Join('\n', lines[start..end])));
            i = end;
        }

        return snippets;
    }

    public override string ToString() => $"{File}:{Line}";

    [GeneratedRegex(@"^\s*```\s*(csharp|cs|c#)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex CSharpFence();
}
