using System.Buffers.Binary;
using System.Globalization;
using Kekbit.Core;
using static Kekbit.TestAgent.AgentCommands;

namespace Kekbit.TestAgent;

/// <summary>The doorbell commands <c>echo</c> and <c>sleep</c> (see Program.cs).</summary>
internal static class DoorbellCommand
{
    /// <summary>How long one wait may last before the command gives up: far beyond any wake-up, short of a hung test.</summary>
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Opens IN when ready, creates OUT, prints READY, then for every record of IN waits on IN's doorbell, reads the
    /// record and writes it to OUT, until IN closes; closes OUT and prints the doorbell counts of its reader.
    /// </summary>
    public static int Echo(AgentArgs args)
    {
        if (args.Has("--writer-fence"))
        {
            // The symmetric protocol: this process's writer fences per record rather than relying on membarrier.
            AppContext.SetSwitch("Kekbit.Core.Doorbell.WriterFence", true);
        }

        ulong input = AgentArgs.ParseId(args.Positional(2));
        ulong output = AgentArgs.ParseId(args.Positional(3));
        using ShmReader reader = ShmReader.OpenWhenReady(args.Root, input, TimeSpan.FromSeconds(30));
        var metadata = Metadata.Create(2, output, reader.Metadata.Capacity, reader.Metadata.MaxRecordLength - RecordLayout.HeaderLength, 10_000, TickUnit.Millis);
        using ShmWriter writer = ShmWriter.Create(args.Root, metadata);
        Say($"READY doorbell={reader.HasDoorbell}");
        bool async = args.Has("--async");
        long echoed = 0;
        while (true)
        {
            if (!(async ? reader.WaitForDataAsync(WaitLimit).AsTask().GetAwaiter().GetResult() : reader.WaitForData(WaitLimit)))
            {
                Say("ECHO-FAILED no record within the wait limit");
                return 1;
            }

            ReadResult result = reader.TryRead();
            if (result.Status == ReadStatus.Closed)
            {
                break;
            }

            if (!result.IsRecord || !writer.Write(result.Payload.Span).IsSuccess)
            {
                Say($"ECHO-FAILED {result.Status} at {echoed}");
                return 1;
            }

            echoed++;
        }

        writer.Dispose();
        Say(string.Create(CultureInfo.InvariantCulture, $"ECHOED count={echoed} sleeps={reader.DoorbellSleeps} timeoutWakeups={reader.TimeoutWakeups} wakes={writer.Wakes} writerFence={writer.FencesEachRecord}"));
        return 0;
    }

    /// <summary>Opens the channel, prints WAITING, and waits for data with no timeout (--async: awaiting); prints WOKEN and the first record's first 8 bytes.</summary>
    public static int Sleep(AgentArgs args)
    {
        using ShmReader reader = ShmReader.OpenWhenReady(args.Root, args.ChannelId, TimeSpan.FromSeconds(30));
        Say($"WAITING doorbell={reader.HasDoorbell}");
        if (args.Has("--async"))
        {
            reader.WaitForDataAsync(Timeout.InfiniteTimeSpan).AsTask().GetAwaiter().GetResult();
        }
        else
        {
            reader.WaitForData(Timeout.InfiniteTimeSpan);
        }

        ReadResult result = reader.TryRead();
        Say(result.IsRecord && result.Payload.Length >= 8
            ? string.Create(CultureInfo.InvariantCulture, $"WOKEN {BinaryPrimitives.ReadUInt64LittleEndian(result.Payload.Span)}")
            : $"WOKEN {result.Status}");
        return 0;
    }
}
