namespace Kekbit.Samples;

/// <summary>The 64-bit FNV-1a hash: a cheap, stable checksum of bytes (not cryptographic).</summary>
internal static class Fnv1a
{
    public const ulong Seed = 14695981039346656037UL;

    /// <summary>Folds <paramref name="bytes"/> into <paramref name="hash"/>; start from <see cref="Seed"/>.</summary>
    public static ulong Add(ulong hash, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }
}
