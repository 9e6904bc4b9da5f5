using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reactive.Tests;

/// <summary>A channel in a temporary root for one test: its writer, pattern records, and readers; deletes everything on dispose.</summary>
internal sealed class TestChannel : IDisposable
{
    public const ulong Id = 42;
    public const int RecordSize = 32;

    private readonly TempRoot _root = new("kekbit-reactive");

    public TestChannel(int capacity = 1 << 20, int maxRecordLength = 256, ulong timeoutMillis = 60_000)
    {
        Writer = ShmWriter.Create(_root.Path, Metadata.Create(1, Id, capacity, maxRecordLength, timeoutMillis, TickUnit.Millis));
    }

    public string Root => _root.Path;

    public ShmWriter Writer { get; }

    /// <summary>Writes pattern records <paramref name="first"/> .. first + count - 1.</summary>
    public void WritePattern(long first, long count, int size = RecordSize)
    {
        Span<byte> payload = stackalloc byte[size];
        for (long i = first; i < first + count; i++)
        {
            RecordPattern.Fill(payload, (ulong)i);
            Assert.True(Writer.Write(payload).IsSuccess);
        }
    }

    public ShmReader OpenReader() => ShmReader.Open(Root, Id);

    /// <summary>Closes the writer (CLOSE marker) and overwrites the marker with an unknown value, as damage would.</summary>
    public void CloseAndCorrupt()
    {
        long offset = 1024 + Writer.WriteOffset;
        Writer.Dispose();
        WriteDamage(offset);
    }

    /// <summary>Writes an unknown marker where the next record goes, the writer still open: readers never see a close marker first.</summary>
    public void Corrupt() => WriteDamage(1024 + Writer.WriteOffset);

    private void WriteDamage(long offset)
    {
        using var file = new FileStream(_root.ChannelFile(Id), FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.Position = offset;
        file.Write(BitConverter.GetBytes(0x0BAD_0BAD_0BAD_0BADUL));
    }

    public void Dispose()
    {
        Writer.Dispose();
        _root.Dispose();
    }

    /// <summary>The pattern index of a record, asserting it is intact.</summary>
    public static long IndexOf(Record record)
    {
        Assert.True(RecordPattern.IsIntact(record.Span, out ulong index), $"damaged record at {record.Position}");
        return (long)index;
    }
}
