using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.Replication.Nats;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

public sealed class ReplicateCommandTests
{
    [Fact]
    public async Task Replicate_status_shows_the_last_replicated_sequence_and_the_lag_and_errors_are_one_line_with_exit_codes()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-tool-nats");
        string origin = Path.Combine(root.Path, "origin");
        using JournalWriter writer = JournalWriter.Open(origin, new JournalWriterOptions { SegmentCapacity = 1 << 20, PreTouch = false });
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(WriteStatus.Success, writer.Write("record"u8).Status);
        }

        using (var push = new NatsPushReplicator(new NatsPushOptions { JournalFolder = origin, Stream = "orders", Connection = new NatsConnectionOptions { Url = server.Url } }))
        {
            await push.StartAsync(TestContext.Current.CancellationToken);
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (push.GetStatus().LastReplicatedSequence != 99)
            {
                Assert.True(DateTime.UtcNow < deadline, "replication did not finish");
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            await push.StopAsync(TestContext.Current.CancellationToken);
        }

        for (int i = 0; i < 50; i++)
        {
            writer.Write("later"u8);
        }

        ToolRun status = ToolRun.InProcess("replicate", "status", origin, "--stream", "orders", "--url", server.Url);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("last replicated sequence 99, lag 50 records", status.Output, StringComparison.Ordinal);

        ToolRun json = ToolRun.InProcess("replicate", "status", origin, "--stream", "orders", "--url", server.Url, "--json");
        Assert.Contains("\"lagRecords\":50", json.Output, StringComparison.Ordinal);

        ToolRun missing = ToolRun.InProcess("replicate", "status", origin, "--stream", "nope", "--url", server.Url);
        Assert.Equal(3, missing.ExitCode);
        Assert.Single(missing.ErrorLines);

        ToolRun noStream = ToolRun.InProcess("replicate", "mirror", Path.Combine(root.Path, "mirror"), "--stream", "nope", "--url", server.Url, "--no-wait");
        Assert.Equal(3, noStream.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(root.Path, "mirror")));

        ToolRun unreachable = ToolRun.InProcess("replicate", "mirror", Path.Combine(root.Path, "mirror"), "--stream", "orders",
            "--url", $"nats://127.0.0.1:{NatsServer.FreePort()}", "--password", "secret-word");
        Assert.Equal(3, unreachable.ExitCode);
        Assert.DoesNotContain("secret-word", unreachable.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root.Path, "mirror")));
    }
}
