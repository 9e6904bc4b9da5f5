using Kekbit.Journal;
using Kekbit.TestSupport;
using static Kekbit.Replication.Nats.Tests.ReplicationTestSupport;

namespace Kekbit.Replication.Nats.Tests;

public sealed class ServerRestartTests
{
    [Fact]
    public async Task Server_down_for_seconds_then_restarted_nothing_lost_or_duplicated_lag_rises_and_falls_writer_never_blocked()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        string origin = Path.Combine(root.Path, "origin");
        using JournalWriter writer = JournalWriter.Open(origin, Small);

        using var push = new NatsPushReplicator(Push(server, origin) with { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(500) });
        await push.StartAsync(CancellationToken.None);

        // A writer thread that keeps appending while the server goes away and comes back.
        using var serverDown = new ManualResetEventSlim();
        long writtenWhileDown = 0;
        var writing = Task.Factory.StartNew(() =>
        {
            for (long v = 0; v < 60_000; v += 1_000)
            {
                WriteValues(writer, v, 1_000);
                if (v == 20_000)
                {
                    Assert.True(serverDown.Wait(TimeSpan.FromSeconds(60)), "the server did not go down");
                }

                if (serverDown.IsSet)
                {
                    writtenWhileDown += 1_000;
                }
            }
        }, TaskCreationOptions.LongRunning);

        await WaitUntilAsync(() => push.GetStatus().LastReplicatedSequence >= 5_000, "records before the restart");
        await server.StopAsync();
        serverDown.Set();

        // The writer finishes its 40,000 remaining records while the server is down: replication never blocks it.
        await writing.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(writtenWhileDown >= 39_000, $"only {writtenWhileDown} records written while the server was down");
        ReplicationStatus behind = push.GetStatus();
        Assert.True(behind.LagRecords >= 39_000, $"lag {behind.LagRecords} records");
        Assert.True(behind.IsRunning);
        await WaitUntilAsync(() => push.GetStatus().Lag > TimeSpan.FromSeconds(2), "the lag to grow past 2 s");
        Assert.False(push.GetStatus().IsConnected);

        await server.StartAgainAsync();
        await WaitUntilAsync(() => push.GetStatus() is { LastReplicatedSequence: 59_999, LagRecords: 0 } || push.GetStatus().Fault is not null, "replication to catch up");
        ReplicationStatus caughtUp = push.GetStatus();
        Assert.Null(caughtUp.Fault);
        Assert.Equal(TimeSpan.Zero, caughtUp.Lag);
        Assert.True(caughtUp.Recoveries >= 1);
        await push.StopAsync(CancellationToken.None);

        AssertExactlyOnce(await ReadStreamAsync(server.Url, "orders"), 60_000);
    }
}
