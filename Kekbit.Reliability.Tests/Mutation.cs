using System.Buffers.Binary;

namespace Kekbit.Reliability.Tests;

/// <summary>The ways the fuzz tests damage a channel file.</summary>
public enum MutationKind
{
    /// <summary>Flips one bit of the 128-byte metadata.</summary>
    FlipHeaderBit,

    /// <summary>Stores an edge value in a metadata field (signature, version, capacity, max length, tick unit).</summary>
    SetHeaderField,

    /// <summary>Flips one bit of a record's length slot (or of the final marker's).</summary>
    FlipLengthBit,

    /// <summary>Stores an edge value in a record's length slot: max length, max + 1, markers, huge values...</summary>
    SetLength,

    /// <summary>Cuts the file short, often near a boundary (metadata, data start, data end).</summary>
    Truncate,

    /// <summary>Appends zeros or random bytes to the file.</summary>
    Extend,

    /// <summary>Zeroes one 4096-byte page.</summary>
    ZeroPage,

    /// <summary>Overwrites up to 64 bytes anywhere with random bytes.</summary>
    Scribble,
}

/// <summary>
/// One damage done to a channel file. <see cref="Where"/> and <see cref="Value"/> are reduced modulo the
/// file's dimensions, so any values make a valid mutation: FsCheck may generate and shrink them freely.
/// </summary>
public sealed record Mutation(MutationKind Kind, int Where, ulong Value)
{
    private static readonly int[] HeaderFields = [0, 8, 32, 36, 56];

    /// <summary>Applies <paramref name="mutations"/> to a copy of <paramref name="file"/>; <paramref name="slots"/> are its length slots' data offsets.</summary>
    public static byte[] ApplyAll(byte[] file, int[] slots, IEnumerable<Mutation> mutations)
    {
        byte[] result = file;
        foreach (Mutation mutation in mutations)
        {
            result = mutation.Apply(result, slots);
        }

        return ReferenceEquals(result, file) ? (byte[])file.Clone() : result;
    }

    /// <summary>A random mutation, as the bulk fuzz draws them.</summary>
    public static Mutation Random(Random random) =>
        new((MutationKind)random.Next(Enum.GetValues<MutationKind>().Length), random.Next(), (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63));

    private byte[] Apply(byte[] file, int[] slots)
    {
        int where = Where & int.MaxValue;
        switch (Kind)
        {
            case MutationKind.FlipHeaderBit:
                return Changed(file, copy => copy[where % Math.Min(128, copy.Length)] ^= (byte)(1 << (int)(Value % 8)));
            case MutationKind.SetHeaderField:
                return Changed(file, copy => SetHeaderField(copy, HeaderFields[where % HeaderFields.Length]));
            case MutationKind.FlipLengthBit:
                return Changed(file, copy => WriteSlot(copy, slots[where % slots.Length], ReadSlot(copy, slots[where % slots.Length]) ^ (1UL << (int)(Value % 64))));
            case MutationKind.SetLength:
                return Changed(file, copy => WriteSlot(copy, slots[where % slots.Length], EdgeLength(copy)));
            case MutationKind.Truncate:
                return file[..TruncatedLength(file.Length, where)];
            case MutationKind.Extend:
                byte[] longer = new byte[file.Length + 1 + (where % 9000)];
                file.CopyTo(longer, 0);
                if (Value % 2 == 1)
                {
                    new Random((int)Value).NextBytes(longer.AsSpan(file.Length));
                }

                return longer;
            case MutationKind.ZeroPage:
                return Changed(file, copy => copy.AsSpan(where % copy.Length / 4096 * 4096).Slice(0, Math.Min(4096, copy.Length - (where % copy.Length / 4096 * 4096))).Clear());
            default:
                return Changed(file, copy =>
                {
                    int start = where % copy.Length;
                    new Random((int)Value).NextBytes(copy.AsSpan(start, Math.Min(copy.Length - start, 1 + (int)(Value % 64))));
                });
        }
    }

    private static byte[] Changed(byte[] file, Action<byte[]> change)
    {
        byte[] copy = (byte[])file.Clone();
        if (copy.Length > 0)
        {
            change(copy);
        }

        return copy;
    }

    private void SetHeaderField(byte[] file, int offset)
    {
        if (file.Length < 64)
        {
            return;
        }

        uint capacity = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(32));
        uint[] edges = [0, 8, 16376, 16384, 16392, capacity + 8, capacity - 8, capacity * 2, (uint)Math.Max(0, file.Length - 1024), (uint)(capacity / 128), uint.MaxValue, 0x7FFF_FBD8, (uint)Value];
        switch (offset)
        {
            case 0:
                BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(0), Value % 3 == 0 ? 0 : Value);
                break;
            case 8:
                ulong[] versions = [0, 1UL << 48, (1UL << 48) + 1, 1UL << 32, 2UL << 48, Value];
                BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(8), versions[Value % (ulong)versions.Length]);
                break;
            case 56:
                file[56] = (byte)Value;
                break;
            default:
                BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(offset), edges[Value % (ulong)edges.Length]);
                break;
        }
    }

    private ulong EdgeLength(byte[] file)
    {
        ulong max = file.Length >= 40 ? BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(36)) : 0;
        ulong capacity = file.Length >= 40 ? BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(32)) : 0;
        ulong[] edges = [0, 1, max, max - 1, max + 1, max + 8, capacity, 0xFFFF_FFFF_1111_1111, ulong.MaxValue, ulong.MaxValue - 1, int.MaxValue, uint.MaxValue, 1UL << 63, Value];
        return edges[(Value >> 8) % (ulong)edges.Length];
    }

    private int TruncatedLength(int length, int where)
    {
        // Half the time a random length; otherwise close to a boundary where off-by-one errors live.
        int[] boundaries = [0, 127, 128, 129, 1016, 1024, 1031, 1032, length - 32, length - 896, length - 8, length - 1];
        int cut = Value % 2 == 0 ? where % Math.Max(1, length) : boundaries[where % boundaries.Length] + ((int)(Value >> 1) % 9) - 4;
        return Math.Clamp(cut, 0, length);
    }

    private static ulong ReadSlot(byte[] file, int slot) =>
        1024 + slot + 8 <= file.Length ? BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(1024 + slot)) : 0;

    private static void WriteSlot(byte[] file, int slot, ulong value)
    {
        if (1024 + slot + 8 <= file.Length)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(1024 + slot), value);
        }
    }
}
