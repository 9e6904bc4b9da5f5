using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary>
/// Every sample and the demo run as real processes (each role its own process, as a user runs them) and pass
/// their own checks; each can be run again at once in the same folder, and none shows a stack trace.
/// </summary>
public sealed class SampleSmokeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private const ulong EchoChannel = 42;

    [Theory]
    [InlineData("Kekbit.Samples.Echo", "echo self-test passed")]
    [InlineData("Kekbit.Samples.RequestReply", "request/reply self-test passed")]
    [InlineData("Kekbit.Samples.Chat", "chat self-test passed")]
    [InlineData("Metrics", "metrics self-test passed")]
    public void Sample_self_test_passes(string sample, string verdict)
    {
        using var child = Sample(sample, "--self-test");

        Assert.Equal(0, child.WaitForExit(Deadline));
        Assert.EndsWith(verdict + "\n", child.StandardOutput, StringComparison.Ordinal);
        AssertNoStackTrace(child);
    }

    [Fact]
    public void Demo_runs_a_writer_and_two_readers_and_passes_its_checks()
    {
        using var child = Sample("Kekbit.Demo", "--records", "20000");

        Assert.Equal(0, child.WaitForExit(Deadline));
        string output = child.StandardOutput;
        Assert.Contains("Demo passed", output, StringComparison.Ordinal);
        Assert.Matches(@"reader-rx\s+21,000\s+yes\s+matches", output);
        Assert.Matches(@"reader-async\s+21,000\s+yes\s+matches", output);
    }

    [Theory]
    [InlineData("AwaitForeach", "Channel closed after 1000 readings.")]
    [InlineData("RxPipeline", "Symbol 2: ")]
    [InlineData("ChannelJournal", "Replayed 10000 orders worth ")]
    public void Reactive_sample_runs_twice_in_a_row(string sample, string lastLineStart)
    {
        for (int run = 1; run <= 2; run++)
        {
            using var child = Sample(sample);

            Assert.Equal(0, child.WaitForExit(Deadline));
            Assert.StartsWith(lastLineStart, child.StandardOutput.TrimEnd('\n').Split('\n')[^1], StringComparison.Ordinal);
            AssertNoStackTrace(child);
        }
    }

    [Fact]
    public void Echo_in_and_out_run_twice_in_a_row_in_the_same_folder()
    {
        using var root = new TempRoot();
        for (int run = 1; run <= 2; run++)
        {
            using var reader = Sample("Kekbit.Samples.Echo", "out", root.Path);
            using var writer = Sample("Kekbit.Samples.Echo", "in", root.Path);
            writer.StandardInput.Write($"hello {run}\nBye\nnever sent\n");
            writer.StandardInput.Close();

            Assert.Equal(0, writer.WaitForExit(Deadline));
            Assert.Equal(0, reader.WaitForExit(Deadline));
            Assert.Equal($"echo: hello {run}\necho: Bye\n", reader.StandardOutput);
            AssertNoStackTrace(writer, reader);
            // The reader deletes the channel once it has printed it all.
            Assert.False(File.Exists(root.ChannelFile(EchoChannel)));
        }
    }

    [Fact]
    public void Echo_in_replaces_a_closed_channel_nobody_read_and_refuses_a_live_one_in_one_line()
    {
        using var root = new TempRoot();
        foreach (string line in new[] { "first", "second" })
        {
            using var writer = Sample("Kekbit.Samples.Echo", "in", root.Path);
            writer.StandardInput.Write($"{line}\nBye\n");
            writer.StandardInput.Close();
            Assert.Equal(0, writer.WaitForExit(Deadline));
            AssertNoStackTrace(writer);
        }

        using (var reader = Sample("Kekbit.Samples.Echo", "out", root.Path))
        {
            Assert.Equal(0, reader.WaitForExit(Deadline));
            Assert.Equal("echo: second\necho: Bye\n", reader.StandardOutput);
        }

        // A channel whose writer is still there is never replaced: one line, exit 1.
        using var live = ShmWriter.Create(root.Path, Metadata.Create(1, EchoChannel, 1 << 16, 64, 60_000, TickUnit.Millis));
        using var second = Sample("Kekbit.Samples.Echo", "in", root.Path);
        second.StandardInput.Close();
        Assert.Equal(1, second.WaitForExit(Deadline));
        Assert.Contains("StorageAlreadyExists", second.StandardError, StringComparison.Ordinal);
        AssertNoStackTrace(second);
    }

    [Fact]
    public void Chat_runs_twice_in_a_row_in_the_same_folder()
    {
        using var root = new TempRoot();
        for (int run = 1; run <= 2; run++)
        {
            using var alice = Sample("Kekbit.Samples.Chat", root.Path, "alice", "bob");
            using var bob = Sample("Kekbit.Samples.Chat", root.Path, "bob", "alice");
            alice.StandardInput.Write($"hi bob ({run})\n");
            alice.StandardInput.Close();
            bob.StandardInput.Write($"hi alice ({run})\n");
            bob.StandardInput.Close();

            Assert.Equal(0, alice.WaitForExit(Deadline));
            Assert.Equal(0, bob.WaitForExit(Deadline));
            Assert.Equal($"bob: hi alice ({run})\n* bob left\n", alice.StandardOutput);
            Assert.Equal($"alice: hi bob ({run})\n* alice left\n", bob.StandardOutput);
            AssertNoStackTrace(alice, bob);
        }
    }

    [Fact]
    public void Chat_shows_a_peer_leaving_when_it_happens()
    {
        using var root = new TempRoot();
        using var alice = Sample("Kekbit.Samples.Chat", root.Path, "alice", "bob");
        using var bob = Sample("Kekbit.Samples.Chat", root.Path, "bob", "alice");
        bob.StandardInput.Write("got to go\n/quit\n");
        bob.StandardInput.Flush();

        // Alice is still typing (her input is open) when bob leaves: she sees it at once, not when she quits.
        alice.WaitForLine(line => line == "bob: got to go", Deadline);
        alice.WaitForLine(line => line == "* bob left", Deadline);
        Assert.False(alice.HasExited);
        Assert.Equal(0, bob.WaitForExit(Deadline));
        Assert.EndsWith("* you left\n", bob.StandardOutput, StringComparison.Ordinal);

        alice.StandardInput.Close();
        Assert.Equal(0, alice.WaitForExit(Deadline));
        AssertNoStackTrace(alice, bob);
    }

    [Fact]
    public void Request_reply_server_and_client_run_twice_in_a_row_in_the_same_folder()
    {
        using var root = new TempRoot();
        for (int run = 1; run <= 2; run++)
        {
            using var server = Sample("Kekbit.Samples.RequestReply", "server", root.Path);
            using var client = Sample("Kekbit.Samples.RequestReply", "client", root.Path, "20");

            Assert.Equal(0, client.WaitForExit(Deadline));
            Assert.Equal(0, server.WaitForExit(Deadline));
            Assert.Contains("client: 20 replies matched by id", client.StandardOutput, StringComparison.Ordinal);
            Assert.Equal("server: answered 20 requests; the request channel ended Closed\n", server.StandardOutput);
            AssertNoStackTrace(server, client);
        }
    }

    [Theory]
    [InlineData("Kekbit.Samples.Echo")]
    [InlineData("Kekbit.Samples.RequestReply")]
    [InlineData("Kekbit.Samples.Chat")]
    [InlineData("Kekbit.Demo")]
    public void Samples_print_usage_and_exit_2_on_unknown_arguments(string sample)
    {
        using var child = Sample(sample, "--no-such-option", "x", "y", "z");

        Assert.Equal(2, child.WaitForExit(Deadline));
        Assert.Contains("usage:", child.StandardError, StringComparison.Ordinal);
    }

    private static ChildProcess Sample(string sample, params string[] args) =>
        ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, sample + ".dll"), .. args]);

    private static void AssertNoStackTrace(params ChildProcess[] children)
    {
        foreach (ChildProcess child in children)
        {
            Assert.DoesNotContain("   at ", child.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", child.StandardOutput, StringComparison.Ordinal);
        }
    }
}
