using System.CommandLine;
using System.CommandLine.Parsing;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Tool.Output;

namespace Kekbit.Tool.Commands;

/// <summary>
/// Runs a command's body and turns every failure into one line on stderr and an exit code
/// (<see cref="ExitCodes"/>), plus a JSON object on stdout under <c>--json</c>: a user of the tool never sees a stack trace.
/// </summary>
internal static class CommandRunner
{
    /// <summary>Sets <paramref name="body"/> as <paramref name="command"/>'s action; the token is cancelled by SIGINT and SIGTERM.</summary>
    public static void SetBody(Command command, ToolConsole console, Func<ParseResult, CancellationToken, int> body) =>
        command.SetAction(parse => Run(console, () => body(parse, console.Interruption.Token), "kekbit " + command.Name, WantsJson(parse)));

    /// <summary>Whether the command line asks for JSON output (<c>--json</c> as an option, not as an argument after <c>--</c>).</summary>
    public static bool WantsJson(ParseResult parse) =>
        parse.Tokens.Any(token => token.Type == TokenType.Option && token.Value == "--json");

    /// <summary>Runs <paramref name="body"/>, reporting failures on <see cref="ToolConsole.Error"/>.</summary>
    /// <param name="console">Where errors go.</param>
    /// <param name="body">The command's work; returns its exit code.</param>
    /// <param name="commandPath">The command as typed (<c>kekbit dump</c>), to point usage errors to its help.</param>
    /// <param name="json">Whether errors are also reported as a JSON object on stdout.</param>
    public static int Run(ToolConsole console, Func<int> body, string commandPath, bool json)
    {
        try
        {
            return body();
        }
        catch (ToolException e)
        {
            // A usage error points to the command's help, on the same line: one line per failure.
            string message = e.ExitCode == ExitCodes.Usage ? UsageMessage(e.Message, commandPath) : e.Message;
            return Fail(console, message, e.ExitCode, json);
        }
        catch (ChannelException e)
        {
            return Fail(console, e.Message, ExitCodeOf(e.Error), json);
        }
        catch (JournalException e)
        {
            return Fail(console, $"{e.Path}: {e.Message}", ExitCodeOf(e.Error), json);
        }
        catch (OperationCanceledException) when (console.Interruption.Token.IsCancellationRequested)
        {
            return Fail(console, $"interrupted by {console.Interruption.SignalName}", console.Interruption.ExitCode, json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(console, e.Message, ExitCodes.IoError, json);
        }
        catch (Exception e)
        {
            // Never expected: a bug. Still one line, so that scripts and people see a message, not a stack trace.
            return Fail(console, $"internal error ({e.GetType().Name}): {e.Message}; please report it", ExitCodes.InternalError, json);
        }
        finally
        {
            console.Out.Flush();
        }
    }

    /// <summary>A usage error's message with where to find help: <c>'x' is not ...; see 'kekbit dump --help'</c>.</summary>
    public static string UsageMessage(string error, string commandPath) => $"{error.TrimEnd('.')}; see '{commandPath} --help'";

    /// <summary>The exit code for a channel that could not be created or opened.</summary>
    public static int ExitCodeOf(ChannelError error) => error switch
    {
        ChannelError.StorageAlreadyExists or ChannelError.InsufficientSpace or ChannelError.InvalidRootFolder => ExitCodes.Refused,
        ChannelError.CouldNotAccessStorage => ExitCodes.IoError,
        _ => ExitCodes.Unavailable,
    };

    /// <summary>The exit code for a journal that could not be opened or read.</summary>
    public static int ExitCodeOf(JournalError error) => error switch
    {
        JournalError.SegmentDamaged or JournalError.InvalidSegmentHeader or JournalError.Gap => ExitCodes.Damaged,
        JournalError.InvalidStart or JournalError.InvalidConfiguration => ExitCodes.Usage,
        JournalError.CouldNotAccessStorage => ExitCodes.IoError,
        _ => ExitCodes.Unavailable,
    };

    /// <summary>
    /// Prints <c>kekbit: message</c> on stderr and returns <paramref name="exitCode"/>; with <paramref name="json"/>,
    /// also prints <c>{"error": message, "exitCode": code}</c> on stdout.
    /// </summary>
    public static int Fail(ToolConsole console, string message, int exitCode, bool json = false)
    {
        if (json)
        {
            JsonOutput.WriteError(console.Out, message, exitCode);
        }

        console.Out.Flush();
        console.Error.WriteLine($"kekbit: {message}");
        console.Error.Flush();
        return exitCode;
    }
}
