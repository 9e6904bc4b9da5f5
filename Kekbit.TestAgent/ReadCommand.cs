using System.Globalization;
using Kekbit.Core;
using Kekbit.TestSupport;
using static Kekbit.TestAgent.AgentCommands;

namespace Kekbit.TestAgent;

/// <summary>The <c>read</c> command: reads a channel to its end, checking every pattern record (see Program.cs).</summary>
internal static class ReadCommand
{
    public static int Run(AgentArgs args)
    {
        var openTimeout = TimeSpan.FromMilliseconds(args.Long("--open-timeout-ms", 30_000));
        bool dump = args.Has("--dump");
        long every = args.Long("--every", 0);
        Say("OPENING");
        using var reader = new TimeoutReader(ShmReader.OpenWhenReady(args.Root, args.ChannelId, openTimeout));
        Say("OPENED");
        var tally = PatternTally.Start();
        var idle = default(SpinWait);
        ReadResult result;
        while (true)
        {
            result = reader.TryRead();
            if (result.IsRecord)
            {
                idle = default;
                if (dump)
                {
                    ChannelDump.WriteRecord(result.Span, Console.Out);
                }

                tally.Add(result.Span);
                if (every > 0 && tally.Count % every == 0)
                {
                    Say($"READING {tally.Count}");
                }

                continue;
            }

            if (result.IsFinal)
            {
                break;
            }

            // Idle: spin briefly, then yield and sleep 1 ms, so waiting readers leave the cores to the writer.
            idle.SpinOnce(sleep1Threshold: 30);
        }

        Say(string.Create(CultureInfo.InvariantCulture,
            $"READ count={tally.Count} checksum={tally.Checksum:x16} end={result.Status} position={result.Position} intact={(tally.Intact ? "true" : "false")}"));
        return tally.Intact ? 0 : 1;
    }
}
