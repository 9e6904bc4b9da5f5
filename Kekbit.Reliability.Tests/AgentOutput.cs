using System.Globalization;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>Reads the lines the test agent prints (see Kekbit.TestAgent/Program.cs).</summary>
internal static class AgentOutput
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Waits for the agent's "READ count=.. checksum=.. end=.. position=.. intact=.." line and parses it.</summary>
    public static ReaderReport WaitForReadReport(this ChildProcess child) =>
        ReaderReport.Parse(child.WaitForLine(line => line.StartsWith("READ ", StringComparison.Ordinal), Deadline));

    /// <summary>Waits for the writer's "WRITTEN count=.. checksum=.." line and parses it.</summary>
    public static (long Count, ulong Checksum) WaitForWrittenReport(this ChildProcess child)
    {
        var fields = Fields(child.WaitForLine(line => line.StartsWith("WRITTEN ", StringComparison.Ordinal), Deadline));
        return (long.Parse(fields["count"], CultureInfo.InvariantCulture), ulong.Parse(fields["checksum"], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    /// <summary>Waits for a line that starts with <paramref name="prefix"/>.</summary>
    public static string WaitFor(this ChildProcess child, string prefix) =>
        child.WaitForLine(line => line.StartsWith(prefix, StringComparison.Ordinal), Deadline);

    /// <summary>Waits for the agent's "ERROR &lt;ChannelError&gt; ..." line and gives the error's name.</summary>
    public static string WaitForError(this ChildProcess child) => child.WaitFor("ERROR ").Split(' ')[1];

    /// <summary>The n of a "PUBLISHED n" or "READING n" line.</summary>
    public static long Number(string line) => long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);

    /// <summary>The largest n of the "PUBLISHED n" lines printed so far: records the writer had published.</summary>
    public static long LastPublished(this ChildProcess child) =>
        child.StandardOutput.Split('\n')
            .Where(line => line.StartsWith("PUBLISHED ", StringComparison.Ordinal))
            .Select(Number)
            .DefaultIfEmpty(0)
            .Max();

    internal static Dictionary<string, string> Fields(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(part => part.Contains('=', StringComparison.Ordinal))
            .Select(part => part.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
}

/// <summary>What a reader process reported at its end.</summary>
internal sealed record ReaderReport(long Count, ulong Checksum, string End, long Position, bool Intact)
{
    public static ReaderReport Parse(string line)
    {
        var f = AgentOutput.Fields(line);
        return new ReaderReport(
            long.Parse(f["count"], CultureInfo.InvariantCulture),
            ulong.Parse(f["checksum"], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            f["end"],
            long.Parse(f["position"], CultureInfo.InvariantCulture),
            f["intact"] == "true");
    }
}
