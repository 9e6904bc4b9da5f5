// A writer publishes sensor readings into a channel while this program consumes them with
// `await foreach`: records arrive in order, the loop parks asynchronously while the channel is idle,
// and it ends by itself when the writer closes the channel.
using System.Buffers.Binary;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.Samples;

using var sampleRoot = new SampleRoot("await-foreach"); // deleted with its channels when the program ends
string root = sampleRoot.Path;
const ulong channelId = 1;
const int readings = 1000;
using ShmWriter writer = ShmWriter.Create(root, Metadata.Create(writerId: 1, channelId, capacityHint: 1 << 16, maxRecordLengthHint: 16, timeout: 10_000, TickUnit.Millis));
using ShmReader reader = ShmReader.Open(root, channelId);

Task producer = Task.Run(async () =>
{
    byte[] reading = new byte[16];
    for (int i = 0; i < readings; i++)
    {
        BinaryPrimitives.WriteInt64LittleEndian(reading, i);
        BinaryPrimitives.WriteDoubleLittleEndian(reading.AsSpan(8), 20 + Math.Sin(i / 50.0));
        writer.Write(reading);
        if (i % 100 == 99)
        {
            await Task.Delay(10); // Bursts with pauses: the reader idles in between.
        }
    }

    writer.Dispose(); // Closing ends the reader's loop.
});

int count = 0;
double sum = 0;
await foreach (Record record in reader.ReadAllAsync())
{
    // Record.Span is a zero-copy view of the mapped file, valid until the reader is disposed.
    sum += BinaryPrimitives.ReadDoubleLittleEndian(record.Span[8..]);
    if (++count % 250 == 0)
    {
        Console.WriteLine($"{count} readings, mean {sum / count:F3} (last at position {record.Position})");
    }
}

await producer;
Console.WriteLine($"Channel closed after {count} readings.");
return count == readings ? 0 : 1;
