using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Kekbit.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Kekbit.Core.Tests;

public sealed class HandlerTests
{
    /// <summary>Writes its id before and after the payload, to show the order a chain runs in.</summary>
    private sealed class IdHandler(long id, bool incoming = true, bool outgoing = true) : IHandler
    {
        public void Incoming(RecordBuffer record)
        {
            if (incoming)
            {
                record.WriteUInt64LittleEndian((ulong)id);
            }
        }

        public void Outgoing(RecordBuffer record)
        {
            if (outgoing)
            {
                record.WriteUInt64LittleEndian((ulong)id);
            }
        }
    }

    /// <summary>Appends a byte sum of everything written before it, reading it back from the record.</summary>
    private sealed class SumHandler : IHandler
    {
        public void Incoming(RecordBuffer record)
        {
        }

        public void Outgoing(RecordBuffer record)
        {
            ulong sum = 0;
            foreach (byte b in record.WrittenSpan)
            {
                sum += b;
            }

            record.WriteUInt64LittleEndian(sum);
        }
    }

    private static (TempRoot Root, ShmWriter Writer, ShmReader Reader) Open(IHandler? handler, int maxHint = 200)
    {
        var root = new TempRoot();
        var writer = ShmWriter.Create(root.Path, Metadata.Create(1, 9, 16384, maxHint, 1000, TickUnit.Millis), handler);
        return (root, writer, ShmReader.Open(root.Path, 9));
    }

    private static long[] Words(ReadOnlySpan<byte> bytes)
    {
        var words = new long[bytes.Length / 8];
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]);
        }

        return words;
    }

    [Fact]
    public void A_chain_runs_decorators_outside_in_before_the_payload_and_inside_out_after_it()
    {
        // As kekbit's test_chain: link(link(link(link(1, 2), 3), in(-1)), out(-1)).
        IHandler chain = ChainedHandler.Link(
            ChainedHandler.Link(ChainedHandler.Link(ChainedHandler.Link(new IdHandler(1), new IdHandler(2)), new IdHandler(3)), new IdHandler(-1, outgoing: false)),
            new IdHandler(-1, incoming: false));
        var (root, writer, reader) = Open(chain);
        using (root)
        using (writer)
        using (reader)
        {
            Assert.True(writer.Write(BitConverter.GetBytes(100L)).IsSuccess);
            Assert.Equal([-1, 3, 2, 1, 100, 1, 2, 3, -1], Words(reader.TryRead().Span));
        }
    }

    [Fact]
    public void Sequence_numbers_start_after_the_given_value_and_are_spent_on_refused_records()
    {
        var sequence = new SequenceHandler(47);
        var (root, writer, reader) = Open(ChainedHandler.Link(EncoderHandler.Instance, sequence), maxHint: 16);
        using (root)
        using (writer)
        using (reader)
        {
            Assert.True(writer.Write("a"u8).IsSuccess);
            Assert.Equal(WriteStatus.RecordTooLarge, writer.Write(new byte[20]).Status);
            Assert.True(writer.Write("b"u8).IsSuccess);
            Assert.Equal(50UL, sequence.Last);
            Assert.Equal(48UL, BinaryPrimitives.ReadUInt64LittleEndian(reader.TryRead().Span));
            ReadResult second = reader.TryRead();
            Assert.Equal(50UL, BinaryPrimitives.ReadUInt64LittleEndian(second.Span));
            Assert.Equal((byte)'b', second.Span[8]);
        }
    }

    [Fact]
    public void Timestamps_are_unix_time_in_the_tick_unit()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddMilliseconds(1_234_567));
        var (root, writer, reader) = Open(new TimestampHandler(TickUnit.Micros, clock));
        using (root)
        using (writer)
        using (reader)
        {
            writer.Write("x"u8);
            clock.Advance(TimeSpan.FromMilliseconds(1));
            writer.Write("y"u8);
            Assert.Equal(1_234_567_000UL, BinaryPrimitives.ReadUInt64LittleEndian(reader.TryRead().Span));
            Assert.Equal(1_234_568_000UL, BinaryPrimitives.ReadUInt64LittleEndian(reader.TryRead().Span));
        }
    }

    [Fact]
    public void Handlers_can_post_process_what_was_written()
    {
        var (root, writer, reader) = Open(new SumHandler());
        using (root)
        using (writer)
        using (reader)
        {
            writer.Write([1, 2, 3]);
            ReadResult record = reader.TryRead();
            Assert.Equal(11, record.Payload.Length);
            Assert.Equal(6UL, BinaryPrimitives.ReadUInt64LittleEndian(record.Span[3..]));
        }
    }

    private static readonly RecordEncoder<string> Utf8 = static (text, output) =>
    {
        int written = Encoding.UTF8.GetBytes(text, output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length)));
        output.Advance(written);
    };

    private static readonly RecordEncoder<string> Utf8ThroughBufferWriter = static (text, output) => Encoding.UTF8.GetBytes(text, (IBufferWriter<byte>)output);

    [Fact]
    public void Typed_values_are_encoded_straight_into_the_channel()
    {
        var (root, writer, reader) = Open(new SequenceHandler());
        using (root)
        using (writer)
        using (reader)
        {
            Assert.True(writer.Write("héllo", Utf8).IsSuccess);
            Assert.True(writer.Write("wörld", Utf8ThroughBufferWriter).IsSuccess);
            Assert.Equal("héllo", Encoding.UTF8.GetString(reader.TryRead().Span[8..]));
            Assert.Equal("wörld", Encoding.UTF8.GetString(reader.TryRead().Span[8..]));
        }
    }

    [Fact]
    public void An_encoder_that_outgrows_the_record_is_refused_and_leaves_the_channel_unchanged()
    {
        var (root, writer, reader) = Open(null, maxHint: 16);
        using (root)
        using (writer)
        using (reader)
        {
            writer.Write("first"u8);
            byte[] before = File.ReadAllBytes(root.ChannelFile(9));
            RecordEncoder<int> greedy = static (count, output) =>
            {
                for (int i = 0; i < count; i++)
                {
                    output.GetSpan(1)[0] = 0xAB;
                    output.Advance(1);
                }
            };
            Assert.Equal(WriteStatus.RecordTooLarge, writer.Write(100, greedy).Status);
            Assert.Equal(before, File.ReadAllBytes(root.ChannelFile(9)));
            Assert.Equal(WriteStatus.Success, writer.Write(24, greedy).Status);
            Assert.Equal("first", Encoding.ASCII.GetString(reader.TryRead().Span));
            Assert.Equal(24, reader.TryRead().Payload.Length);
        }
    }

    [Fact]
    public void An_encoder_that_throws_publishes_nothing_and_the_exception_reaches_the_caller()
    {
        var (root, writer, reader) = Open(null);
        using (root)
        using (writer)
        using (reader)
        {
            byte[] before = File.ReadAllBytes(root.ChannelFile(9));
            RecordEncoder<int> failing = static (_, output) =>
            {
                output.Write([1, 2, 3]);
                throw new InvalidOperationException("boom");
            };
            Assert.Throws<InvalidOperationException>(() => writer.Write(0, failing));
            Assert.Equal(before, File.ReadAllBytes(root.ChannelFile(9)));
            Assert.Equal(0, writer.WriteOffset);
            Assert.Equal(ReadStatus.Nothing, reader.TryRead().Status);
        }
    }
}
