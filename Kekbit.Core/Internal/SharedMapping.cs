using System.Runtime.InteropServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// A read-only mapping of a channel file shared by every <see cref="ShmReader"/> of this process that reads that file
/// (Linux): the first reader maps it, later readers take the same mapping, so their pages are mapped already and a new
/// reader takes no page fault for anything an earlier one read. A fresh mapping of a file on a 4 KiB-page file system pays
/// a fault per 16 pages (the kernel's fault-around) and the cost of each page-table entry; populating ahead (madvise) pays
/// the same, so sharing is the way not to pay it twice in one process.
/// </summary>
/// <remarks>
/// <para>
/// Files are told apart by device and inode (statx on the opened descriptor), never by path: a channel deleted and created
/// again at the same path is another file. While a file is mapped its inode cannot be reused. A file whose length differs
/// from the shared mapping's (one still being created when the first reader mapped it, say) gets a mapping of its own.
/// </para>
/// <para>
/// Lifetime: each reader holds one use (<see cref="Acquire"/>, <see cref="Release"/>, under one lock); the last release
/// unregisters the mapping and retires it (<see cref="MappedFile.Retire"/>: the range then reads as zeros). Every reader's
/// <see cref="MappedMemory"/> references this object, which references the retired range, so a span handed out by any of
/// them never points into a hole (see <see cref="RetiredMapping"/>). So a span a disposed reader handed out keeps reading
/// the file's bytes while another reader of the process still maps the file, and zeros after the last one is disposed.
/// The mapping is read-only: no reader can write through it.
/// </para>
/// </remarks>
internal sealed unsafe class SharedMapping
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<(ulong Device, ulong Inode), SharedMapping> Mappings = [];

    private readonly (ulong Device, ulong Inode)? _key;
    private int _users;

    private SharedMapping(MappedFile file, (ulong, ulong)? key)
    {
        File = file;
        _key = key;
        _users = 1;
    }

    /// <summary>The mapping; its base stays valid while this use is held.</summary>
    public MappedFile File { get; }

    /// <summary>The range after the last release, kept reachable by every reader's memory (see the remarks).</summary>
    public RetiredMapping? Retired { get; private set; }

    /// <summary>Whether another reader of this process maps the same file now (for tests and measurements).</summary>
    public bool IsShared
    {
        get
        {
            lock (Gate)
            {
                return _users > 1;
            }
        }
    }

    /// <summary>
    /// How many readers of this process hold the registered mapping of the file at <paramref name="path"/> now; 0 when none
    /// is registered (for tests: a count over every file would see other tests' readers come and go).
    /// </summary>
    internal static int UsersOf(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        (ulong, ulong)? key = IdentityOf(stream);
        lock (Gate)
        {
            return key is { } identity && Mappings.TryGetValue(identity, out SharedMapping? mapping) ? mapping._users : 0;
        }
    }

    /// <summary>
    /// One use of a read-only mapping of the first <paramref name="length"/> bytes of <paramref name="stream"/>'s file: the
    /// mapping this process has of it already, or a new one. Takes ownership of the stream (disposed when an existing mapping
    /// is shared).
    /// </summary>
    public static SharedMapping Acquire(FileStream stream, long length)
    {
        (ulong, ulong)? key = IdentityOf(stream);
        if (key is null)
        {
            return new SharedMapping(MappedFile.Map(stream, length, writable: false), key: null);
        }

        lock (Gate)
        {
            if (Mappings.TryGetValue(key.Value, out SharedMapping? shared) && shared.File.Length == length)
            {
                shared._users++;
                stream.Dispose();
                return shared;
            }

            // A mapping of another length stays unshared: the registered one keeps the key.
            bool register = shared is null;
            var mapping = new SharedMapping(MappedFile.Map(stream, length, writable: false), register ? key : null);
            if (register)
            {
                Mappings[key.Value] = mapping;
            }

            return mapping;
        }
    }

    /// <summary>Gives back one use; the last one unregisters the mapping and retires it (its range then reads as zeros).</summary>
    public void Release()
    {
        lock (Gate)
        {
            if (--_users > 0)
            {
                return;
            }

            if (_key is { } key && Mappings.TryGetValue(key, out SharedMapping? registered) && ReferenceEquals(registered, this))
            {
                Mappings.Remove(key);
            }
        }

        // No one else can acquire it now; the readers that used it have all released it.
        Retired = File.Retire();
    }

    /// <summary>The file's device and inode (statx on its descriptor, Linux); null elsewhere or if it cannot be told (no sharing then).</summary>
    private static (ulong, ulong)? IdentityOf(FileStream stream)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        byte* buffer = stackalloc byte[Libc.StatxSize];
        bool added = false;
        try
        {
            stream.SafeFileHandle.DangerousAddRef(ref added);
            int fd = (int)stream.SafeFileHandle.DangerousGetHandle();
            if (Libc.Statx(fd, string.Empty, Libc.AtEmptyPath, Libc.StatxIno, buffer) != 0 || (*(uint*)buffer & Libc.StatxIno) == 0)
            {
                return null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                stream.SafeFileHandle.DangerousRelease();
            }
        }

        ulong device = ((ulong)*(uint*)(buffer + Libc.StatxDevMajorOffset) << 32) | *(uint*)(buffer + Libc.StatxDevMinorOffset);
        return (device, *(ulong*)(buffer + Libc.StatxInoOffset));
    }
}
