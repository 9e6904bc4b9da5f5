using BenchmarkDotNet.Attributes;
using Kekbit.Benchmarks.Peers;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Micro;

/// <summary>Writing one record: Kekbit (plain and through a handler chain), the raw protocol limit, and FasterLog.</summary>
[MemoryDiagnoser]
public class WriteBenchmarks
{
    private const int Batch = 1000;
    private TempRoot _root = null!;
    private byte[] _payload = null!;
    private ShmWriter _writer = null!;
    private ShmWriter _chained = null!;
    private RawProtocol _raw = null!;
    private FasterLogPeer _faster = null!;
    private ulong _channel;

    [Params(32, 256, 4096)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _root = new TempRoot("kekbit-bdn");
        _payload = new byte[PayloadSize];
        _faster = new FasterLogPeer(_root.Path);
    }

    [IterationSetup]
    public void IterationSetup()
    {
        // A fresh channel per iteration, large enough for every invocation of it.
        int capacity = (int)Math.Min(Metadata.MaxCapacity, (long)Batch * 4096 * ((8 + PayloadSize + 7) & ~7));
        _writer?.Dispose();
        _chained?.Dispose();
        _raw?.Dispose();
        _writer = ShmWriter.Create(_root.Path, Metadata.Create(1, ++_channel, capacity, PayloadSize, 1000, TickUnit.Millis));
        _chained = ShmWriter.Create(_root.Path, Metadata.Create(1, ++_channel, capacity, PayloadSize + 16, 1000, TickUnit.Millis),
            ChainedHandler.Link(new SequenceHandler(), new TimestampHandler(TickUnit.Nanos)));
        _raw = new RawProtocol(_root.Path, capacity);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void KekbitWrite()
    {
        for (int i = 0; i < Batch; i++)
        {
            _writer.Write(_payload);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void KekbitWriteThroughSequenceAndTimestamp()
    {
        for (int i = 0; i < Batch; i++)
        {
            _chained.Write(_payload);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch, Baseline = true)]
    public void RawProtocolWrite()
    {
        for (int i = 0; i < Batch; i++)
        {
            _raw.Write(_payload);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void FasterLogEnqueue()
    {
        for (int i = 0; i < Batch; i++)
        {
            _faster.Enqueue(_payload);
        }
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _writer.Dispose();
        _chained.Dispose();
        _raw.Dispose();
        _faster.Dispose();
        _root.Dispose();
    }
}
