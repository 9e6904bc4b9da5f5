// Producers push orders into a System.Threading.Channels channel; WriteAllAsync drains it into a Kekbit journal
// (Kekbit.Journal: a folder of rolling segments), flushed batch by batch. Then the orders journaled since the last
// run are replayed through a durable cursor, as a restarted service would catch up.
//   dotnet run --project samples/ChannelJournal -c Release [FOLDER]
// With a FOLDER, the journal stays there and every run continues where the last one left off (orders keep their
// sequence numbers, the cursor replays only what is new). Without one it lives in a temporary folder, removed at the end.
using System.Buffers.Binary;
using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Reactive;
using Kekbit.Samples;

using var sampleRoot = args.Length > 0 ? null : new SampleRoot("channel-journal"); // temporary: deleted at the end
string folder = args.Length > 0 ? args[0] : Path.Combine(sampleRoot!.Path, "orders");
RecordEncoder<Order> encode = static (order, output) =>
{
    Span<byte> bytes = output.GetSpan(16);
    BinaryPrimitives.WriteInt64LittleEndian(bytes, order.Id);
    BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], order.AmountCents);
    output.Advance(16);
};

var orders = Channel.CreateBounded<Order>(new BoundedChannelOptions(256) { SingleReader = true });
// Small segments (64 KiB) so that a run rolls a few times; a real journal keeps the 64 MiB default.
JournalWriter journal = JournalWriter.Open(folder, new JournalWriterOptions { SegmentCapacity = 64 << 10 });
Console.WriteLine($"Journal {folder}: continuing at order {journal.NextSequence}, segment {journal.Segment}.");

// The pipe: closes the journal when the orders channel completes.
Task<long> journaling = orders.Reader.WriteAllAsync(journal, encode, new SinkOptions<Order> { FlushEachBatch = true });

Task[] producers = [.. Enumerable.Range(0, 4).Select(producer => Task.Run(async () =>
{
    for (int i = 0; i < 2_500; i++)
    {
        await orders.Writer.WriteAsync(new Order((producer * 1_000_000L) + i, 100 + i));
    }
}))];
await Task.WhenAll(producers);
orders.Writer.Complete();
Console.WriteLine($"Journaled {await journaling} orders ({journal.Rolls} rolls).");

// Catch up: the durable cursor "replay" resumes after what the last run committed.
using JournalReader replay = JournalReader.OpenCursor(folder, "replay");
long count = 0;
long totalCents = 0;
for (ReadResult read = replay.TryRead(); read.IsRecord; read = replay.TryRead())
{
    count++;
    totalCents += BinaryPrimitives.ReadInt64LittleEndian(read.Span[8..]);
}

replay.Commit();
Console.WriteLine($"Replayed {count} orders worth {totalCents / 100.0:F2} (orders {replay.NextSequence - count} to {replay.NextSequence - 1}).");
return count == 10_000 ? 0 : 1;

internal readonly record struct Order(long Id, long AmountCents);
