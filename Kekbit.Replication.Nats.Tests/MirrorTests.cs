using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.TestSupport;
using static Kekbit.Replication.Nats.Tests.ReplicationTestSupport;

namespace Kekbit.Replication.Nats.Tests;

public sealed class MirrorTests
{
    [Fact]
    public async Task Mirror_stopped_and_restarted_equals_the_origin_record_for_record_with_origin_sequences()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        string origin = Path.Combine(root.Path, "origin");
        string mirrorFolder = Path.Combine(root.Path, "mirror");
        using JournalWriter writer = JournalWriter.Open(origin, Small);
        WriteValues(writer, 0, 4_000);

        var push = new NatsPushReplicator(Push(server, origin));
        await push.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => push.GetStatus().LastReplicatedSequence == 3_999, "the stream");
        var mirrorOptions = new NatsMirrorOptions { JournalFolder = mirrorFolder, Stream = "orders", Connection = new NatsConnectionOptions { Url = server.Url }, WriterOptions = Small };
        var mirror = new NatsMirrorReplicator(mirrorOptions);
        await mirror.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => mirror.GetStatus().Fault is null ? mirror.GetStatus().LastReplicatedSequence >= 1_000 : throw mirror.GetStatus().Fault!, "the mirror's first records");
        await mirror.StopAsync(CancellationToken.None);
        mirror.Dispose();

        WriteValues(writer, 4_000, 4_000);
        var again = new NatsMirrorReplicator(mirrorOptions);
        await again.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => again.GetStatus().LastReplicatedSequence == 7_999, "the whole origin in the mirror");
        Assert.Equal(0, again.GetStatus().LagRecords);
        await again.StopAsync(CancellationToken.None);
        again.Dispose();
        await push.StopAsync(CancellationToken.None);
        push.Dispose();

        using JournalReader left = JournalReader.Open(origin);
        using JournalReader right = JournalReader.Open(mirrorFolder);
        long count = 0;
        for (ReadResult a = left.TryRead(); a.IsRecord; a = left.TryRead(), count++)
        {
            ReadResult b = right.TryRead();
            Assert.True(b.IsRecord, $"mirror ends at {count}");
            Assert.Equal(left.LastSequence, right.LastSequence);
            Assert.True(a.Span.SequenceEqual(b.Span), $"record {count} differs");
        }

        Assert.Equal(8_000, count);
        Assert.False(right.TryRead().IsRecord);
    }
}
