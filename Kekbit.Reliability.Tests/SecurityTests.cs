using System.Reflection;
using System.Runtime.InteropServices;
using Kekbit.Core;
using Kekbit.TestSupport;

namespace Kekbit.Reliability.Tests;

/// <summary>
/// Issue 6's security requirements: owner-only files and folders by default, group modes on request, never
/// world-writable; readers map read-only (by API and by the kernel); the root folder policy (a file is refused,
/// a symbolic link to a folder is followed, a link planted at a channel's path is never written through).
/// </summary>
public sealed class SecurityTests : IDisposable
{
    private const ulong ChannelId = 0x51;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnlyFile | UnixFileMode.UserExecute;
    private readonly TempRoot _temp = new("kekbit-security");

    [Fact]
    public void Files_are_0600_and_created_folders_0700_by_default()
    {
        string root = Path.Combine(_temp.Path, "new", "root");
        using (var writer = ShmWriter.Create(root, NewMetadata()))
        {
        }

        string file = StorageLayout.ChannelFile(root, ChannelId);
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(file));
        foreach (string folder in new[] { Path.GetDirectoryName(file)!, root, Path.GetDirectoryName(root)! })
        {
            Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(folder));
        }
    }

    [Theory]
    [InlineData("000", "600", "700", OwnerOnlyFile, OwnerOnlyFolder)]
    [InlineData("077", "640", "750", OwnerOnlyFile | UnixFileMode.GroupRead, OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute)]
    [InlineData("022", "660", "770", OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute)]
    public void Configured_modes_hold_whatever_the_creators_umask(string umask, string fileMode, string folderMode, UnixFileMode expectedFile, UnixFileMode expectedFolder)
    {
        // A real writer process started under the given umask: a permissive umask must not widen the defaults,
        // and a restrictive one must not narrow a group mode that was asked for.
        string root = Path.Combine(_temp.Path, "r" + umask);
        string agent = Path.Combine(AppContext.BaseDirectory, "Kekbit.TestAgent.dll");
        using ChildProcess writer = ChildProcess.Start("sh", ["-c", $"umask {umask} && exec dotnet \"$0\" \"$@\"", agent, "write", root, "81", "1", "--file-mode", fileMode, "--folder-mode", folderMode]);
        writer.WaitFor("CLOSED");
        string file = StorageLayout.ChannelFile(root, 81);
        Assert.Equal((expectedFile, expectedFolder, expectedFolder), (File.GetUnixFileMode(file), File.GetUnixFileMode(Path.GetDirectoryName(file)!), File.GetUnixFileMode(root)));
    }

    [Fact]
    public void World_writable_modes_are_refused_and_nothing_is_created()
    {
        string root = Path.Combine(_temp.Path, "never");
        Assert.Throws<ArgumentException>(() => ShmWriter.Create(root, NewMetadata(), options: new ShmWriterOptions { FileMode = OwnerOnlyFile | UnixFileMode.OtherWrite }));
        Assert.Throws<ArgumentException>(() => ShmWriter.Create(root, NewMetadata(), options: new ShmWriterOptions { FolderMode = OwnerOnlyFolder | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute }));
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public void Readers_hand_out_no_writable_memory_by_api()
    {
        Type[] writable = [typeof(Span<byte>), typeof(Memory<byte>), typeof(byte[]), typeof(IntPtr), typeof(byte*), typeof(RecordBuffer), typeof(Stream)];
        var exposed = new[] { typeof(ShmReader), typeof(TimeoutReader), typeof(ReadResult), typeof(IReader), typeof(AvailableRecords) }
            .SelectMany(type => type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .Where(member => member is not MethodInfo { Name: "ToArray" }) // a copy, not the channel
            .Where(member => member switch
            {
                PropertyInfo property => writable.Contains(property.PropertyType),
                MethodInfo method => writable.Contains(method.ReturnType) || method.GetParameters().Any(p => writable.Contains(p.ParameterType)),
                FieldInfo field => writable.Contains(field.FieldType),
                _ => false,
            })
            .Select(member => $"{member.DeclaringType?.Name}.{member.Name}");
        Assert.Empty(exposed);
    }

    [Fact]
    public void The_kernel_maps_a_readers_view_read_only()
    {
        WriteChannel(_temp.Path);
        string file = Path.GetFullPath(_temp.ChannelFile(ChannelId));
        using var reader = ShmReader.Open(_temp.Path, ChannelId);
        string[] mappings = [.. File.ReadAllLines("/proc/self/maps").Where(line => line.EndsWith(file, StringComparison.Ordinal))];
        Assert.NotEmpty(mappings);
        // The permission column is "r--s": readable, shared, never writable.
        Assert.All(mappings, line => Assert.Equal("r--s", line.Split(' ')[1]));
    }

    [Fact]
    public void A_reader_that_casts_away_read_only_dies_and_the_channel_is_unchanged()
    {
        WriteChannel(_temp.Path);
        byte[] before = ChannelBytes.Read(_temp.ChannelFile(ChannelId));
        using ChildProcess hostile = ChildProcess.StartAgent("tamper", _temp.Path, ChannelId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        hostile.WaitFor("TAMPERING");
        int exitCode = hostile.WaitForExit(AgentOutput.Deadline);
        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain("TAMPERED", hostile.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(before, ChannelBytes.Read(_temp.ChannelFile(ChannelId)));
    }

    [Fact]
    public void A_root_that_is_a_file_is_refused_by_writers_and_readers()
    {
        string root = Path.Combine(_temp.Path, "a-file");
        File.WriteAllText(root, "not a folder");
        Assert.Equal(ChannelError.InvalidRootFolder, Assert.Throws<ChannelException>(() => ShmWriter.Create(root, NewMetadata())).Error);
        Assert.Equal(ChannelError.InvalidRootFolder, Assert.Throws<ChannelException>(() => ShmReader.Open(root, ChannelId)).Error);
        Assert.Equal(ChannelError.InvalidRootFolder, Assert.Throws<ChannelException>(() => ShmReader.OpenWhenReady(root, ChannelId, AgentOutput.Deadline, TestContext.Current.CancellationToken)).Error);
        Assert.Equal("not a folder", File.ReadAllText(root));
    }

    [Fact]
    public void A_root_that_links_to_a_folder_is_followed_and_a_dangling_link_is_refused()
    {
        string real = Path.Combine(_temp.Path, "real");
        Directory.CreateDirectory(real);
        string link = Path.Combine(_temp.Path, "link");
        Directory.CreateSymbolicLink(link, real);
        WriteChannel(link);
        Assert.True(File.Exists(StorageLayout.ChannelFile(real, ChannelId)), "the channel was not created in the link's target");
        using (var throughLink = ShmReader.Open(link, ChannelId))
        using (var throughTarget = ShmReader.Open(real, ChannelId))
        {
            Assert.Equal(LiveReader.ReadAvailable(throughLink).Tally, LiveReader.ReadAvailable(throughTarget).Tally);
        }

        string dangling = Path.Combine(_temp.Path, "dangling");
        File.CreateSymbolicLink(dangling, Path.Combine(_temp.Path, "nowhere"));
        Assert.Equal(ChannelError.InvalidRootFolder, Assert.Throws<ChannelException>(() => ShmWriter.Create(dangling, NewMetadata())).Error);
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "nowhere")));
    }

    [Fact]
    public void A_link_planted_at_a_channels_path_is_never_written_through()
    {
        string victim = Path.Combine(_temp.Path, "victim");
        string channelFile = _temp.ChannelFile(ChannelId);
        Directory.CreateDirectory(Path.GetDirectoryName(channelFile)!);
        File.CreateSymbolicLink(channelFile, victim);
        Assert.Equal(ChannelError.StorageAlreadyExists, Assert.Throws<ChannelException>(() => ShmWriter.Create(_temp.Path, NewMetadata())).Error);
        Assert.False(File.Exists(victim), "the writer created the link's target");

        File.WriteAllText(victim, "precious");
        Assert.Equal(ChannelError.StorageAlreadyExists, Assert.Throws<ChannelException>(() => ShmWriter.Create(_temp.Path, NewMetadata())).Error);
        Assert.Equal("precious", File.ReadAllText(victim));
    }

    [Fact]
    public void A_fifo_planted_at_a_channels_path_is_refused_instead_of_hanging_the_reader()
    {
        // Regression: opening a FIFO for reading blocks until a writer opens it, so a planted FIFO hung readers.
        string channelFile = _temp.ChannelFile(ChannelId);
        MakeFifo(channelFile);
        Assert.Equal(ChannelError.FileTooShort, OpenWithoutHanging());
        Assert.Equal(ChannelError.FileTooShort, Assert.Throws<ChannelException>(() => ShmReader.OpenWhenReady(_temp.Path, ChannelId, AgentOutput.Deadline, TestContext.Current.CancellationToken)).Error);
    }

    [Fact]
    public void A_fifo_planted_at_a_lock_path_is_not_read_and_hangs_nobody()
    {
        // Regression: checking a lock read its content (the creator's process id); a FIFO there blocked that read forever.
        WriteChannel(_temp.Path);
        MakeFifo(StorageLayout.LockFile(_temp.Path, ChannelId));
        Assert.Equal(ChannelError.StorageNotReady, OpenWithoutHanging());
        Assert.Equal(ChannelError.StorageAlreadyExists, Assert.Throws<ChannelException>(() => ShmWriter.Create(_temp.Path, NewMetadata())).Error);
    }

    private static void MakeFifo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using ChildProcess mkfifo = ChildProcess.Start("mkfifo", [path]);
        Assert.Equal(0, mkfifo.WaitForExit(AgentOutput.Deadline));
    }

    /// <summary>Opens the channel on another thread, so that a regression hangs that thread and fails, not the test run.</summary>
    private ChannelError? OpenWithoutHanging()
    {
        ChannelError? error = null;
        var opener = new Thread(() =>
        {
            try
            {
                ShmReader.Open(_temp.Path, ChannelId).Dispose();
            }
            catch (ChannelException e)
            {
                error = e.Error;
            }
        }) { IsBackground = true };
        opener.Start();
        Assert.True(opener.Join(AgentOutput.Deadline), "opening the channel hung the reader");
        return error;
    }

    public void Dispose() => _temp.Dispose();

    private static Metadata NewMetadata() => Metadata.Create(1, ChannelId, 16384, 64, 1000, TickUnit.Millis);

    private static void WriteChannel(string root)
    {
        using var writer = ShmWriter.Create(root, NewMetadata());
        byte[] payload = new byte[32];
        for (int i = 0; i < 4; i++)
        {
            RecordPattern.Fill(payload, (ulong)i);
            Assert.True(writer.Write(payload).IsSuccess);
        }
    }
}
