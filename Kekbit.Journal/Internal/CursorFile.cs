using System.Buffers.Binary;

namespace Kekbit.Journal.Internal;

/// <summary>
/// A durable cursor's file, <c>cursors/NAME.cursor</c> (docs/FORMAT.md, "Journal"): two 64-byte slots, each with a
/// generation, the committed position and sequence, and a checksum. A commit writes the slot the last commit did not (one
/// pwrite of 64 bytes); a reader of the file takes the valid slot with the highest generation. A commit torn by a crash
/// leaves a slot whose checksum fails, so the other slot, the previous commit, is taken: old or new, never garbage.
/// While a reader has the cursor, it holds an exclusive lock on <c>cursors/NAME.lock</c>.
/// </summary>
internal sealed class CursorFile : IDisposable
{
    public const string FolderName = "cursors";
    public const string Extension = ".cursor";
    public const int SlotLength = 64;
    public const ulong Magic = 0x524F_5352_5543_4A4B; // "KJCURSOR"

    private readonly FileStream _stream;
    private readonly FileLock _lock;
    private readonly bool _flushToDisk;
    private ulong _generation;

    private CursorFile(string name, string path, FileStream stream, FileLock fileLock, bool flushToDisk, Slot? committed)
    {
        Name = name;
        Path = path;
        _stream = stream;
        _lock = fileLock;
        _flushToDisk = flushToDisk;
        Committed = committed;
        _generation = committed?.Generation ?? 0;
    }

    /// <summary>One slot's content.</summary>
    public readonly record struct Slot(ulong Generation, long Position, long NextSequence, long CommittedAtUnixMs);

    public string Name { get; }

    public string Path { get; }

    /// <summary>What was committed when the file was opened, if anything.</summary>
    public Slot? Committed { get; }

    public static string FileOf(string folder, string name) => System.IO.Path.Combine(folder, FolderName, name + Extension);

    public static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 100 || name is "." or ".." || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            throw new ArgumentException($"A cursor name is 1 to 100 letters, digits, '.', '-' or '_' (not '.' or '..'): '{name}'.", nameof(name));
        }
    }

    public static CursorFile Open(string folder, string name, bool flushToDisk)
    {
        ValidateName(name);
        string directory = System.IO.Path.Combine(folder, FolderName);
        string path = FileOf(folder, name);
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JournalException(JournalError.CouldNotAccessStorage, directory, $"cannot create the cursors folder: {e.Message}", e);
        }

        const UnixFileMode fileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        FileLock fileLock = FileLock.TryAcquire(System.IO.Path.ChangeExtension(path, ".lock"), fileMode)
            ?? throw new JournalException(JournalError.CursorInUse, path, $"another reader has cursor '{name}' open; a durable cursor has one reader at a time");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite | FileShare.Delete };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = fileMode;
            }

            var stream = new FileStream(path, options);
            return new CursorFile(name, path, stream, fileLock, flushToDisk, ReadBest(stream.SafeFileHandle));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            fileLock.Dispose();
            throw new JournalException(JournalError.CouldNotAccessStorage, path, $"cannot open the cursor file: {e.Message}", e);
        }
    }

    /// <summary>Reads what a cursor file holds without taking it (for inspection and retention); null if nothing valid was committed.</summary>
    public static Slot? Peek(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return ReadBest(stream.SafeFileHandle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Commits a position: writes the slot the previous commit did not use, and syncs it when asked to.</summary>
    public void Commit(long position, long nextSequence)
    {
        ulong generation = _generation + 1;
        Span<byte> slot = stackalloc byte[SlotLength];
        slot.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(slot, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(slot[8..], generation);
        BinaryPrimitives.WriteInt64LittleEndian(slot[16..], position);
        BinaryPrimitives.WriteInt64LittleEndian(slot[24..], nextSequence);
        BinaryPrimitives.WriteInt64LittleEndian(slot[32..], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt64LittleEndian(slot[56..], Checksum(slot[..56]));
        try
        {
            RandomAccess.Write(_stream.SafeFileHandle, slot, (long)(generation & 1) * SlotLength);
            if (_flushToDisk)
            {
                _stream.Flush(flushToDisk: true);
            }
        }
        catch (IOException e)
        {
            throw new JournalException(JournalError.CouldNotAccessStorage, Path, $"cannot commit cursor '{Name}': {e.Message}", e);
        }

        _generation = generation;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _lock.Dispose();
    }

    private static Slot? ReadBest(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        Span<byte> slots = stackalloc byte[2 * SlotLength];
        int read = RandomAccess.Read(handle, slots, 0);
        Slot? best = null;
        for (int i = 0; i + SlotLength <= read; i += SlotLength)
        {
            ReadOnlySpan<byte> slot = slots.Slice(i, SlotLength);
            if (BinaryPrimitives.ReadUInt64LittleEndian(slot) != Magic || BinaryPrimitives.ReadUInt64LittleEndian(slot[56..]) != Checksum(slot[..56]))
            {
                continue;
            }

            var candidate = new Slot(BinaryPrimitives.ReadUInt64LittleEndian(slot[8..]), BinaryPrimitives.ReadInt64LittleEndian(slot[16..]),
                BinaryPrimitives.ReadInt64LittleEndian(slot[24..]), BinaryPrimitives.ReadInt64LittleEndian(slot[32..]));
            if (candidate.Position >= 0 && (best is null || candidate.Generation > best.Value.Generation))
            {
                best = candidate;
            }
        }

        return best;
    }

    /// <summary>FNV-1a, 64 bits: catches a torn or zeroed slot (this guards against crashes, not against an adversary).</summary>
    private static ulong Checksum(ReadOnlySpan<byte> bytes)
    {
        ulong hash = 0xCBF2_9CE4_8422_2325;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 0x0000_0100_0000_01B3;
        }

        return hash;
    }
}
