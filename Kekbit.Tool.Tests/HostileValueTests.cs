using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary>
/// Every option and argument of every command, found by walking the command tree (a new option is covered without
/// touching this test), given hostile values: the tool answers with a documented exit code and one line, never a
/// stack trace; a value that cannot be valid is a usage error (exit code 2); under --json the error is a JSON object.
/// </summary>
public sealed class HostileValueTests : IDisposable
{
    private readonly TempRoot _root = new();
    private readonly string _file;
    private readonly string _missing;
    private ulong _nextChannelId = 100;

    public HostileValueTests()
    {
        using (ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 1, 16384, 100, 1000, TickUnit.Millis)))
        {
            writer.Write("one"u8);
            writer.Write("two"u8);
        }

        _file = Path.Combine(_root.Path, "plain.txt");
        File.WriteAllText(_file, "not a channel");
        _missing = Path.Combine(_root.Path, "missing", "deeper", "place");
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Every_option_and_argument_of_every_command_survives_hostile_values()
    {
        RootCommand tree = KekbitCli.Build(new ToolConsole(TextWriter.Null, TextWriter.Null, Stream.Null, isInteractive: false));
        var failures = new List<string>();
        int runs = 0;
        foreach (Command command in tree.Subcommands)
        {
            bool hasJson = command.Options.Any(o => o.Name == "--json");
            foreach (Option option in command.Options.Where(o => o is not HelpOption and not VersionOption))
            {
                foreach (string hostile in HostileValues())
                {
                    string value = option.ValueType == typeof(string) ? Contained(hostile) : hostile;
                    string[] args = [command.Name, .. BaseArguments(command.Name, except: option.Name), option.Name, value];
                    runs += Check(args, AlwaysInvalid(option.ValueType, option.Name, value), failures);
                    if (hasJson && option.Name != "--json")
                    {
                        runs += Check([.. args, "--json"], AlwaysInvalid(option.ValueType, option.Name, value), failures, json: true);
                    }
                }
            }

            for (int position = 0; position < command.Arguments.Count; position++)
            {
                Argument argument = command.Arguments[position];
                foreach (string hostile in HostileValues())
                {
                    string value = argument.ValueType == typeof(string) || argument.ValueType == typeof(string[]) ? Contained(hostile) : hostile;
                    string[] positional = Positional(command.Name);
                    positional[position] = value;
                    var forms = new List<string[]> { positional };
                    if (argument.Name == "channel")
                    {
                        forms.Add([value]); // The one-word form: the path of a channel file.
                    }

                    foreach (string[] form in forms)
                    {
                        string[] args = [command.Name, .. form, .. BaseOptions(command.Name, except: null)];
                        bool invalid = AlwaysInvalid(argument.ValueType, argument.Name, value, oneWord: form.Length == 1);
                        runs += Check(args, invalid, failures);
                        if (hasJson)
                        {
                            runs += Check([.. args, "--json"], invalid, failures, json: true);
                        }
                    }
                }
            }
        }

        Assert.True(runs > 400, $"only {runs} runs: the walk missed commands or options");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("write", "{root}", "1", "2", "--capacity", "abc")]
    [InlineData("write", "{root}", "1", "2", "--max-length", "3000000000")]
    [InlineData("tail", "{root}", "1", "-n", "abc")]
    [InlineData("dump", "{root}", "1", "-n", "abc")]
    [InlineData("bench", "--records", "99999999999")]
    [InlineData("write", "{root}", "1", "2", "--tick", "5")]
    [InlineData("dump", "")]
    [InlineData("ls", "")]
    public void The_values_that_crashed_the_tool_are_usage_errors_in_a_real_process(params string[] template)
    {
        string[] args = [.. template.Select(a => a.Replace("{root}", _root.Path, StringComparison.Ordinal))];

        ToolRun run = ToolRun.AsProcess(args);

        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("kekbit: ", line, StringComparison.Ordinal);
        Assert.Contains("--help", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Tail_of_int_max_lines_prints_the_whole_channel_without_allocating_for_them()
    {
        ToolRun run = ToolRun.AsProcess("tail", _root.Path, "1", "-n", "2147483647");

        Assert.Equal((0, "one\ntwo\n", ""), (run.ExitCode, run.Output, run.Error));
    }

    [Fact]
    public void A_parse_error_under_json_is_a_json_object_on_stdout_and_one_line_on_stderr()
    {
        ToolRun run = ToolRun.AsProcess("ls", _root.Path, "--json", "--bogus");

        Assert.Equal(2, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Output);
        Assert.Equal(2, json.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Contains("--bogus", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Single(run.ErrorLines);
    }

    private IEnumerable<string> HostileValues() =>
    [
        "",
        "abc",
        "-1",
        "0x",
        "1e3",
        "2147483648",
        "9223372036854775808",
        "18446744073709551616",
        "5",
        _root.Path,
        _file,
        _missing,
    ];

    /// <summary>
    /// A relative path made to point inside the test's folder: write and bench create what they are given, and the
    /// current folder is the test's own.
    /// </summary>
    private string Contained(string value) =>
        value.Length == 0 || Path.IsPathRooted(value) ? value : Path.Combine(_root.Path, "relative", value);

    /// <summary>Whether <paramref name="value"/> cannot be valid for a value of <paramref name="type"/>, whatever the command.</summary>
    private bool AlwaysInvalid(Type type, string name, string value, bool oneWord = false)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long) || type == typeof(ulong))
        {
            // Every number the tool takes is a count, size, time or id: none is negative.
            BigInteger max = type == typeof(int) ? int.MaxValue : type == typeof(long) ? long.MaxValue : ulong.MaxValue;
            return !BigInteger.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out BigInteger number) || number < 0 || number > max;
        }

        if (type == typeof(TickUnit) || type == typeof(bool))
        {
            return true;
        }

        // Paths: empty is never valid; a folder is not a channel file; a file is not a (root) folder.
        return value.Length == 0
            || (name == "channel" && oneWord && value == _root.Path)
            || (name == "channel" && !oneWord && value == _file)
            || (name is "--folder" or "root" && value == _file);
    }

    private static int Check(string[] args, bool mustBeUsageError, List<string> failures, bool json = false)
    {
        string shown = string.Join(' ', args.Select(a => a.Length == 0 ? "\"\"" : a));
        ToolRun run;
        try
        {
            run = ToolRun.InProcess(args);
        }
        catch (Exception e)
        {
            failures.Add($"{shown}: threw {e.GetType().Name}: {e.Message}");
            return 1;
        }

        if (run.Error.Contains("   at ", StringComparison.Ordinal) || run.Output.Contains("   at ", StringComparison.Ordinal))
        {
            failures.Add($"{shown}: a stack trace: {run.Error}");
        }

        if (!ExitCodes.Documented.Contains(run.ExitCode))
        {
            failures.Add($"{shown}: exit code {run.ExitCode}, not a documented one: {run.Error}");
        }
        else if (mustBeUsageError && run.ExitCode != ExitCodes.Usage)
        {
            failures.Add($"{shown}: exit code {run.ExitCode}, expected 2 (usage): {run.Error}");
        }

        if (run.ExitCode != 0 && run.ErrorLines.Length == 0)
        {
            failures.Add($"{shown}: exit code {run.ExitCode} with nothing on stderr");
        }

        if (json && run.ExitCode != 0)
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(run.Output);
                if (!document.RootElement.TryGetProperty("error", out JsonElement error) || error.ValueKind != JsonValueKind.String
                    || document.RootElement.GetProperty("exitCode").GetInt32() != run.ExitCode)
                {
                    failures.Add($"{shown}: the JSON on stdout is not an error object with the exit code: {run.Output}");
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException)
            {
                failures.Add($"{shown}: stdout is not one JSON error object: {run.Output}");
            }
        }

        return 1;
    }

    /// <summary>Valid positional arguments: an existing closed channel, or a fresh channel id for write.</summary>
    private string[] Positional(string command) => command switch
    {
        "ls" => [_root.Path],
        "write" => [_root.Path, "1", (_nextChannelId++).ToString(CultureInfo.InvariantCulture)],
        "bench" => [],
        _ => [_root.Path, "1"],
    };

    /// <summary>Options that keep a valid run small: bench writes 1,000 records in the test's folder.</summary>
    private string[] BaseOptions(string command, string? except) => command == "bench"
        ? [.. (except == "--records" ? Array.Empty<string>() : ["--records", "1000"]), .. (except == "--folder" ? Array.Empty<string>() : ["--folder", _root.Path])]
        : [];

    private string[] BaseArguments(string command, string except) => [.. Positional(command), .. BaseOptions(command, except)];
}
