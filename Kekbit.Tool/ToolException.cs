namespace Kekbit.Tool;

/// <summary>
/// A failure the tool reports as one line on stderr with a given exit code, never as a stack trace.
/// </summary>
internal sealed class ToolException : Exception
{
    public ToolException(int exitCode, string message)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public ToolException()
    {
    }

    public ToolException(string message)
        : base(message)
    {
    }

    public ToolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The process exit code this failure maps to.</summary>
    public int ExitCode { get; } = ExitCodes.Usage;
}
