using Kekbit.Journal;
using Kekbit.TestSupport;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using static Kekbit.Replication.Nats.Tests.ReplicationTestSupport;

namespace Kekbit.Replication.Nats.Tests;

public sealed class BadInputTests
{
    private static async Task<ReplicationException> FailsAsync(Microsoft.Extensions.Hosting.BackgroundService service)
    {
        await service.StartAsync(CancellationToken.None);
        Task run = service.ExecuteTask!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Assert.ThrowsAsync<ReplicationException>(() => run.WaitAsync(deadline.Token));
    }

    [Fact]
    public async Task Foreign_messages_in_the_stream_stop_push_and_mirror_with_nothing_written_locally()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        await using (var nats = new NatsConnection(new NatsOpts { Url = server.Url }))
        {
            var js = new NatsJSContext(nats);
            await js.CreateStreamAsync(new StreamConfig("orders", ["kekbit.orders"]), TestContext.Current.CancellationToken);
            (await js.PublishAsync("kekbit.orders", "not ours"u8.ToArray(), cancellationToken: TestContext.Current.CancellationToken)).EnsureSuccess();
        }

        string origin = Path.Combine(root.Path, "origin");
        using (JournalWriter writer = JournalWriter.Open(origin, Small))
        {
            WriteValues(writer, 0, 10);
        }

        using var push = new NatsPushReplicator(Push(server, origin));
        Assert.Equal(ReplicationError.ForeignMessages, (await FailsAsync(push)).Error);
        Assert.Equal(ReplicationError.ForeignMessages, push.GetStatus().Fault?.Error);

        string mirrorFolder = Path.Combine(root.Path, "mirror");
        using var mirror = new NatsMirrorReplicator(new NatsMirrorOptions { JournalFolder = mirrorFolder, Stream = "orders", Connection = new NatsConnectionOptions { Url = server.Url } });
        Assert.Equal(ReplicationError.ForeignMessages, (await FailsAsync(mirror)).Error);
        Assert.False(Directory.Exists(mirrorFolder));
        Assert.Single(await ReadStreamAsync(server.Url, "orders"));
    }

    [Fact]
    public async Task Wrong_stream_name_unreachable_server_and_bad_credentials_are_typed_errors()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        string origin = Path.Combine(root.Path, "origin");
        using (JournalWriter writer = JournalWriter.Open(origin, Small))
        {
            WriteValues(writer, 0, 10);
        }

        string mirrorFolder = Path.Combine(root.Path, "mirror");
        using var wrongStream = new NatsPushReplicator(Push(server, origin, "nope") with { CreateStream = false });
        Assert.Equal(ReplicationError.StreamNotFound, (await FailsAsync(wrongStream)).Error);
        using var wrongMirror = new NatsMirrorReplicator(new NatsMirrorOptions { JournalFolder = mirrorFolder, Stream = "nope", WaitForStream = false, Connection = new NatsConnectionOptions { Url = server.Url } });
        Assert.Equal(ReplicationError.StreamNotFound, (await FailsAsync(wrongMirror)).Error);

        var nowhere = new NatsConnectionOptions { Url = $"nats://127.0.0.1:{NatsServer.FreePort()}", ConnectTimeout = TimeSpan.FromMilliseconds(200) };
        using var unreachable = new NatsPushReplicator(Push(server, origin) with { Connection = nowhere, MaxRetries = 2, InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(20) });
        Assert.Equal(ReplicationError.ServerUnreachable, (await FailsAsync(unreachable)).Error);
        using var unreachableMirror = new NatsMirrorReplicator(new NatsMirrorOptions { JournalFolder = mirrorFolder, Stream = "orders", Connection = nowhere });
        Assert.Equal(ReplicationError.ServerUnreachable, (await FailsAsync(unreachableMirror)).Error);
        Assert.False(Directory.Exists(mirrorFolder));

        await using NatsServer secured = await NatsServer.StartAsync("kekbit", "right-password");
        var wrong = new NatsConnectionOptions { Url = secured.Url, User = "kekbit", Password = "wrong-password" };
        using var badCredentials = new NatsPushReplicator(Push(secured, origin) with { Connection = wrong });
        ReplicationException refused = await FailsAsync(badCredentials);
        Assert.Equal(ReplicationError.AuthenticationFailed, refused.Error);
        Assert.DoesNotContain("wrong-password", refused.ToString(), StringComparison.Ordinal);
        var withSecrets = new NatsConnectionOptions { Url = "nats://kekbit:url-secret@127.0.0.1:1", Password = "wrong-password", Token = "token-secret" };
        string printed = (Push(secured, origin) with { Connection = withSecrets }).ToString();
        Assert.DoesNotContain("wrong-password", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("token-secret", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("url-secret", printed, StringComparison.Ordinal);

        // The right credentials work.
        using var allowed = new NatsPushReplicator(Push(secured, origin) with { Connection = wrong with { Password = "right-password" } });
        await allowed.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => allowed.GetStatus().LastReplicatedSequence == 9, "replication with the right credentials");
        await allowed.StopAsync(CancellationToken.None);
    }
}
