using Kekbit.TestSupport;

namespace Kekbit.Core.Tests.Waiting;

/// <summary>A channel in a temporary root for one poller test: its writer, pattern records and readers; deletes everything on dispose.</summary>
internal sealed class PollChannel : IDisposable
{
    public const ulong Id = 4242;
    public const int RecordSize = 32;

    private readonly TempRoot _root = new("kekbit-waiting");

    public PollChannel(int capacity = 1 << 20, ulong timeoutMillis = 60_000, bool doorbell = true)
    {
        Writer = ShmWriter.Create(_root.Path, Metadata.Create(1, Id, capacity, 256, timeoutMillis, TickUnit.Millis), options: new ShmWriterOptions { Doorbell = doorbell });
    }

    public string Root => _root.Path;

    public ShmWriter Writer { get; }

    /// <summary>Writes pattern records <paramref name="first"/> .. first + count - 1.</summary>
    public void WritePattern(long first, long count)
    {
        Span<byte> payload = stackalloc byte[RecordSize];
        for (long i = first; i < first + count; i++)
        {
            RecordPattern.Fill(payload, (ulong)i);
            Assert.True(Writer.Write(payload).IsSuccess);
        }
    }

    public ShmReader OpenReader() => ShmReader.Open(Root, Id);

    /// <summary>The pattern index of a record, asserting it is intact.</summary>
    public static long IndexOf(ReadResult record)
    {
        Assert.True(RecordPattern.IsIntact(record.Span, out ulong index), $"damaged record at {record.Position}");
        return (long)index;
    }

    public void Dispose()
    {
        Writer.Dispose();
        _root.Dispose();
    }
}
