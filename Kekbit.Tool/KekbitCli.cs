using System.CommandLine;
using Kekbit.Tool.Commands;

namespace Kekbit.Tool;

/// <summary>The <c>kekbit</c> command line: its commands, and how a run turns into an exit code.</summary>
internal static class KekbitCli
{
    private const string RootDescription =
        "Inspect, dump, follow, watch, write, verify and benchmark kekbit channels (persistent memory-mapped data channels).\n\n" +
        "A channel is named by ROOT CHANNEL_ID (decimal or 0x hex) or by the path of its .kekbit file.\n\n" +
        "Exit codes: 0 success; 1 the channel's data is damaged; 2 invalid command line; 3 the channel cannot be opened;\n" +
        "4 the channel refused a record or could not be created; 5 a followed channel timed out; 6 I/O error\n" +
        "(permission denied, read-only file system); 130 interrupted (SIGINT); 143 terminated (SIGTERM).\n" +
        "Errors are one line on stderr; with --json, also a JSON object {\"error\", \"exitCode\"} on stdout.";

    /// <summary>Parses <paramref name="args"/> and runs the command they name on <paramref name="console"/>.</summary>
    /// <returns>The process exit code (<see cref="ExitCodes"/>).</returns>
    public static int Run(string[] args, ToolConsole console)
    {
        RootCommand root = Build(console);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // A usage error: the first error and where to find help, on one line; exit code 2.
            string message = CommandRunner.UsageMessage(parse.Errors[0].Message, CommandPath(parse));
            return CommandRunner.Fail(console, message, ExitCodes.Usage, CommandRunner.WantsJson(parse));
        }

        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            // Signals are the tool's own business (Interruption): commands stop at safe points and exit 130 or 143.
            ProcessTerminationTimeout = null,
        };
        int exitCode = CommandRunner.Run(console, () => parse.Invoke(configuration), CommandPath(parse), CommandRunner.WantsJson(parse));
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
        root.Subcommands.Add(StatCommand.Create(console));
        root.Subcommands.Add(WriteCommand.Create(console));
        root.Subcommands.Add(VerifyCommand.Create(console));
        root.Subcommands.Add(BenchCommand.Create(console));
        root.Subcommands.Add(ReplicateCommand.Create(console));
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
