using System.Diagnostics;
using System.Reflection;

namespace Kekbit.Benchmarks.Harness;

/// <summary>Starts this benchmark program again as a separate process in another role.</summary>
internal static class SelfProcess
{
    public static Process Start(params string[] args)
    {
        string processPath = Environment.ProcessPath ?? "dotnet";
        var info = new ProcessStartInfo(processPath) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            info.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the child process.");
    }

    /// <summary>Reads lines from the child until one starts with <paramref name="prefix"/>; fails when the child ends first.</summary>
    public static string ExpectLine(Process child, string prefix)
    {
        while (child.StandardOutput.ReadLine() is string line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }

        throw new InvalidOperationException($"The child process ended before printing '{prefix}'.");
    }
}
