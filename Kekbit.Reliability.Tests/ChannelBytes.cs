namespace Kekbit.Reliability.Tests;

/// <summary>A channel file's bytes as the file system holds them, read through a fresh handle (not the writer's mapping).</summary>
internal static class ChannelBytes
{
    public static byte[] Read(string file) => SampleChannels.ReadShared(file);
}
