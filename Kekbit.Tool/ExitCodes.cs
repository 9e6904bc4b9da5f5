namespace Kekbit.Tool;

/// <summary>
/// The tool's exit codes, the same for every subcommand, so scripts can tell outcomes apart.
/// Documented in the root command's help.
/// </summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked; a verified channel is healthy.</summary>
    public const int Success = 0;

    /// <summary>The channel's data is damaged or truncated (a dump or verify ended with Failed).</summary>
    public const int Damaged = 1;

    /// <summary>The command line is invalid.</summary>
    public const int Usage = 2;

    /// <summary>The channel cannot be opened: missing, not a kekbit file, invalid header, still being created.</summary>
    public const int Unavailable = 3;

    /// <summary>The channel refused a record (full, record too large) or could not be created.</summary>
    public const int Refused = 4;

    /// <summary>A followed channel timed out: no record for longer than its timeout, its writer is considered gone.</summary>
    public const int TimedOut = 5;

    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Interrupted = 130;
}
