using System.Runtime.InteropServices;
using Kekbit.Core;
using static Kekbit.TestAgent.AgentCommands;

namespace Kekbit.TestAgent;

/// <summary>
/// The <c>tamper</c> command: a hostile reader that casts away the read-only payload and writes through it.
/// The reader's mapping is read-only, so the write must kill this process (SIGSEGV) and leave the channel as it was.
/// </summary>
internal static class TamperCommand
{
    public static int Run(AgentArgs args)
    {
        using var reader = ShmReader.Open(args.Root, args.ChannelId);
        Say("OPENED");
        ReadResult record = reader.TryRead();
        if (!record.IsRecord)
        {
            Say($"NO-RECORD {record.Status}");
            return 1;
        }

        Say("TAMPERING");
        Memory<byte> writable = MemoryMarshal.AsMemory(record.Payload);
        writable.Span.Fill(0xEE);
        Say("TAMPERED");
        return 0;
    }
}
