using Kekbit.Samples;

namespace Kekbit.Demo;

/// <summary>
/// A checksum of a sequence of records: each record's FNV-1a hash folded in order. The writer and each reader
/// compute it independently; equal checksums mean the same records, byte for byte, in the same order.
/// </summary>
internal static class Checksum
{
    public const ulong Empty = Fnv1a.Seed;

    public static ulong OfRecord(ReadOnlySpan<byte> payload) => Fnv1a.Add(Fnv1a.Seed, payload);

    public static ulong Fold(ulong checksum, ulong recordHash) => (checksum ^ recordHash) * 1099511628211UL;
}
