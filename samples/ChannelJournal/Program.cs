// Producers push orders into a System.Threading.Channels channel; WriteAllAsync drains it into a
// kekbit channel, a persistent journal flushed batch by batch. Afterwards the journal is replayed
// from the file, as a restarted service would rebuild its state.
using System.Buffers.Binary;
using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.Samples;

using var sampleRoot = new SampleRoot("channel-journal"); // deleted with its channels when the program ends
string root = sampleRoot.Path;
const ulong journalId = 3;
RecordEncoder<Order> encode = static (order, output) =>
{
    Span<byte> bytes = output.GetSpan(16);
    BinaryPrimitives.WriteInt64LittleEndian(bytes, order.Id);
    BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], order.AmountCents);
    output.Advance(16);
};

var orders = Channel.CreateBounded<Order>(new BoundedChannelOptions(256) { SingleReader = true });
ShmWriter journal = ShmWriter.Create(root, Metadata.Create(1, journalId, 1 << 20, 16, 10_000, TickUnit.Millis));

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
Console.WriteLine($"Journaled {await journaling} orders.");

// Replay: read the journal back from the file.
using ShmReader replay = ShmReader.Open(root, journalId);
long count = 0;
long totalCents = 0;
await foreach (Record record in replay.ReadAllAsync())
{
    count++;
    totalCents += BinaryPrimitives.ReadInt64LittleEndian(record.Span[8..]);
}

Console.WriteLine($"Replayed {count} orders worth {totalCents / 100.0:F2}.");
return count == 10_000 ? 0 : 1;

internal readonly record struct Order(long Id, long AmountCents);
