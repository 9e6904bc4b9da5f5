using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary>Bad channels and bad command lines give one clear line on stderr and a non-zero exit code, never a stack trace.</summary>
public sealed class ErrorTests
{
    [Fact]
    public void A_missing_channel_gives_one_error_line_and_exit_code_3()
    {
        using var root = new TempRoot();

        ToolRun run = ToolRun.AsProcess("dump", root.Path, "42");

        Assert.Equal((3, ""), (run.ExitCode, run.Output));
        string error = Assert.Single(run.ErrorLines);
        Assert.StartsWith("kekbit: ", error, StringComparison.Ordinal);
        Assert.Contains("0000_002a.kekbit", error, StringComparison.Ordinal);
        Assert.Contains("StorageNotFound", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("info")]
    [InlineData("verify")]
    [InlineData("tail")]
    public void A_file_with_a_bad_header_gives_one_error_line_for_every_command(string command)
    {
        using var root = new TempRoot();
        string file = Path.Combine(root.Path, "garbage.kekbit");
        File.WriteAllBytes(file, Enumerable.Repeat((byte)'x', 2048).ToArray());

        ToolRun run = ToolRun.AsProcess(command, file);

        Assert.Equal(3, run.ExitCode);
        string error = Assert.Single(run.ErrorLines);
        Assert.Contains("InvalidSignature", error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_too_short_for_the_metadata_is_reported_as_such()
    {
        using var root = new TempRoot();
        string file = Path.Combine(root.Path, "short.kekbit");
        File.WriteAllBytes(file, new byte[10]);

        ToolRun run = ToolRun.InProcess("info", file);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("FileTooShort", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dump")]
    [InlineData("dump", "root", "not-an-id")]
    [InlineData("dump", "root", "0xZZ")]
    [InlineData("write", "root", "1")]
    [InlineData("write", "root", "x", "2")]
    [InlineData("dump", "a", "1", "extra")]
    [InlineData("tail", "root", "1", "--lines", "-1")]
    [InlineData("frobnicate")]
    public void A_bad_command_line_exits_with_code_2_and_points_to_help(params string[] args)
    {
        ToolRun run = ToolRun.InProcess(args);

        Assert.Equal((2, ""), (run.ExitCode, run.Output));
        Assert.StartsWith("kekbit: ", run.ErrorLines[0], StringComparison.Ordinal);
        Assert.Contains("--help", run.ErrorLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_given_as_a_channel_file_is_a_usage_error()
    {
        ToolRun run = ToolRun.InProcess("info", Fixtures.Root("01_small_closed"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is a folder", run.ErrorLines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ls")]
    [InlineData("info")]
    [InlineData("dump")]
    [InlineData("tail")]
    [InlineData("write")]
    [InlineData("verify")]
    [InlineData("bench")]
    public void Every_command_has_help(string command)
    {
        ToolRun run = ToolRun.InProcess(command, "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:", run.Output, StringComparison.Ordinal);
        Assert.Contains($" {command} ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_names_the_tool_kekbit_and_lists_the_exit_codes()
    {
        ToolRun run = ToolRun.AsProcess("--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("kekbit [command] [options]", run.Output, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", run.Output, StringComparison.Ordinal);
    }
}
