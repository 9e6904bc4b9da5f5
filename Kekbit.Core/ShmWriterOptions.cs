namespace Kekbit.Core;

/// <summary>How <see cref="ShmWriter.Create"/> creates a channel's file and folders.</summary>
public sealed class ShmWriterOptions
{
    /// <summary>The default options: owner-only permissions.</summary>
    public static ShmWriterOptions Default { get; } = new();

    /// <summary>
    /// Permissions of the channel file on Unix; default owner read and write (0600). To let a group of
    /// cooperating processes read, add <see cref="UnixFileMode.GroupRead"/>. Applied exactly, whatever the
    /// creating process's umask. Other-write bits are refused.
    /// </summary>
    public UnixFileMode FileMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Permissions of folders the writer creates on Unix; default owner only (0700), applied exactly whatever the umask.
    /// Existing folders are left as they are.
    /// Other-write bits are refused.
    /// </summary>
    public UnixFileMode FolderMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Whether to touch every page of the new channel file when it is created, so that no write later pays a
    /// page fault for its first use of a page (as Aeron's pre-touch does). Creation then takes time in
    /// proportion to the capacity; writes into a fresh channel get steadier and, on virtual machines, much faster.
    /// The file's contents are the same either way. Default false.
    /// </summary>
    public bool PreTouch { get => _preTouch; init => _preTouch = value; }

    /// <summary>
    /// Whether to ask the kernel, when the channel is created, to back its file with 2 MiB pages (Linux 6.1 and later,
    /// madvise MADV_COLLAPSE; on a tmpfs such as <c>/dev/shm</c> it works whatever the system's transparent-huge-page
    /// setting short of <c>deny</c>). Readers in every process then map the channel 2 MiB at a time: a fresh reader takes
    /// one page fault and one TLB entry per 2 MiB instead of 512, and reads a channel it has never mapped at about the
    /// speed of one whose pages are mapped already; the writer's first writes into each page get as cheap. The memory is
    /// the same (the file's blocks are reserved at creation either way); creation takes longer (about 0.4 ms per 2 MiB
    /// page here). Best effort: where the kernel or the file system cannot, the file keeps 4 KiB pages, and the tail of a
    /// file that does not fill a 2 MiB page always does. The file's contents are the same either way. Default true.
    /// </summary>
    public bool HugePages { get; init; } = true;

    /// <summary>
    /// Whether the channel carries a doorbell (docs/FORMAT.md): a presence mark and a waiter flag in header bytes that
    /// kekbit 0.3.5 leaves zero and ignores, through which readers sleep in a futex until this writer publishes a record
    /// (<see cref="ShmReader.WaitForData"/>). Default true. Set false for a file whose every byte, the reserved header
    /// bytes included, must equal what kekbit 0.3.5 writes; its readers then poll. kekbit 0.3.5 reads the channel
    /// identically either way.
    /// </summary>
    public bool Doorbell { get; init; } = true;

    private bool _preTouch;

    /// <summary>
    /// These options with <see cref="PreTouch"/> set to <paramref name="preTouch"/>: a member-wise copy, so no setting is
    /// dropped (the journal creates segments with and without pre-touch from its one set of segment options).
    /// </summary>
    internal ShmWriterOptions WithPreTouch(bool preTouch)
    {
        var copy = (ShmWriterOptions)MemberwiseClone();
        copy._preTouch = preTouch;
        return copy;
    }

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> for world-writable modes.</summary>
    internal void Validate()
    {
        if ((FileMode & UnixFileMode.OtherWrite) != 0)
        {
            throw new ArgumentException("A channel file must never be world-writable.", nameof(FileMode));
        }

        if ((FolderMode & UnixFileMode.OtherWrite) != 0)
        {
            throw new ArgumentException("A channel folder must never be world-writable.", nameof(FolderMode));
        }
    }
}
