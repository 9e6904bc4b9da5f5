using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary>The samples and the demo run as real processes (each starts its own child processes) and pass their own checks.</summary>
public sealed class SampleSmokeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("Kekbit.Samples.Echo", "echo self-test passed")]
    [InlineData("Kekbit.Samples.RequestReply", "request/reply self-test passed")]
    [InlineData("Kekbit.Samples.Chat", "chat self-test passed")]
    public void Sample_self_test_passes(string sample, string verdict)
    {
        using var child = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, sample + ".dll"), "--self-test"]);

        Assert.Equal(0, child.WaitForExit(Deadline));
        Assert.EndsWith(verdict + "\n", child.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_runs_a_writer_and_two_readers_and_passes_its_checks()
    {
        using var child = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "Kekbit.Demo.dll"), "--records", "20000"]);

        Assert.Equal(0, child.WaitForExit(Deadline));
        string output = child.StandardOutput;
        Assert.Contains("Demo passed", output, StringComparison.Ordinal);
        Assert.Matches(@"reader-rx\s+21,000\s+yes\s+matches", output);
        Assert.Matches(@"reader-async\s+21,000\s+yes\s+matches", output);
    }

    [Theory]
    [InlineData("Kekbit.Samples.Echo")]
    [InlineData("Kekbit.Samples.RequestReply")]
    [InlineData("Kekbit.Samples.Chat")]
    [InlineData("Kekbit.Demo")]
    public void Samples_print_usage_and_exit_2_on_unknown_arguments(string sample)
    {
        using var child = ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, sample + ".dll"), "--no-such-option", "x", "y", "z"]);

        Assert.Equal(2, child.WaitForExit(Deadline));
        Assert.Contains("usage:", child.StandardError, StringComparison.Ordinal);
    }
}
