using BenchmarkDotNet.Attributes;
using Kekbit.Benchmarks.Peers;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Benchmarks.Micro;

/// <summary>Reading one record from a full channel: Kekbit's TryRead against the raw protocol limit.</summary>
[MemoryDiagnoser]
public class ReadBenchmarks
{
    private const int Records = 200_000;
    private TempRoot _root = null!;
    private ShmReader _reader = null!;
    private RawProtocol _raw = null!;
    private long _sink;

    [Params(32, 256, 4096)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _root = new TempRoot("kekbit-bdn");
        byte[] payload = new byte[PayloadSize];
        int capacity = (int)Math.Min(Metadata.MaxCapacity, (Records + 2L) * RecordLayout.RecordSize(PayloadSize));
        using (var writer = ShmWriter.Create(_root.Path, Metadata.Create(1, 1, capacity, PayloadSize, 1000, TickUnit.Millis)))
        {
            for (int i = 0; i < Records; i++)
            {
                writer.Write(payload);
            }
        }

        _raw = new RawProtocol(_root.Path, capacity);
        for (int i = 0; i < Records; i++)
        {
            _raw.Write(payload);
        }

        _reader = ShmReader.Open(_root.Path, 1);
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public long KekbitTryRead()
    {
        _reader.SeekTo(0);
        long bytes = 0;
        ReadResult result;
        while ((result = _reader.TryRead()).IsRecord)
        {
            bytes += result.Span.Length;
        }

        return _sink = bytes;
    }

    [Benchmark(OperationsPerInvoke = Records, Baseline = true)]
    public long RawProtocolRead()
    {
        _raw.Rewind();
        long bytes = 0;
        while (_raw.TryRead(out ReadOnlySpan<byte> payload) >= 0)
        {
            bytes += payload.Length;
        }

        return _sink = bytes;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _reader.Dispose();
        _raw.Dispose();
        _root.Dispose();
        GC.KeepAlive(_sink);
    }
}
