using System.Diagnostics;
using System.Reflection;

namespace Kekbit.Samples;

/// <summary>
/// Starts this very program again, as a child process with other arguments: how a sample runs its other
/// roles (writer, reader, server, client) as real separate processes.
/// </summary>
internal static class SelfProcess
{
    /// <summary>Starts this program with <paramref name="args"/>; its stdin and stdout are redirected to the caller.</summary>
    public static Process Start(params string[] args)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this program is unknown.");
        var info = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };

        // Started as 'dotnet app.dll', the process is the dotnet host: the app's assembly must come first.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {host}.");
    }

    /// <summary>
    /// Waits for <paramref name="process"/> to exit and returns its exit code and standard output. Kills it
    /// and reports failure (-1) if it runs past <paramref name="deadline"/>.
    /// </summary>
    public static (int ExitCode, string Output) WaitForExit(Process process, Task<string> output, TimeSpan deadline)
    {
        if (!process.WaitForExit(deadline))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, output.Result);
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result);
    }
}
