using System.Diagnostics;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary>
/// Real SIGINT and SIGTERM sent to the tool running as a child process: write keeps what it read and closes its
/// channel, tail -f and bench stop (bench deleting what it created), and each exits 130 or 143. Every wait polls
/// for an event with a deadline.
/// </summary>
public sealed class SignalTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void Write_publishes_what_it_read_closes_the_channel_and_exits_with_the_signals_code(string signal, int exitCode)
    {
        using var root = new TempRoot();
        using ChildProcess write = StartTool("write", root.Path, "1", "7");
        write.StandardInput.Write("first\nsecond\n");
        write.StandardInput.Flush();
        WaitUntil(() => CountRecords(root.Path, 7) == 2, "the two records to be published", write);

        Signal(write, signal);

        Assert.Equal(exitCode, write.WaitForExit(Deadline));
        using ShmReader reader = ShmReader.Open(root.Path, 7);
        Assert.Equal("first"u8.ToArray(), reader.TryRead().Payload.ToArray());
        Assert.Equal("second"u8.ToArray(), reader.TryRead().Payload.ToArray());
        Assert.Equal(ReadStatus.Closed, reader.TryRead().Status);
        Assert.Contains("wrote 2 records", write.StandardError, StringComparison.Ordinal);
        Assert.Contains($"interrupted by SIG{signal}", write.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", write.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void Tail_follow_stops_on_a_signal_with_its_code(string signal, int exitCode)
    {
        using var root = new TempRoot();
        using var writer = ShmWriter.Create(root.Path, Metadata.Create(1, 5, 16384, 100, 60_000, TickUnit.Millis));
        writer.Write("before"u8);
        using ChildProcess tail = StartTool("tail", root.Path, "5", "-f");
        tail.WaitForLine(line => line == "before", Deadline);

        Signal(tail, signal);

        Assert.Equal(exitCode, tail.WaitForExit(Deadline));
        Assert.Equal("before\n", tail.StandardOutput);
        Assert.Equal($"kekbit: interrupted by SIG{signal}\n", tail.StandardError);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void Bench_stops_on_a_signal_and_removes_everything_it_created(string signal, int exitCode)
    {
        using var parent = new TempRoot();
        // A folder that does not exist yet: bench creates it for its channel, and must remove it too.
        string folder = Path.Combine(parent.Path, "made", "by-bench");
        using ChildProcess bench = StartTool("bench", "--records", "20000000", "--size", "0", "--folder", folder, "--json");
        WaitUntil(() => Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.kekbit", SearchOption.AllDirectories).Any(), "bench's channel to appear", bench);

        Signal(bench, signal);

        Assert.Equal(exitCode, bench.WaitForExit(Deadline));
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent.Path));
        Assert.Contains($"interrupted by SIG{signal}", bench.StandardError, StringComparison.Ordinal);
    }

    private static ChildProcess StartTool(params string[] args) =>
        ChildProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "kekbit.dll"), .. args]);

    private static void Signal(ChildProcess child, string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(kill.WaitForExit(Deadline) && kill.ExitCode == 0, $"kill -s {signal} failed");
    }

    private static long CountRecords(string root, ulong channelId)
    {
        try
        {
            using ShmReader reader = ShmReader.Open(root, channelId);
            long count = 0;
            while (reader.TryRead().IsRecord)
            {
                count++;
            }

            return count;
        }
        catch (ChannelException)
        {
            return -1; // Not created yet.
        }
    }

    private static void WaitUntil(Func<bool> condition, string what, ChildProcess child)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > Deadline || child.HasExited)
            {
                throw new TimeoutException($"Gave up waiting for {what}. stdout:\n{child.StandardOutput}\nstderr:\n{child.StandardError}");
            }

            Thread.Sleep(5);
        }
    }
}
