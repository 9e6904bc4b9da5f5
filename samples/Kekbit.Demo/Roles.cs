namespace Kekbit.Demo;

/// <summary>The roles the demo's child processes play (the first command-line argument) and the lines they print.</summary>
internal static class Roles
{
    public const string Writer = "writer";
    public const string RxReader = "reader-rx";
    public const string AsyncReader = "reader-async";

    /// <summary>The channel every role uses.</summary>
    public const ulong ChannelId = 1;

    /// <summary>Writer: the channel exists. Reader: the channel is open.</summary>
    public const string Ready = "READY";

    /// <summary>Sent to the writer's standard input once both readers are polling.</summary>
    public const string Go = "GO";

    /// <summary>Sent to the writer once both readers have read the whole burst: start the paced batches.</summary>
    public const string Pace = "PACE";

    /// <summary>Prefix of a progress line: <c>PROGRESS &lt;records so far&gt;</c>.</summary>
    public const string Progress = "PROGRESS ";

    /// <summary>Prefix of the last line: <c>RESULT &lt;json&gt;</c>.</summary>
    public const string Result = "RESULT ";

    /// <summary>How often a role reports progress, in records.</summary>
    public const int ProgressEvery = 10_000;

    /// <summary>Prints one line and flushes it at once: the conductor is reading.</summary>
    public static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
