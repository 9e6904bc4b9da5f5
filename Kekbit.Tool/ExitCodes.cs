namespace Kekbit.Tool;

/// <summary>
/// The tool's exit codes, the same for every subcommand, so scripts can tell outcomes apart.
/// Documented in the root command's help and in README.
/// </summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked; a verified channel is healthy.</summary>
    public const int Success = 0;

    /// <summary>The channel's data is damaged or truncated (a dump or verify ended with Failed).</summary>
    public const int Damaged = 1;

    /// <summary>The command line is invalid: an unknown option, a value that does not parse or is out of range, a folder named as a file.</summary>
    public const int Usage = 2;

    /// <summary>The channel cannot be opened: missing, not a kekbit file, invalid header, still being created.</summary>
    public const int Unavailable = 3;

    /// <summary>The channel refused a record (full, record too large) or could not be created (it exists, the disk is full).</summary>
    public const int Refused = 4;

    /// <summary>A followed channel timed out: no record for longer than its timeout, its writer is considered gone.</summary>
    public const int TimedOut = 5;

    /// <summary>The file system refused to read or write: permission denied, read-only file system, device error.</summary>
    public const int IoError = 6;

    /// <summary>Interrupted by SIGINT (Ctrl+C): 128 + 2, as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary>Terminated by SIGTERM: 128 + 15, as shells report it.</summary>
    public const int Terminated = 143;

    /// <summary>The tool failed in a way it does not expect: a bug, reported as one line asking for a report.</summary>
    public const int InternalError = 70;

    /// <summary>Every code a run may end with by design; <see cref="InternalError"/> is not one of them (tests assert it never happens).</summary>
    public static readonly IReadOnlySet<int> Documented = new HashSet<int> { Success, Damaged, Usage, Unavailable, Refused, TimedOut, IoError, Interrupted, Terminated };
}
