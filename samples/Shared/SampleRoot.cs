namespace Kekbit.Samples;

/// <summary>A fresh channel root folder for a sample run (under /dev/shm where present), deleted on dispose.</summary>
internal sealed class SampleRoot : IDisposable
{
    public SampleRoot(string name)
    {
        string parent = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(parent, $"kekbit-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
