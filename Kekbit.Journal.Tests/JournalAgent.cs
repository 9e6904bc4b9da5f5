using Kekbit.TestSupport;

namespace Kekbit.Journal.Tests;

/// <summary>Starts Kekbit.Journal.TestAgent (built beside the tests) as a real child process.</summary>
internal static class JournalAgent
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static ChildProcess Start(params string[] args)
    {
        string agent = Path.Combine(AppContext.BaseDirectory, "Kekbit.Journal.TestAgent.dll");
        Assert.True(File.Exists(agent), $"the journal test agent was not built beside the tests ({agent})");
        return ChildProcess.Start("dotnet", [agent, .. args]);
    }
}
