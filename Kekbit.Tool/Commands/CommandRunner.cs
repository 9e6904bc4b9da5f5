using System.CommandLine;
using Kekbit.Core;

namespace Kekbit.Tool.Commands;

/// <summary>
/// Runs a command's body and turns every failure into one line on stderr and an exit code
/// (<see cref="ExitCodes"/>): a user of the tool never sees a stack trace.
/// </summary>
internal static class CommandRunner
{
    /// <summary>Sets <paramref name="body"/> as <paramref name="command"/>'s action; the token is cancelled by Ctrl+C.</summary>
    public static void SetBody(Command command, ToolConsole console, Func<ParseResult, CancellationToken, int> body) =>
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(console, () => body(parse, cancellationToken), "kekbit " + command.Name)));

    /// <summary>Runs <paramref name="body"/>, reporting failures on <see cref="ToolConsole.Error"/>.</summary>
    /// <param name="console">Where errors go.</param>
    /// <param name="body">The command's work; returns its exit code.</param>
    /// <param name="commandPath">The command as typed (<c>kekbit dump</c>), to point usage errors to its help.</param>
    public static int Run(ToolConsole console, Func<int> body, string commandPath)
    {
        try
        {
            return body();
        }
        catch (ToolException e)
        {
            int exitCode = Fail(console, e.Message, e.ExitCode);
            if (exitCode == ExitCodes.Usage)
            {
                console.Error.WriteLine($"Run '{commandPath} --help' for usage.");
            }

            return exitCode;
        }
        catch (ChannelException e)
        {
            int code = e.Error is ChannelError.StorageAlreadyExists or ChannelError.InsufficientSpace or ChannelError.InvalidRootFolder
                ? ExitCodes.Refused
                : ExitCodes.Unavailable;
            return Fail(console, e.Message, code);
        }
        catch (OperationCanceledException)
        {
            return Fail(console, "interrupted", ExitCodes.Interrupted);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(console, e.Message, ExitCodes.Unavailable);
        }
        finally
        {
            console.Out.Flush();
        }
    }

    /// <summary>Prints <c>kekbit: message</c> on stderr and returns <paramref name="exitCode"/>.</summary>
    public static int Fail(ToolConsole console, string message, int exitCode)
    {
        console.Out.Flush();
        console.Error.WriteLine($"kekbit: {message}");
        console.Error.Flush();
        return exitCode;
    }
}
