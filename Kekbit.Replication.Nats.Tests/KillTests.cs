using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.TestSupport;
using NATS.Client.Core;
using NATS.Client.JetStream;
using static Kekbit.Replication.Nats.Tests.ReplicationTestSupport;

namespace Kekbit.Replication.Nats.Tests;

public sealed class KillTests
{
    private static ChildProcess StartAgent(params string[] args)
    {
        string agent = Path.Combine(AppContext.BaseDirectory, "Kekbit.Replication.Nats.TestAgent.dll");
        Assert.True(File.Exists(agent), "the replication test agent was not built beside the tests");
        return ChildProcess.Start("dotnet", [agent, .. args]);
    }

    private static async Task<long> StreamCountAsync(NatsJSContext js)
    {
        try
        {
            return (long)(await js.GetStreamAsync("orders", cancellationToken: TestContext.Current.CancellationToken)).Info.State.Messages;
        }
        catch (NatsJSApiException)
        {
            return 0; // not created yet
        }
    }

    [Fact]
    public async Task Push_replicator_killed_ten_times_during_200k_records_leaves_each_record_exactly_once_in_order_and_a_killed_mirror_equals_the_origin()
    {
        const long total = 200_000;
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        string origin = Path.Combine(root.Path, "origin");
        string mirrorFolder = Path.Combine(root.Path, "mirror");
        using JournalWriter writer = JournalWriter.Open(origin, Small);
        var writing = Task.Factory.StartNew(() =>
        {
            for (long v = 0; v < total; v += 5_000)
            {
                WriteValues(writer, v, 5_000);
                Thread.Yield();
            }
        }, TaskCreationOptions.LongRunning);

        await using var nats = new NatsConnection(new NatsOpts { Url = server.Url });
        var js = new NatsJSContext(nats);
        int kills = 0, mirrorKills = 0;
        while (kills < 10)
        {
            using ChildProcess push = StartAgent("push", server.Url, origin, "orders");
            push.WaitForLine(line => line == "started", TimeSpan.FromSeconds(60));
            long before = 0;
            before = await StreamCountAsync(js);
            // Kill it mid-flight: once it has published a few thousand more records (or everything).
            await WaitUntilAsync(async () => await StreamCountAsync(js) >= Math.Min(total, before + 3_000), "progress before the kill");
            push.Kill();
            kills++;

            if (kills % 4 == 0)
            {
                using ChildProcess mirror = StartAgent("mirror", server.Url, mirrorFolder, "orders");
                mirror.WaitForLine(line => line == "started", TimeSpan.FromSeconds(60));
                await WaitUntilAsync(() => Directory.Exists(mirrorFolder) && NatsPushReplicator.JournalHead(mirrorFolder) > 0, "the mirror to write");
                mirror.Kill();
                mirrorKills++;
            }
        }

        await writing.WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
        using (ChildProcess last = StartAgent("push", server.Url, origin, "orders"))
        {
            await WaitUntilAsync(async () => await StreamCountAsync(js) >= total, "the last push to finish", seconds: 120);
            last.Kill();
        }

        AssertExactlyOnce(await ReadStreamAsync(server.Url, "orders"), total);

        using var finalMirror = new NatsMirrorReplicator(new NatsMirrorOptions { JournalFolder = mirrorFolder, Stream = "orders", Connection = new NatsConnectionOptions { Url = server.Url }, WriterOptions = Small });
        await finalMirror.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => finalMirror.GetStatus().LastReplicatedSequence == total - 1, "the mirror to catch up", seconds: 120);
        await finalMirror.StopAsync(CancellationToken.None);
        Assert.True(mirrorKills >= 2);

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

        Assert.Equal(total, count);
        Assert.False(right.TryRead().IsRecord);
    }
}
