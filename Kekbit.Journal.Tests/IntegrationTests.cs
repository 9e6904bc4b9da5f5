using System.Threading.Channels;
using Kekbit.Core;
using Kekbit.Reactive;
using Kekbit.TestSupport;
using static Kekbit.Journal.Tests.JournalTestSupport;

namespace Kekbit.Journal.Tests;

/// <summary>A journal is an IWriter and an IWaitableReader: the reactive layer and waiting work on it unchanged.</summary>
public sealed class IntegrationTests
{
    [Fact]
    public async Task A_channel_piped_into_a_journal_reads_back_across_rolls_with_ReadAllAsync()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        var source = Channel.CreateUnbounded<long>();
        RecordEncoder<long> encode = static (value, record) =>
        {
            Span<byte> span = record.GetSpan(32);
            int length = Fill(span, value);
            record.Advance(length);
        };
        using (var writer = JournalWriter.Open(folder, Small()))
        {
            for (long v = 0; v < 3000; v++)
            {
                await source.Writer.WriteAsync(v, TestContext.Current.CancellationToken);
            }

            source.Writer.Complete();
            long written = await source.Reader.WriteAllAsync(writer, encode, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(3000, written);
            Assert.True(writer.Rolls > 3);
        }

        using var reader = JournalReader.Open(folder);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        long expected = 0;
        await foreach (Kekbit.Reactive.Record record in reader.ReadAllAsync(cancel.Token))
        {
            Assert.Equal(expected, ValueOf(record.Span));
            if (++expected == 3000)
            {
                break;
            }
        }

        Assert.Equal(3000, expected);
    }

    [Fact]
    public async Task WaitForData_wakes_for_records_and_across_a_roll_and_times_out_when_idle()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using var writer = JournalWriter.Open(folder, Small());
        using var reader = JournalReader.Open(folder);
        Assert.False(reader.WaitForData(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken));
        Assert.False(await reader.WaitForDataAsync(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken));

        long received = 0;
        var consumer = Task.Run(async () =>
        {
            while (received < 2000)
            {
                if (await reader.WaitForDataAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken))
                {
                    received += ReadAvailable(reader).Count;
                }
                else
                {
                    return;
                }
            }
        }, TestContext.Current.CancellationToken);
        for (long v = 0; v < 2000; v += 50)
        {
            WriteValues(writer, v, 50);
            await Task.Yield();
        }

        await consumer.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(2000, received);
        Assert.True(writer.Rolls > 2);

        var blocking = Task.Run(() => reader.WaitForData(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        WriteValues(writer, 2000, 1);
        Assert.True(await blocking.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Records_written_through_AsObserver_land_in_the_journal()
    {
        using var root = new TempRoot();
        string folder = NewFolder(root);
        using (var writer = JournalWriter.Open(folder, Small()))
        {
            using ChannelObserver<byte[]> sink = writer.AsObserver<byte[]>(static (bytes, record) => record.Write(bytes));
            Span<byte> payload = stackalloc byte[32];
            for (long v = 0; v < 1000; v++)
            {
                int length = Fill(payload, v);
                sink.OnNext(payload[..length].ToArray());
            }

            sink.OnCompleted();
            Assert.Equal(1000, writer.NextSequence);
        }

        using var reader = JournalReader.Open(folder);
        Assert.Equal(1000, ReadAvailable(reader).Count);
    }
}
