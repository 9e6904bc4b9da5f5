namespace Kekbit.TestSupport;

/// <summary>A fresh channel root folder (under /dev/shm where present), deleted with everything in it on dispose.</summary>
public sealed class TempRoot : IDisposable
{
    public TempRoot(string? prefix = null)
    {
        string parent = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(parent, $"{prefix ?? "kekbit-test"}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string ChannelFile(ulong channelId) => Kekbit.Core.StorageLayout.ChannelFile(Path, channelId);

    public override string ToString() => Path;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
