using Kekbit.Core;

namespace Kekbit.Benchmarks.Harness;

/// <summary>What every throughput reader does with a record (<see cref="PayloadSink"/>), as a batch read's struct handler.</summary>
internal struct ConsumingHandler : IRecordHandler
{
    public long Sink;
    public long Seen;

    public bool OnRecord(in ReadResult record)
    {
        Sink += PayloadSink.Consume(record.Span);
        Seen++;
        return true;
    }
}
