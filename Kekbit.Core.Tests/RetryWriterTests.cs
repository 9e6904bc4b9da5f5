using System.Buffers.Binary;
using Kekbit.TestSupport;

namespace Kekbit.Core.Tests;

public sealed class RetryWriterTests
{
    [Fact]
    public void Several_threads_share_one_writer_and_every_record_lands_whole()
    {
        const int Threads = 3;
        const int PerThread = 2000;
        using var root = new TempRoot();
        using var shared = new RetryWriter(ShmWriter.Create(root.Path, Metadata.Create(1, 3, 1 << 20, 16, 1000, TickUnit.Millis)));
        int wouldWait = 0;
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            Span<byte> payload = stackalloc byte[16];
            for (int i = 0; i < PerThread; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(payload, t);
                BinaryPrimitives.WriteInt64LittleEndian(payload[8..], i);
                WriteResult result;
                while ((result = shared.Write(payload)).Status == WriteStatus.WouldWait)
                {
                    Interlocked.Increment(ref wouldWait);
                }

                Assert.Equal(WriteStatus.Success, result.Status);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        using var reader = ShmReader.Open(root.Path, 3);
        var next = new int[Threads];
        foreach (ReadResult record in reader.ReadAvailable())
        {
            int thread = (int)BinaryPrimitives.ReadInt64LittleEndian(record.Span);
            Assert.Equal(next[thread]++, BinaryPrimitives.ReadInt64LittleEndian(record.Span[8..]));
        }

        Assert.All(next, count => Assert.Equal(PerThread, count));
        Assert.True(wouldWait >= 0);
    }

    [Fact]
    public async Task A_writer_held_by_another_thread_makes_a_write_report_would_wait()
    {
        using var root = new TempRoot();
        using var shared = new RetryWriter(ShmWriter.Create(root.Path, Metadata.Create(1, 3, 0, 16, 1000, TickUnit.Millis)), attempts: 3);
        using var inEncoder = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        CancellationToken cancellation = TestContext.Current.CancellationToken;
        RecordEncoder<int> blocking = (_, output) =>
        {
            inEncoder.Set();
            release.Wait(TimeSpan.FromSeconds(30), cancellation);
            output.Write([1]);
        };
        var holder = Task.Run(() => shared.Write(0, blocking), TestContext.Current.CancellationToken);
        Assert.True(inEncoder.Wait(TimeSpan.FromSeconds(30), cancellation));
        Assert.Equal(WriteStatus.WouldWait, shared.Write([2]).Status);
        release.Set();
        Assert.Equal(WriteStatus.Success, (await holder).Status);
        Assert.Equal(WriteStatus.Success, shared.Write([2]).Status);
    }
}
