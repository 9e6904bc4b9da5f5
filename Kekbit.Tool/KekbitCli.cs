using System.CommandLine;
using System.CommandLine.Invocation;
using Kekbit.Tool.Commands;

namespace Kekbit.Tool;

/// <summary>The <c>kekbit</c> command line: its commands, and how a run turns into an exit code.</summary>
internal static class KekbitCli
{
    private const string RootDescription =
        "Inspect, dump, follow, write, verify and benchmark kekbit channels (persistent memory-mapped data channels).\n\n" +
        "A channel is named by ROOT CHANNEL_ID (decimal or 0x hex) or by the path of its .kekbit file.\n\n" +
        "Exit codes: 0 success; 1 the channel's data is damaged; 2 invalid command line; 3 the channel cannot be opened;\n" +
        "4 the channel refused a record or could not be created; 5 a followed channel timed out; 130 interrupted.";

    /// <summary>Parses <paramref name="args"/> and runs the command they name on <paramref name="console"/>.</summary>
    /// <returns>The process exit code (<see cref="ExitCodes"/>).</returns>
    public static int Run(string[] args, ToolConsole console)
    {
        RootCommand root = Build(console);
        ParseResult parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            // One error per line, then where to find help; parse errors are usage errors (exit code 2).
            foreach (var error in parse.Errors)
            {
                console.Error.WriteLine($"kekbit: {error.Message}");
            }

            console.Error.WriteLine($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
        };
        // Asynchronous invocation is what registers Ctrl+C and SIGTERM: they cancel the command's token.
        int exitCode = parse.InvokeAsync(configuration).GetAwaiter().GetResult();
        console.Out.Flush();
        return exitCode;
    }

    /// <summary>Builds the command tree.</summary>
    public static RootCommand Build(ToolConsole console)
    {
        var root = new RootCommand(RootDescription);
        root.Subcommands.Add(LsCommand.Create(console));
        root.Subcommands.Add(InfoCommand.Create(console));
        root.Subcommands.Add(DumpCommand.Create(console));
        root.Subcommands.Add(TailCommand.Create(console));
        root.Subcommands.Add(WriteCommand.Create(console));
        root.Subcommands.Add(VerifyCommand.Create(console));
        root.Subcommands.Add(BenchCommand.Create(console));
        return root;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command is RootCommand ? "kekbit" : result.Command.Name);
        }

        return string.Join(' ', names);
    }
}
