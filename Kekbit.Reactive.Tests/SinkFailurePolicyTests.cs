using System.Threading.Channels;
using Kekbit.Core;

namespace Kekbit.Reactive.Tests;

/// <summary>
/// Every <see cref="WriteFailurePolicy"/> against every kind of refusal, for each sink: the observer from
/// <c>AsObserver</c>, the <see cref="ChannelReader{T}"/> pipe and the <see cref="IAsyncEnumerable{T}"/> sink.
/// Each writes three items a, b, c; b is the first record refused.
/// </summary>
public sealed class SinkFailurePolicyTests
{
    public enum Sink
    {
        Observer,
        ChannelReaderPipe,
        AsyncEnumerable,
    }

    public enum Refusal
    {
        /// <summary>The channel is full when b comes.</summary>
        ChannelFull,

        /// <summary>b is larger than the max record length.</summary>
        RecordTooLarge,

        /// <summary>The writer was closed (disposed) before b: it returns <see cref="WriteStatus.Closed"/>.</summary>
        Closed,

        /// <summary>The writer was disposed before b and throws <see cref="ObjectDisposedException"/>.</summary>
        WriterDisposed,
    }

    public static TheoryData<Sink, WriteFailurePolicy, Refusal> Matrix()
    {
        var data = new TheoryData<Sink, WriteFailurePolicy, Refusal>();
        foreach (Sink sink in Enum.GetValues<Sink>())
        {
            foreach (WriteFailurePolicy policy in Enum.GetValues<WriteFailurePolicy>())
            {
                foreach (Refusal refusal in Enum.GetValues<Refusal>())
                {
                    data.Add(sink, policy, refusal);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_policy_handles_each_refusal_the_same_way_in_every_sink(Sink sinkKind, WriteFailurePolicy policy, Refusal refusal)
    {
        using var channel = new TestChannel(capacity: 4096, maxRecordLength: 64);
        var writer = new ArrangingWriter(channel.Writer, refusal);
        byte[] a = [1, 1, 1, 1, 1, 1, 1, 1];
        byte[] b = refusal == Refusal.RecordTooLarge ? new byte[1000] : [2, 2, 2, 2, 2, 2, 2, 2];
        byte[] c = [3, 3, 3, 3, 3, 3, 3, 3];
        var reported = new List<WriteFailure<byte[]>>();
        var options = new SinkOptions<byte[]> { FailurePolicy = policy, OnFailure = reported.Add };

        (long? written, Exception? error) = await Run(sinkKind, writer, options, [a, b, c]);

        WriteStatus status = refusal switch
        {
            Refusal.ChannelFull => WriteStatus.ChannelFull,
            Refusal.RecordTooLarge => WriteStatus.RecordTooLarge,
            _ => WriteStatus.Closed,
        };
        // Report skips b and goes on: c is written when only b was at fault, refused too otherwise.
        bool cFits = refusal == Refusal.RecordTooLarge;
        byte[][] expectedReported = policy == WriteFailurePolicy.Report && !cFits ? [b, c] : [b];
        Assert.Equal(expectedReported, reported.Select(f => f.Value));
        Assert.All(reported, f => Assert.Equal(status, f.Status));
        long expectedWritten = policy == WriteFailurePolicy.Report && cFits ? 2 : 1;
        if (written is not null)
        {
            Assert.Equal(expectedWritten, written);
        }
        if (policy == WriteFailurePolicy.Report)
        {
            Assert.Null(error);
        }
        else
        {
            var refused = Assert.IsType<ChannelWriteException>(error);
            Assert.Equal((status, TestChannel.Id), (refused.Status, refused.ChannelId));
            if (refusal == Refusal.WriterDisposed)
            {
                Assert.IsType<ObjectDisposedException>(refused.InnerException);
            }
        }

        // Stop closes the channel; Throw leaves it as the refusal found it; Report closes it when the source ends.
        bool closed = policy != WriteFailurePolicy.Throw || refusal is Refusal.Closed;
        Assert.Equal(closed, channel.Writer.IsClosed);
        List<long> records = ObserverSinkTests.ReadAll(channel, out ReadStatus end);
        // The channel holds a, then (when the channel was filled) zero fillers, then c when it was written.
        long[] expectedRecords = expectedWritten == 2 ? [0x0101010101010101L, 0x0303030303030303L] : [0x0101010101010101L];
        Assert.Equal(expectedRecords, records.Where(r => r != 0));
        Assert.Equal(closed ? ReadStatus.Closed : ReadStatus.Nothing, end);
    }

    /// <summary>Writes <paramref name="items"/> through the sink; gives the records it says it wrote (null when its task faulted) and the error it ended with.</summary>
    private static async Task<(long? Written, Exception? Error)> Run(Sink sink, IWriter writer, SinkOptions<byte[]> options, byte[][] items)
    {
        switch (sink)
        {
            case Sink.Observer:
                ChannelObserver<byte[]> observer = writer.AsObserver(RecordEncoders.ByteArray, options);
                Exception? thrown = null;
                foreach (byte[] item in items)
                {
                    try
                    {
                        observer.OnNext(item);
                    }
                    catch (ChannelWriteException e)
                    {
                        // An observer that throws ends the pipeline in Rx: nothing more comes.
                        thrown = e;
                        break;
                    }
                }

                if (observer.IsTerminated)
                {
                    Assert.True(observer.Completion.IsFaulted);
                    return (observer.Written, observer.Error);
                }

                if (thrown is null)
                {
                    observer.OnCompleted();
                }

                return (observer.Written, thrown);

            case Sink.ChannelReaderPipe:
                var source = Channel.CreateUnbounded<byte[]>();
                foreach (byte[] item in items)
                {
                    source.Writer.TryWrite(item);
                }

                source.Writer.Complete();
                return await Outcome(source.Reader.WriteAllAsync(writer, RecordEncoders.ByteArray, options, Gentle.Cancellation));

            default:
                return await Outcome(items.ToAsyncEnumerable().WriteAllAsync(writer, RecordEncoders.ByteArray, options, Gentle.Cancellation));
        }
    }

    private static async Task<(long? Written, Exception? Error)> Outcome(Task<long> writing)
    {
        try
        {
            return (await writing, null);
        }
        catch (ChannelWriteException e)
        {
            return (null, e);
        }
    }

    /// <summary>Passes writes to a <see cref="ShmWriter"/>, bringing about the refusal just before the second one.</summary>
    private sealed class ArrangingWriter(ShmWriter inner, Refusal refusal) : IWriter
    {
        private int _writes;
        private bool _disposed;

        public Metadata Metadata => inner.Metadata;

        public WriteResult Write(ReadOnlySpan<byte> payload) => throw new NotSupportedException();

        public WriteResult Write<T>(T value, RecordEncoder<T> encoder)
        {
            if (++_writes == 2)
            {
                Arrange();
            }

            ObjectDisposedException.ThrowIf(_disposed, this);
            return inner.Write(value, encoder);
        }

        public void Flush()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            inner.Flush();
        }

        public void Dispose() => inner.Dispose();

        private void Arrange()
        {
            switch (refusal)
            {
                case Refusal.ChannelFull:
                    while (inner.Write(new byte[8]).IsSuccess)
                    {
                    }

                    Assert.True(inner.IsFull);
                    break;
                case Refusal.Closed:
                    inner.Dispose();
                    break;
                case Refusal.WriterDisposed:
                    _disposed = true;
                    break;
            }
        }
    }
}
