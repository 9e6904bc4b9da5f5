using Kekbit.Core;

namespace Kekbit.Reactive.Tests;

/// <summary>Passes everything to a writer and counts the flushes: for the sinks' per-batch flushing.</summary>
internal sealed class FlushCountingWriter(IWriter inner) : IWriter
{
    public int Flushes { get; private set; }

    public Metadata Metadata => inner.Metadata;

    public WriteResult Write(ReadOnlySpan<byte> payload) => inner.Write(payload);

    public WriteResult Write<T>(T value, RecordEncoder<T> encoder) => inner.Write(value, encoder);

    public void Flush()
    {
        Flushes++;
        inner.Flush();
    }

    public void Dispose() => inner.Dispose();
}
