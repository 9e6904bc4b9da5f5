using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reactive.Tests;

/// <summary>The reader contract run against <see cref="ReaderAsyncExtensions.AsChannelReader"/> over a real mapped channel.</summary>
public sealed class AsChannelReaderContractTests : ChannelReaderContractTests<Record>, IAsyncDisposable
{
    private readonly TestChannel _channel = new();
    private ShmReader? _reader;
    private ChannelReader<Record>? _records;

    protected override ChannelReader<Record> CreateReader()
    {
        _reader = _channel.OpenReader();
        _records = _reader.AsChannelReader(Gentle.Polling);
        return _records;
    }

    protected override void WriteItem(long index)
    {
        Span<byte> payload = stackalloc byte[TestChannel.RecordSize];
        RecordPattern.Fill(payload, (ulong)index);
        Assert.True(_channel.Writer.Write(payload).IsSuccess);
    }

    protected override void CompleteWriter() => _channel.Writer.Dispose();

    protected override long IndexOf(Record item) =>
        RecordPattern.IsIntact(item.Span, out ulong index) ? (long)index : throw new InvalidOperationException($"damaged record at {item.Position}");

    /// <summary>
    /// Closes the channel and lets the adapter reach its end before the reader is disposed, so that its watch never
    /// polls a disposed reader.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.Dispose();
        if (_records is not null)
        {
            while (_records.TryRead(out _))
            {
            }

            await _records.Completion.WaitAsync(Deadline, TestContext.Current.CancellationToken);
        }

        _reader?.Dispose();
        _channel.Dispose();
    }
}
