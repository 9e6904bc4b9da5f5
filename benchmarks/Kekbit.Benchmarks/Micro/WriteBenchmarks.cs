using BenchmarkDotNet.Attributes;
using Kekbit.Benchmarks.Peers;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Micro;

/// <summary>Writing one record: Kekbit (plain and through a handler chain), the raw protocol limit, and FasterLog.</summary>
[MemoryDiagnoser]
public class WriteBenchmarks
{
    private const int Batch = 50_000;

    // Page faults of first use are paid at creation, so the benchmarks measure the code, not the kernel.
    private static readonly ShmWriterOptions PreTouched = new() { PreTouch = true };
    private TempRoot _root = null!;
    private byte[] _payload = null!;
    private ShmWriter? _writer;
    private ShmWriter? _chained;
    private RawProtocol? _raw;
    private FasterLogPeer? _faster;
    private ulong _channel;

    [Params(32, 256, 4096)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _root = new TempRoot("kekbit-bdn");
        _payload = new byte[PayloadSize];
    }

    [IterationSetup]
    public void IterationSetup()
    {
        // Fresh channels per iteration (BenchmarkDotNet runs one invocation per iteration when there is an
        // iteration setup); the previous ones are deleted, or /dev/shm would fill the memory.
        int capacity = (int)Math.Min(Metadata.MaxCapacity, (Batch + 2L) * (RecordLayout.RecordSize(PayloadSize) + 16));
        ReleaseIteration();
        _faster = new FasterLogPeer(_root.Path, FasterLogPeer.RingMemorySizeBits);
        _writer = ShmWriter.Create(_root.Path, Metadata.Create(1, ++_channel, capacity, PayloadSize, 1000, TickUnit.Millis), options: PreTouched);
        _chained = ShmWriter.Create(_root.Path, Metadata.Create(1, ++_channel, capacity, PayloadSize + 16, 1000, TickUnit.Millis),
            ChainedHandler.Link(new SequenceHandler(), new TimestampHandler(TickUnit.Nanos)), PreTouched);
        _raw = new RawProtocol(_root.Path, capacity, preTouch: true);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void KekbitWrite()
    {
        for (int i = 0; i < Batch; i++)
        {
            _writer!.Write(_payload);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void KekbitWriteThroughSequenceAndTimestamp()
    {
        for (int i = 0; i < Batch; i++)
        {
            _chained!.Write(_payload);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch, Baseline = true)]
    public void RawProtocolWrite()
    {
        for (int i = 0; i < Batch; i++)
        {
            _raw!.Write(_payload);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void FasterLogEnqueue()
    {
        _faster!.EnqueueAll(_payload, Batch);
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        ReleaseIteration();
        _root.Dispose();
    }

    private void ReleaseIteration()
    {
        foreach (ShmWriter? writer in new[] { _writer, _chained })
        {
            if (writer is not null)
            {
                writer.Dispose();
                File.Delete(writer.Path);
            }
        }

        _raw?.Dispose();
        _faster?.Dispose();
    }
}
