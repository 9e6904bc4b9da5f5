using System.Diagnostics;
using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.Core.Waiting;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// Delivery through the reactive layer, end to end (a writer thread and a consumer), side by side with
/// System.Threading.Channels passing the same payloads (as <see cref="ReadOnlyMemory{T}"/> of one array: no copy,
/// the most favourable case for an in-memory channel); and writing through the sinks.
/// </summary>
internal sealed class ReactiveWorkloads(TempRoot scratch, int payloadSize, long records)
{
    private static ulong s_nextChannel = 1_000;
    private readonly byte[] _payload = new byte[payloadSize];

    private ShmWriter NewWriter(out ulong channelId)
    {
        channelId = Interlocked.Increment(ref s_nextChannel);
        int capacity = (int)Math.Min(Metadata.MaxCapacity, (records + 2) * RecordLayout.RecordSize(payloadSize));
        return ShmWriter.Create(scratch.Path, Metadata.Create(1, channelId, capacity, payloadSize, 60_000, TickUnit.Millis), options: new ShmWriterOptions { PreTouch = true });
    }

    public IEnumerable<Measurement> Delivery()
    {
        yield return ToObservableDelivery();
        yield return ReadAllAsyncDelivery();
        yield return ChannelsDelivery(Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true }), "Channel<T> bounded(1024) SPSC, ReadAllAsync");
        yield return ChannelsDelivery(Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true }), "Channel<T> unbounded SPSC, ReadAllAsync");
    }

    public IEnumerable<Measurement> Sinks()
    {
        using (ShmWriter writer = NewWriter(out _))
        {
            ChannelObserver<byte[]> sink = writer.AsObserver(RecordEncoders.ByteArray);
            yield return Time("write via sink", "Kekbit AsObserver().OnNext", () =>
            {
                for (long i = 0; i < records; i++)
                {
                    sink.OnNext(_payload);
                }
            });
        }

        using (ShmWriter writer = NewWriter(out _))
        {
            var source = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            for (long i = 0; i < records; i++)
            {
                source.Writer.TryWrite(_payload);
            }

            source.Writer.Complete();
            yield return Time("write via sink", "Kekbit ChannelReader.WriteAllAsync", () =>
            {
                long written = source.Reader.WriteAllAsync(writer, RecordEncoders.ByteArray).GetAwaiter().GetResult();
                if (written != records)
                {
                    throw new InvalidOperationException($"WriteAllAsync wrote {written} of {records}.");
                }
            });
        }
    }

    private Measurement ToObservableDelivery()
    {
        using ShmWriter writer = NewWriter(out ulong channelId);
        var observer = new CountingObserver(records);
        var options = new PollingOptions { IdleStrategy = static () => new BusySpinIdleStrategy() };
        using IDisposable subscription = ShmReader.Open(scratch.Path, channelId).ToObservable(options).Subscribe(observer);
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < records; i++)
        {
            writer.Write(_payload);
        }

        observer.Done.Wait();
        return new Measurement("delivery, end to end", payloadSize, "Kekbit ToObservable (busy-spin poller)", records, Stopwatch.GetElapsedTime(start));
    }

    private Measurement ReadAllAsyncDelivery()
    {
        using ShmWriter writer = NewWriter(out ulong channelId);
        using ShmReader reader = ShmReader.Open(scratch.Path, channelId);
        var consumer = Task.Run(async () =>
        {
            long seen = 0, sink = 0;
            await foreach (Record record in reader.ReadAllAsync())
            {
                sink += PayloadSink.Consume(record.Span);
                if (++seen == records)
                {
                    break;
                }
            }

            PayloadSink.Keep(sink);
        });
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < records; i++)
        {
            writer.Write(_payload);
        }

        consumer.GetAwaiter().GetResult();
        return new Measurement("delivery, end to end", payloadSize, "Kekbit ReadAllAsync (await foreach)", records, Stopwatch.GetElapsedTime(start));
    }

    private Measurement ChannelsDelivery(Channel<ReadOnlyMemory<byte>> channel, string name)
    {
        var consumer = Task.Run(async () =>
        {
            long seen = 0, sink = 0;
            await foreach (ReadOnlyMemory<byte> item in channel.Reader.ReadAllAsync())
            {
                sink += PayloadSink.Consume(item.Span);
                seen++;
            }

            PayloadSink.Keep(sink);

            return seen;
        });
        long start = Stopwatch.GetTimestamp();
        ChannelWriter<ReadOnlyMemory<byte>> writer = channel.Writer;
        for (long i = 0; i < records; i++)
        {
            if (!writer.TryWrite(_payload))
            {
                writer.WriteAsync(_payload).AsTask().GetAwaiter().GetResult();
            }
        }

        writer.Complete();
        long seenTotal = consumer.GetAwaiter().GetResult();
        if (seenTotal != records)
        {
            throw new InvalidOperationException($"{name} delivered {seenTotal} of {records}.");
        }

        return new Measurement("delivery, end to end", payloadSize, name, records, Stopwatch.GetElapsedTime(start));
    }

    private Measurement Time(string workload, string implementation, Action body) =>
        Measurement.Time(workload, payloadSize, implementation, records, body);

    private sealed class CountingObserver(long expected) : IObserver<Record>
    {
        private long _seen;
        private long _sink;

        public ManualResetEventSlim Done { get; } = new();

        public void OnNext(Record value)
        {
            _sink += PayloadSink.Consume(value.Span);
            if (++_seen == expected)
            {
                PayloadSink.Keep(_sink);
                Done.Set();
            }
        }

        public void OnError(Exception error) => Done.Set();

        public void OnCompleted() => Done.Set();
    }
}
