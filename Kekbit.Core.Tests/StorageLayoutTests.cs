namespace Kekbit.Core.Tests;

public sealed class StorageLayoutTests
{
    [Theory]
    [InlineData(4242UL, "0000_0000/0000_1092.kekbit")]
    [InlineData(0UL, "0000_0000/0000_0000.kekbit")]
    [InlineData(0xAAAA_BBBB_CCCC_DDDDUL, "aaaa_bbbb/cccc_dddd.kekbit")]
    [InlineData(0xAAAA_00BB_000C_0DDDUL, "aaaa_00bb/000c_0ddd.kekbit")]
    public void Channel_ids_map_to_the_documented_paths_and_back(ulong id, string relative)
    {
        string path = StorageLayout.ChannelFile("/root", id);
        Assert.Equal(Path.Combine("/root", relative), path);
        Assert.Equal(Path.ChangeExtension(path, ".lock"), StorageLayout.LockFile("/root", id));
        Assert.True(StorageLayout.TryParseChannelId(path, out ulong parsed));
        Assert.Equal(id, parsed);
    }

    [Theory]
    [InlineData("/root/0000_0000/0000_1092.txt")]
    [InlineData("/root/0000_000/0000_1092.kekbit")]
    [InlineData("/root/0000_0000/zzzz_1092.kekbit")]
    public void Paths_off_the_layout_do_not_parse(string path) => Assert.False(StorageLayout.TryParseChannelId(path, out _));
}
