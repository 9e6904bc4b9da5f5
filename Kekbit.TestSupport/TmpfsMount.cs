using System.Diagnostics;

namespace Kekbit.TestSupport;

/// <summary>
/// A small, real tmpfs file system mounted for one test (<c>mount -t tmpfs -o size=…</c>), so that "disk full"
/// is the kernel's own ENOSPC, and "read-only file system" its own EROFS. Needs root: elsewhere <see cref="TryMount"/> says why not, and the test skips
/// visibly. Disposing unmounts it and removes the mount point, even when the test failed.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>Bytes still free on the file system.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (as mount(8) spells it, e.g. "1m"); null with the reason when it cannot.</summary>
    /// <param name="size">The file system's size.</param>
    /// <param name="whyNot">Why it could not be mounted.</param>
    /// <param name="readOnly">Mount it read-only: every attempt to create a file fails with EROFS.</param>
    /// <param name="huge">The tmpfs <c>huge=</c> option (e.g. "within_size": files backed by 2 MiB pages); none when null.</param>
    public static TmpfsMount? TryMount(string size, out string whyNot, bool readOnly = false, string? huge = null)
    {
        whyNot = "";
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            whyNot = $"mounting a tmpfs needs root on Linux (running as '{Environment.UserName}' on {Environment.OSVersion})";
            return null;
        }

        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kekbit-tmpfs-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        (int code, string output) = Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700{(readOnly ? ",ro" : "")}{(huge is null ? "" : ",huge=" + huge)}", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            whyNot = $"mount -t tmpfs failed (exit {code}): {output.Trim()}";
            return null;
        }

        return new TmpfsMount(path);
    }

    public void Dispose()
    {
        // A process killed a moment ago may still hold a mapping: fall back to a lazy unmount rather than leak the mount.
        if (Run("umount", Path).Code != 0)
        {
            Run("umount", "-l", Path);
        }

        Directory.Delete(Path, recursive: true);
    }

    private static (int Code, string Output) Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            return (-1, $"{command} did not finish");
        }

        return (process.ExitCode, output);
    }
}
