// Trades are written into a channel; an Rx pipeline over the channel decodes them, filters one
// symbol's large trades and computes a running volume-weighted average price. A second, late
// subscriber replays the same channel from its start: channels are persistent.
using System.Buffers.Binary;
using System.Reactive.Linq;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.Samples;

using var sampleRoot = new SampleRoot("rx-pipeline"); // deleted with its channels when the program ends
string root = sampleRoot.Path;
const ulong channelId = 2;
// Encoders write straight into the channel's memory; keep them in fields or static lambdas.
RecordEncoder<Trade> encode = static (trade, output) =>
{
    Span<byte> bytes = output.GetSpan(20);
    BinaryPrimitives.WriteInt32LittleEndian(bytes, trade.Symbol);
    BinaryPrimitives.WriteDoubleLittleEndian(bytes[4..], trade.Price);
    BinaryPrimitives.WriteInt64LittleEndian(bytes[12..], trade.Quantity);
    output.Advance(20);
};

using (ShmWriter writer = ShmWriter.Create(root, Metadata.Create(1, channelId, 1 << 20, 20, 10_000, TickUnit.Millis)))
{
    var random = new Random(7);
    for (int i = 0; i < 10_000; i++)
    {
        writer.Write(new Trade(random.Next(3), 100 + random.NextDouble(), random.Next(1, 1000)), encode);
    }
}

// Decode inside Select: the record's bytes are only borrowed from the mapping.
IObservable<Trade> trades = KekbitObservable.FromChannel(root, channelId)
    .Select(record => new Trade(
        BinaryPrimitives.ReadInt32LittleEndian(record.Span),
        BinaryPrimitives.ReadDoubleLittleEndian(record.Span[4..]),
        BinaryPrimitives.ReadInt64LittleEndian(record.Span[12..])));

var vwap = await trades
    .Where(trade => trade.Symbol == 1 && trade.Quantity >= 500)
    .Scan((Notional: 0.0, Quantity: 0L), (total, trade) => (total.Notional + (trade.Price * trade.Quantity), total.Quantity + trade.Quantity))
    .Select(total => total.Notional / total.Quantity)
    .LastAsync();
Console.WriteLine($"Symbol 1, trades of 500 or more: VWAP {vwap:F4}");

// A late subscriber replays everything from the start.
var perSymbol = await trades.GroupBy(trade => trade.Symbol).SelectMany(group => group.Count().Select(count => (group.Key, count))).ToList();
foreach (var (symbol, count) in perSymbol.OrderBy(pair => pair.Key))
{
    Console.WriteLine($"Symbol {symbol}: {count} trades");
}

return perSymbol.Sum(pair => pair.count) == 10_000 ? 0 : 1;

internal readonly record struct Trade(int Symbol, double Price, long Quantity);
