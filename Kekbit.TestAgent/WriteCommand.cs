using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;
using static Kekbit.TestAgent.AgentCommands;

namespace Kekbit.TestAgent;

/// <summary>The <c>write</c> command: creates a channel and writes pattern records (see Program.cs).</summary>
internal static class WriteCommand
{
    public static int Run(AgentArgs args)
    {
        long count = long.Parse(args.Positional(3), CultureInfo.InvariantCulture);
        int size = (int)args.Long("--size", 32);
        long every = args.Long("--every", 1000);
        int capacity = (int)args.Long("--capacity", Math.Min(Metadata.MaxCapacity, (count + 1) * RecordLayout.RecordSize(size)));
        long timeoutMs = args.Long("--timeout-ms", 10_000);
        if (args.Has("--wait-go"))
        {
            // Released by the test together with a rival process, to race the creation for real.
            Say("WAITING");
            _ = Console.In.ReadLine();
        }

        var metadata = Metadata.Create(1, args.ChannelId, capacity, size, (ulong)timeoutMs, TickUnit.Millis);
        var writer = ShmWriter.Create(args.Root, metadata, options: Options(args));
        Say("READY");
        Span<byte> payload = stackalloc byte[size];
        long published = 0;
        ulong checksum = 0;
        for (long i = 0; i < count; i++)
        {
            RecordPattern.Fill(payload, (ulong)i);
            WriteResult result = writer.Write(payload);
            if (!result.IsSuccess)
            {
                Say($"WRITE-FAILED {i} {result.Status}");
                break;
            }

            checksum = RecordPattern.Checksum(checksum, payload);
            published++;
            if (published % every == 0)
            {
                Say($"PUBLISHED {published}");
            }
        }

        Say($"PUBLISHED {published}");
        Say(string.Create(CultureInfo.InvariantCulture, $"WRITTEN count={published} checksum={checksum:x16}"));
        Say("DONE");
        if (args.Has("--no-close"))
        {
            // Stay alive, unclosed, until the test closes our stdin or kills us.
            Console.In.ReadToEnd();
            return 0;
        }

        if (args.Has("--close-on-line"))
        {
            // Hold the channel open until the test says so: its readers stay live meanwhile.
            _ = Console.In.ReadLine();
        }

        writer.Dispose();
        Say("CLOSED");

        return 0;
    }

    /// <summary>--file-mode and --folder-mode, in octal as chmod takes them; the writer's defaults otherwise.</summary>
    private static ShmWriterOptions Options(AgentArgs args) => new()
    {
        FileMode = (UnixFileMode)Convert.ToInt32(args.Text("--file-mode") ?? "600", 8),
        FolderMode = (UnixFileMode)Convert.ToInt32(args.Text("--folder-mode") ?? "700", 8),
    };
}
