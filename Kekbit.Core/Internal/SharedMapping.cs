using System.Runtime.InteropServices;

namespace Kekbit.Core.Internal;

/// <summary>
/// A mapping of a channel file shared by everything in this process that reads or writes that file (Linux): the writer
/// registers its mapping once the file is complete, and the first reader of a file this process does not write maps it
/// read-only; later readers take the registered mapping, so its pages are mapped already and a new reader takes no page
/// fault for anything the writer wrote or an earlier reader read. A fresh mapping of a file on a 4 KiB-page file system
/// pays a fault per 16 pages (the kernel's fault-around) and the cost of each page-table entry; populating ahead (madvise)
/// pays the same, so sharing is the way not to pay it twice in one process.
/// </summary>
/// <remarks>
/// <para>
/// Files are told apart by device and inode (statx on the opened descriptor), never by path: a channel deleted and created
/// again at the same path is another file. While a file is mapped its inode cannot be reused. A file whose length differs
/// from the shared mapping's (one still being created when the first reader mapped it, say) gets a mapping of its own.
/// </para>
/// <para>
/// Lifetime: the writer and each reader hold one use (<see cref="Acquire"/>, <see cref="MapForWriter"/>,
/// <see cref="Release"/>, under one lock); the last release unregisters the mapping and, if a reader ever held it,
/// retires it (<see cref="MappedFile.Retire"/>: the range then reads as zeros), else unmaps it. Every reader's
/// <see cref="MappedMemory"/> references this object, which references the retired range, so a span handed out by any of
/// them never points into a hole (see <see cref="RetiredMapping"/>). So a span a disposed reader handed out keeps reading
/// the file's bytes while the writer or another reader of the process still maps the file, and zeros after the last one
/// is gone.
/// </para>
/// <para>
/// Protection: a mapping readers made is read-only, so no reader can write through it. A reader in the writer's process
/// reads through the writer's read-write mapping instead (that is what spares it the faults); Kekbit never writes through
/// a reader, and a payload is a read-only span, so only unsafe code that casts the read-only away could write there.
/// </para>
/// </remarks>
internal sealed unsafe class SharedMapping
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<(ulong Device, ulong Inode), SharedMapping> Mappings = [];

    private readonly (ulong Device, ulong Inode)? _key;
    private int _users;

    // Whether a reader ever held this mapping (under Gate): then a span into it may outlive every use, and the last
    // release retires the range instead of unmapping it. A writer's own mapping nobody read is simply unmapped.
    private bool _readersHeld;

    private SharedMapping(MappedFile file, (ulong, ulong)? key, bool reader)
    {
        File = file;
        _key = key;
        _users = 1;
        _readersHeld = reader;
    }

    /// <summary>The mapping; its base stays valid while this use is held.</summary>
    public MappedFile File { get; }

    /// <summary>The range after the last release, kept reachable by every reader's memory (see the remarks).</summary>
    public RetiredMapping? Retired { get; private set; }

    /// <summary>Whether another reader of this process, or the writer, maps the same file through this mapping now (for tests and measurements).</summary>
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
    /// How many users (the writer and readers of this process) hold the registered mapping of the file at <paramref name="path"/>
    /// now; 0 when none is registered (for tests: a count over every file would see other tests' readers come and go).
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
    /// A reader's use of a mapping of the first <paramref name="length"/> bytes of <paramref name="stream"/>'s file: the
    /// mapping this process has of it already (the writer's, or another reader's), or a new read-only one. Takes ownership
    /// of the stream (disposed when an existing mapping is shared).
    /// </summary>
    public static SharedMapping Acquire(FileStream stream, long length)
    {
        (ulong, ulong)? key = IdentityOf(stream);
        if (key is null)
        {
            return new SharedMapping(MappedFile.Map(stream, length, writable: false), key: null, reader: true);
        }

        lock (Gate)
        {
            if (Mappings.TryGetValue(key.Value, out SharedMapping? shared) && shared.File.Length == length)
            {
                shared._users++;
                shared._readersHeld = true;
                stream.Dispose();
                return shared;
            }

            // A mapping of another length stays unshared: the registered one keeps the key.
            bool register = shared is null;
            var mapping = new SharedMapping(MappedFile.Map(stream, length, writable: false), register ? key : null, reader: true);
            if (register)
            {
                Mappings[key.Value] = mapping;
            }

            return mapping;
        }
    }

    /// <summary>
    /// The writer's use of a new read-write mapping of the first <paramref name="length"/> bytes of <paramref name="stream"/>'s
    /// file, which it is creating, on 2 MiB pages where the kernel gives them if <paramref name="hugePages"/>
    /// (<see cref="MappedFile.MapNewFile"/>). Not shared until <see cref="Register"/>: a reader must not see a header being
    /// written. Takes ownership of the stream.
    /// </summary>
    public static SharedMapping MapForWriter(FileStream stream, long length, bool hugePages)
    {
        (ulong, ulong)? key = IdentityOf(stream);
        return new SharedMapping(MappedFile.MapNewFile(stream, length, hugePages), key, reader: false);
    }

    /// <summary>
    /// Offers the writer's mapping (<see cref="MapForWriter"/>) to this process's readers of the file: called once its header
    /// is complete. A file this process has a registered mapping of already keeps that one (it cannot happen for a new file:
    /// its inode is new).
    /// </summary>
    public void Register()
    {
        if (_key is not { } key)
        {
            return;
        }

        lock (Gate)
        {
            Mappings.TryAdd(key, this);
        }
    }

    /// <summary>
    /// Gives back one use; the last one unregisters the mapping and retires it if a reader ever held it (its range then reads
    /// as zeros), else unmaps it.
    /// </summary>
    public void Release()
    {
        bool retire;
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

            retire = _readersHeld;
        }

        // No one else can acquire it now; everyone who used it has released it.
        if (retire)
        {
            Retired = File.Retire();
        }
        else
        {
            File.Dispose();
        }
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
