using Kekbit.TestSupport;
using System.Buffers.Binary;
using Kekbit.Core;
using Kekbit.Journal;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Kekbit.Replication.Nats.Tests;

internal static class ReplicationTestSupport
{
    public static JournalWriterOptions Small => new() { SegmentCapacity = 1 << 20, PreTouch = false };

    public static int Fill(Span<byte> payload, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(payload, value);
        int extra = (int)(value % 17);
        for (int i = 0; i < extra; i++)
        {
            payload[8 + i] = (byte)(value * 7 + i);
        }

        return 8 + extra;
    }

    public static void WriteValues(JournalWriter writer, long from, long count)
    {
        Span<byte> payload = stackalloc byte[32];
        for (long v = from; v < from + count; v++)
        {
            int length = Fill(payload, v);
            Assert.Equal(WriteStatus.Success, writer.Write(payload[..length]).Status);
        }
    }

    public static NatsPushOptions Push(NatsServer server, string folder, string stream = "orders") => new()
    {
        JournalFolder = folder,
        Stream = stream,
        Connection = new NatsConnectionOptions { Url = server.Url },
        CommitInterval = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Polls <paramref name="condition"/> until true or the deadline passes (then fails with <paramref name="what"/>).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 60)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>Polls an asynchronous <paramref name="condition"/> until true or the deadline passes.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>Every message of the stream, in order: (journal sequence header, payload).</summary>
    public static async Task<List<(long Sequence, byte[] Payload)>> ReadStreamAsync(string url, string stream)
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = url });
        var js = new NatsJSContext(nats);
        INatsJSStream info = await js.GetStreamAsync(stream);
        long count = (long)info.Info.State.Messages;
        var messages = new List<(long, byte[])>();
        if (count == 0)
        {
            return messages;
        }

        INatsJSConsumer consumer = await js.CreateOrderedConsumerAsync(stream);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (NatsJSMsg<byte[]> msg in consumer.ConsumeAsync<byte[]>(cancellationToken: timeout.Token))
        {
            long sequence = msg.Headers is { } h && h.TryGetValue(ReplicationHeaders.Sequence, out var s) ? long.Parse(s.ToString()) : -1;
            messages.Add((sequence, msg.Data ?? []));
            if (messages.Count == count)
            {
                break;
            }
        }

        return messages;
    }

    /// <summary>Asserts the stream holds journal records first..first+count-1 exactly once, in order, with the payloads written.</summary>
    public static void AssertExactlyOnce(List<(long Sequence, byte[] Payload)> messages, long count, long first = 0)
    {
        Span<byte> expected = stackalloc byte[32];
        Assert.Equal(count, messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            long value = first + i;
            Assert.Equal(value, messages[i].Sequence);
            int length = Fill(expected, value);
            Assert.True(expected[..length].SequenceEqual(messages[i].Payload), $"message {i} payload differs");
        }
    }
}
