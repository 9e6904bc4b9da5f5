using System.Text;
using Kekbit.Core;
using Kekbit.Tool.Output;

namespace Kekbit.Tool.Tests;

/// <summary>The per-record formatting of <c>dump</c> and <c>tail</c> allocates nothing, so dumping millions of records does not churn the GC.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Formatting_a_record_as_hex_or_text_allocates_nothing()
    {
        using var output = new StreamWriter(Stream.Null, new UTF8Encoding(false), 1 << 16);
        byte[] text = Encoding.UTF8.GetBytes("a line with \t tab, \\ backslash, ✓ and \u0001");
        byte[] binary = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        FormatAll(output, text, binary, 100); // Warm up: let the JIT settle.

        long before = GC.GetAllocatedBytesForCurrentThread();
        FormatAll(output, text, binary, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 1024, $"{allocated} bytes allocated for 40,000 formatted records");
    }

    private static void FormatAll(TextWriter output, byte[] text, byte[] binary, int times)
    {
        for (int i = 0; i < times; i++)
        {
            ChannelDump.WriteRecord(text, output);
            ChannelDump.WriteRecord(binary, output);
            PayloadText.Write(text, output);
            PayloadText.Write(binary, output);
        }
    }
}
