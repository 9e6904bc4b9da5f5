using Kekbit.Core;

namespace Kekbit.TestAgent;

/// <summary>What every agent command shares: output lines the tests wait for, and typed failures.</summary>
internal static class AgentCommands
{
    /// <summary>Exit code of a command that failed with a <see cref="ChannelException"/>.</summary>
    public const int ChannelErrorExitCode = 3;

    public static int Usage()
    {
        Console.Error.WriteLine("usage: write ROOT CHANNEL COUNT [options] | read ROOT CHANNEL [options] | tamper ROOT CHANNEL | pipe ROOT IN OUT [options] | echo ROOT IN OUT [--writer-fence] | sleep ROOT CHANNEL");
        return 2;
    }

    /// <summary>Prints a line and flushes it at once: the test waits for it.</summary>
    public static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    /// <summary>Runs a command; a channel error becomes "ERROR &lt;ChannelError&gt; &lt;message&gt;" and exit code 3, so tests can assert the type.</summary>
    public static int Guard(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (ChannelException e)
        {
            Say($"ERROR {e.Error} {e.Message}");
            return ChannelErrorExitCode;
        }
    }
}
