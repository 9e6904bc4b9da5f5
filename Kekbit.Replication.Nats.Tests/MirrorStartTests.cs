using Kekbit.Core;
using Kekbit.Journal;
using Kekbit.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using static Kekbit.Replication.Nats.Tests.ReplicationTestSupport;

namespace Kekbit.Replication.Nats.Tests;

/// <summary>Where a new mirror starts: a stream whose first record is not origin sequence 0, and a stream that does not exist yet.</summary>
public sealed class MirrorStartTests
{
    [Fact]
    public async Task A_new_mirror_of_a_journal_that_starts_late_keeps_the_origin_numbering()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        string origin = Path.Combine(root.Path, "origin");
        string mirrorFolder = Path.Combine(root.Path, "mirror");
        using JournalWriter writer = JournalWriter.Open(origin, new JournalWriterOptions { SegmentCapacity = 1 << 20, PreTouch = false, FirstSequence = 1_000 });
        WriteValues(writer, 1_000, 500);
        using var push = new NatsPushReplicator(Push(server, origin));
        await push.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => push.GetStatus().LastReplicatedSequence == 1_499, "the stream");

        using var mirror = new NatsMirrorReplicator(MirrorOptions(server, mirrorFolder));
        await mirror.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => Progress(mirror) == 1_499, "the mirror");
        await mirror.StopAsync(CancellationToken.None);
        await push.StopAsync(CancellationToken.None);

        AssertMirror(mirrorFolder, 1_000, 1_499);
    }

    [Fact]
    public async Task A_new_mirror_of_a_trimmed_stream_starts_at_its_first_message_or_where_asked_and_refuses_a_start_the_stream_lost()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        string origin = Path.Combine(root.Path, "origin");
        await using (var nats = new NatsConnection(new NatsOpts { Url = server.Url }))
        {
            // The stream keeps the last 300 messages: its first record is origin sequence 700 once 1,000 were pushed.
            await new NatsJSContext(nats).CreateStreamAsync(new StreamConfig("orders", ["kekbit.orders"]) { Storage = StreamConfigStorage.File, MaxMsgs = 300 }, TestContext.Current.CancellationToken);
        }

        using JournalWriter writer = JournalWriter.Open(origin, Small);
        WriteValues(writer, 0, 1_000);
        using var push = new NatsPushReplicator(Push(server, origin));
        await push.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => push.GetStatus().LastReplicatedSequence == 999, "the stream");
        await push.StopAsync(CancellationToken.None);

        string fromFirst = Path.Combine(root.Path, "from-first");
        using (var mirror = new NatsMirrorReplicator(MirrorOptions(server, fromFirst)))
        {
            await mirror.StartAsync(CancellationToken.None);
            await WaitUntilAsync(() => Progress(mirror) == 999, "the mirror from the stream's first message");
            await mirror.StopAsync(CancellationToken.None);
        }

        AssertMirror(fromFirst, 700, 999);

        string fromLater = Path.Combine(root.Path, "from-later");
        using (var mirror = new NatsMirrorReplicator(MirrorOptions(server, fromLater) with { WriterOptions = WithFirst(850) }))
        {
            await mirror.StartAsync(CancellationToken.None);
            await WaitUntilAsync(() => Progress(mirror) == 999, "the mirror from origin sequence 850");
            await mirror.StopAsync(CancellationToken.None);
        }

        AssertMirror(fromLater, 850, 999);

        string fromLost = Path.Combine(root.Path, "from-lost");
        using (var mirror = new NatsMirrorReplicator(MirrorOptions(server, fromLost) with { WriterOptions = WithFirst(100) }))
        {
            await mirror.StartAsync(CancellationToken.None);
            await WaitUntilAsync(() => mirror.GetStatus().Fault is not null, "the mirror's refusal");
            Assert.Equal(ReplicationError.StartSequenceMismatch, mirror.GetStatus().Fault!.Error);
            await Assert.ThrowsAsync<ReplicationException>(() => mirror.ExecuteTask!);
        }

        Assert.False(Directory.Exists(fromLost), "nothing is written locally");

        // The mirror that started at 700 resumes after a restart (its journal exists: its own end decides).
        using (var again = new NatsMirrorReplicator(MirrorOptions(server, fromFirst)))
        {
            WriteValues(writer, 1_000, 10);
            using var more = new NatsPushReplicator(Push(server, origin));
            await more.StartAsync(CancellationToken.None);
            await again.StartAsync(CancellationToken.None);
            await WaitUntilAsync(() => more.GetStatus().Fault is { } fault ? throw fault : Progress(again) == 1_009, "the restarted mirror");
            await again.StopAsync(CancellationToken.None);
            await more.StopAsync(CancellationToken.None);
        }

        AssertMirror(fromFirst, 700, 1_009);
    }

    [Fact]
    public async Task A_mirror_started_before_its_stream_exists_waits_logs_once_and_mirrors_when_it_appears()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        using var root = new TempRoot("kekbit-nats");
        string origin = Path.Combine(root.Path, "origin");
        string mirrorFolder = Path.Combine(root.Path, "mirror");
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(logs)));
        var options = MirrorOptions(server, mirrorFolder) with { InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(50) };
        using var mirror = new NatsMirrorReplicator(options, loggerFactory.CreateLogger<NatsMirrorReplicator>());
        await mirror.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => mirror.GetStatus().IsWaitingForStream, "the mirror to wait for the stream");

        // Several looks at the missing stream (more than MaxRetries would allow for failures): still waiting, logged once.
        await WaitUntilAsync(() => logs.GetSnapshot().Count(r => r.Message.Contains("does not exist yet", StringComparison.Ordinal)) == 1
            && mirror.GetStatus() is { IsRunning: true, Fault: null, IsWaitingForStream: true }, "a waiting mirror");
        Assert.False(Directory.Exists(mirrorFolder), "nothing is created while the stream is missing");

        using JournalWriter writer = JournalWriter.Open(origin, Small);
        WriteValues(writer, 0, 200);
        using var push = new NatsPushReplicator(Push(server, origin));
        await push.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => Progress(mirror) == 199, "the mirror once the stream exists");
        Assert.False(mirror.GetStatus().IsWaitingForStream);
        Assert.Equal(1, logs.GetSnapshot().Count(r => r.Message.Contains("does not exist yet", StringComparison.Ordinal)));
        await mirror.StopAsync(CancellationToken.None);
        await push.StopAsync(CancellationToken.None);
        AssertMirror(mirrorFolder, 0, 199);
    }

    private static NatsMirrorOptions MirrorOptions(NatsServer server, string folder) =>
        new() { JournalFolder = folder, Stream = "orders", Connection = new NatsConnectionOptions { Url = server.Url }, WriterOptions = Small };

    private static JournalWriterOptions WithFirst(long first) => new() { SegmentCapacity = 1 << 20, PreTouch = false, FirstSequence = first };

    /// <summary>The mirror's last written origin sequence; its fault, if any, fails the test at once.</summary>
    private static long Progress(NatsMirrorReplicator mirror)
    {
        ReplicationStatus status = mirror.GetStatus();
        return status.Fault is { } fault ? throw fault : status.LastReplicatedSequence;
    }

    /// <summary>The mirror journal holds origin sequences <paramref name="first"/>..<paramref name="last"/> with the origin's payloads.</summary>
    private static void AssertMirror(string folder, long first, long last)
    {
        using JournalReader reader = JournalReader.Open(folder);
        Span<byte> expected = stackalloc byte[32];
        long sequence = first;
        for (ReadResult read = reader.TryRead(); read.IsRecord; read = reader.TryRead(), sequence++)
        {
            Assert.Equal(sequence, reader.LastSequence);
            int length = Fill(expected, sequence);
            Assert.True(expected[..length].SequenceEqual(read.Span), $"record {sequence} differs");
        }

        Assert.Equal(last + 1, sequence);
    }
}
