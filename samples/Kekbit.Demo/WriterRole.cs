using System.Diagnostics;
using System.Text.Json;
using Kekbit.Core;

namespace Kekbit.Demo;

/// <summary>
/// The writer process: creates the channel, waits for the conductor's go, writes a burst of records as fast as
/// it can (throughput), waits for the readers to catch up, then writes paced batches (latency: readers are idle when each batch arrives), and closes it.
/// </summary>
internal static class WriterRole
{
    private const int MaxPayload = 128;

    public static int Run(string root, int burstRecords)
    {
        DemoSettings settings = DemoSettings.Default with { BurstRecords = burstRecords };
        var metadata = Metadata.Create(writerId: 1, Roles.ChannelId, capacityHint: (settings.TotalRecords * 80) + 4096, maxRecordLengthHint: MaxPayload, timeout: 10_000, TickUnit.Millis);
        using var writer = ShmWriter.Create(root, metadata);
        Roles.Say(Roles.Ready);
        if (Console.ReadLine() != Roles.Go)
        {
            Console.Error.WriteLine("writer: the conductor did not say go");
            return 1;
        }

        Span<byte> buffer = stackalloc byte[MaxPayload];
        ulong checksum = Checksum.Empty;
        ulong sequence = 0;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < settings.BurstRecords; i++)
        {
            QuoteKind kind = i == settings.BurstRecords - 1 ? QuoteKind.LastOfBurst : QuoteKind.Burst;
            if (!TryWrite(writer, buffer, ref sequence, ref checksum, kind))
            {
                return 1;
            }
        }

        double burstSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Roles.Say(Roles.Progress + sequence);

        // Latency is measured on idle readers: wait until both have caught up with the burst.
        if (Console.ReadLine() != Roles.Pace)
        {
            Console.Error.WriteLine("writer: the conductor did not say pace");
            return 1;
        }

        for (int written = 0; written < settings.PacedRecords; written += settings.PacedBatch)
        {
            Thread.Sleep(settings.PacedInterval); // Pacing on purpose: readers go idle between batches.
            for (int i = 0; i < settings.PacedBatch && written + i < settings.PacedRecords; i++)
            {
                if (!TryWrite(writer, buffer, ref sequence, ref checksum, QuoteKind.Paced))
                {
                    return 1;
                }
            }
        }

        long bytesUsed = writer.WriteOffset;
        writer.Dispose(); // Closes the channel: the readers' sequences complete.
        Roles.Say(Roles.Progress + sequence);
        Roles.Say(Roles.Result + JsonSerializer.Serialize(new WriterReport((long)sequence, checksum, burstSeconds, bytesUsed)));
        return 0;
    }

    private static bool TryWrite(ShmWriter writer, Span<byte> buffer, ref ulong sequence, ref ulong checksum, QuoteKind kind)
    {
        int length = Quote.Encode(buffer, sequence, Stopwatch.GetTimestamp(), kind);
        ReadOnlySpan<byte> payload = buffer[..length];
        WriteResult result = writer.Write(payload);
        if (!result.IsSuccess)
        {
            Console.Error.WriteLine($"writer: record {sequence} was refused: {result.Status}");
            return false;
        }

        checksum = Checksum.Fold(checksum, Checksum.OfRecord(payload));
        if (++sequence % Roles.ProgressEvery == 0)
        {
            Roles.Say(Roles.Progress + sequence);
        }

        return true;
    }
}
