namespace Kekbit.Reliability.Tests;

/// <summary>A channel file's bytes as the file system holds them, read through a fresh handle (not a mapping), even while a writer has it open.</summary>
internal static class ChannelBytes
{
    public static byte[] Read(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
