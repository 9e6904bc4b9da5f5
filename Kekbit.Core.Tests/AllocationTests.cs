using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

/// <summary>The hot paths (write, try-read) allocate nothing per record.</summary>
public sealed class AllocationTests
{
    private const int Records = 10_000;

    private static readonly RecordEncoder<long> LongEncoder = static (value, output) => output.WriteUInt64LittleEndian((ulong)value);

    private static ShmWriter NewWriter(TempRoot root, IHandler? handler) =>
        ShmWriter.Create(root.Path, Metadata.Create(1, 5, 4 << 20, 64, 1000, TickUnit.Millis), handler);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Writing_spans_allocates_nothing(bool throughHandlers)
    {
        using var root = new TempRoot();
        IHandler? chain = throughHandlers ? ChainedHandler.Link(new SequenceHandler(), new TimestampHandler(TickUnit.Nanos)) : null;
        using var writer = NewWriter(root, chain);
        byte[] payload = new byte[32];
        writer.Write(payload); // Warm up (JIT, first-use paths).

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Records; i++)
        {
            writer.Write(payload);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Records + 1, writer.WriteOffset / (throughHandlers ? 56 : 40));
    }

    [Fact]
    public void Encoding_typed_values_allocates_nothing()
    {
        using var root = new TempRoot();
        using var writer = NewWriter(root, new SequenceHandler());
        writer.Write(0L, LongEncoder);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long i = 0; i < Records; i++)
        {
            writer.Write(i, LongEncoder);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Reading_allocates_nothing_through_TryRead_ReadAvailable_and_TimeoutReader()
    {
        using var root = new TempRoot();
        using var writer = NewWriter(root, null);
        byte[] payload = new byte[32];
        for (int i = 0; i < (3 * Records) + 3; i++)
        {
            writer.Write(payload);
        }

        using var reader = new TimeoutReader(ShmReader.Open(root.Path, 5));
        using var plain = ShmReader.Open(root.Path, 5);
        reader.TryRead();
        plain.TryRead();
        foreach (ReadResult warm in plain.ReadAvailable())
        {
            break;
        }

        long total = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Records; i++)
        {
            total += reader.TryRead().Span.Length;
            total += plain.TryRead().Span.Length;
        }

        foreach (ReadResult record in plain.ReadAvailable())
        {
            total += record.Span.Length;
        }

        reader.TryRead();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        // The timeout reader read Records records; the plain reader read all but the two it warmed up with.
        Assert.Equal(32 * (Records + ((3 * Records) + 3 - 2)), total);
    }
}
