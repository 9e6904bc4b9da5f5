using System.Buffers.Binary;
using System.Text.Json;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Tool.Tests;

/// <summary>
/// ls and info on awkward file systems: unreadable folders, link loops, a root reached through a link, a writer of
/// another user, a read-only file system; and the small promises: ls on a file, dump --count 0, bench --folder.
/// "Unreadable" and "another user" need two users: the tests run as root and start the tool as nobody
/// (<c>setpriv --reuid=65534</c>), for whom a 0700 folder of root's is unreadable and root's processes are invisible.
/// </summary>
public sealed class ListingTests : IDisposable
{
    private const int Nobody = 65534;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly ShmWriterOptions WorldReadable = new()
    {
        FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
    };

    private readonly TempRoot _root = new();
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        for (int i = _disposables.Count - 1; i >= 0; i--)
        {
            _disposables[i].Dispose();
        }

        _root.Dispose();
    }

    [Fact]
    public void Ls_skips_a_folder_it_cannot_read_with_a_warning_and_lists_the_rest()
    {
        SkipUnlessRoot();
        Closed(1, WorldReadable);
        Closed(0x1_0000_0001, ShmWriterOptions.Default); // Its folder, 0000_0001, is 0700: closed to nobody.

        ToolRun run = RunAsNobody("ls", _root.Path, "--json");

        Assert.Equal(0, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Output);
        JsonElement channel = Assert.Single(json.RootElement.GetProperty("channels").EnumerateArray());
        Assert.Equal("closed", channel.GetProperty("state").GetString());
        JsonElement skipped = Assert.Single(json.RootElement.GetProperty("skipped").EnumerateArray());
        Assert.Equal(Path.Combine(_root.Path, "0000_0001"), skipped.GetProperty("folder").GetString());
        Assert.Contains("warning: skipped " + Path.Combine(_root.Path, "0000_0001"), Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void A_live_channel_of_another_user_is_live_for_ls_and_info()
    {
        SkipUnlessRoot();
        Live(2, WorldReadable); // Written by this process (root): its maps are closed to nobody.

        ToolRun info = RunAsNobody("info", _root.Path, "2", "--json");
        ToolRun ls = RunAsNobody("ls", _root.Path, "--json");

        Assert.Equal(0, info.ExitCode);
        using JsonDocument infoJson = JsonDocument.Parse(info.Output);
        Assert.Equal("live", infoJson.RootElement.GetProperty("state").GetString());
        using JsonDocument lsJson = JsonDocument.Parse(ls.Output);
        Assert.Equal("live", Assert.Single(lsJson.RootElement.GetProperty("channels").EnumerateArray()).GetProperty("state").GetString());
    }

    [Fact]
    public void A_channel_left_open_by_a_writer_that_exited_is_abandoned_at_once()
    {
        if (!ChannelWriters.Scan().IsComplete)
        {
            Assert.Skip("SKIPPED: other users' processes are invisible here, so a recent channel counts as live until its timeout");
        }

        ToolRun write = ToolRun.AsProcess("a\n"u8.ToArray(), "write", _root.Path, "1", "4", "--no-close");
        ToolRun ls = ToolRun.InProcess("ls", _root.Path, "--json");

        Assert.Equal(0, write.ExitCode);
        using JsonDocument json = JsonDocument.Parse(ls.Output);
        JsonElement channel = Assert.Single(json.RootElement.GetProperty("channels").EnumerateArray());
        Assert.Equal("abandoned", channel.GetProperty("state").GetString());
        Assert.Equal("not closed, and no process on this host maps it writable", channel.GetProperty("reason").GetString());
    }

    [Fact]
    public void A_live_channel_under_a_linked_root_is_live_and_names_its_writer()
    {
        Live(3, ShmWriterOptions.Default);
        string link = _root.Path + "-link";
        File.CreateSymbolicLink(link, _root.Path);
        _disposables.Add(new Deleter(link));

        ToolRun info = ToolRun.InProcess("info", link, "3", "--json");
        ToolRun ls = ToolRun.InProcess("ls", link, "--json");

        using JsonDocument infoJson = JsonDocument.Parse(info.Output);
        Assert.Equal("live", infoJson.RootElement.GetProperty("state").GetString());
        Assert.Equal(Environment.ProcessId, infoJson.RootElement.GetProperty("writerProcessId").GetInt32());
        using JsonDocument lsJson = JsonDocument.Parse(ls.Output);
        Assert.Equal("live", Assert.Single(lsJson.RootElement.GetProperty("channels").EnumerateArray()).GetProperty("state").GetString());
    }

    [Fact]
    public void Ls_follows_a_linked_folder_once_and_never_loops()
    {
        Closed(1, ShmWriterOptions.Default);
        using var elsewhere = new TempRoot();
        using (ShmWriter writer = ShmWriter.Create(elsewhere.Path, Metadata.Create(1, 0x2_0000_0000, 16384, 100, 1000, TickUnit.Millis)))
        {
        }

        Directory.CreateSymbolicLink(Path.Combine(_root.Path, "0000_0000", "loop"), _root.Path);
        Directory.CreateSymbolicLink(Path.Combine(_root.Path, "loop-too"), Path.Combine(_root.Path, "0000_0000"));
        Directory.CreateSymbolicLink(Path.Combine(_root.Path, "elsewhere"), elsewhere.Path);

        ToolRun run = ToolRun.InProcess("ls", _root.Path, "--json");

        Assert.Equal(0, run.ExitCode);
        using JsonDocument json = JsonDocument.Parse(run.Output);
        string[] paths = [.. json.RootElement.GetProperty("channels").EnumerateArray().Select(c => Path.GetRelativePath(_root.Path, c.GetProperty("path").GetString()!))];
        Assert.Equal(["0000_0000/0000_0001.kekbit", "elsewhere/0000_0002/0000_0000.kekbit"], paths);
    }

    [Fact]
    public void Ls_says_why_a_channel_is_corrupted()
    {
        Closed(1, ShmWriterOptions.Default);
        string damaged = StorageLayout.ChannelFile(_root.Path, 1);
        byte[] bytes = File.ReadAllBytes(damaged);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1024 + 16), 0xDEAD_BEEFUL); // Record 2's length slot (record 1, "a", takes 16 bytes).
        File.WriteAllBytes(damaged, bytes);
        string garbage = Path.Combine(_root.Path, "garbage.kekbit");
        File.WriteAllBytes(garbage, new byte[4096]);

        ToolRun table = ToolRun.InProcess("ls", _root.Path);
        ToolRun json = ToolRun.InProcess("ls", _root.Path, "--json");

        Assert.Equal(0, table.ExitCode);
        Assert.Equal(
            [
                "kekbit: 0000_0000/0000_0001.kekbit is corrupted: damaged at position 16 (file offset 1040): a length slot holds a value that is neither a record length nor a marker (UnknownMarker)",
                "kekbit: garbage.kekbit is corrupted: the signature is zero: the header was never completed (its creator may have crashed) (InvalidSignature)",
            ],
            table.ErrorLines);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        string?[] reasons = [.. document.RootElement.GetProperty("channels").EnumerateArray().Select(c => c.GetProperty("reason").GetString())];
        Assert.All(reasons, reason => Assert.False(string.IsNullOrEmpty(reason)));
    }

    [Fact]
    public void Ls_on_a_file_and_info_on_a_folder_say_what_they_were_given()
    {
        Closed(1, ShmWriterOptions.Default);

        ToolRun ls = ToolRun.InProcess("ls", StorageLayout.ChannelFile(_root.Path, 1));
        ToolRun info = ToolRun.InProcess("info", _root.Path);

        Assert.Equal(2, ls.ExitCode);
        Assert.Contains("is a file, not a folder", Assert.Single(ls.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(2, info.ExitCode);
        Assert.Contains("is a folder", Assert.Single(info.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_count_0_prints_nothing()
    {
        Closed(1, ShmWriterOptions.Default);

        ToolRun run = ToolRun.InProcess("dump", _root.Path, "1", "--count", "0");

        Assert.Equal((0, "", ""), (run.ExitCode, run.Output, run.Error));
    }

    [Fact]
    public void Bench_removes_the_folders_it_created_for_its_channel()
    {
        string folder = Path.Combine(_root.Path, "new", "deeper");

        ToolRun run = ToolRun.InProcess("bench", "--records", "1000", "--folder", folder, "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.Path));
    }

    [Fact]
    public void Bench_sizes_its_channel_for_a_large_payload_and_refuses_an_impossible_one()
    {
        ToolRun large = ToolRun.InProcess("bench", "--records", "2", "--size", "100000", "--folder", _root.Path, "--json");
        ToolRun impossible = ToolRun.InProcess("bench", "--records", "3", "--size", "2000000000", "--folder", _root.Path);

        Assert.Equal(0, large.ExitCode);
        Assert.Equal(2, impossible.ExitCode);
        Assert.Contains("need more than the largest channel", Assert.Single(impossible.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.Path));
    }

    [Fact]
    public void A_write_refused_by_a_read_only_file_system_exits_with_the_io_error_code()
    {
        using TmpfsMount? readOnly = TmpfsMount.TryMount("1m", out string whyNot, readOnly: true);
        if (readOnly is null)
        {
            Assert.Skip($"SKIPPED read-only file system case: {whyNot}");
        }

        ToolRun run = ToolRun.AsProcess("a\n"u8.ToArray(), "write", readOnly.Path, "1", "1", "--json");

        Assert.Equal(6, run.ExitCode);
        Assert.Contains("Read-only file system", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(run.Output);
        Assert.Equal(6, json.RootElement.GetProperty("exitCode").GetInt32());
    }

    private static void SkipUnlessRoot()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Assert.Skip("SKIPPED: needs root on Linux, to run the tool as another user (nobody)");
        }
    }

    /// <summary>Runs the tool as nobody (uid 65534), in a child process.</summary>
    private static ToolRun RunAsNobody(params string[] args)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "kekbit.dll");
        string id = Nobody.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var child = ChildProcess.Start("setpriv", [$"--reuid={id}", $"--regid={id}", "--clear-groups", "env", "HOME=/tmp", "dotnet", tool, .. args]);
        child.StandardInput.Close();
        int exitCode = child.WaitForExit(Deadline);
        return new ToolRun(exitCode, child.StandardOutput, child.StandardError);
    }

    private void Closed(ulong channelId, ShmWriterOptions options)
    {
        using ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, channelId, 16384, 100, 1000, TickUnit.Millis), options: options);
        writer.Write("a"u8);
        writer.Write("b"u8);
    }

    private void Live(ulong channelId, ShmWriterOptions options)
    {
        ShmWriter writer = ShmWriter.Create(_root.Path, Metadata.Create(1, channelId, 16384, 100, 60_000, TickUnit.Millis), options: options);
        _disposables.Add(writer);
        writer.Write("live"u8);
    }

    private sealed class Deleter(string path) : IDisposable
    {
        public void Dispose() => File.Delete(path);
    }
}
