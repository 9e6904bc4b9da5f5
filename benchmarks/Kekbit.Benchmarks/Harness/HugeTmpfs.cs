using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Kekbit.Benchmarks.Harness;

/// <summary>
/// A tmpfs mounted with <c>huge=within_size</c> (as README advises operators) for the run (root only): files in it are backed by 2 MiB pages, so a fresh
/// mapping of a channel maps 2 MiB per fault (one PMD entry) where /dev/shm (huge=never) maps 4 KiB pages, 16 per fault.
/// Unmounted and its folder deleted on dispose. This is what README tells an operator to set up for channels.
/// </summary>
internal sealed partial class HugeTmpfs : IDisposable
{
    private HugeTmpfs(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Why <see cref="TryMount"/> could not mount, when it returned null.</summary>
    public static string? SkipReason { get; private set; }

    /// <summary>Mounts a huge-page tmpfs of <paramref name="bytes"/> (rounded up to 2 MiB) under /tmp; null when not root or mount fails.</summary>
    public static HugeTmpfs? TryMount(long bytes)
    {
        if (!OperatingSystem.IsLinux() || GetEuid() != 0)
        {
            SkipReason = "skipped: not root (mounting a tmpfs needs root)";
            return null;
        }

        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kekbit-huge-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        long size = (bytes + (2 << 20) - 1) / (2 << 20) * (2 << 20);
        (int code, string output) = Run("mount", $"-t tmpfs -o huge=within_size,size={size.ToString(CultureInfo.InvariantCulture)} kekbit-huge {path}");
        if (code != 0)
        {
            Directory.Delete(path);
            SkipReason = $"skipped: mount -o huge=within_size failed ({output.Trim()})";
            return null;
        }

        return new HugeTmpfs(path);
    }

    /// <summary>This process's huge mappings of files now, from /proc/self/smaps_rollup: ShmemPmdMapped + FilePmdMapped, in KiB.</summary>
    public static long PmdMappedKiB() => SmapsKiB("ShmemPmdMapped:", "FilePmdMapped:");

    /// <summary>This process's anonymous memory backed by transparent huge pages now (AnonHugePages), in KiB: FasterLog's log memory may be.</summary>
    public static long AnonHugeKiB() => SmapsKiB("AnonHugePages:");

    private static long SmapsKiB(params string[] fields)
    {
        long total = 0;
        if (!File.Exists("/proc/self/smaps_rollup"))
        {
            return 0;
        }

        foreach (string line in File.ReadLines("/proc/self/smaps_rollup"))
        {
            if (fields.Any(field => line.StartsWith(field, StringComparison.Ordinal)))
            {
                total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    public void Dispose()
    {
        (int code, string output) = Run("umount", Path);
        if (code != 0)
        {
            Console.Error.WriteLine($"umount {Path} failed: {output.Trim()}");
            return;
        }

        Directory.Delete(Path);
    }

    private static (int Code, string Output) Run(string command, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
