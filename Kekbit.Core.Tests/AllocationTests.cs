using System.Runtime.CompilerServices;
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

        long allocated = Allocations.OfSecondRun((writer, payload), static state =>
        {
            for (int i = 0; i < Records; i++)
            {
                state.writer.Write(state.payload);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(2 * Records, writer.WriteOffset / (throughHandlers ? 56 : 40));
    }

    [Fact]
    public void Encoding_typed_values_allocates_nothing()
    {
        using var root = new TempRoot();
        using var writer = NewWriter(root, new SequenceHandler());

        long allocated = Allocations.OfSecondRun(writer, static writer =>
        {
            for (long i = 0; i < Records; i++)
            {
                writer.Write(i, LongEncoder);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(2 * Records, writer.WriteOffset / 24);
    }

    [Fact]
    public void Reading_allocates_nothing_through_TryRead_ReadAvailable_and_TimeoutReader()
    {
        using var root = new TempRoot();
        using var writer = NewWriter(root, null);
        byte[] payload = new byte[32];
        for (int i = 0; i < (4 * Records) + 1; i++)
        {
            writer.Write(payload);
        }

        using var reader = new TimeoutReader(ShmReader.Open(root.Path, 5));
        using var plain = ShmReader.Open(root.Path, 5);
        var total = new StrongBox<long>();

        // Each run: the timeout reader reads Records records; the plain reader Records through TryRead, then Records
        // through ReadAvailable.
        long allocated = Allocations.OfSecondRun((reader, plain, total), static state =>
        {
            for (int i = 0; i < Records; i++)
            {
                state.total.Value += state.reader.TryRead().Span.Length;
                state.total.Value += state.plain.TryRead().Span.Length;
            }

            int drained = 0;
            foreach (ReadResult record in state.plain.ReadAvailable())
            {
                state.total.Value += record.Span.Length;
                if (++drained == Records)
                {
                    break;
                }
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(32L * 2 * 3 * Records, total.Value);
    }
}
