using System.Text;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary>The outcome of one run of the kekbit tool.</summary>
internal sealed record ToolRun(int ExitCode, string Output, string Error)
{
    private static readonly TimeSpan ProcessDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Lines written on stderr.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Runs the tool in this process, on in-memory streams (stdin from <paramref name="input"/>).</summary>
    public static ToolRun InProcess(byte[]? input, params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var console = new ToolConsole(output, error, new MemoryStream(input ?? []), isInteractive: false);
        int exitCode = KekbitCli.Run(args, console);
        return new ToolRun(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs the tool in this process with no input.</summary>
    public static ToolRun InProcess(params string[] args) => InProcess(null, args);

    /// <summary>Runs the tool in this process with <paramref name="text"/> as its standard input.</summary>
    public static ToolRun InProcessWithText(string text, params string[] args) => InProcess(Encoding.UTF8.GetBytes(text), args);

    /// <summary>Runs <c>dotnet kekbit.dll</c> as a real child process, feeding it <paramref name="input"/>.</summary>
    public static ToolRun AsProcess(byte[]? input, params string[] args)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "kekbit.dll");
        using var child = ChildProcess.Start("dotnet", [tool, .. args]);
        if (input is not null)
        {
            child.StandardInput.BaseStream.Write(input);
        }

        child.StandardInput.Close();
        int exitCode = child.WaitForExit(ProcessDeadline);
        return new ToolRun(exitCode, child.StandardOutput, child.StandardError);
    }

    /// <summary>Runs <c>dotnet kekbit.dll</c> as a real child process with no input.</summary>
    public static ToolRun AsProcess(params string[] args) => AsProcess(null, args);
}
