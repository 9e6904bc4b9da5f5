using System.Threading.Channels;

namespace Kekbit.Reactive.Tests;

/// <summary>
/// The control: the reader contract run against .NET's own <see cref="Channel.CreateUnbounded{T}()"/>. A test of the
/// contract that fails here tests something .NET's channels do not promise.
/// </summary>
public sealed class UnboundedChannelContractTests : ChannelReaderContractTests<long>
{
    private Channel<long>? _channel;

    protected override ChannelReader<long> CreateReader()
    {
        _channel = Channel.CreateUnbounded<long>();
        return _channel.Reader;
    }

    protected override void WriteItem(long index) => Assert.True(_channel!.Writer.TryWrite(index));

    protected override void CompleteWriter() => _channel!.Writer.Complete();

    protected override long IndexOf(long item) => item;

    /// <summary>.NET's channels reuse one operation only for waits whose token cannot be cancelled; a cancellable wait allocates one (96 bytes measured).</summary>
    protected override bool PoolsCancellableWaits => false;
}
