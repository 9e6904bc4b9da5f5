using Kekbit.Journal;
using Kekbit.TestSupport;
using static Kekbit.Replication.Nats.Tests.ReplicationTestSupport;

namespace Kekbit.Replication.Nats.Tests;

public sealed class PushTests
{
    [Fact]
    public async Task Push_publishes_every_record_once_in_order_and_resumes_where_it_stopped()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        string folder = Path.Combine(root.Path, "origin");
        using JournalWriter writer = JournalWriter.Open(folder, Small);
        WriteValues(writer, 0, 5_000);

        var push = new NatsPushReplicator(Push(server, folder));
        await push.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => push.GetStatus().LastReplicatedSequence == 4_999, "the first 5,000 records");
        Assert.Equal(0, push.GetStatus().LagRecords);
        await push.StopAsync(CancellationToken.None);
        push.Dispose();

        // More records while no replicator runs, then a new one: it continues after the stream's last record.
        WriteValues(writer, 5_000, 3_000);
        var again = new NatsPushReplicator(Push(server, folder));
        Assert.Equal(8_000, again.GetStatus().LagRecords); // not started: nothing acknowledged yet
        await again.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => again.GetStatus().LastReplicatedSequence == 7_999, "the next 3,000 records");
        await again.StopAsync(CancellationToken.None);
        again.Dispose();

        AssertExactlyOnce(await ReadStreamAsync(server.Url, "orders"), 8_000);
    }
}
